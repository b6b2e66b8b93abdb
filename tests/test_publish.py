"""Publishing: reassembly, completeness rules, escaping, the site, the manifest and the CLI.

Articles are cut by the real segmenter and keyed by the real catalog keys, as `pipeline run` does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pipeline import catalogs, files, publish, segment
from pipeline.cli import app
from pipeline.languages import plural_forms
from pipeline.workspace import catalog_path, workspace_lock

ARTICLE = """Council of faith leaders meets in Astana
The council met in the capital on Monday. It discussed a new school for young scholars.
Leaders from many countries agreed to meet again next year. The council met in the capital on Monday.

Next steps for the council
A report on the meeting will be published in May.
"""
# Expected structure of ARTICLE: (kind, [segment indexes]) per block.
STRUCTURE = [("title", [0]), ("paragraph", [1, 2]), ("paragraph", [3, 4]), ("heading", [5]),
             ("paragraph", [6])]


def _collapse(text: str) -> str:
    return " ".join(text.split())


WORDS = {"kk": "Сөйлем әғқңөұүһі", "ru": "Предложение", "ar": "جملة رقم"}


def translated(lang: str, index: int) -> str:
    return f"{WORDS[lang]} {index}"


def make_root(tmp_path: Path, articles: dict[str, str] | None = None) -> Path:
    root = tmp_path / "work"
    (root / "source_texts").mkdir(parents=True)
    for name, text in (articles or {"council-meets.txt": ARTICLE}).items():
        (root / "source_texts" / name).write_text(text, encoding="utf-8")
    return root


def write_catalog(root: Path, lang: str, slug: str, text: str, choose=None, *, markdown: bool = False,
                  extra: list[polib.POEntry] = ()) -> Path:
    """A catalog for the article; choose(index, key) -> (msgstr, fuzzy), default: approved translations."""
    segments = segment.segment_text(text, markdown=markdown)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": lang,
                   "Plural-Forms": plural_forms(lang)}
    for index, key in enumerate(catalogs.entry_keys(segments)):
        msgstr, fuzzy = choose(index, key) if choose else (translated(lang, index), False)
        flags = ["fuzzy"] if fuzzy else []
        po.append(polib.POEntry(msgctxt=key[0], msgid=key[1], msgstr=msgstr, flags=flags))
    for entry in extra:
        po.append(entry)
    path = catalog_path(root, lang, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return path


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    def elements(self) -> list[Node]:
        """Child elements that make the page's structure (inline <bdi> isolation is not structure)."""
        return [child for child in self.children if isinstance(child, Node) and child.tag != "bdi"]


class TreeBuilder(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    return builder.root


def article_blocks(page: Node) -> list[tuple[str, str]]:
    article = page.find_all("article")[0]
    return [(node.tag, _collapse(node.text())) for node in article.elements() if "banner" not in
            node.attrs.get("class", "")]


def body_of(markdown: str) -> str:
    assert markdown.startswith("---\n")
    return markdown.split("\n---\n", 1)[1].lstrip("\n")


def by_lang(results):
    return {(pub.slug, pub.lang): pub for pub in results}


# ---------------------------------------------------------------- reassembly


def test_markdown_keeps_title_headings_and_paragraph_breaks(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    [pub] = publish.publish(root, tmp_path / "out", ["kk"])
    assert pub.published and pub.completeness == 100.0 and pub.segments == 7
    md = (tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8")
    t = [translated("kk", i) for i in range(7)]
    assert body_of(md) == (f"# {t[0]}\n\n{t[1]} {t[2]}\n\n{t[3]} {t[4]}\n\n## {t[5]}\n\n{t[6]}\n")
    front = md.split("\n---\n", 1)[0]
    assert f'title: "{t[0]}"' in front and 'lang: "kk"' in front and "completeness: 100.0" in front
    assert pub.title == t[0]


def test_html_page_has_the_source_structure_and_rtl_arabic(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ar", "council-meets", ARTICLE)
    [pub] = publish.publish(root, tmp_path / "out", ["ar"])
    page = parse(tmp_path / "out" / pub.paths["html"])
    html = page.find_all("html")[0]
    assert html.attrs["lang"] == "ar" and html.attrs["dir"] == "rtl"
    t = [translated("ar", i) for i in range(7)]
    expected = []
    for kind, indexes in STRUCTURE:
        tag = {"title": "h1", "heading": "h2", "paragraph": "p"}[kind]
        expected.append((tag, " ".join(t[i] for i in indexes)))
    assert article_blocks(page) == expected
    assert page.find_all("title")[0].text() == t[0]


def test_repeated_sentence_takes_the_translation_of_its_own_entry(tmp_path):
    root = make_root(tmp_path)

    def choose(index, key):
        return ("ПОВТОР" if key[0] == "occurrence 2" else translated("ru", index)), False

    write_catalog(root, "ru", "council-meets", ARTICLE, choose)
    [pub] = publish.publish(root, tmp_path / "out", ["ru"])
    blocks = article_blocks(parse(tmp_path / "out" / pub.paths["html"]))
    assert blocks[1][1] == f"{translated('ru', 1)} {translated('ru', 2)}"
    assert blocks[2][1] == f"{translated('ru', 3)} ПОВТОР"


def test_markdown_source_heading_levels_are_kept(tmp_path):
    text = ("# Congress of religious leaders\n\n"
            "The congress opened today in the capital city. Many guests came.\n\n"
            "## Programme of the congress\n\nThe programme has three sessions on dialogue.\n\n"
            "### First session\n\nThe first session is about education and young people.\n")
    root = make_root(tmp_path, {"congress.md": text})
    write_catalog(root, "kk", "congress", text, markdown=True)
    [pub] = publish.publish(root, tmp_path / "out", ["kk"])
    t = [translated("kk", i) for i in range(7)]
    md = (tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8")
    assert body_of(md) == f"# {t[0]}\n\n{t[1]} {t[2]}\n\n## {t[3]}\n\n{t[4]}\n\n### {t[5]}\n\n{t[6]}\n"
    blocks = article_blocks(parse(tmp_path / "out" / pub.paths["html"]))
    assert [tag for tag, _ in blocks] == ["h1", "p", "h2", "p", "h3", "p"]


STRUCTURED = """# Faith leaders meet

The council met on Monday.

- Leaders from many countries came.
- Muftis spoke
  about schools.

1. The first session opened.
2. The second session closed.

> We will meet again. So said the chair.

```text
<b>not translated</b> *kept*
```

A report follows.
"""


def test_markdown_lists_quotes_and_code_keep_their_structure(tmp_path):
    root = make_root(tmp_path, {"structured.md": STRUCTURED})
    write_catalog(root, "ru", "structured", STRUCTURED, markdown=True)
    [pub] = publish.publish(root, tmp_path / "out", ["ru"])
    assert pub.published, pub.reason
    page = parse(tmp_path / "out" / pub.paths["html"])
    article = page.find_all("article")[0]
    assert [node.tag for node in article.elements()] == ["h1", "p", "ul", "ol", "blockquote", "pre", "p"]
    assert [li.text() for li in article.find_all("ul")[0].find_all("li")] == [translated("ru", 2),
                                                                           translated("ru", 3)]
    assert [li.text() for li in article.find_all("ol")[0].find_all("li")] == [translated("ru", 4),
                                                                           translated("ru", 5)]
    assert _collapse(article.find_all("blockquote")[0].text()) == f"{translated('ru', 6)} {translated('ru', 7)}"
    assert article.find_all("pre")[0].text() == "<b>not translated</b> *kept*"
    assert article.find_all("code")[0].attrs["class"] == "language-text"
    body = body_of((tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8"))
    assert (f"- {translated('ru', 2)}\n- {translated('ru', 3)}\n\n1. {translated('ru', 4)}\n"
            f"1. {translated('ru', 5)}\n\n> {translated('ru', 6)} {translated('ru', 7)}\n\n"
            "```text\n<b>not translated</b> *kept*\n```\n\n") in body


NESTED = """# Faith leaders meet

- Leaders came from many countries.
  - Muftis spoke about schools.
  - Rabbis spoke about texts.
- The imams listened.

3. First, the opening.

   It was short.
4. Then the debate.

> A quoted sentence.
>
>     quoted <code>
>
> - An item in a quote.

| Country | Delegates |
|:--------|----------:|
| Egypt | 12 |
| Oman |    |

A report follows.
"""


def _shape(path):
    """Container kinds of each segment of a published Markdown file (all translated: no banner)."""
    return _shape_of_source(body_of(path.read_text(encoding="utf-8")))


def test_nested_lists_tables_and_quoted_code_are_rebuilt(tmp_path):
    root = make_root(tmp_path, {"nested.md": NESTED})
    write_catalog(root, "ar", "nested", NESTED, markdown=True,
                  choose=lambda i, key: (f"{translated('ar', i)} | <b>", False))
    [pub] = publish.publish(root, tmp_path / "out", ["ar"])
    assert pub.published, pub.reason
    article = parse(tmp_path / "out" / pub.paths["html"]).find_all("article")[0]
    assert [node.tag for node in article.elements()] == ["h1", "ul", "ol", "blockquote", "table", "p"]
    outer = article.elements()[1]
    items = outer.elements()
    assert [li.tag for li in items] == ["li", "li"]
    assert [node.tag for node in items[0].elements()] == ["ul"]  # the nested list sits in the first item
    assert [_collapse(li.text()) for li in items[0].find_all("li")] == [
        f"{translated('ar', 2)} | <b>", f"{translated('ar', 3)} | <b>"]
    numbered = article.elements()[2]
    assert numbered.attrs.get("start") == "3"
    assert [[p.text() for p in li.find_all("p")] for li in numbered.elements()] == [
        [f"{translated('ar', 5)} | <b>", f"{translated('ar', 6)} | <b>"], [f"{translated('ar', 7)} | <b>"]]
    quote = article.elements()[3]
    assert [node.tag for node in quote.elements()] == ["p", "pre", "ul"]
    assert quote.find_all("pre")[0].text() == "quoted <code>"
    table = article.elements()[4]

    def cell(index: int) -> str:
        return f"{translated('ar', index)} | <b>"

    assert [[(cell.tag, cell.text(), cell.attrs.get("class")) for cell in row.elements()]
            for row in table.find_all("tr")] == [
        [("th", cell(10), "align-left"), ("th", cell(11), "align-right")],
        [("td", cell(12), "align-left"), ("td", cell(13), "align-right")],
        [("td", cell(14), "align-left"), ("td", "", "align-right")],  # the empty cell stays
    ]
    # The Markdown has the same structure: cut again, it gives the same segments in the same containers.
    assert _shape(tmp_path / "out" / pub.paths["md"]) == _shape_of_source(NESTED)
    body = body_of((tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8"))
    assert f"| {translated('ar', 14)} \\| \\<b\\> |  |" in body
    assert ">     quoted <code>" not in body and "> ```\n> quoted <code>\n> ```" in body


def _shape_of_source(text):
    return [(s.kind, tuple(c.kind for c in s.containers)) for s in segment.segment_text(text, markdown=True)]


def test_two_lists_in_a_row_stay_two_lists(tmp_path):
    text = "# Lists\n\n- One.\n- Two.\n\n* Three.\n\n1. Four.\n\n1) Five.\n"
    root = make_root(tmp_path, {"lists.md": text})
    write_catalog(root, "kk", "lists", text, markdown=True)
    [pub] = publish.publish(root, tmp_path / "out", ["kk"])
    article = parse(tmp_path / "out" / pub.paths["html"]).find_all("article")[0]
    assert [node.tag for node in article.elements()] == ["h1", "ul", "ul", "ol", "ol"]
    assert _shape(tmp_path / "out" / pub.paths["md"]) == _shape_of_source(text)
    lists = [s.containers[0] for s in segment.segment_text(
        body_of((tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8")), markdown=True)[1:]]
    assert len({c.serial for c in lists}) == 4


def test_article_without_a_title_line_is_named_after_its_first_sentence(tmp_path):
    text = ("The delegation visited the mosque in the old town of the capital and met the imam. "
            "They talked about the history of the building.\n")
    root = make_root(tmp_path, {"visit.txt": text})
    write_catalog(root, "ru", "visit", text, lambda i, k: (f"Длинное русское предложение номер {i} " * 5,
                                                             False))
    [pub] = publish.publish(root, tmp_path / "out", ["ru"])
    assert pub.title.startswith("Длинное русское предложение номер 0") and pub.title.endswith("…")
    assert len(pub.title) <= 91
    blocks = article_blocks(parse(tmp_path / "out" / pub.paths["html"]))
    assert [tag for tag, _ in blocks] == ["p"]


def test_seed_articles_reassemble_paragraph_for_paragraph(tmp_path, shared):
    seeds = sorted((shared / "seeds").glob("*.txt"))
    root = make_root(tmp_path, {seed.name: seed.read_text(encoding="utf-8") for seed in seeds})
    for seed in seeds:
        text = (root / "source_texts" / seed.name).read_text(encoding="utf-8")
        write_catalog(root, "ar", publish.sources.slug_for(seed), text)
    results = publish.publish(root, tmp_path / "out", ["ar"])
    assert len(results) == len(seeds) and all(pub.published for pub in results)
    for seed, pub in zip(seeds, results, strict=True):
        segments = segment.segment_text(seed.read_text(encoding="utf-8").replace("\r\n", "\n"))
        paragraphs = {seg.paragraph for seg in segments}
        blocks = article_blocks(parse(tmp_path / "out" / pub.paths["html"]))
        assert len(blocks) == len(paragraphs)
        expected = " ".join(translated("ar", i) for i in range(len(segments)))
        assert " ".join(text for _, text in blocks) == expected


# ---------------------------------------------------------------- completeness rules


def test_fuzzy_entries_do_not_count_by_default(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE, lambda i, k: (translated("kk", i), i == 3))
    [pub] = publish.publish(root, tmp_path / "out", ["kk"])
    assert not pub.published and pub.paths == {}
    assert pub.completeness == pytest.approx(600 / 7)
    assert (pub.approved, pub.fuzzy, pub.drafts) == (6, 1, 0)
    assert "85.7%" in pub.reason and "--min-complete 100" in pub.reason and "--include-fuzzy" in pub.reason
    assert not (tmp_path / "out" / "kk" / "council-meets.html").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    [entry] = manifest["articles"]
    assert entry["published"] is False and entry["reason"] == pub.reason and entry["completeness"] == 85.7


def test_include_fuzzy_publishes_visibly_marked_machine_drafts(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE, lambda i, k: (translated("kk", i), i in (3, 5)))
    [pub] = publish.publish(root, tmp_path / "out", ["kk"], include_fuzzy=True)
    assert pub.published and pub.completeness == 100.0 and pub.drafts == 2
    page = parse(tmp_path / "out" / pub.paths["html"])
    drafts = [span for span in page.find_all("span") if span.attrs.get("class") == "machine-draft"]
    # Each unreviewed sentence carries its label in words, and points to the banner that explains it.
    assert [label.text() for span in drafts for label in span.elements()] == [
        "машиналық аударма — әлі тексерілмеген"] * 2
    assert [span.text().removesuffix(span.elements()[0].text()) for span in drafts] == [
        translated("kk", 3), translated("kk", 5)]
    assert {span.attrs.get("aria-describedby") for span in drafts} == {"machine-draft-note"}
    assert [p.attrs.get("id") for p in page.find_all("p") if "machine-draft-banner" in p.attrs.get("class", "")] \
        == ["machine-draft-note"]
    banners = [p for p in page.find_all("p") if "machine-draft-banner" in p.attrs.get("class", "")]
    assert len(banners) == 1 and "2" in banners[0].text()
    md = (tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8")
    assert "machine_draft: true" in md and body_of(md).startswith("> **")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"][0]["machine_draft"] is True


def test_below_100_percent_publishes_with_marked_english_fallback(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ar", "council-meets", ARTICLE,
                  lambda i, k: ("" if i == 6 else translated("ar", i), False))
    [strict] = publish.publish(root, tmp_path / "strict", ["ar"])
    assert not strict.published and strict.untranslated == 1
    [pub] = publish.publish(root, tmp_path / "out", ["ar"], min_complete=80)
    assert pub.published and pub.completeness == pytest.approx(600 / 7) and pub.untranslated == 1
    page = parse(tmp_path / "out" / pub.paths["html"])
    fallbacks = [span for span in page.find_all("span") if span.attrs.get("class") == "untranslated"]
    assert len(fallbacks) == 1
    assert fallbacks[0].attrs["lang"] == "en" and fallbacks[0].attrs["dir"] == "ltr"
    assert fallbacks[0].text() == "A report on the meeting will be published in May."
    assert any("untranslated-banner" in p.attrs.get("class", "") for p in page.find_all("p"))
    md = (tmp_path / "out" / pub.paths["md"]).read_text(encoding="utf-8")
    assert "*A report on the meeting will be published in May.*" in md


def test_obsolete_entries_and_plural_entries_are_not_usable(tmp_path):
    root = make_root(tmp_path)
    last = catalogs.entry_keys(segment.segment_text(ARTICLE))[6][1]
    obsolete = polib.POEntry(msgid="A report about the meeting will be published in May.", msgstr="старое",
                             obsolete=True)
    write_catalog(root, "ru", "council-meets", ARTICLE,
                  lambda i, k: ("" if i == 6 else translated("ru", i), False), extra=[obsolete])
    translations = publish.load_translations(catalog_path(root, "ru", "council-meets"))
    assert (None, last) not in translations and (None, obsolete.msgid) not in translations
    [pub] = publish.publish(root, tmp_path / "out", ["ru"])
    assert not pub.published and pub.approved == 6


def test_missing_and_broken_catalogs_are_reported_not_published(tmp_path):
    root = make_root(tmp_path)
    path = write_catalog(root, "ru", "council-meets", ARTICLE)
    path.write_text(path.read_text(encoding="utf-8") + "\nthis is not a catalog line\n", encoding="utf-8")
    results = by_lang(publish.publish(root, tmp_path / "out", ["kk", "ru"]))
    missing, broken = results[("council-meets", "kk")], results[("council-meets", "ru")]
    assert not missing.published and "no catalog locales/kk/LC_MESSAGES/council-meets.po" in missing.reason
    assert not broken.published and "cannot read catalog" in broken.reason
    assert re.search(re.escape(str(path)) + r":\d+: ", broken.reason)
    assert missing.title == "Council of faith leaders meets in Astana"


def test_unterminated_msgstr_is_an_error_not_a_truncated_page(tmp_path):
    root = make_root(tmp_path)
    path = write_catalog(root, "ru", "council-meets", ARTICLE)
    lines = path.read_text(encoding="utf-8").split("\n")
    bad = next(n for n, line in enumerate(lines) if line.startswith('msgstr "' + WORDS["ru"]))
    lines[bad] = lines[bad][:-1]  # the closing quote is lost
    path.write_text("\n".join(lines), encoding="utf-8")
    [pub] = publish.publish(root, tmp_path / "out", ["ru"])
    assert not pub.published and pub.paths == {}
    assert f"{path}:{bad + 1}: " in pub.reason and "cannot read catalog" in pub.reason
    assert not (tmp_path / "out" / "ru" / "council-meets.html").exists()


def test_a_bad_source_article_is_reported_and_the_others_published(tmp_path):
    russian = "Совет лидеров мировых религий собрался в Астане. Он обсудил новую школу для молодых учёных.\n"
    root = make_root(tmp_path, {"council-meets.txt": ARTICLE, "empty.txt": "  \n", "russian.txt": russian})
    (root / "source_texts" / "latin1.txt").write_bytes("Line one.\nCaf\u00e9 owners met.\n".encode("latin-1"))
    write_catalog(root, "kk", "council-meets", ARTICLE)
    results = by_lang(publish.publish(root, tmp_path / "out", ["kk"]))
    assert results[("council-meets", "kk")].published
    reasons = {slug: pub.reason for (slug, _), pub in results.items() if not pub.published}
    assert set(reasons) == {"empty", "latin1", "russian"}
    source = root / "source_texts"
    assert f"{source / 'empty.txt'}:1: article is empty" in reasons["empty"]
    assert f"{source / 'latin1.txt'}:2: not valid UTF-8" in reasons["latin1"]
    assert f"{source / 'russian.txt'}:1: " in reasons["russian"] and "English" in reasons["russian"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {row["article"]: row["published"] for row in manifest["articles"]} == {
        "council-meets": True, "empty": False, "latin1": False, "russian": False}


def test_bad_options_are_refused_before_writing(tmp_path):
    root = make_root(tmp_path)
    for langs, kwargs in ((["kk"], {"min_complete": 150}), (["../x"], {}), (["en"], {}), ([], {})):
        with pytest.raises(publish.PublishError):
            publish.publish(root, tmp_path / "out", langs, **kwargs)
    with pytest.raises(publish.PublishError):
        publish.publish(root, root, ["kk"])
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- escaping


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) &amp; \"q\""


def test_translations_are_text_never_markup(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ar", "council-meets", ARTICLE, lambda i, k: (HOSTILE if i in (0, 1) else
                                                                       translated("ar", i), False))
    [pub] = publish.publish(root, tmp_path / "out", ["ar"])
    out = tmp_path / "out"
    for name in (pub.paths["html"], "ar/index.html"):
        raw = (out / name).read_text(encoding="utf-8")
        assert "<script" not in raw and "<img" not in raw
        assert "&lt;" in raw and HOSTILE in parse(out / name).text()
    page = parse(out / pub.paths["html"])
    assert page.find_all("title")[0].text() == HOSTILE and "&lt;script&gt;alert(1)&lt;/script&gt;" in \
        (out / pub.paths["html"]).read_text(encoding="utf-8").split("<title>", 1)[1].split("</title>", 1)[0]
    assert page.find_all("title")[0].text() == HOSTILE
    assert page.find_all("h1")[0].text() == HOSTILE and page.find_all("h1")[0].elements() == []
    assert page.find_all("script") == [] and page.find_all("img") == []
    index_links = [a.text() for a in parse(out / "ar" / "index.html").find_all("a")]
    assert HOSTILE in index_links
    md = (out / pub.paths["md"]).read_text(encoding="utf-8")
    front, body = md.split("\n---\n", 1)
    # In the front matter the title is JSON-quoted data, for the CMS to escape.
    assert json.loads(front.split("title: ", 1)[1].split("\n", 1)[0]) == HOSTILE
    assert not re.search(r"(?<!\\)[<>]", body) and not re.search(r"(?<!\\)\]\(javascript:", body)
    assert "\\<script\\>alert(1)\\</script\\>" in body and "\\[x\\](javascript:alert(3))" in body
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"][0]["title"] == HOSTILE


def test_percent_never_rounds_up_to_complete():
    shown = [publish.percent(v) for v in (100.0, 99.96, 85.714, 50.0, 0.0)]
    assert shown == ["100%", "99.9%", "85.7%", "50%", "0%"]


def test_markdown_escape_stops_emphasis_but_keeps_words_readable():
    assert publish.markdown_escape("a *b* c **d**") == "a \\*b\\* c \\*\\*d\\*\\*"
    assert publish.markdown_escape("_e_ and __f__") == "\\_e\\_ and \\_\\_f\\_\\_"
    assert publish.markdown_escape("snake_case_name, 5*3") == "snake_case_name, 5\\*3"
    assert publish.markdown_escape("* not a bullet") == "\\* not a bullet"


def test_markdown_escape_blocks_structure_at_line_start():
    assert publish.markdown_escape("# not a heading") == "\\# not a heading"
    assert publish.markdown_escape("1. not a list") == "1\\. not a list"
    assert publish.markdown_escape("> not a quote") == "\\> not a quote"
    assert publish.markdown_escape("plain text, 2.5 km") == "plain text, 2.5 km"


# ---------------------------------------------------------------- site and manifest


def test_site_indexes_switcher_and_manifest(tmp_path):
    second = ("Meeting of muftis in Almaty\nThe muftis of the region met in Almaty this week to talk.\n")
    root = make_root(tmp_path, {"council-meets.txt": ARTICLE, "muftis-meet.txt": second})
    for lang in ("kk", "ru", "ar"):
        write_catalog(root, lang, "council-meets", ARTICLE)
    write_catalog(root, "kk", "muftis-meet", second)
    write_catalog(root, "ar", "muftis-meet", second, lambda i, k: ("", False))
    out = tmp_path / "out"
    results = by_lang(publish.publish(root, out, ["kk", "ru", "ar"]))
    assert [key for key, pub in results.items() if pub.published] == [
        ("council-meets", "kk"), ("council-meets", "ru"), ("council-meets", "ar"), ("muftis-meet", "kk")]

    def switcher(path):
        nav = [n for n in parse(path).find_all("nav") if n.attrs.get("class") == "language-switcher"]
        if not nav:
            return None, []
        links = [(a.attrs["hreflang"], a.attrs["href"], a.attrs["dir"]) for a in nav[0].find_all("a")]
        current = [s.attrs["lang"] for s in nav[0].find_all("span") if s.attrs.get("class") == "current"]
        return current, links

    assert switcher(out / "kk" / "council-meets.html") == (
        ["kk"], [("ru", "../ru/council-meets.html", "ltr"), ("ar", "../ar/council-meets.html", "rtl")])
    assert switcher(out / "ar" / "council-meets.html")[1][0] == ("kk", "../kk/council-meets.html", "ltr")
    assert switcher(out / "kk" / "muftis-meet.html") == (None, [])  # published in one language only

    root_links = {a.attrs["href"]: (a.attrs["lang"], a.attrs["dir"], a.text())
                  for a in parse(out / "index.html").find_all("a")}
    assert root_links == {"kk/index.html": ("kk", "ltr", "Қазақша"),
                          "ru/index.html": ("ru", "ltr", "Русский"),
                          "ar/index.html": ("ar", "rtl", "العربية")}
    kk_index = parse(out / "kk" / "index.html")
    assert kk_index.find_all("html")[0].attrs == {"lang": "kk", "dir": "ltr"}
    listed = [(a.attrs["href"], a.text()) for a in kk_index.find_all("ul")[0].find_all("a")]
    assert listed == [("council-meets.html", translated("kk", 0)), ("muftis-meet.html", translated("kk", 0))]
    assert [a.attrs["href"] for a in parse(out / "ar" / "index.html").find_all("ul")[0].find_all("a")] == [
        "council-meets.html"]

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [lang["code"] for lang in manifest["languages"]] == ["kk", "ru", "ar"]
    assert len(manifest["articles"]) == 6
    for entry in manifest["articles"]:
        assert set(entry) >= {"article", "language", "title", "completeness", "paths", "published"}
        for rel in entry["paths"].values():
            assert (out / rel).is_file()
    ar = next(e for e in manifest["articles"] if (e["article"], e["language"]) == ("council-meets", "ar"))
    assert ar["dir"] == "rtl"
    assert ar["paths"] == {"md": "ar/council-meets.md", "html": "ar/council-meets.html"}
    assert ar["title"] == translated("ar", 0) and ar["completeness"] == 100.0
    for name in manifest["files"]:
        assert (out / name).is_file()
    css = (out / "style.css").read_text(encoding="utf-8")
    assert "Noto Naskh Arabic" in css and "Noto Sans" in css and "@import" not in css and "url(" not in css


def test_republish_removes_only_its_own_stale_files(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    write_catalog(root, "ar", "council-meets", ARTICLE)
    out = tmp_path / "out"
    publish.publish(root, out, ["kk", "ar"])
    (out / "ar" / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "own.html").write_text("user page", encoding="utf-8")
    kk_page = out / "kk" / "council-meets.md"  # the .html changes: its switcher loses the ar link
    before = kk_page.stat().st_mtime_ns
    write_catalog(root, "ar", "council-meets", ARTICLE, lambda i, k: ("", False))
    results = by_lang(publish.publish(root, out, ["kk", "ar"]))
    assert not results[("council-meets", "ar")].published
    assert not (out / "ar" / "council-meets.html").exists() and not (out / "ar" / "council-meets.md").exists()
    assert (out / "ar" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "own.html").read_text(encoding="utf-8") == "user page"
    assert kk_page.stat().st_mtime_ns == before  # unchanged output is not rewritten
    assert not list(out.rglob("*.tmp"))


def test_pages_are_replaced_atomically_and_readable_by_the_web_server(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    out = tmp_path / "out"
    saved = os.umask(0o022)
    try:
        publish.publish(root, out, ["kk"])
    finally:
        os.umask(saved)
    page = out / "kk" / "council-meets.html"
    assert {stat.S_IMODE((out / name).stat().st_mode) for name in ("kk/council-meets.html", "kk/index.html",
                                                                     "manifest.json", "style.css")} == {0o644}
    inode = page.stat().st_ino
    replaced = []
    monkeypatch.setattr(files, "before_replace", lambda target: replaced.append(target.relative_to(out).as_posix()))
    write_catalog(root, "ru", "council-meets", ARTICLE)
    publish.publish(root, out, ["kk", "ru"])  # the kk page gains a link to ru
    assert {"kk/council-meets.html", "ru/council-meets.html", "manifest.json"} <= set(replaced)
    assert page.stat().st_ino != inode, "a reader never sees a half-written page"


def test_publishing_some_languages_keeps_the_others(tmp_path):
    root = make_root(tmp_path)
    for lang in ("kk", "ru", "ar"):
        write_catalog(root, lang, "council-meets", ARTICLE)
    out = tmp_path / "out"
    publish.publish(root, out, ["kk", "ru", "ar"], min_complete=50)
    kept = {name: (out / name).read_bytes() for name in ("kk/council-meets.html", "kk/council-meets.md",
                                                         "kk/index.html", "ar/council-meets.html",
                                                         "ar/council-meets.md", "ar/index.html")}
    first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # Only Russian is rebuilt (as `pipeline run --langs ru` does); now it falls below 100%.
    write_catalog(root, "ru", "council-meets", ARTICLE, lambda i, k: ("" if i == 6 else translated("ru", i),
                                                                     False))
    [ru] = publish.publish(root, out, ("ru",))
    assert not ru.published and not (out / "ru" / "council-meets.html").exists()
    assert {name: (out / name).read_bytes() for name in kept} == kept
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = {(row["article"], row["language"]): row for row in manifest["articles"]}
    assert list(rows) == [("council-meets", "kk"), ("council-meets", "ru"), ("council-meets", "ar")]
    old = {(row["article"], row["language"]): row for row in first["articles"]}
    assert rows[("council-meets", "kk")] == old[("council-meets", "kk")]
    assert rows[("council-meets", "ar")] == old[("council-meets", "ar")]
    assert rows[("council-meets", "ru")]["published"] is False
    assert [lang["code"] for lang in manifest["languages"]] == ["kk", "ru", "ar"]
    assert set(kept) <= set(manifest["files"]) and "ru/council-meets.html" not in manifest["files"]
    home = {a.attrs["href"] for a in parse(out / "index.html").find_all("a")}
    assert home == {"kk/index.html", "ru/index.html", "ar/index.html"}
    # Russian back at 100%: its page links to the kept Kazakh and Arabic pages.
    write_catalog(root, "ru", "council-meets", ARTICLE)
    [ru] = publish.publish(root, out, ["ru"])
    nav = [n for n in parse(out / "ru" / "council-meets.html").find_all("nav")
           if n.attrs.get("class") == "language-switcher"]
    assert [a.attrs["href"] for a in nav[0].find_all("a")] == ["../kk/council-meets.html",
                                                               "../ar/council-meets.html"]
    # A full run rebuilds (and may remove) every language again.
    write_catalog(root, "kk", "council-meets", ARTICLE, lambda i, k: ("", False))
    publish.publish(root, out, ["kk", "ru", "ar"])
    assert not (out / "kk" / "council-meets.html").exists() and (out / "ar" / "council-meets.html").exists()


# ---------------------------------------------------------------- CLI


def test_cli_json_and_table(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    runner = CliRunner()
    result = runner.invoke(app, ["publish", "--root", str(root), "--langs", "kk,ar", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(d["lang"], d["published"]) for d in data] == [("kk", True), ("ar", False)]
    assert (root / "published" / "kk" / "council-meets.html").is_file()
    table = runner.invoke(app, ["publish", "--root", str(root), "--langs", "kk", "--langs", "ar"])
    assert table.exit_code == 0 and "1 of 2 article versions published" in table.output


def test_cli_nothing_publishable_exits_zero_and_says_why(tmp_path):
    root = make_root(tmp_path)
    result = CliRunner().invoke(app, ["publish", "--root", str(root), "--out", str(tmp_path / "site"),
                                      "--langs", "ru"])
    assert result.exit_code == 0, result.output
    assert "no catalog" in result.output and "Nothing was publishable" in result.output


def test_cli_bad_language_fails(tmp_path):
    root = make_root(tmp_path)
    result = CliRunner().invoke(app, ["publish", "--root", str(root), "--langs", "en"])
    assert result.exit_code == 2 and "source language" in result.output


def test_cli_unsupported_language_is_a_usage_error_and_touches_nothing(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "ru", "council-meets", ARTICLE)
    runner = CliRunner()
    assert runner.invoke(app, ["publish", "--root", str(root), "--langs", "ru"]).exit_code == 0
    site = root / "published"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["publish", "--root", str(root), "--langs", "fr"])
    assert result.exit_code == 2 and "'fr' is not a supported language" in result.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    with pytest.raises(publish.PublishError, match="kk, ru, ar"):
        publish.publish(root, site, ["ru", "de"])


@pytest.mark.parametrize("make", [lambda tmp: tmp / "nope", lambda tmp: tmp])
def test_cli_root_without_source_texts_is_refused_and_nothing_created(tmp_path, make):
    root = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(app, ["publish", "--root", str(root), "--langs", "kk"])
    assert result.exit_code == 2 and "source_texts" in result.output
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_publish_waits_for_no_run_holding_the_workspace(tmp_path):
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    with workspace_lock(root):  # as a `pipeline run` in progress holds it
        result = CliRunner().invoke(app, ["publish", "--root", str(root), "--langs", "kk"])
    assert result.exit_code == 1 and "in use by another pipeline run" in result.output
    assert not (root / "published").exists()
    after = CliRunner().invoke(app, ["publish", "--root", str(root), "--langs", "kk"])
    assert after.exit_code == 0 and (root / "published" / "kk" / "council-meets.html").is_file()


def test_cli_json_rounds_completeness_and_counts_each_segment_once(tmp_path):
    root = make_root(tmp_path)
    # 7 segments: 3 approved, 2 fuzzy, 2 with an empty msgstr.
    write_catalog(root, "kk", "council-meets", ARTICLE,
                  lambda i, k: ("" if i in (5, 6) else translated("kk", i), i in (3, 4)))
    result = CliRunner().invoke(app, ["publish", "--root", str(root), "--langs", "kk", "--json",
                                      "--min-complete", "0"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["completeness"] == 42.8  # 3 of 7, not 42.857142857142854: rounded down, like the page and reason
    assert (row["approved"], row["fuzzy"], row["untranslated"]) == (3, 2, 2)
    assert row["approved"] + row["fuzzy"] + row["untranslated"] == row["segments"]
    assert row["fallbacks"] == 4 and row["drafts"] == 0  # shown in English: 2 fuzzy + 2 untranslated
    html = (root / "published" / "kk" / "council-meets.html").read_text(encoding="utf-8")
    assert "4 of 7 passages are not translated yet" not in html  # the kk page speaks Kazakh
    assert UI_KK_UNTRANSLATED.format(n=4, total=7) in html
    manifest = json.loads((root / "published" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["articles"][0]
    assert (entry["approved"], entry["fuzzy"], entry["untranslated"], entry["shown_in_english"]) == (3, 2, 2, 4)


UI_KK_UNTRANSLATED = publish.UI_TEXT["kk"]["untranslated"]


def test_source_tree_is_left_alone(tmp_path):
    """Only published/ is written (and the lock in .pipeline/, the pipeline's own folder)."""
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)

    def files():
        return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".pipeline" not in p.parts}

    snapshot = files()
    publish.publish(root, root / "published", ["kk"])
    shutil.rmtree(root / "published")
    assert files() == snapshot


# ---------------------------------------------------------------- guards


def test_a_republished_page_keeps_the_mode_it_was_given(tmp_path):
    """A page the site owner made group-readable only stays so; nothing turns it private (0600) or 0644."""
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    out = tmp_path / "out"
    publish.publish(root, out, ["kk"])
    page = out / "kk" / "council-meets.html"
    page.chmod(0o640)
    write_catalog(root, "kk", "council-meets", ARTICLE, lambda i, k: (f"Жаңа {i}", False))
    publish.publish(root, out, ["kk"])
    assert "Жаңа 1" in page.read_text(encoding="utf-8")
    assert stat.S_IMODE(page.stat().st_mode) == 0o640


def test_a_hostile_manifest_cannot_delete_files_outside_the_site(tmp_path):
    """The stale-file clean-up trusts only names that resolve inside `out`: `../`, absolute paths and a
    symlinked folder listed in a forged manifest.json are left alone."""
    root = make_root(tmp_path)
    write_catalog(root, "kk", "council-meets", ARTICLE)
    out = tmp_path / "site" / "out"
    publish.publish(root, out, ["kk"])
    outside = tmp_path / "outside"
    outside.mkdir()
    victims = [outside / "climb.html", outside / "absolute.md", outside / "linked.html", tmp_path / "site" / "up.css"]
    for victim in victims:
        victim.write_text("keep me", encoding="utf-8")
    (out / "kk" / "elsewhere").symlink_to(outside, target_is_directory=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] += ["../../outside/climb.html", str(outside / "absolute.md"), "kk/elsewhere/linked.html",
                          "../up.css", "kk/../../up.css"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    publish.publish(root, out, ["kk"])
    assert [victim.read_text(encoding="utf-8") for victim in victims] == ["keep me"] * len(victims)
    assert (out / "kk" / "council-meets.html").is_file()


def test_every_page_carries_the_content_security_policy(tmp_path):
    """Translations are untrusted: each page forbids scripts, plugins, <base> and forms, even if escaping failed."""
    root = make_root(tmp_path, {"council-meets.txt": ARTICLE, "structured.md": STRUCTURED})
    for lang in ("kk", "ar"):
        write_catalog(root, lang, "council-meets", ARTICLE)
        write_catalog(root, lang, "structured", STRUCTURED, markdown=True)
    out = tmp_path / "out"
    publish.publish(root, out, ["kk", "ar"])
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 7  # the site index, two language indexes, four articles
    for page in pages:
        metas = [meta.attrs for meta in parse(page).find_all("meta")
                 if (meta.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1, page
        policy = {part.split()[0]: part.split()[1:] for part in metas[0]["content"].split(";") if part.strip()}
        for directive in ("script-src", "object-src", "base-uri", "form-action"):
            assert policy.get(directive) == ["'none'"], (page, directive)
