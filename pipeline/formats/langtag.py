"""Language tags as files spell them (`ru_RU.UTF-8`, `kk-KZ`, `AR`) reduced to the code the pipeline uses."""

from __future__ import annotations

_KEEP_REGION = {"zh", "pt", "sr"}  # languages whose regional/script variants are different targets


def lang_code(tag: str) -> str:
    """`ru_RU.UTF-8` / `ru-RU` / `RU` -> `ru`: catalogs and TMX files spell one language many ways."""
    tag = tag.strip().split(".")[0].split("@")[0].replace("_", "-")
    parts = [p for p in tag.split("-") if p]
    if not parts:
        return ""
    primary = parts[0].lower()
    if primary in _KEEP_REGION and len(parts) > 1:
        return "-".join([primary] + [p.title() if len(p) == 4 else p.upper() for p in parts[1:]])
    return primary
