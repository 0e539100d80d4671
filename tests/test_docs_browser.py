"""The documentation site in a real browser (Playwright driving Debian's Chromium), opened from disk with every request
that is not a file refused: a page with equations and API entries (03_losses) renders its math with the site's own copy
of KaTeX (no raw `$...$` left), shows each exported function's signature and docstring below its folded source with a
working source link, has the sidebar, and its search box finds a function by name and a page by a word of its prose.
No console error. Screenshots go to _docs/screenshots/ (git-ignored; their paths are printed). Without Chromium or
Playwright the test is skipped and says why. The site is a small one (the home page and 03_losses, not executed) so
that the test takes seconds; tests/test_docs.py builds the whole fast site."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser_kit import CHROMIUM, shot
from script_kit import load_script

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_docs" / "screenshots"
WAIT_MS = 60_000                       # a generous limit for a loaded machine: a wait, never a measurement




def _shot(page, name: str, **kw) -> Path: return shot(page, SHOTS, name, **kw)


@pytest.fixture(scope="module")
def browser():
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.skip("playwright is not installed (scripts/env.sh installs it)")
    if not Path(CHROMIUM).exists(): pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try: yield b
        finally: b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    docs = load_script("docs")
    out = tmp_path_factory.mktemp("docs") / "site"
    try: docs.build(out, pages=["03_losses"], execute_notebooks=False, work=out.parent / "_proc")
    except docs.DocsError as e: pytest.skip(f"the site cannot be built here: {e}")
    return out


def _offline_page(browser, viewport=(1280, 900)):
    "A page whose every request other than a file is refused (and recorded), and its console errors and page errors."
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    refused, errors = [], []
    def route(r):
        if r.request.url.startswith("file:"): r.continue_()
        else: refused.append(r.request.url); r.abort()
    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return context, page, refused, errors


RAW_MATH = """() => {            // the prose with rendered math, code and the site's own chrome taken out: any `$x$` left is raw
    const main = document.querySelector('main').cloneNode(true);
    main.querySelectorAll('.katex, pre, code, .bf-api-sig').forEach(e => e.remove());
    return (main.textContent.match(/\\$[^$\\n]{1,200}\\$/g) || []); }"""


def test_math_api_sidebar_and_search_offline(browser, site):
    context, page, refused, errors = _offline_page(browser)
    page.goto((site / "03_losses.html").as_uri(), timeout=WAIT_MS)
    page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)

    math = page.evaluate("() => ({n: document.querySelectorAll('main .katex').length, bad: document.querySelectorAll('.katex-error').length,"
                         " display: document.querySelectorAll('main .katex-display').length})")
    assert math["n"] >= 5 and math["bad"] == 0, math                     # Eq. 4-6 and the symbols of the prose
    assert page.evaluate(RAW_MATH) == []
    fonts = page.evaluate("() => document.fonts.ready.then(() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family))")
    assert any(f.startswith("KaTeX") for f in fonts), fonts             # KaTeX's own fonts, from the site's folder

    entry = page.locator("#kd_loss.bf-api")
    assert entry.count() == 1
    sig = entry.locator(".bf-api-sig").inner_text()
    assert "kd_loss(student_logits: torch.Tensor" in sig and "alpha: float = 0.5" in sig and "-> torch.Tensor" in sig, sig
    assert "Eq. 6" in entry.locator(".bf-api-doc").inner_text()
    folded = page.locator("details.bf-exported")
    assert folded.count() >= 4 and not folded.first.evaluate("d => d.open")     # the exported code is there, folded
    page.evaluate("() => document.getElementById('kd_loss').scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)                                           # let the page settle for the screenshot
    _shot(page, "docs-math-and-api.png")

    side = page.locator("nav.bf-side")
    assert side.is_visible()
    assert "Losses" in side.locator("li.bf-current").first.inner_text()
    assert side.locator("a[href='api/losses.html']").count() == 1 and side.locator("a[href='index.html']").count() >= 1

    search = page.locator("#bf-q")
    search.fill("ghnd_loss")
    first = page.locator("#bf-results a.bf-hit").first
    first.wait_for(timeout=WAIT_MS)
    assert "ghnd_loss" in first.inner_text() and first.get_attribute("href").endswith("03_losses.html#ghnd_loss")
    _shot(page, "docs-search.png")
    first.click()
    page.wait_for_function("() => location.hash === '#ghnd_loss'", timeout=WAIT_MS)
    search.fill("batchmean")                                             # a word of the prose, not a name
    page.locator("#bf-results a.bf-hit-page").first.wait_for(timeout=WAIT_MS)
    assert "Knowledge distillation" in page.locator("#bf-results a.bf-hit-page").first.inner_text()

    source = entry.locator("a.bf-api-src")
    href = source.get_attribute("href")
    source.click()                                                       # the entry's line in the module's source page
    page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
    line = href.split("#")[1]
    assert page.locator(f"[id='{line}']").count() == 1
    assert "def kd_loss" in page.locator("main").inner_text()
    assert (refused, errors) == ([], []), (refused, errors)
    context.close()


def test_api_page_offline(browser, site):
    "The module's API page lists its names with signatures, links each to its notebook, and finds names from the search box."
    context, page, refused, errors = _offline_page(browser)
    page.goto((site / "api" / "losses.html").as_uri(), timeout=WAIT_MS)
    page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
    names = page.evaluate("() => [...document.querySelectorAll('main > .bf-api')].map(e => e.dataset.name)")
    assert {"ce_loss", "kd_loss", "hnd_loss", "ghnd_loss", "HND_PAIRS"} <= set(names), names
    nb = page.locator("#kd_loss a.bf-api-nb")
    assert nb.get_attribute("href") == "../03_losses.html#kd_loss"
    page.locator("#bf-q").fill("kd_loss")
    first = page.locator("#bf-results a.bf-hit").first
    first.wait_for(timeout=WAIT_MS)
    assert first.get_attribute("href") == "../03_losses.html#kd_loss"
    assert (refused, errors) == ([], []), (refused, errors)
    context.close()
