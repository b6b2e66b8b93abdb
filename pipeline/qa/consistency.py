"""Memory consistency across entries of one language: one source translated two ways, or one translation
standing for two different sources. Either makes the translation memory give contradictory answers."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pipeline.qa.base import Entry, Finding, shorten


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def check(entries: Sequence[Entry]) -> list[tuple[int, Finding]]:
    """(entry index, finding) for every entry that disagrees with another one."""
    by_source: dict[tuple[str, str], dict[str, list[int]]] = {}
    by_target: dict[tuple[str, str], dict[str, list[int]]] = {}
    for k, entry in enumerate(entries):
        source, target = _key(entry.msgid), _key(entry.msgstr)
        by_source.setdefault((entry.lang, source), {}).setdefault(target, []).append(k)
        by_target.setdefault((entry.lang, target.casefold()), {}).setdefault(source, []).append(k)
    out = []
    for targets in by_source.values():
        if len(targets) < 2:
            continue
        for target, indices in targets.items():
            other = next(i for t, ix in targets.items() if t != target for i in ix)
            where = entries[other]
            for k in indices:
                out.append((k, Finding("consistency", f"the same source is translated differently at "
                                                      f"{where.catalog}:{where.line} ({shorten(where.msgstr)!r}); "
                                                      "make the translations agree")))
    for sources in by_target.values():
        if len(sources) < 2:
            continue
        for source, indices in sources.items():
            other = next(i for s, ix in sources.items() if s != source for i in ix)
            where = entries[other]
            for k in indices:
                out.append((k, Finding("consistency", f"the same translation stands for another source at "
                                                      f"{where.catalog}:{where.line} ({shorten(where.msgid)!r}); "
                                                      "one of the two is probably wrong")))
    return out
