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
    return [*_disagreements(entries, by_source, "the same source is translated differently at {where} ({msgstr!r}); "
                                                "make the translations agree"),
            *_disagreements(entries, by_target, "the same translation stands for another source at {where} "
                                                "({msgid!r}); one of the two is probably wrong")]


def _disagreements(entries: Sequence[Entry], groups: dict, message: str) -> list[tuple[int, Finding]]:
    """Each entry of a group whose members disagree, pointing at one entry that says it the other way."""
    out = []
    for variants in groups.values():
        if len(variants) < 2:
            continue
        for variant, indices in variants.items():
            where = entries[next(i for v, ix in variants.items() if v != variant for i in ix)]
            text = message.format(where=f"{where.catalog}:{where.line}", msgstr=shorten(where.msgstr),
                                  msgid=shorten(where.msgid))
            out.extend((k, Finding("consistency", text)) for k in indices)
    return out
