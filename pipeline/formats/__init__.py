"""File formats (PO, TMX, TBX, glossary CSV): each module reads and writes one format and imports no stage."""
