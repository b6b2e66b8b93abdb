"""What the last run left behind, so that a re-run does only what changed.

For each catalog and template a run read or wrote: the SHA-256 of the bytes it knows are on disk, a digest of the
inputs they were made from (article, template date, glossary, options, engine), and what the later stages need
from them (counts, warnings, review-check counts, the translated entries). A re-run compares checksums of the files
as they are *now* (their content, never their times), so a catalog a translator saved is always read, harvested
and merged again. Nothing is skipped when the memory may have changed since (its file's size, time or inode moved,
any catalog had to be harvested, or the memory is a PostgreSQL database, which has no cheap signature).

The file is a cache: missing, damaged or from another version, it is ignored and the run does everything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import polib

from pipeline import __version__, files

STATE_VERSION = 3
FILES = b',"files":'  # in the records file, what comes before the records (after the header's fields)
GAPS = "#glossary-gaps"  # the record of the run's glossary gaps (not a file)
PUBLISHED = "#published:"  # + "<lang>/<slug>": the record of one published article version (not a file)


def checksum(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def digest(*parts: object) -> str:
    """A checksum of JSON-able parts (the inputs a file was made from)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def article_checksum(reference: str, text: str) -> str:
    """What an article's catalogs, template and pages are made from: its name in the workspace and its text."""
    return digest(reference, text)


def memory_signature(location: Path | str) -> list | None:
    """Size, time and inode of a SQLite memory and its write-ahead log: any write moves one of them. None for a
    database server (no cheap signature: nothing is skipped)."""
    if not isinstance(location, Path):
        return None
    out = []
    for suffix in ("", "-wal"):
        try:
            stat = os.stat(f"{location}{suffix}")
            out.append([stat.st_size, stat.st_mtime_ns, stat.st_ino])
        except FileNotFoundError:
            out.append(None)
    return out


def translated_view(po: polib.POFile) -> dict:
    """What harvest, the review checks and publish read of a catalog: its header fields and its live singular
    entries that have a translation (line, context, source, translation, flags)."""
    return {"metadata": dict(po.metadata),
            "entries": [[e.linenum, e.msgctxt, e.msgid, e.msgstr, list(e.flags)] for e in po
                        if not e.obsolete and not e.msgid_plural and e.msgstr]}


def from_translated_view(path: Path, view: dict) -> polib.POFile:
    po = polib.POFile(encoding="utf-8")
    po.fpath = str(path)
    po.metadata = dict(view["metadata"])
    for linenum, msgctxt, msgid, msgstr, flags in view["entries"]:
        po.append(polib.POEntry(linenum=linenum, msgctxt=msgctxt, msgid=msgid, msgstr=msgstr, flags=list(flags)))
    return po


@dataclass
class RunState:
    """The last run's records (`previous`, only when they can be trusted) and this run's (`records`)."""

    path: Path
    context: str
    previous: dict[str, dict] = field(default_factory=dict)
    records: dict[str, dict] = field(default_factory=dict)
    harvested_all: bool = True  # no catalog had to be harvested: the memory is as the last run left it
    loaded: list | None = None  # the memory signature the trusted records were saved with

    @classmethod
    def load(cls, path: Path, context: str, memory: list | None) -> RunState:
        state = cls(path, context)
        if memory is None:
            return state
        try:
            data = path.read_bytes()
            cut = data.index(FILES)
            header = json.loads(data[:cut] + b"}")
        except (OSError, ValueError):
            return state
        body = data[cut + len(FILES):-1]
        # Trusted only as a run wrote it: the checksum of its records must still match (an edited or damaged
        # record is never read field by field).
        if not (isinstance(header, dict) and header.get("version") == [STATE_VERSION, __version__]
                and header.get("context") == context and header.get("memory") == memory
                and data.endswith(b"}") and header.get("check") == checksum(body)):
            return state
        try:
            files = json.loads(body)
        except ValueError:
            return state
        if isinstance(files, dict):
            state.previous = files
            state.loaded = memory
        return state

    def known(self, name: str, data: bytes | None, sha: str | None = None) -> dict | None:
        """The last run's record of this file, if the file still holds the bytes it recorded (`sha`: their
        checksum, when the caller has it)."""
        record = self.previous.get(name)
        if record is None or data is None or record.get("sha") != (sha or checksum(data)):
            return None
        return record

    def unchanged(self, name: str, data: bytes | None, inputs: str, sha: str | None = None) -> dict | None:
        """The record, if the file holds the same bytes and was made from the same inputs, and the memory is as
        the last run left it (so a merge would change nothing)."""
        record = self.known(name, data, sha)
        return record if record is not None and self.harvested_all and record.get("inputs") == inputs else None

    def record(self, name: str, data: bytes | None, **info) -> None:
        if data is not None:
            self.records[name] = {"sha": checksum(data), **info}

    def carry(self, name: str) -> None:
        """The file is as the last run left it: its record stands."""
        if name in self.previous:
            self.records.setdefault(name, self.previous[name])

    def save(self, memory: list | None) -> None:
        """Written atomically at the end of a run; without a memory signature there is nothing to trust later.
        An unchanged re-run (the same records, the memory as it was) leaves the file alone, not even rewriting
        its text. The records come last, after `"files":`, and the checksum is of their text as written: a
        run reads and checks them without writing them out again."""
        if memory is None or (self.loaded == memory and self.records == self.previous):
            return
        body = json.dumps(self.records, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        header = json.dumps({"check": checksum(body), "context": self.context, "memory": memory,
                             "version": [STATE_VERSION, __version__]}, separators=(",", ":"), sort_keys=True)
        with contextlib.suppress(OSError):  # a cache: when it cannot be written, the next run does everything
            files.write_if_changed(self.path, header[:-1].encode("utf-8") + FILES + body + b"}")


class RunCache:
    """One run's use of the records: the run's catalog reader, what the last run left, what this run leaves."""

    def __init__(self, root: Path, state: RunState, reader):
        self.root, self.state, self.reader = root, state, reader
        self._root = os.path.abspath(root)  # asked for every file's name
        self.skipped: set[str] = set()  # catalogs whose merge was skipped (unchanged)
        self.merged: set[str] = set()  # catalogs this run merged or skipped as unchanged (the others it only harvested)
        self._articles: dict[str, str] = {}  # article -> checksum of the bytes read this run

    def _bytes(self, path: Path) -> tuple[bytes | None, str | None]:
        """A file's bytes and their checksum, through the run's reader (each unchanged file is read once a run);
        (None, None) when absent or unreadable (a folder named x.po: the stage that reads it says so)."""
        try:
            return self.reader.contents(path)
        except OSError:
            return None, None

    def name(self, path: Path) -> str:
        """How the records name a file: relative to the workspace root."""
        full, root = os.path.abspath(path), self._root
        return full[len(root) + 1:].replace(os.sep, "/") if full.startswith(root + os.sep) else full

    def harvest_known(self, path: Path) -> bool:
        """Harvested (or written from harvested bytes) by the last run and unchanged since: nothing to harvest."""
        data, sha = self._bytes(path)
        name = self.name(path)
        if self.state.known(name, data, sha) is not None:
            self.reader.seen(path, data)
            self.state.carry(name)
            return True
        self.state.harvested_all = False
        return False

    def harvested(self, path: Path) -> None:
        catalog = self.reader.known(path)
        if catalog is not None:
            self.state.record(self.name(path), catalog.data)

    def template(self, path: Path, inputs: str) -> str | None:
        """The POT-Creation-Date of a template the last run left as it is, made from the same article."""
        record = self._as_left(path, inputs, "pot_date")
        return None if record is None else record["pot_date"]

    def _as_left(self, path: Path, inputs: str, *needed: str) -> dict | None:
        """The last run's record of a file it wrote, when the file still holds those bytes, was made from the same
        inputs and the record has the `needed` fields: the record then stands for this run too."""
        name = self.name(path)
        record = self.state.known(name, *self._bytes(path))
        if record is None or record.get("inputs") != inputs or not all(record.get(key) for key in needed):
            return None
        self.state.carry(name)
        return record

    def template_written(self, path: Path, inputs: str, pot_date: str, data: bytes) -> None:
        """`data`: the bytes the template now holds, as the writer wrote (or found) them."""
        self.state.record(self.name(path), data, inputs=inputs, pot_date=pot_date)

    def catalog(self, path: Path, inputs: str) -> dict | None:
        """The last run's record of a catalog that is as it left it, made from the same inputs, with the memory
        as it left it: merging again would change nothing."""
        data, sha = self._bytes(path)
        name = self.name(path)
        self.merged.add(name)
        record = self.state.unchanged(name, data, inputs, sha)
        if record is None or "stats" not in record or "entries" not in record:
            return None
        self.reader.seen(path, data)
        self.state.carry(name)
        self.skipped.add(name)
        return record

    def catalog_done(self, path: Path, inputs: str, warnings: list[str], entries: int) -> None:
        catalog = self.reader.known(path)
        if catalog is None or catalog.data is None:
            return
        stats = catalog.stats()
        self.state.record(self.name(path), catalog.data, inputs=inputs, warnings=warnings, entries=entries,
                          stats=[stats.total, stats.approved, stats.fuzzy, stats.untranslated, stats.obsolete],
                          view=translated_view(catalog.po))

    def read(self, path: Path) -> polib.POFile:
        """What the checks and publish read of a catalog (its header and translated entries): what this run read
        or wrote, else the last run's record while the file holds the bytes it recorded, else a parse."""
        catalog = self.reader.known(path)
        if catalog is not None:
            return catalog.po
        data, sha = self._bytes(path)
        record = self.state.known(self.name(path), data, sha)
        if record is not None and "view" in record and os.path.abspath(path) not in self.reader.changed:
            self.reader.seen(path, data)
            return from_translated_view(Path(path), record["view"])
        return self.reader.read(path)

    def problems(self, paths: list[Path]) -> dict[Path, dict] | None:
        """The last run's review-check counts, when every catalog was skipped and the last run checked this very
        set of catalogs together (the checks compare entries across catalogs: one changed catalog, or one more
        or one fewer in the set, means checking them all)."""
        names = [self.name(path) for path in paths]
        if not names or any(name not in self.skipped for name in names):
            return None
        group = digest(sorted(names))
        found = {}
        for path, name in zip(paths, names, strict=True):
            record = self.state.records.get(name, {})
            if record.get("problems") is None or record.get("checked_with") != group:
                return None
            found[path] = record["problems"]
        return found

    def record_problems(self, paths: list[Path], counts: list[dict | None]) -> None:
        """The counts of one check over `paths` together (each catalog's counts hold for that set only)."""
        group = digest(sorted(self.name(path) for path in paths))
        for path, found in zip(paths, counts, strict=True):
            record = self.state.records.get(self.name(path))
            if record is None:
                continue
            record.pop("problems", None)
            if found is not None:
                record.update(problems=found, checked_with=group)

    # ---------------------------------------------------------------- articles

    def article(self, path: Path, raw: bytes) -> bool:
        """Whether these bytes of the article passed the reading checks (encoding, characters, language) in the
        last run; remembered so that `article_read` records them."""
        name, sha = self.name(path), checksum(raw)
        self._articles[name] = sha
        record = self.state.previous.get(name)
        return record is not None and record.get("sha") == sha and record.get("checked") == "en"

    def article_read(self, path: Path) -> None:
        """The article read this run passed the checks: its bytes need not be checked again."""
        name = self.name(path)
        if name in self._articles:
            self.state.records[name] = {"sha": self._articles[name], "checked": "en"}

    # ---------------------------------------------------------------- publish

    def file_checksum(self, path: Path) -> str | None:
        """The checksum of a file as it is on disk now (None when absent)."""
        return self._bytes(path)[1]

    def publication(self, key: str, inputs: str) -> dict | None:
        """The last run's publication row of an article version made from the same inputs (article, catalog
        bytes, publish options, the code): what publishing it again would give."""
        record = self.state.previous.get(PUBLISHED + key)
        if record is None or record.get("inputs") != inputs or not isinstance(record.get("row"), dict):
            return None
        self.state.records[PUBLISHED + key] = record
        return record["row"]

    def published(self, key: str, inputs: str, row: dict) -> None:
        self.state.records[PUBLISHED + key] = {"inputs": inputs, "row": row}

    def page(self, path: Path, inputs: str) -> bool:
        """Whether a published file holds what the last run wrote there from the same inputs (so rendering it
        again would give the same bytes)."""
        return self._as_left(path, inputs) is not None

    def page_written(self, path: Path, inputs: str, data: bytes) -> None:
        self.state.record(self.name(path), data, inputs=inputs)

    def gaps(self, articles: list[str], find):
        """The glossary gaps of the run's articles (`find()`), or the last run's when the articles (their
        checksums, in order) and the glossary are the same. Each name is recorded once, however many articles
        hold it (a name in every article would otherwise be written once per article: a record that grows as the
        square of the workspace)."""
        from pipeline import candidates

        inputs = digest(articles)
        record = self.state.previous.get(GAPS)
        if record is not None and record.get("inputs") == inputs:
            self.state.records[GAPS] = record
            names = [_candidate(data) for data in record["names"]]
            return [candidates.ArticleGap(article, tuple(names[n] for n in chosen))
                    for article, chosen in record["gaps"]]
        found = find()
        index: dict[int, int] = {}  # id(candidate) -> its place in `names`: articles share candidate objects
        names: list[dict] = []
        for gap in found:
            for name in gap.names:
                if id(name) not in index:
                    index[id(name)] = len(names)
                    names.append(_candidate_record(name))
        self.state.records[GAPS] = {"inputs": inputs, "names": names,
                                    "gaps": [[gap.article, [index[id(name)] for name in gap.names]]
                                             for gap in found]}
        return found

    def save(self, memory: list | None) -> None:
        """What this run leaves, less any file that changed on disk while it ran (read again next time). A
        catalog this run only harvested (another article's or language's, in a run over some of them) keeps only
        its checksum: it need not be harvested again, but the memory may have changed since it was merged, so
        its merge, counts and checks are not vouched for."""
        for key in self.reader.changed:
            self.state.records.pop(self.name(Path(key)), None)
        for name, record in list(self.state.records.items()):
            if name.endswith(".po") and name not in self.merged and set(record) != {"sha"}:
                self.state.records[name] = {"sha": record["sha"]}
        self.state.save(memory)


def _candidate_record(candidate) -> dict:
    """What `dataclasses.asdict` gives of a candidate, without its deep copies (thousands of names a run)."""
    data = {f.name: getattr(candidate, f.name) for f in dataclasses.fields(candidate)}
    data["occurrences"] = [{"article": o.article, "line": o.line, "sentence": o.sentence}
                           for o in candidate.occurrences]
    return data


def _candidate(data: dict):
    from pipeline import candidates

    return candidates.Candidate(**{**data, "occurrences": [candidates.Occurrence(**o) for o in data["occurrences"]]})

