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


LATIN_NOT_ENGLISH = {
    "fr": "Le président de la République a rencontré les représentants des communautés religieuses du pays pour "
          "discuter de la coopération interconfessionnelle et du dialogue entre les cultures. Les participants ont "
          "souligné l'importance de la tolérance et du respect mutuel dans une société moderne où les traditions et "
          "les valeurs se rencontrent chaque jour.",
    "de": "Der Präsident der Republik hat sich mit den Vertretern der Religionsgemeinschaften des Landes getroffen, "
          "um über die Zusammenarbeit zwischen den Konfessionen und den Dialog der Kulturen zu sprechen. Die "
          "Teilnehmer betonten die Bedeutung von Toleranz und gegenseitigem Respekt in einer modernen Gesellschaft, "
          "in der sich Traditionen und Werte täglich begegnen.",
    "es": "El presidente de la República se reunió con los representantes de las comunidades religiosas del país "
          "para discutir la cooperación interconfesional y el diálogo entre culturas. Los participantes destacaron "
          "la importancia de la tolerancia y el respeto mutuo en una sociedad moderna donde las tradiciones y los "
          "valores se encuentran cada día de la semana.",
}


def test_plainly_english_prose_needs_no_langdetect_and_agrees_with_it(shared):
    from pipeline.sources import LANGUAGE_SAMPLE, _sample, detect_language, plainly_english

    lines = [line.strip() for line in (shared / "ntrex128" / "newstest2019-src.eng.txt").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    documents = [" ".join(lines[k:k + 6]) for k in range(0, len(lines) - 6, 6)]
    documents += [path.read_text(encoding="utf-8") for path in sorted((shared / "seeds").glob("*"))]
    decided = [text for text in documents if plainly_english(_sample(text, LANGUAGE_SAMPLE))]
    assert len(decided) >= 0.95 * len(documents)
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    assert all(detect(_sample(text, LANGUAGE_SAMPLE)) == "en" for text in decided[::5])
    for lang, text in LATIN_NOT_ENGLISH.items():  # left to langdetect, which names the language
        assert not plainly_english(text)
        assert detect_language(text) == lang


def test_a_short_english_article_langdetect_calls_afrikaans_is_english(tmp_path):
    from pipeline.sources import detect_language

    dialogue = ('I didn\'t do it."\n\nI didn\'t do it." Remember? Dianne Feinstein, did you leak?\nRemember her '
                'answer... did you leak the document - "oh, oh, what? Oh, no. I didn\'t leak."\n')  # NTREX lines
    path = tmp_path / "quote.txt"
    path.write_text(dialogue, encoding="utf-8")
    assert read_article(path).language == "en"
    assert detect_language("Dit is 'n kort sin in Afrikaans oor die weer vandag en môre.") == "af"


def test_quoted_english_speech_is_plainly_english_without_loading_langdetect(monkeypatch):
    import langdetect

    from pipeline.sources import detect_language

    # an NTREX-built article: few of the prose function words, but "you" in every question
    speech = ('Dianne Feinstein, did you leak?\n\nDianne Feinstein, did you leak? Remember her answer... did you leak '
              'the document - "oh, oh, what? Oh, no.\nI didn\'t leak." Well, wait one minute. Did we leak...No, we '
              'didn\'t leak," he added, in an impression of the senator.\n')

    def refuse(*args, **kwargs):
        raise AssertionError("langdetect asked")

    monkeypatch.setattr(langdetect, "detect_langs", refuse)
    assert detect_language(speech) == "en"
