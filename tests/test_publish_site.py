"""Publishing a newsroom can deploy: bidi isolation, no lost pages, honest status, a real multilingual site."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

import pytest
from test_publish import ARTICLE, make_root, parse, translated, write_catalog
from typer.testing import CliRunner

from pipeline import publish
from pipeline.cli import app

SITE = """[site]
name = "Interfaith News"
base_url = "https://news.example.kz/site"
description = "Religious life in Kazakhstan"
"""
DATED = "Council of faith leaders meets in Astana\nASTANA, 8th October 2026 (WAM) -- " + ARTICLE.split("\n", 1)[1]
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def spans_of(node, cls: str):
    return [span for span in node.find_all("span") if cls in span.attrs.get("class", "").split()]


# ---------------------------------------------------------------- bidi


def test_consecutive_english_fallbacks_are_one_left_to_right_run_on_an_arabic_page(tmp_path):
    root = make_root(tmp_path)
    # Segments 1 and 2 (one paragraph) untranslated: two English sentences in a row inside Arabic text.
    write_catalog(root, "ar", "council-meets", ARTICLE,
                  lambda i, k: ("" if i in (1, 2, 6) else translated("ar", i), False))
    [pub] = publish.publish(root, tmp_path / "out", ["ar"], min_complete=0)
    page = parse(tmp_path / "out" / pub.paths["html"])
    paragraphs = page.find_all("p")
    both = next(p for p in paragraphs if "The council met in the capital" in p.text())
    [run] = spans_of(both, "untranslated")
    assert (run.attrs["lang"], run.attrs["dir"]) == ("en", "ltr")
    assert run.text() == ("The council met in the capital on Monday. It discussed a new school for young "
                          "scholars.")
    # A paragraph wholly in English is itself left to right (it starts at the left edge).
    assert (both.attrs.get("lang"), both.attrs.get("dir")) == ("en", "ltr")
    mixed = next(p for p in paragraphs if translated("ar", 3) in p.text())
    assert mixed.attrs.get("dir") is None  # Arabic first: the paragraph keeps the page's direction


def test_latin_names_and_numbers_in_arabic_and_arabic_in_russian_are_isolated(tmp_path):
    root = make_root(tmp_path)
    arabic = "التقى المجلس في Astana يومي 10–11 مارس بحضور 15% من WOSCU."
    write_catalog(root, "ar", "council-meets", ARTICLE, lambda i, k: (
        arabic if i == 1 else "وناقش مدرسة جديدة." if i == 2 else translated("ar", i), False))
    write_catalog(root, "ru", "council-meets", ARTICLE,
                  lambda i, k: ("Он сказал «مرحبا بكم» гостям." if i == 1 else translated("ru", i), False))
    out = tmp_path / "out"
    publish.publish(root, out, ["ar", "ru"])
    [paragraph] = [p for p in parse(out / "ar" / "council-meets.html").find_all("p") if "التقى" in p.text()]
    bdi = paragraph.find_all("bdi")
    assert [(b.text(), b.attrs.get("dir"), b.attrs.get("lang")) for b in bdi] == [
        ("Astana", "ltr", "en"), ("10–11", "ltr", None), ("15%", "ltr", None), ("WOSCU", "ltr", "en")]
    [quote] = [b for b in parse(out / "ru" / "council-meets.html").find_all("bdi") if b.attrs.get("dir") == "rtl"]
    assert (quote.text(), quote.attrs.get("dir"), quote.attrs.get("lang")) == ("مرحبا بكم", "rtl", "ar")


def test_bidi_controls_in_a_translation_never_reach_title_heading_or_index(tmp_path):
    root = make_root(tmp_path)
    hostile = "\u202eمجلس\u202c \u2067القادة\u2069 \u200fيجتمع"
    write_catalog(root, "ar", "council-meets", ARTICLE, lambda i, k: (hostile if i == 0 else translated("ar", i),
                                                                      False))
    out = tmp_path / "out"
    [pub] = publish.publish(root, out, ["ar"])
    for name in (pub.paths["html"], "ar/index.html", pub.paths["md"], "manifest.json"):
        raw = (out / name).read_text(encoding="utf-8")
        assert not any(ch in raw for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), name
    assert pub.title == "مجلس القادة \u200fيجتمع"  # the right-to-left mark is legitimate and stays
    assert parse(out / pub.paths["html"]).find_all("h1")[0].text() == pub.title


# ---------------------------------------------------------------- no lost pages


def _break(path):
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "', 'msgstr "\\q', 1) + 'msgid "x\n',
                    encoding="utf-8")


def test_a_broken_catalog_keeps_the_last_good_page_and_fails(tmp_path):
    root = make_root(tmp_path)
    catalog = write_catalog(root, "ar", "council-meets", ARTICLE)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["publish", "--root", str(root), "--out", str(out)])
    assert first.exit_code == 0, first.output
    page, md = out / "ar" / "council-meets.html", out / "ar" / "council-meets.md"
    before = {path: path.read_bytes() for path in (page, md, out / "ar" / "index.html")}
    _break(catalog)
    second = runner.invoke(app, ["publish", "--root", str(root), "--out", str(out)])
    assert second.exit_code == 1
    assert "council-meets (ar) not republished" in second.output and f"{catalog}" in second.output
    assert {path: path.read_bytes() for path in before} == before  # byte for byte the last good page
    assert parse(out / "kk" / "council-meets.html").find_all("a")  # the other language still links to it
    assert any(a.attrs.get("hreflang") == "ar" for a in parse(out / "kk" / "council-meets.html").find_all("a"))
    manifest = __import__("json").loads((out / "manifest.json").read_text(encoding="utf-8"))
    [row] = [row for row in manifest["articles"] if row["language"] == "ar"]
    assert row["published"] is True and "cannot read catalog" in row["error"]
    assert "ar/council-meets.html" in manifest["files"]
    third = runner.invoke(app, ["publish", "--root", str(root), "--out", str(out), "--keep-going"])
    assert third.exit_code == 0 and "warning: council-meets (ar)" in third.output
    assert page.read_bytes() == before[page]


def test_an_unreadable_source_keeps_its_pages_too(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ru", "council-meets", ARTICLE)
    out = tmp_path / "out"
    [pub] = publish.publish(root, out, ["ru"])
    page = (out / pub.paths["html"]).read_bytes()
    (root / "source_texts" / "council-meets.txt").write_bytes(b"\xff\xfe broken")
    [again] = publish.publish(root, out, ["ru"])
    assert again.failed and not again.published
    assert (out / pub.paths["html"]).read_bytes() == page


# ---------------------------------------------------------------- honest status


def test_index_and_page_say_how_much_a_translator_reviewed(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ar", "council-meets", ARTICLE, lambda i, k: (translated("ar", i), i != 0))
    out = tmp_path / "out"
    [pub] = publish.publish(root, out, ["ar"], include_fuzzy=True)
    index = (out / "ar" / "index.html").read_text(encoding="utf-8")
    assert "100% مترجم" not in index  # what it said before: "100% translated" for machine drafts
    [status] = spans_of(parse(out / "ar" / "index.html"), "status")
    assert status.text() == "14.2% راجعها مترجم · 85.7% ترجمة آلية لم تُراجع"
    footer = parse(out / pub.paths["html"]).find_all("footer")[0].text()
    assert "85.7% ترجمة آلية لم تُراجع" in footer
    assert len(spans_of(parse(out / pub.paths["html"]), "draft-label")) == 6


# ---------------------------------------------------------------- a site to put online


@pytest.fixture
def site(tmp_path):
    root = make_root(tmp_path, {"council-meets.txt": DATED, "plain.txt": ARTICLE.replace("Council", "Board")})
    (root / "pipeline.toml").write_text(SITE, encoding="utf-8")
    for slug, text in (("council-meets", DATED), ("plain", ARTICLE.replace("Council", "Board"))):
        for lang in ("kk", "ru", "ar"):
            if (slug, lang) != ("plain", "ar"):
                write_catalog(root, lang, slug, text)
    results = publish.publish(root)
    return root, root / "published", results


def test_pages_link_their_language_versions_with_hreflang_and_canonical(site):
    _, out, results = site
    base = "https://news.example.kz/site/"
    page = parse(out / "ru" / "council-meets.html")
    links = {(link.attrs["rel"], link.attrs.get("hreflang")): link.attrs["href"] for link in page.find_all("link")
             if link.attrs.get("rel") in ("alternate", "canonical")}
    assert links == {
        ("canonical", None): base + "ru/council-meets.html",
        ("alternate", "kk"): base + "kk/council-meets.html",
        ("alternate", "ru"): base + "ru/council-meets.html",
        ("alternate", "ar"): base + "ar/council-meets.html",
        ("alternate", "x-default"): base,
    }
    for href in links.values():  # every link resolves to a page that exists
        assert (out / (href.removeprefix(base) or "index.html")).is_file(), href
    plain = parse(out / "ru" / "plain.html")
    assert {link.attrs.get("hreflang") for link in plain.find_all("link")} >= {"kk", "ru", "x-default"}
    assert "ar" not in {link.attrs.get("hreflang") for link in plain.find_all("link")}


def test_sitemap_and_feeds_list_every_published_page(site):
    _, out, results = site
    base = "https://news.example.kz/site/"
    published = {base + pub.paths["html"] for pub in results if pub.published}
    assert len(published) == 5
    sitemap = ET.parse(out / "sitemap.xml").getroot()
    locs = {url.findtext(f"{SITEMAP}loc") for url in sitemap}
    assert published <= locs and base in locs and {base + f"{lang}/index.html" for lang in ("kk", "ru", "ar")} <= locs
    dated = next(url for url in sitemap if url.findtext(f"{SITEMAP}loc") == base + "kk/council-meets.html")
    assert dated.findtext(f"{SITEMAP}lastmod") == "2026-10-08"
    in_feeds = set()
    for lang in ("kk", "ru", "ar"):
        feed = ET.parse(out / lang / "feed.xml").getroot()
        assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}updated")
        for entry in feed.findall(f"{ATOM}entry"):
            assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
            in_feeds.add(entry.find(f"{ATOM}link").attrib["href"])
    assert in_feeds == published
    assert parse(out / "ru" / "index.html").find_all("link")[-1].attrs["href"] == "feed.xml"


def test_readers_see_site_name_and_dates_never_internal_paths(site):
    _, out, results = site
    home = parse(out / "index.html")
    assert home.find_all("h1")[0].text() == "Interfaith News"
    assert "Religious life in Kazakhstan" in home.text()
    for pub in results:
        if pub.published:
            html = (out / pub.paths["html"]).read_text(encoding="utf-8")
            assert "source_texts" not in html and "Interfaith News" in html
    [time] = parse(out / "ru" / "council-meets.html").find_all("time")
    assert (time.attrs["datetime"], time.text()) == ("2026-10-08", "8 октября 2026 г.")
    assert parse(out / "kk" / "council-meets.html").find_all("time")[0].text() == "2026 жылғы 8 қазан"
    assert parse(out / "ru" / "plain.html").find_all("time") == []  # no dateline: no invented date


def test_without_a_base_url_there_is_no_sitemap_or_feed(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ru", "council-meets", ARTICLE)
    out = tmp_path / "out"
    publish.publish(root, out, ["ru"])
    assert not (out / "sitemap.xml").exists() and not (out / "ru" / "feed.xml").exists()
    assert not [link for link in parse(out / "ru" / "council-meets.html").find_all("link")
                if link.attrs.get("rel") == "canonical"]


def test_a_bad_base_url_is_refused(tmp_path):
    root = make_root(tmp_path)
    (root / "pipeline.toml").write_text('[site]\nbase_url = "javascript:alert(1)"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["publish", "--root", str(root)])
    assert result.exit_code == 2 and "base_url must be an http" in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("Title\nASTANA, 8th October 2026 (WAM) -- text", date(2026, 10, 8)),
    ("Title\nALMATY, 12th March 2026 (WAM) -- text", date(2026, 3, 12)),
    ("Title\nASTANA, Sept. 15, 2025 – text", date(2025, 9, 15)),
    ("---\ntitle: x\ndate: 2024-05-01\n---\n# Title\ntext", date(2024, 5, 1)),
    ("Title\nASTANA. KAZINFORM – The talks were held on Sept. 14.", None),  # no year: no date
    ("Title\nASTANA, 31 February 2026 – text", None),
])
def test_article_dates_come_from_the_dateline_or_front_matter(text, expected):
    assert publish.article_date(text) == expected
