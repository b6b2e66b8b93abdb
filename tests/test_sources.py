from pathlib import Path

import pytest

from pipeline.sources import SourceError, read_article, slug_for

ENGLISH = "The delegation met the ambassador in the capital to discuss cultural cooperation and dialogue.\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_reads_english_article_with_bom_and_crlf(tmp_path):
    path = write(tmp_path, "Grand Mufti visit.txt", b"\xef\xbb\xbfTitle line\r\n" + ENGLISH.encode())
    article = read_article(path)
    assert article.slug == "grand-mufti-visit"
    assert article.language == "en"
    assert article.text.startswith("Title line\n")
    assert "\r" not in article.text
    assert not article.markdown


def test_markdown_is_recognised(tmp_path):
    article = read_article(write(tmp_path, "a.md", ("# Title\n\n" + ENGLISH).encode()))
    assert article.markdown


def test_non_utf8_names_the_line(tmp_path):
    path = write(tmp_path, "bad.txt", ENGLISH.encode() + b"second line \xff broken\n")
    with pytest.raises(SourceError) as err:
        read_article(path)
    assert err.value.line == 2 and "UTF-8" in str(err.value) and str(path) in str(err.value)


def test_utf16_is_rejected_with_advice(tmp_path):
    with pytest.raises(SourceError, match="UTF-16"):
        read_article(write(tmp_path, "u16.txt", ENGLISH.encode("utf-16")))


def test_empty_and_missing(tmp_path):
    with pytest.raises(SourceError, match="empty"):
        read_article(write(tmp_path, "empty.txt", b"  \n\n"))
    with pytest.raises(SourceError, match="no such file"):
        read_article(tmp_path / "nope.txt")


def test_control_characters_are_reported(tmp_path):
    with pytest.raises(SourceError) as err:
        read_article(write(tmp_path, "ctl.txt", (ENGLISH + "bad \x07 bell\n").encode()))
    assert err.value.line == 2


def test_non_english_is_rejected(tmp_path):
    russian = "Делегация встретилась с послом в столице, чтобы обсудить культурное сотрудничество и диалог.\n"
    with pytest.raises(SourceError, match="not 'en'"):
        read_article(write(tmp_path, "ru.txt", russian.encode()))


def test_slug_is_ascii():
    assert slug_for(Path("Conférence d'Almaty 2026.txt")) == "conference-d-almaty-2026"
    assert slug_for(Path("!!!.txt")) == "article"
