"""Segmentation: gold articles, the issue's rules one by one, Markdown, normalisation, ids, line numbers."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from pipeline.segment import (
    Segment,
    format_segments,
    looks_like_heading,
    normalise,
    one_line,
    parse_segments,
    segment_id,
    segment_text,
    split_sentences,
)

REPO = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO / "tests" / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("**/*.segments"))
GOLDEN_RULES = json.loads((REPO / "benchmarks" / "data" / "golden_rules_en.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------- gold


def _source_for(gold: Path, request) -> Path:
    """Seeds live in ../shared/seeds, sample articles in the repo's source_texts/."""
    if gold.parent.name == "seeds":
        source = request.getfixturevalue("shared") / "seeds" / f"{gold.stem}.txt"
        if not source.is_file():
            pytest.fail(f"{gold}: no seed article {source}")
        return source
    for suffix in (".txt", ".md"):
        source = REPO / "source_texts" / f"{gold.stem}{suffix}"
        if source.is_file():
            return source
    pytest.fail(f"{gold}: no source article source_texts/{gold.stem}.txt or .md")


@pytest.mark.parametrize("gold", GOLD_FILES, ids=[str(p.relative_to(GOLD_DIR)) for p in GOLD_FILES])
def test_gold_segmentation(gold: Path, request):
    source = _source_for(gold, request)
    expected = parse_segments(gold.read_text(encoding="utf-8"), source=str(gold))
    segments = segment_text(source.read_text(encoding="utf-8"), markdown=source.suffix == ".md")
    got: list[list[tuple[str, str]]] = []
    for seg in segments:
        if seg.paragraph >= len(got):
            got.extend([] for _ in range(seg.paragraph + 1 - len(got)))
        got[seg.paragraph].append((seg.kind, one_line(seg.text)))
    got = [p for p in got if p]
    if got != expected:
        def show(paragraphs):
            return ["\n".join(f"{k[0].upper()}\t{t}" for k, t in p) + "\n" for p in paragraphs]
        diff = "".join(difflib.unified_diff(show(expected), show(got), "gold", "segmenter"))
        pytest.fail(f"{gold.name}: segmentation differs from gold\n{diff}")


def test_every_seed_has_a_gold_file(shared):
    seeds = {p.stem for p in (shared / "seeds").glob("*.txt")}
    golds = {p.stem for p in (GOLD_DIR / "seeds").glob("*.segments")}
    assert seeds and seeds == golds


def test_segments_format_round_trip():
    segments = segment_text("A title\nOne. Two.\n\nThree.\n")
    text = format_segments(segments)
    assert text == "H\tA title\n\nS\tOne.\nS\tTwo.\n\nS\tThree.\n"
    assert parse_segments(text) == [[("heading", "A title")], [("sentence", "One."), ("sentence", "Two.")],
                                     [("sentence", "Three.")]]


def test_segments_format_rejects_bad_line_with_location():
    with pytest.raises(ValueError, match=r"x\.segments:2: expected"):
        parse_segments("S\tFine.\nX broken\n", source="x.segments")


# ------------------------------------------------------------------------------------------ Golden Rules


def test_golden_rules_all_pass_but_the_newline_list():
    """Rule 42 needs a line break to end a sentence; our paragraphs carry soft wraps only (Markdown)."""
    failed = [
        rule["n"] for rule in GOLDEN_RULES["rules"]
        if [normalise(s) for s in split_sentences(rule["text"])] != [normalise(s) for s in rule["expected"]]
    ]
    assert failed == [42]


# -------------------------------------------------------------------------------------- sentence rules


@pytest.mark.parametrize(
    "text, expected",
    [
        # titles and honorifics
        ("Among them were Dr. Darhan Kydyrali and Mr. Bauyrzhan Bakirov. "
         "H.E. Mr. Smith spoke at St. Michael's Church.",
         ["Among them were Dr. Darhan Kydyrali and Mr. Bauyrzhan Bakirov.",
          "H.E. Mr. Smith spoke at St. Michael's Church."]),
        ("Prof. Ashirbek Muminov met Gen. Smith and Mrs. Jones.",
         ["Prof. Ashirbek Muminov met Gen. Smith and Mrs. Jones."]),
        # initials
        ("The Chairman of the Board of N. Nazarbayev Center met President Kassym-Jomart K. Tokayev. "
         "They spoke.",
         ["The Chairman of the Board of N. Nazarbayev Center met President Kassym-Jomart K. Tokayev.",
          "They spoke."]),
        ("We make a good team, you and I. Did you see Albert I. Jones yesterday?",
         ["We make a good team, you and I.", "Did you see Albert I. Jones yesterday?"]),
        # country and organisation abbreviations
        ("He has lived in the U.S. for 20 years. He works for the U.S. Government. "
         "I live in the U.S. How about you?",
         ["He has lived in the U.S. for 20 years.", "He works for the U.S. Government.", "I live in the U.S.",
          "How about you?"]),
        ("The U.N. Secretary-General welcomed the Ambassador to the U.S., DKNews.kz reports.",
         ["The U.N. Secretary-General welcomed the Ambassador to the U.S., DKNews.kz reports."]),
        ("Chargé d'affaires a.i. of the Embassy of Afghanistan Aziz Omar attended. "
         "Chargé d'affaires a.i. Aziz Omar spoke.",
         ["Chargé d'affaires a.i. of the Embassy of Afghanistan Aziz Omar attended.",
          "Chargé d'affaires a.i. Aziz Omar spoke."]),
        ("They closed the deal with Pitt, Briggs & Co. It closed yesterday.",
         ["They closed the deal with Pitt, Briggs & Co.", "It closed yesterday."]),
        # months
        ("The forum opened on Jan. 5 and closed on Sept. 30. It was held in Astana.",
         ["The forum opened on Jan. 5 and closed on Sept. 30.", "It was held in Astana."]),
        ("The next one is due in Sept. The date is open.",
         ["The next one is due in Sept.", "The date is open."]),
        # numbers
        ("Resolution No. 5 passed with 3.5 million votes. Turn to p. 55 now.",
         ["Resolution No. 5 passed with 3.5 million votes.", "Turn to p. 55 now."]),
        ("She has $100.00. It is in her bag.", ["She has $100.00.", "It is in her bag."]),
        ("Astana hosted congresses in 2003, 2006 and 2009. 81 delegations came.",
         ["Astana hosted congresses in 2003, 2006 and 2009.", "81 delegations came."]),
        # ellipses
        ("He paused... Then he left.", ["He paused...", "Then he left."]),
        ("He paused… Then he left.", ["He paused…", "Then he left."]),
        ("I wasn’t really ... well, the thing is . . . I didn’t mean it.",
         ["I wasn’t really ... well, the thing is . . . I didn’t mean it."]),
        ('"Bohr [...] used the analogy of parallel stairways [...]" (Smith 55).',
         ['"Bohr [...] used the analogy of parallel stairways [...]" (Smith 55).']),
        # closing quotes after the stop
        ("“In modern conditions, relations are deepening,” he noted. The Grand Mufti agreed.",
         ["“In modern conditions, relations are deepening,” he noted.", "The Grand Mufti agreed."]),
        ("«The Center has begun its work.», – stressed the Chairman. In turn, the envoys spoke.",
         ["«The Center has begun its work.», – stressed the Chairman.", "In turn, the envoys spoke."]),
        ("«The Center has begun its work.» – stressed the Chairman.",
         ["«The Center has begun its work.» – stressed the Chairman."]),
        ("«It has been held since 2003», – stressed the Chairman of the Board of the Center.",
         ["«It has been held since 2003», – stressed the Chairman of the Board of the Center."]),
        ("A table titled “Spiritual Diplomacy.” The event was co-organized by “Nur-Mubarak.”, and others.",
         ["A table titled “Spiritual Diplomacy.”",
          "The event was co-organized by “Nur-Mubarak.”, and others."]),
        ("She turned to him, 'This is great.' she said.", ["She turned to him, 'This is great.' she said."]),
        # a quotation of several sentences is cut at its sentence ends
        ("“Relations are deepening. In this direction, we host the Congress,” he noted.",
         ["“Relations are deepening.", "In this direction, we host the Congress,” he noted."]),
        # datelines stay with their sentence
        ("NUR-SULTAN. KAZINFORM – Last week, the Chairman met envoys. They talked.",
         ["NUR-SULTAN. KAZINFORM – Last week, the Chairman met envoys.", "They talked."]),
        (" date 2021-03-01 NUR-SULTAN. KAZINFORM – Last week, the Chairman met envoys.",
         ["date 2021-03-01 NUR-SULTAN. KAZINFORM – Last week, the Chairman met envoys."]),
        ("ASTANA. Kazinform – The President met the muftis.",
         ["ASTANA. Kazinform – The President met the muftis."]),
        ("ALMATY, 27th June 2025 (WAM) -- The Council met. It was held in Almaty.",
         ["ALMATY, 27th June 2025 (WAM) -- The Council met.", "It was held in Almaty."]),
        ("Envoys came from the USA. Kazakhstan – the host – welcomed them.",
         ["Envoys came from the USA.", "Kazakhstan – the host – welcomed them."]),
        # ordinary boundaries
        ("The mosque is in Cairo – Sultan. A we know Beibars was a ruler.",
         ["The mosque is in Cairo – Sultan.", "A we know Beibars was a ruler."]),
        ("Is it true? Yes! It works at Yahoo! in Almaty.",
         ["Is it true?", "Yes!", "It works at Yahoo! in Almaty."]),
        ("Hello world.Today is Tuesday.", ["Hello world.", "Today is Tuesday."]),
        ("Her email is Jane.Doe@example.com. I wrote.", ["Her email is Jane.Doe@example.com.", "I wrote."]),
    ],
)
def test_sentence_rules(text, expected):
    assert split_sentences(text) == expected


def test_split_keeps_original_text_and_whitespace_inside():
    text = "  First\u00a0sentence.\tSecond  one.  "
    assert split_sentences(text) == ["First\u00a0sentence.", "Second  one."]
    assert split_sentences("") == [] and split_sentences("   ") == []


def test_inline_lists_are_cut_before_each_item():
    assert split_sentences("1. The first item. 2. The second item.") == ["1. The first item.",
                                                                          "2. The second item."]
    assert split_sentences("• 9. The first item • 10. The second item") == ["• 9. The first item",
                                                                             "• 10. The second item"]


# ------------------------------------------------------------------------------- paragraphs and headings


def _shape(segments: list[Segment]):
    return [(s.kind, s.paragraph, s.line, s.text) for s in segments]


def test_plain_text_lines_are_paragraphs_and_short_lines_headings():
    text = ("Kazakhstan hosts an interfaith forum\n"
            "The forum opened in Astana. It closed on Friday.\n"
            "\n"
            "A shared commitment\n"
            "Both sides agreed.\n")
    assert _shape(segment_text(text)) == [
        ("heading", 0, 1, "Kazakhstan hosts an interfaith forum"),
        ("sentence", 1, 2, "The forum opened in Astana."),
        ("sentence", 1, 2, "It closed on Friday."),
        ("heading", 2, 4, "A shared commitment"),
        ("sentence", 3, 5, "Both sides agreed."),
    ]
    assert [s.index for s in segment_text(text)] == [0, 1, 2, 3, 4]
    assert [s.level for s in segment_text(text)] == [1, 0, 0, 2, 0]


def test_first_line_is_the_title_only_when_it_looks_like_one():
    lead = ("Chairman Nauryzbay Kazhy Taganuly began his visit to the U.S., DKNews.kz reports.\n"
            "The visit went well.\n")
    assert [s.kind for s in segment_text(lead)] == ["sentence", "sentence"]
    question = "Why does Kazakhstan host the Congress?\nIt hosts it every three years.\n"
    assert [s.kind for s in segment_text(question)] == ["heading", "sentence"]
    dateline = " date 2021-03-01 NUR-SULTAN. KAZINFORM – Last week, the Chairman met envoys.\n"
    assert [s.kind for s in segment_text(dateline)] == ["sentence"]


def test_heading_heuristic():
    assert looks_like_heading("Spiritual diplomacy in a globalized world")
    assert not looks_like_heading("The meeting wrapped up with a tour.")
    assert not looks_like_heading("Among the participants:")
    assert not looks_like_heading("what a lowercase line")
    long_unpunctuated = " ".join(["word"] * 25).capitalize()
    assert not looks_like_heading(long_unpunctuated)
    assert looks_like_heading("Why does Kazakhstan host the Congress?", first=True)
    assert not looks_like_heading("Why does Kazakhstan host the Congress?")


def test_crlf_bom_tabs_and_nbsp_are_tolerated():
    text = "\ufeffTitle of the article\r\n\r\nFirst\u00a0sentence here.\tSecond  one.\r\nLast line.\r\n"
    segs = segment_text(text)
    assert _shape(segs) == [
        ("heading", 0, 1, "Title of the article"),
        ("sentence", 1, 3, "First\u00a0sentence here."),
        ("sentence", 1, 3, "Second  one."),
        ("sentence", 2, 4, "Last line."),
    ]
    assert segs[1].norm == "First sentence here." and segs[2].norm == "Second one."


def test_markdown_article():
    text = (
        "---\n"                                   # 1 front matter: skipped
        "title: Forum\n"                          # 2
        "---\n"                                   # 3
        "# Kazakhstan hosts a forum\n"            # 4
        "\n"                                      # 5
        "The forum opened\n"                      # 6
        "in Astana. It closed\n"                  # 7
        "on Friday.\n"                            # 8
        "\n"                                      # 9
        "## Results ##\n"                         # 10
        "\n"                                      # 11
        "- First item is here.\n"                 # 12
        "- Second item. Third.\n"                 # 13
        "\n"                                      # 14
        "> A quote. Another.\n"                   # 15
        "\n"                                      # 16
        "```\n"                                   # 17 code: skipped
        "code. Not. Text.\n"                      # 18
        "```\n"                                   # 19
        "\n"                                      # 20
        "![photo](a.jpg)\n"                       # 21 image only: skipped
        "\n"                                      # 22
        "Setext title\n"                          # 23
        "------------\n"                          # 24
        "\n"                                      # 25
        "Short line in body\n"                    # 26
        "\n"                                      # 27
        "1. Numbered item\n"                      # 28
    )
    segs = segment_text(text, markdown=True)
    assert _shape(segs) == [
        ("heading", 0, 4, "Kazakhstan hosts a forum"),
        ("sentence", 1, 6, "The forum opened\nin Astana."),
        ("sentence", 1, 7, "It closed\non Friday."),
        ("heading", 2, 10, "Results"),
        ("sentence", 3, 12, "First item is here."),
        ("sentence", 4, 13, "Second item."),
        ("sentence", 4, 13, "Third."),
        ("sentence", 5, 15, "A quote."),
        ("sentence", 5, 15, "Another."),
        ("heading", 6, 23, "Setext title"),
        ("heading", 7, 26, "Short line in body"),
        ("sentence", 8, 28, "Numbered item"),
    ]
    assert [s.level for s in segs if s.kind == "heading"] == [1, 2, 2, 2]
    assert segs[1].norm == "The forum opened in Astana."
    assert one_line(segs[1].text) == "The forum opened in Astana."


def test_markdown_flag_matters():
    text = "# Title\n\nOne line\nand the next.\n"
    assert [s.text for s in segment_text(text, markdown=True)] == ["Title", "One line\nand the next."]
    assert [s.text for s in segment_text(text)] == ["# Title", "One line", "and the next."]


# ------------------------------------------------------------------------------------- normalisation, ids


def test_normalise_nfc_and_whitespace():
    assert normalise("  Charge\u0301\u00a0d'affaires\t a.i.\r\n of the\u200b Embassy ") == \
        "Chargé d'affaires a.i. of the Embassy"
    assert normalise("") == ""


def test_ids_are_hashes_of_the_normalised_text_with_occurrence_suffix():
    segs = segment_text("Title here\nThe visit went well. The visit went well.\nThe visit went well.\n")
    assert segs[1].id == segment_id("The visit went well.")
    assert [s.id for s in segs[1:]] == [segs[1].id, segs[1].id + "-2", segs[1].id + "-3"]
    assert len({s.id for s in segs}) == len(segs)
    assert segment_text("Title here\nThe visit went well.\n")[1].id == segs[1].id  # same across runs


def test_ids_do_not_shift_when_another_paragraph_is_edited():
    before = "Forum in Astana\nFirst paragraph here. It has two sentences.\nSecond paragraph stays.\n"
    after = ("Forum in Astana\nA new paragraph was added.\n"
             "First paragraph was rewritten. It has two sentences.\nSecond paragraph stays.\n")
    old = {s.norm: s.id for s in segment_text(before)}
    new = {s.norm: s.id for s in segment_text(after)}
    for norm in ("Forum in Astana", "It has two sentences.", "Second paragraph stays."):
        assert old[norm] == new[norm]
    assert segment_text(after)[-1].index != segment_text(before)[-1].index


def test_cosmetic_whitespace_and_unicode_edits_keep_ids():
    a = segment_text("Title here\nThe Charge\u0301 d'affaires  spoke.\n")
    b = segment_text("Title here\nThe Chargé\u00a0d'affaires spoke.\n")
    assert a[1].id == b[1].id and a[1].text != b[1].text


def test_normalise_drops_bidi_controls_and_invisible_characters():
    text = "The \u202eSAMK\u202c met\u200b the\u00a0ambassador \u200fin \u2067Astana\u2069."
    assert normalise(text) == "The SAMK met the ambassador in Astana."


def test_zero_width_space_between_sentences_still_splits():
    assert split_sentences("He met the ambassador of Egypt.\u200b Then he left for Almaty.") == [
        "He met the ambassador of Egypt.", "Then he left for Almaty."]


def test_markdown_segments_know_their_block_and_code_stays_out():
    from pipeline.segment import CodeBlock, markdown_code_blocks

    text = ("# Title\n\nA paragraph here.\n\n- First point.\n- Second point.\n\n1. Numbered point.\n\n"
            "> A quoted sentence.\n\n````python\nprint('x')\n```\nstill code\n````\n\nAfter the code.\n")
    segments = segment_text(text, markdown=True)
    by_text = {s.norm: (s.block, s.ordered) for s in segments if s.kind == "sentence"}
    assert by_text == {"A paragraph here.": ("paragraph", False), "First point.": ("item", False),
                       "Second point.": ("item", False), "Numbered point.": ("item", True),
                       "A quoted sentence.": ("quote", False), "After the code.": ("paragraph", False)}
    # A shorter fence inside a longer one does not close it (CommonMark).
    assert markdown_code_blocks(text) == [CodeBlock(12, "python", "print('x')\n```\nstill code")]


NESTED = """# Faith leaders meet

- Leaders came from many countries.
  - Muftis spoke about schools.
  - Rabbis spoke about texts.
- The imams listened.

1. First, the opening.

   It was short.
2. Then the debate.

> A quoted sentence. Another one.
>
>     quoted code. Not translated.
>
> - An item in a quote.

| Country | Delegates |
|:--------|----------:|
| Egypt. Oman.  | 12 |
| Qatar |    |

    indented code. Not translated.
"""


def test_markdown_nesting_tables_and_code_through_commonmark():
    from pipeline.segment import markdown_code_blocks

    segments = segment_text(NESTED, markdown=True)
    shape = [(s.kind, s.line, s.text, tuple(c.kind for c in s.containers)) for s in segments]
    assert shape == [
        ("heading", 1, "Faith leaders meet", ()),
        ("sentence", 3, "Leaders came from many countries.", ("list", "item")),
        ("sentence", 4, "Muftis spoke about schools.", ("list", "item", "list", "item")),
        ("sentence", 5, "Rabbis spoke about texts.", ("list", "item", "list", "item")),
        ("sentence", 6, "The imams listened.", ("list", "item")),
        ("sentence", 8, "First, the opening.", ("list", "item")),
        ("sentence", 10, "It was short.", ("list", "item")),
        ("sentence", 11, "Then the debate.", ("list", "item")),
        ("sentence", 13, "A quoted sentence.", ("quote",)),
        ("sentence", 13, "Another one.", ("quote",)),
        ("sentence", 17, "An item in a quote.", ("quote", "list", "item")),
        ("cell", 19, "Country", ("table", "row", "cell")),
        ("cell", 19, "Delegates", ("table", "row", "cell")),
        ("cell", 21, "Egypt. Oman.", ("table", "row", "cell")),  # a cell is one segment
        ("cell", 21, "12", ("table", "row", "cell")),
        ("cell", 22, "Qatar", ("table", "row", "cell")),
    ]
    # Nesting: the nested items share the outer item; siblings are different items of one list.
    outer, inner1, inner2, last = (segments[i].containers for i in (1, 2, 3, 4))
    assert inner1[:2] == outer and inner2[:3] == inner1[:3] and inner1[3] != inner2[3]
    assert last[0] == outer[0] and last[1] != outer[1]
    # The numbered list is loose (a blank line in an item), its two paragraphs in one item.
    assert segments[5].containers == segments[6].containers and segments[5].ordered
    assert segments[5].containers[0].tight is False and outer[0].tight is True
    cells = [s.containers[-1] for s in segments if s.kind == "cell"]
    assert [(c.header, c.position, c.align) for c in cells] == [
        (True, 0, "left"), (True, 1, "right"), (False, 0, "left"), (False, 1, "right"), (False, 0, "left")]
    assert [s.containers[-2].position for s in segments if s.kind == "cell"] == [0, 0, 1, 1, 2]
    assert [(s.block, s.ordered) for s in segments[1:3]] == [("item", False), ("item", False)]
    assert segments[8].block == "quote" and segments[11].block == "cell"
    # Code (quoted, indented) is never a segment and is kept for publishing, with its containers.
    assert not any("code" in s.norm for s in segments)
    code = markdown_code_blocks(NESTED)
    assert [(c.line, c.code, [k.kind for k in c.containers]) for c in code] == [
        (15, "quoted code. Not translated.", ["quote"]), (24, "indented code. Not translated.", [])]


def test_table_cells_in_the_segments_format():
    segments = segment_text("| A | B |\n|---|---|\n| One. Two. | x |\n", markdown=True)
    assert format_segments(segments) == "C\tA\n\nC\tB\n\nC\tOne. Two.\n\nC\tx\n"
    assert parse_segments(format_segments(segments))[2] == [("cell", "One. Two.")]


def test_the_sample_articles_still_cut_as_their_committed_templates_say():
    """A segmenter change that would churn the sample workspace's catalogs (msgids, contexts, kinds, lines) fails
    here first: translators' catalogs are keyed by these."""
    import polib

    from pipeline.catalogs import entry_keys

    repo = Path(__file__).resolve().parent.parent
    sources = sorted((repo / "source_texts").glob("*.*"))
    assert sources
    for source in sources:
        segments = segment_text(source.read_text(encoding="utf-8"), markdown=source.suffix == ".md")
        template = polib.pofile(str(repo / "locales" / "templates" / f"{source.stem}.pot"))
        committed = [(e.msgctxt, e.msgid, e.comment.splitlines()[0], e.occurrences) for e in template]
        ours = [(*key, f"kind: {seg.kind}", [(f"source_texts/{source.name}", str(seg.line))])
                for key, seg in zip(entry_keys(segments), segments, strict=True)]
        assert ours == committed, source.name
