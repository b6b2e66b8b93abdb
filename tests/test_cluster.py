"""Machine translation on a Dask cluster: the sample workspace through a LocalCluster of 2 worker processes
(tiny models: compare plumbing and equality with a local run, never wording)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pipeline import cli, cluster, engine, workflow
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
LANGS = ("kk",)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local


def sample(root: Path) -> Path:
    shutil.copytree(REPO / "source_texts", root / "source_texts")
    shutil.copytree(REPO / "glossary", root / "glossary")
    return root


def options(**extra) -> workflow.RunOptions:
    return workflow.RunOptions(langs=LANGS, publish=False, beam_size=1, threads=1, **extra)


def catalogs(root: Path) -> dict[tuple[str, str], list[tuple]]:
    """Every catalog's entries: (msgctxt, msgid, msgstr, fuzzy, comments)."""
    found = {}
    for path in sorted((root / "locales").rglob("*.po")):
        po = polib.pofile(str(path))
        found[(path.parent.parent.name, path.name)] = [
            (e.msgctxt, e.msgid, e.msgstr, "fuzzy" in e.flags, e.comment) for e in po]
    return found


def run_locally(root: Path) -> dict[tuple[str, str], list[tuple]]:
    report = workflow.run(Workspace.open(sample(root)), options())
    assert report.ok and not report.missing_models
    result = catalogs(root)
    drafted = sum(1 for entries in result.values() for e in entries if e[2])
    assert drafted > 50  # the comparison below means something
    return result


@pytest.fixture
def local_result(tmp_path, tiny_packages_dir):
    return run_locally(tmp_path / "local")


def small_batches(monkeypatch, size: int) -> None:
    """Batches of `size` sentences on the cluster AND in a local engine: a batch shares one decoding bound, and
    beam search (the n-best calls) may end differently under another bound, so a local run is only the same
    run when it cuts the same batches (as it does with the defaults)."""
    monkeypatch.setattr(cluster.ClusterEngine.__init__, "__kwdefaults__",
                        {**cluster.ClusterEngine.__init__.__kwdefaults__, "max_batch_size": size})
    real = engine.Engine.from_package.__func__

    def from_package(cls, *args, **kwargs):
        mt = real(cls, *args, **kwargs)
        mt.max_batch_size = size
        return mt

    monkeypatch.setattr(engine.Engine, "from_package", classmethod(from_package))


def recorded(monkeypatch) -> list[cluster.ClusterEngine]:
    """The ClusterEngines a run makes (to see what each one sent to the cluster)."""
    made: list[cluster.ClusterEngine] = []
    real = cluster.ClusterEngine.load.__func__

    def load(cls, *args, **kwargs):
        mt = real(cls, *args, **kwargs)
        made.append(mt)
        return mt

    monkeypatch.setattr(cluster.ClusterEngine, "load", classmethod(load))
    return made


def test_cluster_run_drafts_the_same_entries_as_a_local_run(tmp_path, tiny_packages_dir, dask_cluster,
                                                             local_result, monkeypatch):
    made = recorded(monkeypatch)
    root = sample(tmp_path / "cluster")
    seen: list[tuple[str, int, int]] = []
    report = workflow.run(Workspace.open(root), options(cluster=dask_cluster.scheduler_address),
                          progress=lambda what, done, total: seen.append((what, done, total)))
    assert report.ok and not report.missing_models
    assert catalogs(root) == local_result
    assert [mt.label for mt in made] == [report.engines[lang] for lang in LANGS]
    assert all(mt.sent for mt in made)  # the drafts came from the cluster, not from a local engine
    assert any(done < total for _, done, total in seen)  # progress per batch, not one step at the end
    assert (root / ".pipeline" / "mt-cache.sqlite").is_file()


def test_a_killed_worker_still_gives_a_complete_result(tmp_path, tiny_packages_dir, monkeypatch):
    from distributed import Client, LocalCluster

    small_batches(monkeypatch, 4)
    local_result = run_locally(tmp_path / "local")
    root = sample(tmp_path / "cluster")
    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        with Client(local) as client:  # one client at a time in this process: the run makes its own
            pids = client.run(os.getpid)

        def progress(what: str, done: int, total: int) -> None:
            if not killed and done < total:  # the first finished batch: the other worker is busy
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        report = workflow.run(Workspace.open(root), options(cluster=local.scheduler_address), progress=progress)
        assert killed
        with Client(local) as client:
            assert killed[0] not in client.run(os.getpid).values()  # that process is gone (its nanny made anew)
    assert report.ok
    assert catalogs(root) == local_result


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_with_what_is_left(tmp_path, tiny_packages_dir, dask_cluster, monkeypatch):
    small_batches(monkeypatch, 8)
    local_result = run_locally(tmp_path / "local")
    root = sample(tmp_path / "cluster")

    def progress(what: str, done: int, total: int) -> None:
        if done < total:  # after the first finished batch (or chunk) of kk
            raise Interrupted

    first = recorded(monkeypatch)
    with pytest.raises(Interrupted):
        workflow.run(Workspace.open(root), options(cluster=dask_cluster.scheduler_address), progress=progress)
    assert len(first) == 1 and not (root / "locales" / "kk").exists()  # nothing written: kk was not finished

    cache = cluster.DraftCache(root / ".pipeline" / "mt-cache.sqlite")
    stored = {source for (source,) in cache.db.execute("SELECT source FROM hypotheses")}
    cache.close()
    assert stored and stored <= set(first[0].sent)  # the finished batches were kept at once

    second = recorded(monkeypatch)
    report = workflow.run(Workspace.open(root), options(cluster=dask_cluster.scheduler_address))
    assert report.ok
    assert second[0].sent  # the rest went to the cluster ...
    assert not stored & set(second[0].sent)  # ... and nothing that was kept went again
    assert catalogs(root) == local_result


def test_cli_runs_on_a_local_cluster(tmp_path, tiny_packages_dir, local_result):
    root = sample(tmp_path / "cli")
    result = CliRunner().invoke(cli.app, ["translate", "--root", str(root), "--langs", ",".join(LANGS), "--json",
                                          "--beam-size", "1", "--threads", "1", "--cluster", "local",
                                          "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["missing_models"] == []
    assert catalogs(root) == local_result


def test_workers_without_a_local_cluster_is_a_usage_error(tmp_path, tiny_packages_dir):
    root = sample(tmp_path / "cli")
    result = CliRunner().invoke(cli.app, ["translate", "--root", str(root), "--workers", "2"])
    assert result.exit_code == 2
    assert "--cluster local" in result.output


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, tiny_packages_dir):
    root = sample(tmp_path / "cli")
    result = CliRunner().invoke(cli.app, ["translate", "--root", str(root), "--langs", "kk",
                                          "--cluster", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler" in result.output
    assert "Traceback" not in result.output


FAULTS = """
import ctypes, json, resource, sys
from pipeline import cluster

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]


def faults(rounds=20, size=4 << 20):  # a decoding buffer taken, filled and given back, again and again
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        buffer = libc.malloc(size)
        ctypes.memset(buffer, 1, size)
        libc.free(buffer)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


faults()  # the first buffers' pages, whatever the settings: not what is compared
tuned = cluster.tune_malloc() if sys.argv[1] == "tuned" else False
print(json.dumps([tuned, faults()]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_worker_reuses_freed_buffers_despite_dasks_trim_setting(tmp_path):
    """Dask starts workers with MALLOC_TRIM_THRESHOLD_ set: each big buffer is then a fresh mmap (a page fault per
    page, every decoding step) until tune_malloc gives glibc its thresholds back. Compared with the same run
    without tune_malloc, not with a fixed count: how many faults a buffer costs depends on the machine (page
    size, transparent huge pages), not their ratio."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": str(REPO)}

    def run(variant: str) -> tuple[bool, int]:
        result = subprocess.run([sys.executable, "-c", FAULTS, variant], env=env, capture_output=True, text=True,
                                check=True)
        tuned, faults = json.loads(result.stdout)
        return tuned, faults

    untuned, without_fix = run("untuned")
    tuned, with_fix = run("tuned")
    assert tuned and not untuned
    assert without_fix >= 20  # the control shows the problem: at least a fault each round (pages every time)
    assert with_fix * 10 < without_fix, (with_fix, without_fix)


def test_every_worker_loads_the_model_once_with_the_allocator_tuned(tiny_packages_dir, dask_cluster):
    from distributed import Client

    def state(dask_worker):
        return dask_worker.pipeline_malloc_tuned, sorted(dask_worker.pipeline_engines)

    with Client(dask_cluster) as client:
        mt = cluster.ClusterEngine.load(client, tiny_packages_dir, "kk", beam_size=1, threads=1)
        loaded = mt.warm_up()
        assert set(loaded) == set(client.scheduler_info()["workers"])  # every worker, before any batch
        before = client.run(state)
        assert mt.translate(["The council met on Monday.", "Religious leaders spoke.", ""])[2] == ""
        after = client.run(state)
    assert all(tuned for tuned, _ in after.values())
    assert after == before  # the batches used the models loaded by warm_up: nothing loaded again
    assert all(any(key[0] == str(mt.info.path) for key in keys) for _, keys in after.values())


def test_the_driver_cuts_the_batches_a_local_engine_cuts(tiny_packages_dir):
    """Source prefix and suffix tokens (NLLB-200's language token and </s>) count as the engine counts them, so
    token-bounded batches, and with them each batch's decoding bound, are the same on the cluster."""
    info = dataclasses.replace(engine.find_model(tiny_packages_dir, "kk"), source_prefix="eng_Latn",
                               source_suffix="</s>")
    local = engine.Engine.from_package(info.path, beam_size=1, threads=1)
    local.info, local.source_prefix, local.source_suffix = info, ["eng_Latn"], ["</s>"]
    local.max_batch_tokens = 40
    remote = cluster.ClusterEngine(None, info, max_batch_tokens=40)
    texts = [line for path in sorted((REPO / "source_texts").iterdir()) for line in path.read_text().splitlines()
             if line.strip()][:30]
    assert [remote.count_tokens(t) for t in texts] == [len(local.encode(t)) for t in texts]
    expected = [[texts[i] for i, _ in batch] for batch in local._batches([(i, local.encode(t))
                                                                          for i, t in enumerate(texts)])]
    assert remote.batches(texts) == expected and len(expected) > 3
    # and with the defaults: the local engine's token budget, not one of the cluster's own
    local, remote = engine.Engine.from_package(info.path, beam_size=1, threads=1), cluster.ClusterEngine(None, info)
    local.source_prefix, local.source_suffix = ["eng_Latn"], ["</s>"]
    texts = texts * 4
    expected = [[texts[i] for i, _ in batch] for batch in local._batches([(i, local.encode(t))
                                                                          for i, t in enumerate(texts)])]
    assert remote.batches(texts) == expected and len(expected) > 1


def test_the_draft_cache_keeps_every_hypothesis_and_reads_an_older_cache(tmp_path):
    """An interrupted run's batches come back with all their hypotheses; a cache written before hypotheses were
    kept still gives its drafts (the best one), so upgrading loses no finished batch."""
    import sqlite3

    path = tmp_path / "mt-cache.sqlite"
    older = sqlite3.connect(path)
    older.execute("CREATE TABLE drafts (label TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, "
                  "PRIMARY KEY (label, source))")
    older.execute("INSERT INTO drafts VALUES ('argos en->kk 1.0', 'Peace.', 'Бейбітшілік.')")
    older.commit()
    older.close()
    cache = cluster.DraftCache(path)
    try:
        cache.put("argos en->kk 1.0", [("War.", ["Соғыс.", "Соғыс!"])])
        found = cache.get("argos en->kk 1.0", ["Peace.", "War.", "Other."])
        assert found == {"Peace.": ["Бейбітшілік."], "War.": ["Соғыс.", "Соғыс!"]}
        assert cache.get("another engine", ["Peace.", "War."]) == {}
        # rows that are not a list of strings (edited, or written by something else) are not drafts
        cache.db.executemany("INSERT INTO hypotheses VALUES ('argos en->kk 1.0', ?, ?)",
                             [("Broken.", "[not json"), ("Odd.", '{"one": "x"}'), ("Mixed.", '["a", 1]')])
        cache.db.commit()
        assert cache.get("argos en->kk 1.0", ["Broken.", "Odd.", "Mixed.", "War."]) == {"War.": ["Соғыс.", "Соғыс!"]}
    finally:
        cache.close()


def test_a_worker_decodes_the_drivers_batch_whole(tiny_packages_dir, monkeypatch):
    """The driver cut the batch as a local engine would; a worker that cut it again (a small call is cut in two)
    would give its sentences other batch-mates, and a real model other drafts than a local run."""
    mt = engine.Engine.load(tiny_packages_dir, "kk", beam_size=2, threads=1)
    calls: list[int] = []
    real = mt.translator

    class Spy:
        def translate_batch(self, source, **options):
            calls.append(len(source))
            return real.translate_batch(source, **options)

    mt.translator = Spy()
    monkeypatch.setattr(cluster, "_worker_engine", lambda *args, **kwargs: mt)
    texts = ["Peace.", "The mufti met the ambassador.", "Dialogue between religions matters."]
    assert len(mt._batches([(i, mt.encode(t)) for i, t in enumerate(texts)])) == 2  # cut anew, it would be two
    calls.clear()
    lists, _seconds = cluster.translate_batch("pkg", mt.label, 2, 1, mt.max_batch_tokens, texts)
    assert calls == [3] and len(lists) == 3 and all(lists)


def test_a_draft_cache_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "mt-cache.sqlite"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(cluster.ClusterError, match="not a draft cache .*delete it and run again") as err:
        cluster.DraftCache(path)
    assert str(path) in str(err.value) and path.read_bytes() == b"this is not SQLite" * 100
