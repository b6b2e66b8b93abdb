"""The workflow's machine-translation step: every distinct sentence of a language in one executor call, retries
in one final call, progress per batch; the same step takes any executor (a local engine or another)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FakeEngine

from pipeline import engine, workflow
from pipeline.workflow import RunOptions, draft_sentences
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


class Batching(FakeEngine):
    """A fake executor that reports its work in batches of two, like Engine.translate."""

    def translate(self, texts, on_batch=None):
        out = super().translate(texts)
        for start in range(0, len(texts), 2):
            if on_batch:
                on_batch(len(texts[start:start + 2]))
        return out


def test_every_distinct_sentence_of_a_run_goes_to_the_executor_in_one_call(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", root / "glossary")
    for n in range(12):  # 12 articles x 4 sentences, one sentence shared by all: more than any old chunk size
        (root / "source_texts" / f"a{n}.txt").write_text(
            f"Title {n}\n\nSentence one of article {n}. Sentence two of article {n}.\n"
            "The meeting took place in a warm and friendly atmosphere.\n", encoding="utf-8")
    made: dict[str, Batching] = {}

    def load(directory, to_code, from_code="en", **settings):
        made[to_code] = Batching(to_code)
        return made[to_code]

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    steps: list[tuple[str, int, int]] = []
    workflow.run(Workspace(root), RunOptions(langs=("kk", "ru"), publish=False),
                 progress=lambda what, done, total: steps.append((what, done, total)))
    for lang in ("kk", "ru"):
        [batch] = made[lang].batches
        assert len(batch) == len(set(batch)) == 12 * 3 + 1  # titles, two own sentences each, one shared
        mine = [s for s in steps if s[0].endswith(lang)]
        assert [done for _, done, _ in mine] == list(range(2, 38, 2)) + [37]  # one step per batch of two
        assert {total for _, _, total in mine} == {37}


def test_broken_placeholders_are_retried_in_one_final_call():
    gloss = workflow.load_glossary(REPO)
    sentences = [f"The Grand Mufti met guest number {n}." for n in range(5)] + ["Nothing to protect here."]
    matches = [gloss.find(s) for s in sentences]
    assert all(matches[:5]) and not matches[5]

    def drop_placeholders(text):
        return " ".join(word for word in text.split() if not word.startswith("XT"))

    fake = FakeEngine("ru", mangle=drop_placeholders)
    results = draft_sentences("ru", sentences, matches, fake)
    assert len(fake.batches) == 2  # everything once, then the five broken ones together, unprotected
    assert fake.batches[1] == sentences[:5]
    assert [r.ok for r in results] == [False] * 5 + [True]


class Beams(Batching):
    """A fake executor with the beam's hypotheses: the second keeps the placeholders the first one lost."""

    def __init__(self, lang):
        super().__init__(lang)
        self.asked: list[list[str]] = []

    def hypotheses(self, texts, on_batch=None):
        self.asked.append(list(texts))
        kept = FakeEngine.translate(self, texts)
        self.batches.pop()  # the main call is counted in `asked`
        if on_batch:
            on_batch(len(texts))
        return [[" ".join(w for w in out.split() if not w.startswith("XT")), out] for out in kept]


def test_the_beams_other_hypotheses_rescue_a_draft_without_another_call():
    gloss = workflow.load_glossary(REPO)
    sentences = [f"The Grand Mufti met guest number {n}." for n in range(3)] + ["Nothing to protect here."]
    fake = Beams("ru")
    seen: list[int] = []
    results = draft_sentences("ru", sentences, [gloss.find(s) for s in sentences], fake,
                              progress=lambda what, done, total: seen.append(done))
    assert len(fake.asked) == 1 and len(fake.asked[0]) == 4  # one call, every sentence
    assert fake.batches == []  # no unprotected retry: the second hypothesis kept every placeholder
    assert [r.hypothesis for r in results] == [1, 1, 1, 0] and all(r.ok for r in results)
    assert seen == [4]  # progress came from the main call's batches


def test_the_local_engine_is_an_executor(tiny_packages_dir):
    mt = engine.Engine.load(tiny_packages_dir, "kk", threads=1)
    seen: list[int] = []
    results = draft_sentences("kk", ["A first sentence.", "Second.", "A third, rather longer sentence here."],
                              [[], [], []], mt, progress=lambda what, done, total: seen.append(done))
    assert len(results) == 3 and all(r.ok for r in results)
    assert seen[-1] == 3


class Recording:
    """A CTranslate2 translator that records each translate_batch call (rows, n-best, asynchronous)."""

    def __init__(self, translator):
        self.translator, self.calls = translator, []

    def translate_batch(self, source, **options):
        self.calls.append((len(source), options.get("num_hypotheses", 1), bool(options.get("asynchronous"))))
        return self.translator.translate_batch(source, **options)

    def __getattr__(self, name):
        return getattr(self.translator, name)


def test_two_batches_at_once_give_the_same_drafts_and_report_each_batch(tiny_packages_dir):
    """inter_threads 2: every batch is handed to CTranslate2 at once (asynchronously) and read back in order."""
    sentences = [f"Sentence number {n} is {'rather ' * (n % 7)}long." for n in range(40)]
    one = engine.Engine.load(tiny_packages_dir, "kk", threads=1, batch_tokens=64)
    two = engine.Engine.load(tiny_packages_dir, "kk", threads=2, batch_tokens=64)  # two batches, a thread each
    assert two.inter_threads == 2 and two.translator.num_translators == 2
    two.translator = Recording(two.translator)
    steps: list[int] = []
    assert two.translate(sentences, on_batch=steps.append) == one.translate(sentences)
    assert len(steps) == len(two.translator.calls) > 2 and sum(steps) == len(sentences)
    assert all(asynchronous for _, _, asynchronous in two.translator.calls)
    assert two.hypotheses(sentences[:3]) == one.hypotheses(sentences[:3])


def test_threads_and_batch_budget_come_from_the_flag_then_the_settings_file(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "a.txt").write_text("Title\n\nOne sentence here.\n", encoding="utf-8")
    (root / "pipeline.toml").write_text("[models]\nthreads = 3\nbatch_tokens = 512\n", encoding="utf-8")
    asked: list[dict] = []

    def load(directory, to_code, from_code="en", **settings):
        asked.append(settings)
        return FakeEngine(to_code)

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    workflow.run(Workspace(root), RunOptions(langs=("kk",), publish=False))
    workflow.run(Workspace(root), RunOptions(langs=("kk",), publish=False, threads=1))
    assert [(a["threads"], a["batch_tokens"]) for a in asked] == [(3, 512), (1, 512)]
