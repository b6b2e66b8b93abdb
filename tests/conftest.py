"""Shared fixtures. No test touches the network."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The read-only test material (seeds, NTREX-128, real-world catalogs) lives beside the repo; a clone elsewhere
# points at it with PIPELINE_SHARED.
SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))


def make_workspace(tmp_path: Path, articles: dict[str, str], *, glossary: bool = True) -> Path:
    """A workspace under tmp_path/ws: source_texts/ with the given articles (name -> text), and a copy of this
    repository's glossary unless glossary=False."""
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    if glossary:
        shutil.copytree(REPO / "glossary", root / "glossary")
    for name, text in articles.items():
        (root / "source_texts" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared test material not found at {SHARED}: clone the repo beside ../shared "
                    "or set PIPELINE_SHARED=/path/to/shared")
    return SHARED


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any attempt to open a socket to a non-local address fails the test."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) \
                and self.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# ---------------------------------------------------------------- shared helpers (import them from conftest)


class FakeEngine:
    """Stands in for machine translation: "[lang] " before each text, the rest (placeholders included) kept.

    Callable (the glossary's MT hook) and with `translate` (an `Engine`). `calls` lists every text asked, in
    order (pass a list to share it between engines), `batches` each request; `mangle` rewrites the output of
    the first batch only, the way a real model damages placeholders, so a retry can be tested.
    """

    label = "fake en→xx 0.1"

    def __init__(self, lang: str = "kk", *, mangle=None, calls: list[str] | None = None):
        self.lang, self.mangle = lang, mangle
        self.calls: list[str] = calls if calls is not None else []
        self.batches: list[list[str]] = []

    def translate(self, texts) -> list[str]:
        texts = list(texts)
        self.batches.append(texts)
        self.calls.extend(texts)
        out = [f"[{self.lang}] {text}" for text in texts]
        if self.mangle and len(self.batches) == 1:
            out = [self.mangle(text) for text in out]
        return out

    __call__ = translate


def msgfmt(path: Path, *options: str) -> subprocess.CompletedProcess:
    """GNU msgfmt on a catalog, compiled to nowhere; options such as "--check" or "--statistics"."""
    return subprocess.run(["msgfmt", *options, "-o", os.devnull, str(path)], capture_output=True, text=True)


def assert_msgfmt_clean(path: Path) -> None:
    """msgfmt --check passes without a single warning."""
    result = msgfmt(path, "--check")
    assert result.returncode == 0 and result.stderr == "", result.stderr


# ---------------------------------------------------------------- tiny translation models (engine)


@pytest.fixture(scope="session")
def tiny_model_archive(tmp_path_factory):
    """Factory: tiny_model_archive(to_code="kk", from_code="en", target_prefix="", package_version="1.0")
    -> Path of a cached, valid .argosmodel (random weights: output is noise, never a real translation)."""
    from tinymodel import build_tiny_argosmodel

    root = tmp_path_factory.mktemp("tiny-models")
    cache: dict[tuple, Path] = {}

    def build(to_code: str = "kk", from_code: str = "en", target_prefix: str = "",
              package_version: str = "1.0") -> Path:
        key = (from_code, to_code, target_prefix, package_version)
        if key not in cache:
            cache[key] = build_tiny_argosmodel(
                root / str(len(cache)), from_code=from_code, to_code=to_code, target_prefix=target_prefix,
                seed=len(cache), package_version=package_version,
            )
        return cache[key]

    return build


@pytest.fixture
def tiny_packages_dir(tmp_path, monkeypatch, tiny_model_archive) -> Path:
    """A fresh packages dir with tiny en->kk, en->ru, en->ar installed; $ARGOS_PACKAGES_DIR points at it.

    `pipeline.engine.Engine.load(tiny_packages_dir, "kk")` gives a working (noise-producing) engine.
    """
    from pipeline.engine import install_model

    directory = tmp_path / "argos-packages"
    for code in ("kk", "ru", "ar"):
        install_model(tiny_model_archive(code), directory)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory) -> Path:
    """A cached tiny NLLB-200-shaped CTranslate2 conversion directory (model.bin, config.json,
    shared_vocabulary.json, sentencepiece.bpe.model), built through transformers and CTranslate2's converter."""
    from tinynllb import build_tiny_nllb

    return build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb") / "nllb-ct2")


# ---------------------------------------------------------------- PostgreSQL (the shared memory)

POSTGRES_HINT = ("no PostgreSQL server for the shared-memory tests: start a throwaway one with "
                 "`eval \"$(scripts/test-postgres.sh start)\"` (needs Debian's postgresql package), which sets "
                 "PIPELINE_TEST_POSTGRES_URL, then run the tests again")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a server where the tests may create databases. Locally a missing server skips (with how to start
    one); in CI (`CI` set) it fails: the PostgreSQL tests must run there."""
    url = os.environ.get("PIPELINE_TEST_POSTGRES_URL", "")
    problem = "" if url else POSTGRES_HINT
    if url:
        import psycopg

        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as exc:
            from pipeline.memory_pg import _scrub

            problem = f"PIPELINE_TEST_POSTGRES_URL does not answer ({_scrub(str(exc), url)}); {POSTGRES_HINT}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return url


@pytest.fixture
def postgres_database(postgres_url):
    """Factory: postgres_database() -> URL of a new, empty database (UTF-8), dropped after the test."""
    import uuid

    import psycopg

    created: list[str] = []
    base = postgres_url.rsplit("/", 1)[0] if postgres_url.count("/") > 2 else postgres_url

    def make() -> str:
        name = f"pipeline_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            try:
                conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                             "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
            except psycopg.errors.InvalidParameterValue:  # no C.UTF-8 locale on this server
                conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        created.append(name)
        return f"{base}/{name}"

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
