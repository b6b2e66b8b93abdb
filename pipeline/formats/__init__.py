"""File formats (PO, TMX, TBX, glossary CSV): each module reads and writes one format and imports no stage."""


def utf16_without_bom(raw: bytes) -> str | None:
    """"UTF-16LE" or "UTF-16BE" when `raw` looks like UTF-16 text saved without a byte-order mark (every other
    byte NUL, as Latin text is in UTF-16), else None: such a file decodes as "valid" UTF-8 full of NULs, and
    the honest message names its encoding."""
    sample = raw[:4096]
    if len(sample) < 4 or sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    pairs = len(sample) // 2
    even = sample[0:pairs * 2:2].count(0)
    odd = sample[1:pairs * 2:2].count(0)
    if odd >= 0.3 * pairs and even < 0.05 * pairs:
        return "UTF-16LE"
    if even >= 0.3 * pairs and odd < 0.05 * pairs:
        return "UTF-16BE"
    return None
