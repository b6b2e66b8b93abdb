"""What msgfmt would reject in a catalog that still parses: a Plural-Forms header that is not a valid
expression (or yields a form out of range), and c-format entries whose msgstr has other printf directives than
its msgid. A run warns about them (file and line) instead of leaving the surprise to the build."""

from __future__ import annotations

import gettext
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import polib

_HEADER = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$")
_DIRECTIVE = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                        r"(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcspn%]")


@lru_cache(maxsize=64)  # a run asks for every catalog, with a handful of distinct headers
def plural_forms_problem(value: str) -> str | None:
    """Why a Plural-Forms value is unusable, or None when msgfmt would accept it."""
    return _read_plural_forms(value or "")[2]


def plural_rule(value: str) -> tuple[int, Callable[[int], int]] | None:
    """nplurals and the plural expression as a function of n, or None when the value is unusable."""
    count, rule, problem = _read_plural_forms(value or "")
    return None if problem or rule is None else (count, rule)


@lru_cache(maxsize=256)
def _read_plural_forms(value: str) -> tuple[int, Callable[[int], int] | None, str | None]:
    """(nplurals, rule, problem): read and tried once per distinct value (every catalog of a language has one)."""
    found = _HEADER.match(value)
    if not found:
        return 0, None, f"Plural-Forms {value!r} is not `nplurals=N; plural=EXPRESSION;`"
    count = int(found.group(1))
    if count < 1:
        return count, None, f"Plural-Forms says nplurals={count}; it must be at least 1"
    try:
        rule = gettext.c2py(found.group(2))
    except (ValueError, SyntaxError, RecursionError) as exc:
        return count, None, f"Plural-Forms expression {found.group(2)!r} is not valid C ({exc})"
    try:
        wrong = next((n for n in range(1001) if not 0 <= rule(n) < count), None)
    except ArithmeticError:  # plural=n%0: msgfmt accepts the expression, every program using it fails
        return count, None, f"Plural-Forms expression {found.group(2)!r} divides by zero"
    if wrong is not None:
        return count, None, f"Plural-Forms gives form {rule(wrong)} for n={wrong}, but nplurals={count}"
    return count, rule, None


def directives(text: str) -> Counter:
    return Counter(d for d in _DIRECTIVE.findall(text or "") if d != "%%")


def catalog_warnings(po: polib.POFile, path: Path) -> list[str]:
    """`path:line: problem; what to do` for each thing msgfmt --check would reject."""
    warnings = []
    value = po.metadata.get("Plural-Forms")
    if value is not None:
        problem = plural_forms_problem(value)
        if problem:
            warnings.append(f"{path}:1: {problem}; msgfmt will reject the catalog: fix the header")
    for entry in po:
        # plural forms may leave the number out of a form (msgfmt allows it): singular entries only
        if entry.obsolete or entry.msgid_plural or "c-format" not in entry.flags or "fuzzy" in entry.flags:
            continue
        want, have = directives(entry.msgid), directives(entry.msgstr)
        if entry.msgstr and have != want:
            shown = " ".join(sorted(have.elements())) or "none"
            need = " ".join(sorted(want.elements())) or "none"
            warnings.append(f"{path}:{entry.linenum}: c-format: the translation has {shown}, the source "
                            f"{need}; msgfmt will reject the catalog: fix the translation")
    return warnings
