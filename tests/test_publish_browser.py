"""The published site in a real browser: headless Chromium renders the Arabic and Kazakh pages.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`, stdlib only): the test
reads layout from the rendered DOM (direction, where lines and characters sit), asks which platform fonts drew
the text, and takes screenshots (kept in $PIPELINE_SCREENSHOTS when set).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest
from test_publish import write_catalog

from pipeline import publish

pytestmark = pytest.mark.slow

ARTICLE = """Interfaith dialogue in Astana
Religious leaders met in Astana on Monday. They discussed dialogue between faiths.

A shared future
The participants agreed to continue their cooperation.
Peace to all.
The letters of the Kazakh alphabet are shown here.
The meeting ended in the evening.
The next meeting will take place in the spring.
"""
# Hand-written translations, one per segment of ARTICLE (real segmenter: a line is a paragraph).
HOSTILE = ("<script>document.documentElement.setAttribute('data-pwned','script')</script>"
           "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">")
TRANSLATIONS = {
    "ar": ["الحوار بين الأديان في أستانا",
           "اجتمع القادة الدينيون في أستانا يوم الاثنين.",
           "وناقشوا الحوار بين أتباع الأديان.",
           "مستقبل مشترك",
           "اتفق المشاركون على مواصلة تعاونهم في السنوات القادمة.",
           "السلام على الجميع.",
           "حروف الأبجدية الكازاخية معروضة هنا.",
           HOSTILE + " انتهى الاجتماع في المساء.",
           None],  # untranslated: shown in English, marked
    "kk": ["Астанадағы дінаралық үнқатысу",
           "Дін көшбасшылары дүйсенбі күні Астанада кездесті.",
           "Олар діндер арасындағы үнқатысуды талқылады.",
           "Ортақ болашақ",
           "Қатысушылар алдағы жылдары ынтымақтастықты жалғастыруға келісті.",
           "Барлығына бейбітшілік.",
           "Қазақ әліпбиінің әріптері: ә, ғ, қ, ң, ө, ұ, ү, һ, і.",
           HOSTILE + " Кездесу кешке аяқталды.",
           "Келесі кездесу көктемде өтеді."],
}
FUZZY = {("ar", 2), ("kk", 4)}  # machine drafts, published with --include-fuzzy
KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
WIDTH = 900


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """A headless Chromium and one page, spoken to over the DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, executable: str, profile: Path, log: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes():  # runs in the child: put the pipe ends on the fds Chromium expects
            inbound = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            outbound = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        args = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--no-default-browser-check",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
                "--remote-debugging-pipe", "about:blank"]
        self._log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     close_fds=False, preexec_fn=wire_pipes, start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "DOM", "CSS"):
            self.call(f"{domain}.enable", session=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise TimeoutError(f"Chromium did not answer (exit code {self.proc.poll()})")
            ready, _, _ = select.select([self._from_browser], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, *, session: bool = False, timeout: float = 30):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for index, seen in enumerate(self.events):
                if seen.get("method") == event:
                    return self.events.pop(index)
            self.events.append(self._read_message(deadline))

    def open(self, path: Path, height: int = 1000) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)
        self.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def fonts(self, snippet: str) -> list[dict]:
        """Platform fonts that drew the article block containing `snippet` (DevTools: "rendered fonts")."""
        marked = self.evaluate(f"""(() => {{
            const block = [...document.querySelectorAll('article > *')]
                .find(el => el.textContent.includes({json.dumps(snippet)}));
            if (block) block.setAttribute('data-probe', '1');
            return Boolean(block); }})()""")
        assert marked, f"no article block contains {snippet!r}"
        document = self.call("DOM.getDocument", {"depth": 0}, session=True)["root"]["nodeId"]
        query = {"nodeId": document, "selector": "[data-probe]"}
        node = self.call("DOM.querySelector", query, session=True)["nodeId"]
        fonts = self.call("CSS.getPlatformFontsForNode", {"nodeId": node}, session=True)["fonts"]
        self.evaluate("document.querySelector('[data-probe]').removeAttribute('data-probe')")
        return fonts

    def screenshot(self, target: Path) -> Path:
        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        target.write_bytes(base64.b64decode(data))
        return target

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=5)
                except (OSError, TimeoutError, ConnectionError, RuntimeError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: Chromium and its helpers
                    self.proc.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()


MEASURE = r"""
(() => {
  const html = document.documentElement;
  const charRect = (node, at) => {
    const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + 1);
    return r.getBoundingClientRect();
  };
  const selector = 'article > h1, article > h2, article > p:not(.banner)';
  const blocks = [...document.querySelectorAll(selector)].map(el => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const contentLeft = box.left + parseFloat(style.paddingLeft);
    const contentRight = box.right - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    const top = Math.min(...rects.map(r => r.top));
    const firstLine = rects.filter(r => r.top < top + 4);
    const text = [...el.childNodes].find(n => n.nodeType === 3 && n.data.trim().length > 1);
    let firstChar = null, lastChar = null;
    if (text) {
      const start = text.data.search(/\S/), end = text.data.trimEnd().length - 1;
      firstChar = charRect(text, start).left; lastChar = charRect(text, end).left;
    }
    return {tag: el.tagName.toLowerCase(), text: el.textContent, direction: style.direction,
            textAlign: style.textAlign, contentLeft, contentRight,
            lineLeft: Math.min(...firstLine.map(r => r.left)),
            lineRight: Math.max(...firstLine.map(r => r.right)),
            lines: new Set(rects.map(r => Math.round(r.top))).size, firstChar, lastChar,
            children: [...el.children].map(c => ({tag: c.tagName.toLowerCase(), cls: c.className,
                                                  lang: c.lang, direction: getComputedStyle(c).direction}))};
  });
  return {lang: html.lang, dir: html.dir, direction: getComputedStyle(html).direction,
          pwned: html.getAttribute('data-pwned'), scripts: document.scripts.length,
          images: document.images.length, blocks,
          switcher: [...document.querySelectorAll('.language-switcher a')].map(a => a.hreflang)};
})()
"""


def font_stack(css: str, variable: str) -> list[str]:
    declared = re.search(rf"{variable}:\s*([^;]+);", css)
    assert declared, f"style.css declares no {variable}"
    return [name.strip().strip('"') for name in declared.group(1).split(",")]


@pytest.fixture
def browser(tmp_path):
    executable = find_chromium()
    if executable is None and os.environ.get("CI"):
        pytest.fail("Chromium is not installed; CI must install it (.ci/run: apt-get install chromium)")
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium); "
                    "the browser test needs a real browser")
    tools = DevTools(executable, tmp_path / "chromium-profile", tmp_path / "chromium.log")
    try:
        yield tools
    finally:
        tools.close()


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "work"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "interfaith-dialogue.txt").write_text(ARTICLE, encoding="utf-8")
    for lang, texts in TRANSLATIONS.items():
        write_catalog(root, lang, "interfaith-dialogue", ARTICLE,
                      lambda i, key, lang=lang, texts=texts: (texts[i] or "", (lang, i) in FUZZY))
    out = tmp_path / "published"
    results = publish.publish(root, out, ["kk", "ar"], include_fuzzy=True, min_complete=80)
    assert all(pub.published for pub in results), [pub.reason for pub in results]
    return out


def keep(shot: Path) -> Path:
    wanted = os.environ.get("PIPELINE_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(shot, Path(wanted) / shot.name))
    return shot


def assert_png(path: Path, width: int) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    shot_width, shot_height = struct.unpack(">II", data[16:24])
    assert shot_width == width and shot_height > 300 and len(data) > 10_000


def test_arabic_page_renders_right_to_left_with_content_as_text(browser, site, tmp_path):
    css = (site / "style.css").read_text(encoding="utf-8")
    browser.open(site / "ar" / "interfaith-dialogue.html")
    page = browser.evaluate(MEASURE)
    assert (page["lang"], page["dir"], page["direction"]) == ("ar", "rtl", "rtl")
    assert page["switcher"] == ["kk"]

    # No translated string came through as markup: nothing ran, no element was created from it.
    assert page["pwned"] is None and page["scripts"] == 0 and page["images"] == 0
    hostile = next(block for block in page["blocks"] if "انتهى الاجتماع" in block["text"])
    # Its Latin letters are isolated left to right (<bdi>), and nothing else became an element.
    assert HOSTILE in hostile["text"] and {child["tag"] for child in hostile["children"]} <= {"bdi"}

    arabic = [block for block in page["blocks"] if re.search("[\u0600-\u06ff]", block["text"])]
    assert [block["tag"] for block in arabic] == ["h1", "p", "h2", "p", "p", "p", "p"]
    for block in arabic:
        assert block["direction"] == "rtl", block
        # Lines start at the right edge of the column.
        assert abs(block["lineRight"] - block["contentRight"]) < 2, block
    short = next(block for block in arabic if block["text"] == "السلام على الجميع.")
    assert short["lines"] == 1 and short["lineLeft"] > short["contentLeft"] + 300, short
    assert short["firstChar"] > short["lastChar"], "the first letter must be drawn right of the last one"

    draft = next(block for block in arabic if block["children"])
    assert draft["children"] == [{"tag": "span", "cls": "machine-draft", "lang": "", "direction": "rtl"}]
    english = next(block for block in page["blocks"] if block["text"].startswith("The next meeting"))
    assert english["children"] == [{"tag": "span", "cls": "untranslated", "lang": "en", "direction": "ltr"}]

    arabic_fonts = font_stack(css, "--arabic-font")
    used = browser.fonts("اجتمع القادة")
    assert used and all(font["familyName"] in arabic_fonts for font in used), (
        f"Arabic drawn with {used}; install a font of the stack (Debian: fonts-noto-core)")

    shot = keep(browser.screenshot(tmp_path / "published-ar-interfaith-dialogue.png"))
    assert_png(shot, WIDTH)
    print(f"screenshot: {shot} (fonts: {[font['familyName'] for font in used]})")


def test_kazakh_page_renders_left_to_right_with_kazakh_letters(browser, site, tmp_path):
    css = (site / "style.css").read_text(encoding="utf-8")
    browser.open(site / "kk" / "interfaith-dialogue.html")
    page = browser.evaluate(MEASURE)
    assert (page["lang"], page["dir"], page["direction"]) == ("kk", "ltr", "ltr")
    assert page["switcher"] == ["ar"]
    assert page["pwned"] is None and page["scripts"] == 0 and page["images"] == 0
    for block in page["blocks"]:
        assert block["direction"] == "ltr"
        assert abs(block["lineLeft"] - block["contentLeft"]) < 2, block
    letters = next(block for block in page["blocks"] if "әліпбиінің" in block["text"])
    assert all(letter in letters["text"] for letter in KAZAKH_LETTERS.lower())
    assert letters["firstChar"] < letters["lastChar"]

    text_fonts = font_stack(css, "--text-font")
    used = browser.fonts("әліпбиінің")
    assert used and all(font["familyName"] in text_fonts for font in used), (
        f"Kazakh drawn with {used}; install a font of the stack (Debian: fonts-noto-core)")
    # No letter fell back to a font outside the stack, and every letter got a glyph.
    assert sum(font["glyphCount"] for font in used) >= len(letters["text"].replace(" ", ""))

    shot = keep(browser.screenshot(tmp_path / "published-kk-interfaith-dialogue.png"))
    assert_png(shot, WIDTH)

    browser.open(site / "ar" / "index.html")
    listing = browser.evaluate("[...document.querySelectorAll('ul.articles a')].map(a => "
                               "[a.textContent, getComputedStyle(a).direction])")
    assert listing == [[TRANSLATIONS["ar"][0], "rtl"]]
    keep(browser.screenshot(tmp_path / "published-ar-index.png"))


# ---------------------------------------------------------------- the sample workspace, as a publisher ships it

REPO = Path(__file__).resolve().parent.parent
BASE = "https://news.example.kz/"
# Approved by a "translator": the title and the first sentence of the grand mufti article, per language.
APPROVED = {
    "ar": ["المفتي الأعلى لكازاخستان يستقبل سفير مصر",
           "استقبل رئيس الإدارة الدينية لمسلمي كازاخستان (SAMK) المفتي الأعلى أيداربيك قاجي تيميرخانولي سعادة "
           "السيد Karim Fathy Mansour، سفير جمهورية مصر العربية فوق العادة ومفوضها لدى جمهورية كازاخستان."],
    "kk": ["Қазақстанның Бас мүфтиі Египет елшісін қабылдады",
           "ҚМДБ төрағасы, Бас мүфти Айдарбек қажы Темірханұлы Египет Араб Республикасының Қазақстандағы Төтенше "
           "және Өкілетті Елшісі Карим Фатхи Мансурды қабылдады."],
    "ru": ["Верховный муфтий Казахстана принял посла Египта",
           "Председатель ДУМК, Верховный муфтий Айдарбек кажы Темирханулы принял Чрезвычайного и Полномочного "
           "Посла Арабской Республики Египет в Республике Казахстан Карима Фатхи Мансура."],
}
SLUG = "grand-mufti-receives-egyptian-ambassador"

WORD_BOXES = r"""
((selector) => {
  const out = [];
  for (const span of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\S+/g)) {
        const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const box = r.getBoundingClientRect();
        out.push({word: m[0], left: box.left, right: box.right, top: Math.round(box.top)});
      }
    }
  }
  return out;
})
"""


@pytest.fixture
def sample_site(tmp_path, tiny_packages_dir):
    """The repository's sample articles drafted by a tiny model, two sentences approved per language."""
    import polib

    from pipeline import workflow
    from pipeline.workspace import Workspace

    root = tmp_path / "work"
    shutil.copytree(REPO / "source_texts", root / "source_texts")
    shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pipeline.toml").write_text(f'[site]\nname = "Interfaith News"\nbase_url = "{BASE}"\n', encoding="utf-8")
    ws = Workspace.open(root, packages_dir=tiny_packages_dir)
    report = workflow.run(ws, workflow.RunOptions(publish=False, threads=1, beam_size=1))
    assert report.ok and set(report.engines) == {"kk", "ru", "ar"}, report.errors
    for lang, texts in APPROVED.items():
        path = ws.catalog_path(lang, SLUG)
        po = polib.pofile(str(path))
        live = [entry for entry in po if not entry.obsolete]
        for entry, text in zip(live[:len(texts)], texts, strict=True):
            entry.msgstr = text
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        po.save(str(path))
    return root


def test_sample_workspace_site_in_the_browser(browser, sample_site, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    root, out = sample_site, sample_site / "published"
    runner = CliRunner()
    result = runner.invoke(app, ["publish", "--root", str(root), "--min-complete", "0"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    published = [row for row in manifest["articles"] if row["published"]]
    assert {row["language"] for row in published} == {"kk", "ru", "ar"} and len(published) == 12

    # Arabic page: the approved sentences right to left, the English fallbacks after them left to right.
    browser.open(out / "ar" / f"{SLUG}.html")
    page = browser.evaluate(MEASURE)
    assert (page["dir"], page["direction"]) == ("rtl", "rtl")
    title = next(block for block in page["blocks"] if block["tag"] == "h1")
    assert title["text"] == APPROVED["ar"][0] and title["firstChar"] > title["lastChar"]
    boxes = browser.evaluate(f"{WORD_BOXES}('article p span.untranslated')")
    assert len(boxes) > 40
    lines: dict[int, list[dict]] = {}
    for box in boxes:
        lines.setdefault(box["top"], []).append(box)
    for top, words in lines.items():  # in reading order, each next word stands to the right of the last
        pairs = zip(words[:-1], words[1:], strict=True)
        assert all(a["left"] < b["left"] for a, b in pairs), (top, [w["word"] for w in words])
    # The name inside the Arabic sentence is isolated left to right.
    name = browser.evaluate(f"{WORD_BOXES}('article p bdi[lang=en]')")
    assert [box["word"] for box in name][:3] == ["SAMK", "Karim", "Fathy"]

    # Every hreflang link resolves to a page that exists.
    links = browser.evaluate("[...document.querySelectorAll('link[rel=alternate][hreflang]')].map(l => l.href)")
    assert len(links) == 4
    for href in links:
        assert href.startswith(BASE) and (out / (href[len(BASE):] or "index.html")).is_file(), href

    # Sitemap and feeds parse and list every published page.
    from xml.etree import ElementTree as ET

    pages = {BASE + row["paths"]["html"] for row in published}
    locs = {loc.text for loc in ET.parse(out / "sitemap.xml").getroot().iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert pages <= locs
    entries = set()
    for lang in ("kk", "ru", "ar"):
        feed = ET.parse(out / lang / "feed.xml").getroot()
        entries |= {link.attrib["href"] for link in feed.iter("{http://www.w3.org/2005/Atom}link")
                    if link.attrib.get("rel") == "alternate" and link.attrib["href"].endswith(".html")
                    and not link.attrib["href"].endswith("index.html")}
    assert entries == pages

    shots = {}
    for lang in ("ar", "kk", "ru"):
        browser.open(out / lang / f"{SLUG}.html")
        shots[lang] = keep(browser.screenshot(tmp_path / f"published-{lang}.png"))
        assert_png(shots[lang], WIDTH)

    # A broken catalog: the live page stays byte for byte, and the command fails.
    before = (out / "ar" / f"{SLUG}.html").read_bytes()
    catalog = root / "locales" / "ar" / "LC_MESSAGES" / f"{SLUG}.po"
    catalog.write_text(catalog.read_text(encoding="utf-8") + '\nmsgid "broken\n', encoding="utf-8")
    broken = runner.invoke(app, ["publish", "--root", str(root), "--min-complete", "0"])
    assert broken.exit_code == 1 and f"{SLUG} (ar) not republished" in broken.output
    assert (out / "ar" / f"{SLUG}.html").read_bytes() == before
