"""The explorer in a real browser: the Voila app of `python -m bottlefit explore`, driven like a user would (move the C
slider, switch the link kind) with Playwright and Debian's Chromium, and the offline HTML export opened with the
network blocked, and the documentation site opened from disk. Screenshots go to figures/browser/. Without Chromium, Playwright or Voila the tests are skipped and
say why; no assertion depends on how long anything takes (the redraw times are printed, not checked)."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BOTTLEFIT_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "figures" / "browser"
START_S = 300                     # generous limits for a loaded machine: waits, never measurements
WAIT_MS = 120_000


def _skip(reason: str):
    print(f"skipped: {reason}")
    pytest.skip(reason)


def _need_voila():
    import importlib.util
    if importlib.util.find_spec("voila") is None: _skip("voila is not installed (scripts/env.sh installs it)")


def _need_browser():
    try: import playwright.sync_api  # noqa: F401
    except ImportError: _skip("playwright is not installed (scripts/env.sh installs it)")
    if not Path(CHROMIUM).exists(): _skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does as root)")


def _shot(page, name: str, **kw) -> Path:
    "A screenshot, reduced to a 128-colour PNG so that it is small enough to commit."
    from PIL import Image
    img = Image.open(io.BytesIO(page.screenshot(**kw))).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    img.save(path, optimize=True)
    print(f"screenshot {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size / 1e3:.0f} KB)")
    return path


@pytest.fixture(scope="module")
def data_root_env(tmp_path_factory) -> dict:
    """The environment the explorer runs in: the real data root where it holds the network traces, else a data root of
    synthetic traces (`bottlefit.system.write_synthetic_traces`), so that a fresh clone without data tests the same code."""
    from bottlefit.core import DATA_ENV, data_root
    from bottlefit.system import write_synthetic_traces
    if (data_root() / "traces").is_dir(): return dict(os.environ)
    global SHOTS
    root = tmp_path_factory.mktemp("synthetic-data")
    write_synthetic_traces(root)
    SHOTS = tmp_path_factory.mktemp("screenshots")        # the committed screenshots show the real traces only
    print(f"no network traces under {data_root()}: the explorer runs on synthetic traces in {root}; screenshots go to {SHOTS}")
    return {**os.environ, DATA_ENV: str(root)}


def _stop_tree(proc: subprocess.Popen, grace_s: float = 30) -> list:
    """Stop `proc` and everything it started (Voila runs in a session of its own, its kernel under it): Ctrl-C first, as
    a user would, then SIGKILL for whatever is left. The processes still alive afterwards (none, unless the kernel refuses)."""
    import psutil
    try: tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess: tree = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try: proc.wait(grace_s)
        except subprocess.TimeoutExpired: pass
    _, alive = psutil.wait_procs(tree, timeout=grace_s)
    for p in alive:
        try: p.kill()
        except psutil.NoSuchProcess: pass
    _, alive = psutil.wait_procs(alive, timeout=grace_s)
    if proc.poll() is None: proc.wait()
    return alive


def start_explore(env: dict, log: Path, ignore_sigint: bool = False) -> tuple[subprocess.Popen, list, str | None]:
    """`python -m bottlefit explore --no-browser --port 0`: the process, its stdout lines so far, and its URL (None if it
    did not print one). `ignore_sigint`: start it as a script's background job is started, with SIGINT ignored."""
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bottlefit", "explore", "--no-browser", "--port", "0"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env, preexec_fn=ignore)
    lines, found = [], threading.Event()
    def read():
        for line in proc.stdout:
            lines.append(line)
            if "http://127.0.0.1:" in line: found.set()
        found.set()
    threading.Thread(target=read, daemon=True).start()
    found.wait(START_S)
    return proc, lines, next((m.group(0) for l in lines for m in [re.search(r"http://127\.0\.0\.1:\d+/", l)] if m), None)


@pytest.fixture(scope="module")
def app(tmp_path_factory, data_root_env):
    "The explorer on the newest results folder: its URL and process; stopped with all it started, whatever the tests did."
    _need_voila()
    log = tmp_path_factory.mktemp("explore") / "voila.log"
    proc, lines, url = start_explore(data_root_env, log)
    try:
        if url is None: pytest.fail(f"explore did not print its address: {''.join(lines)}\n{log.read_text()[-3000:]}")
        yield dict(url=url, proc=proc, lines=lines, log=log)
    finally:
        left = _stop_tree(proc)
        assert not left, f"still running after the explorer was stopped: {left}"


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        print(f"browser: Chromium {b.version}")
        try: yield b
        finally: b.close()


VIEWS = """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(
    (d, i) => [i, (d.data || []).map(t => ({x: Array.from(t.x || []), y: Array.from(t.y || []), text: t.text || null,
                                           visible: t.visible === undefined ? true : t.visible}))]))"""


def _errors(page, origin: str) -> list:
    "Collect the page's console errors and uncaught exceptions; a resource the page tried to load from elsewhere is left out."
    found = []
    def console(msg):
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and not (msg.text.startswith("Failed to load resource") and url and not url.startswith(origin)):
            found.append(f"console: {msg.text} ({url})")
    page.on("console", console)
    page.on("pageerror", lambda e: found.append(f"page error: {e}"))
    return found


def _redraw(page, act, done: str) -> float:
    """Run `act` (a user action) and wait until `done(views, before)` (JavaScript, on the plotted data of the three views
    now and before) holds; the milliseconds from the action to that frame, by the page's clock."""
    page.evaluate(f"() => {{ window.__views = {VIEWS}; window.__before = window.__views(); window.__t0 = performance.now(); }}")
    act()
    page.wait_for_function(f"() => {{ const v = window.__views(), b = window.__before;"
                           f" return [0, 1, 2].every(i => v[i] && v[i].length) && ({done})(v, b) && (window.__t1 = performance.now()); }}",
                           timeout=WAIT_MS, polling="raf")
    return page.evaluate("() => window.__t1 - window.__t0")


def _control(page, kind: str, label: str):
    "The ipywidgets control of class `widget-<kind>` whose description is `label`."
    return page.locator(f".widget-{kind}", has=page.locator("label", has_text=re.compile(f"^{re.escape(label)}$")))


def test_voila_app(browser, app):
    "The Voila app renders the widgets and the three views; the C slider and the link kind redraw them, with no error."
    page = browser.new_page(viewport={"width": 1280, "height": 1150})
    errors = _errors(page, app["url"])
    page.goto(app["url"], timeout=WAIT_MS)
    page.wait_for_function("() => { const p = document.querySelectorAll('.js-plotly-plot');"
                           " return p.length === 3 && [...p].every(d => d.data && d.data.some(t => t.x && t.x.length)); }",
                           timeout=WAIT_MS)
    for kind, label in (("dropdown", "backbone"), ("slider", "C"), ("dropdown", "link"), ("slider", "quality"), ("checkbox", "8-bit BQ")):
        assert _control(page, kind, label).count() == 1, (kind, label)
    page.wait_for_timeout(500)           # let the page settle for the screenshot (no measurement)
    _shot(page, "explorer-voila-before.png", full_page=True)
    before = page.evaluate(VIEWS)
    star = before["0"][2]["text"][0]
    assert "C=3" in star, star

    c_handle = _control(page, "slider", "C").locator(".noUi-handle")
    c_handle.focus()
    c_ms = _redraw(page, lambda: c_handle.press("ArrowRight"),       # every view at C=6
                   "(v, b) => String(v[0][2].text).includes('C=6') && v[1][0].x.at(-1) === 'BottleFit C=6' && v[2][0].x.at(-1) === 'BottleFit C=6'")
    after_c = page.evaluate(VIEWS)
    assert after_c["0"][2]["x"] != before["0"][2]["x"]                 # the current choice moved along the bytes axis
    assert after_c["2"][0]["y"][-1] != before["2"][0]["y"][-1]           # and the split's energy changed with its frame
    assert _control(page, "slider", "C").locator(".widget-readout").inner_text().strip() == "6"

    link = _control(page, "dropdown", "link").locator("select")
    link_ms = _redraw(page, lambda: link.select_option("lte"),        # the transfer bars and the energy follow the link
                      "(v, b) => JSON.stringify(v[1][1].y) !== JSON.stringify(b[1][1].y) && JSON.stringify(v[2][0].y) !== JSON.stringify(b[2][0].y)")
    after_link = page.evaluate(VIEWS)
    assert after_link["1"][0]["y"] == after_c["1"][0]["y"]               # the device's head did not change
    assert "LTE CQI" in page.locator(".widget-html").filter(has_text="LTE CQI").first.inner_text()
    page.wait_for_timeout(500)
    _shot(page, "explorer-voila-after.png", full_page=True)
    assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0     # the explorer's errors output is empty
    print(f"Voila redraw: C slider {c_ms:.0f} ms, link kind {link_ms:.0f} ms (change to new plotted data, page clock)")
    assert errors == []
    page.close()


def test_offline_html(browser, tmp_path, data_root_env, monkeypatch):
    "The offline export renders and its controls work with every request other than the file itself refused."
    from bottlefit.core import DATA_ENV
    from bottlefit.explore import Explorer, explorer_records, write_views_html
    if DATA_ENV in data_root_env: monkeypatch.setenv(DATA_ENV, data_root_env[DATA_ENV])
    html = write_views_html(Explorer(explorer_records()).views_figure(), tmp_path / "explorer.html")
    context = browser.new_context(viewport={"width": 1520, "height": 640})
    refused = []
    def route(r):
        if r.request.url.startswith("file:"): r.continue_()
        else: refused.append(r.request.url); r.abort()
    context.route("**/*", route)
    page = context.new_page()
    errors = _errors(page, "file:")
    page.goto(html.as_uri(), timeout=WAIT_MS)
    page.wait_for_function("() => { const d = document.querySelector('.js-plotly-plot');"
                           " return d && d.data && document.querySelectorAll('.js-plotly-plot .bars path').length > 0; }",
                           timeout=WAIT_MS)
    before = page.evaluate(VIEWS)["0"]
    rail = page.locator(".slider-rail-touch-rect").bounding_box()
    last = page.locator(".slider-label").last.bounding_box()
    page.mouse.click(last["x"] + last["width"] / 2, rail["y"] + rail["height"] / 2)    # the slider's last step: the widest C
    page.wait_for_function(f"() => JSON.stringify(document.querySelector('.js-plotly-plot').data[2].x) !== '{json.dumps(before[2]['x'])}'",
                           timeout=WAIT_MS)
    page.locator(".updatemenu-button").nth(1).click()                 # LTE
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').data[3].visible === false", timeout=WAIT_MS)
    _shot(page, "explorer-offline.png")
    print(f"offline export {html.stat().st_size / 1e6:.1f} MB; requests refused: {len(refused)}")
    assert (refused, errors) == ([], [])
    context.close()


def test_explore_stops_on_ctrl_c(app):
    "Ctrl-C (SIGINT) stops the app: exit status 0, a last word, Voila gone and the port free again."
    proc, port = app["proc"], int(app["url"].rsplit(":", 1)[1].strip("/"))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(START_S) == 0
    assert any("stopping the explorer" in l for l in app["lines"]), app["lines"]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_docs_site(browser, tmp_path):
    """The documentation site (scripts/docs.py, fast mode) opens from disk with the network blocked, and its home page's
    links reach rendered notebooks."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("docs", ROOT / "scripts" / "docs.py")
    docs = importlib.util.module_from_spec(spec)
    sys.modules["docs"] = docs
    spec.loader.exec_module(docs)
    docs.build(tmp_path / "site", fast=True, work=tmp_path / "_proc")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page = context.new_page()
    errors = _errors(page, "file:")
    page.goto((tmp_path / "site" / "index.html").as_uri(), timeout=WAIT_MS)
    links = page.evaluate("() => [...document.querySelectorAll('a[href$=\".html\"]')].map(a => a.getAttribute('href'))")
    pages = {str(docs.page_of(rel)) for rel in docs.site_notebooks() if rel.name != "index.ipynb"}
    assert pages <= set(links), sorted(pages - set(links))
    _shot(page, "docs-index.png", full_page=False)
    page.locator(f'a[href="{sorted(pages)[0]}"]').first.click()
    page.wait_for_selector(".jp-Notebook, .jp-Cell", timeout=WAIT_MS)     # a rendered notebook, not a missing file
    assert page.title(), "the notebook page has no title"
    assert errors == []
    context.close()


def test_a_stopped_app_leaves_no_process(tmp_path, data_root_env):
    """What the fixture's teardown does when a test fails: the explorer, its Voila (a session of its own) and the kernel
    are all gone. Killing only the `explore` process, as this file once did, left Voila and its kernel running."""
    import psutil
    _need_voila()
    proc, lines, url = start_explore(data_root_env, tmp_path / "voila.log")
    assert url is not None, "".join(lines)
    with urllib.request.urlopen(url, timeout=WAIT_MS / 1e3) as r: assert r.status == 200     # Voila starts the kernel
    tree = [proc.pid] + [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) >= 2, tree                                                              # explore and Voila at least
    assert _stop_tree(proc) == []
    assert [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE] == []


def test_a_killed_explorer_takes_voila_with_it(tmp_path, data_root_env):
    """SIGKILL gives `explore` no chance to stop Voila (which runs in a session of its own): Voila is told by the kernel
    (PR_SET_PDEATHSIG) and ends, shutting its kernel down, instead of serving on for good."""
    import psutil
    _need_voila()
    proc, lines, url = start_explore(data_root_env, tmp_path / "voila.log")
    assert url is not None, "".join(lines)
    with urllib.request.urlopen(url, timeout=WAIT_MS / 1e3) as r: assert r.status == 200
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "explore started no Voila"
    proc.kill(); proc.wait()
    _, alive = psutil.wait_procs(children, timeout=START_S)         # a bound for a loaded machine, not a measurement
    for p in alive: p.kill()
    assert alive == [], f"still running after explore was killed: {alive}"


def test_ctrl_c_stops_it_even_when_started_ignoring_it(tmp_path, data_root_env):
    """A background job of a script starts with SIGINT ignored, and Python then leaves it ignored: `explore` installs its
    own handler, so `kill -INT` (and Ctrl-C) still stops it and Voila."""
    import psutil
    _need_voila()
    proc, lines, url = start_explore(data_root_env, tmp_path / "voila.log", ignore_sigint=True)
    assert url is not None, "".join(lines)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    try: assert proc.wait(START_S) == 0
    finally: left = _stop_tree(proc)
    assert any("stopping the explorer" in l for l in lines), lines
    _, alive = psutil.wait_procs(children, timeout=START_S)
    assert (left, alive) == ([], [])
