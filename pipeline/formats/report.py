"""The `--json` report layout: objects indented, each member of a list of objects or lists on one line.

A run's report over thousands of articles is megabytes. `json.dumps(indent=2)` never takes json's C encoder and
spent most of an unchanged re-run; here each list member (a catalog, a publication, a match) is encoded by the C
encoder on one line of its own, which also keeps one record per line for grep and line-oriented tools. Any JSON
reader reads it as the same data.
"""

from __future__ import annotations

import json


def json_report(data, indent: str = "") -> str:
    if isinstance(data, dict) and data:
        inner = indent + "  "
        members = [_key(key) + ": " + json_report(value, inner) for key, value in data.items()]
        return "{\n" + inner + (",\n" + inner).join(members) + "\n" + indent + "}"
    if isinstance(data, (list, tuple)) and any(isinstance(item, (dict, list, tuple)) for item in data):
        inner = indent + "  "
        return "[\n" + inner + (",\n" + inner).join(_compact(item) for item in data) + "\n" + indent + "]"
    return _compact(data)


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # json's own TypeError for what it cannot write


def _key(key) -> str:
    """A member name as json writes it (numbers, booleans and None become strings, others are refused)."""
    return _compact({key: None})[1:-len(": null}")]
