"""Every stage's error is a LocatedError: one `except`, one message shape."""

import pickle
from pathlib import Path

import pytest

from pipeline import engine, memory, publish, sources
from pipeline.errors import LocatedError
from pipeline.formats import po


@pytest.mark.parametrize("error_type", [sources.SourceError, po.CatalogError, memory.MemoryImportError,
                                        memory.TmxError, publish.PublishError, engine.ModelError])
def test_every_stage_error_is_located(error_type):
    assert issubclass(error_type, LocatedError)


def test_message_names_file_and_line():
    err = sources.SourceError(Path("a/b.md"), 3, "control character U+0007; remove it")
    assert str(err) == "a/b.md:3: control character U+0007; remove it"
    assert (err.path, err.line, err.message) == (Path("a/b.md"), 3, "control character U+0007; remove it")


def test_line_zero_means_the_whole_file():
    assert str(po.CatalogError(Path("kk/x.po"), 0, "cannot read catalog")) == "kk/x.po: cannot read catalog"


def test_option_errors_keep_their_one_argument_form():
    err = publish.PublishError("no languages given")
    assert str(err) == "no languages given" and err.path is None and err.line == 0
    assert str(engine.ModelError("x.argosmodel: not a zip archive")) == "x.argosmodel: not a zip archive"


@pytest.mark.parametrize("err", [memory.TmxError(Path("m.tmx"), 7, "malformed XML"),
                                 publish.PublishError("bad option"), sources.SourceError(Path("s.txt"), 0, "empty")])
def test_errors_survive_pickling(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.line == err.line
