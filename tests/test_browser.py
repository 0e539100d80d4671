"""The explorer in a real browser: the Voila app of `python -m bottlefit explore`, driven like a user would (every control,
the results selector, the rate knob) with Playwright and Debian's Chromium; the app over several results folders (one of
them empty), without network traces and behind a token on a loopback alias; the offline HTML export; the documentation
site opened from disk. Every page runs offline: a request to anything but a file or a loopback address is refused and
counted, and none may be made; no console error either. Screenshots go to a folder under pytest's temporary folder,
printed at the start. Without Chromium, Playwright or Voila the tests are skipped and say why; no assertion depends on
how long anything takes (the redraw times are printed, not checked)."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_kit import CHROMIUM, shot
from script_kit import load_script

ROOT = Path(__file__).resolve().parents[1]
SHOTS = None                      # set by the `shots` fixture: a folder under pytest's temporary folder
START_S = 300                     # generous limits for a loaded machine: waits, never measurements
WAIT_MS = 120_000
TOKEN = "class-token-1234"        # the token the guarded app is started with (on a loopback alias)
REDRAWS = {}                      # control -> redraw time in ms, printed at the end of the module


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


def _shot(page, name: str, **kw) -> Path: return shot(page, SHOTS, name, **kw)


@pytest.fixture(scope="module", autouse=True)
def shots(tmp_path_factory):
    "The screenshots' folder, printed; and the redraw times measured, printed at the end."
    global SHOTS
    SHOTS = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots go to {SHOTS}")
    yield SHOTS
    if REDRAWS: print("redraw times (ms, from the user's action to the last view drawn anew, page clock): "
                      + ", ".join(f"{k} {v:.0f}" for k, v in REDRAWS.items()))


@pytest.fixture(scope="module")
def data_root_env(tmp_path_factory) -> dict:
    """The environment the explorer runs in: the real data root where it holds the network traces, else a data root of
    synthetic traces (`bottlefit.system.write_synthetic_traces`), so that a fresh clone without data tests the same code."""
    from bottlefit.core import DATA_ENV, data_root
    from bottlefit.system import write_synthetic_traces
    if (data_root() / "traces").is_dir(): return dict(os.environ)
    root = tmp_path_factory.mktemp("synthetic-data")
    write_synthetic_traces(root)
    print(f"no network traces under {data_root()}: the explorer runs on synthetic traces in {root}")
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


URL = re.compile(r"http://127\.\d+\.\d+\.\d+:\d+/\S*")


def start_explore(env: dict, log: Path, ignore_sigint: bool = False, args: tuple = ()) -> tuple[subprocess.Popen, list, str | None]:
    """`python -m bottlefit explore --no-browser --port 0 ARGS`: the process, its stdout lines so far, and its URL (None if it
    did not print one). `ignore_sigint`: start it as a script's background job is started, with SIGINT ignored."""
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bottlefit", "explore", "--no-browser", "--port", "0", *map(str, args)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env, preexec_fn=ignore)
    lines, found = [], threading.Event()
    def read():
        for line in proc.stdout:
            lines.append(line)
            if URL.search(line): found.set()
        found.set()
    threading.Thread(target=read, daemon=True).start()
    found.wait(START_S)
    return proc, lines, next((m.group(0) for l in lines for m in [URL.search(l)] if m), None)


def _served(env: dict, log: Path, args: tuple = ()):
    "An explorer started with `args`, as a fixture yields it, stopped with all it started afterwards."
    _need_voila()
    proc, lines, url = start_explore(env, log, args=args)
    try:
        if url is None: pytest.fail(f"explore did not print its address: {''.join(lines)}\n{log.read_text()[-3000:]}")
        yield dict(url=url, proc=proc, lines=lines, log=log)
    finally:
        left = _stop_tree(proc)
        assert not left, f"still running after the explorer was stopped: {left}"


@pytest.fixture(scope="module")
def app(tmp_path_factory, data_root_env):
    "The explorer on the newest results folder: its URL and process; stopped with all it started, whatever the tests did."
    yield from _served(data_root_env, tmp_path_factory.mktemp("explore") / "voila.log")


def learned_folder(folder: Path, betas=(0.05, 0.2, 0.5)) -> Path:
    """A results folder: the committed cpu records (learned ones aside) and made-up learned entropy bottlenecks, one per β, from the KD model at
    C=12 (fewer eb bytes and a little less top-1 as β grows; for the controls only), as the study would write them."""
    from bottlefit.presets import LEARNED
    cpu = ROOT / "data" / "results" / "cpu"
    folder.mkdir(parents=True, exist_ok=True)
    for f in cpu.glob("*.json"):            # the committed learned records aside: the made-up ones below stand for them
        if json.loads(f.read_text()).get("job", {}).get("method") not in LEARNED: shutil.copy(f, folder / f.name)
    src = json.loads((cpu / "kd-resnet18-sp1-c12.json").read_text())
    n = src["card"]["bottleneck_elements"]
    for i, b in enumerate(betas):
        acc, bits = {**src["accuracy"], "top1": src["accuracy"]["top1"] - 0.01 * i}, 2.0 / (1 + i)
        rec = {k: v for k, v in src.items() if k not in ("predictions", "model_sha256", "weights")}
        rec.update(name=f"eb-kd-resnet18-sp1-c12-b{b:g}", job={**src["job"], "method": "eb-kd", "beta": b}, accuracy=acc,
                   accuracy_bq8=dict(acc), entropy=dict(codec="eb", tables_hash="0" * 16, images=300, elements=n, bytes=27 + n * bits / 8,
                                                        header=27, payload_bits_per_element=bits, estimated_bits_per_element=bits))
        (folder / f"{rec['name']}.json").write_text(json.dumps(rec))
    return folder


@pytest.fixture(scope="module")
def multi_app(tmp_path_factory, data_root_env):
    "The explorer over three results folders: the committed cpu one, one with learned bottlenecks, an empty one."
    base = tmp_path_factory.mktemp("folders")
    learned, empty = learned_folder(base / "learned"), base / "empty"
    empty.mkdir()
    yield from _served(data_root_env, base / "voila.log", ("--results", ROOT / "data" / "results" / "cpu", learned, empty))


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory):
    """The explorer on a data root without traces, on the loopback alias 127.0.0.2, with a token required (`--token`
    forces it on loopback too, as a non-loopback --host does by itself)."""
    from bottlefit.core import DATA_ENV
    bare = tmp_path_factory.mktemp("no-traces")
    yield from _served({**os.environ, DATA_ENV: str(bare)}, bare / "voila.log", ("--host", "127.0.0.2", "--token", TOKEN))


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
    (d, i) => [i, (d.data || []).map(t => ({name: t.name || null, x: Array.from(t.x || []), y: Array.from(t.y || []),
                                           text: t.text || null, size: t.marker ? t.marker.size : null,
                                           visible: t.visible === undefined ? true : t.visible}))]))"""
LOOPBACK_URL = re.compile(r"^(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/")


def _offline(browser, **context_kw):
    """A browser context in which only files, inline data and loopback addresses answer: every other request is refused,
    and counted in the list returned beside the context."""
    context, refused = browser.new_context(**context_kw), []
    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:")) or LOOPBACK_URL.match(url): r.continue_()
        else: refused.append(url); r.abort()
    context.route("**/*", route)
    return context, refused


def _errors(page, origin: str | None = None) -> list:
    """Collect the page's console errors and uncaught exceptions, every one; with `origin`, a resource the page tried to
    load from elsewhere is left out (the documentation site's pages)."""
    found = []
    def console(msg):
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and not (origin and msg.text.startswith("Failed to load resource") and url and not url.startswith(origin)):
            found.append(f"console: {msg.text} ({url})")
    page.on("console", console)
    page.on("pageerror", lambda e: found.append(f"page error: {e}"))
    return found


def _open(browser, url: str, plots: int = 3, height: int = 1500):
    "`url` in an offline context, once `plots` views are drawn: the context, the page, its console errors, the refused requests."
    context, refused = _offline(browser, viewport={"width": 1280, "height": height})
    page = context.new_page()
    errors = _errors(page)
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_function(f"() => {{ const p = document.querySelectorAll('.js-plotly-plot');"
                           f" return p.length === {plots} && [...p].every(d => d.data && d.data.some(t => t.x && t.x.length)); }}",
                           timeout=WAIT_MS)
    return context, page, errors, refused


def _redraw(page, act, done: str) -> float:
    """Run `act` (a user action) and wait until `done(views, before)` (JavaScript, on the plotted data of the three views
    now and before) holds; the milliseconds from the action to that frame, by the page's clock."""
    page.evaluate(f"() => {{ window.__views = {VIEWS}; window.__before = window.__views(); window.__t0 = performance.now(); }}")
    act()
    page.wait_for_function(f"() => {{ const v = window.__views(), b = window.__before;"
                           f" return [0, 1, 2].every(i => v[i] && v[i].length) && ({done})(v, b) && (window.__t1 = performance.now()); }}",
                           timeout=WAIT_MS, polling="raf")
    return page.evaluate("() => window.__t1 - window.__t0")


PLOTS_SIGNATURE = """() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].map(d =>
    [d.__bf || (d.__bf = (window.__bfIds = (window.__bfIds || 0) + 1)), (d.data || []).map(t => [t.x, t.y, t.visible, t.text])]))"""
SETTLED = """([plots, quiet, limit]) => new Promise((resolve, reject) => {
    const sig = %s, start = performance.now();
    let seen = window.__sig0, last = null;
    const tick = () => {
        const now = performance.now(), s = sig();
        if (s !== seen) { seen = s; last = now; }
        if (last !== null && now - last > quiet && document.querySelectorAll('.js-plotly-plot').length === plots) resolve(last - window.__t0);
        else if (now - start > limit) reject(new Error('the views did not settle'));
        else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})""" % PLOTS_SIGNATURE


def _redraw_all(page, act, plots: int = 3, quiet_ms: int = 1500) -> float:
    """Run `act` and wait until the views have changed and then stayed as they are for `quiet_ms` with `plots` views drawn;
    the milliseconds from the action to the last change (a view drawn anew or its data changed), by the page's clock: what
    a user waits for. A view the action does not touch is not drawn again, so the last change is that of the last view
    that does change."""
    page.evaluate(f"() => {{ window.__sig0 = ({PLOTS_SIGNATURE})(); window.__t0 = performance.now(); }}")
    act()
    return page.evaluate(SETTLED, [plots, quiet_ms, WAIT_MS])


def _control(page, kind: str, label: str):
    "The ipywidgets control of class `widget-<kind>` whose description is `label`."
    return page.locator(f".widget-{kind}", has=page.locator("label", has_text=re.compile(f"^{re.escape(label)}$")))


def _pick(page, label: str, option: str | None = None):
    """The action of choosing `option` (its label, which ipywidgets gives as the option's value; the text shown has
    non-breaking spaces) in the dropdown `label`, or (None) the first option other than its current one."""
    select = _control(page, "dropdown", label).locator("select")
    def act():
        if option is not None: return select.select_option(value=option)
        now = select.input_value()
        select.select_option(value=next(v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v != now))
    return act


def _slide(page, label: str, key: str = "ArrowRight"):
    "The action of moving the slider `label` one step with the keyboard."
    handle = _control(page, "slider", label).locator(".noUi-handle")
    return lambda: (handle.focus(), handle.press(key))


def _current(views: dict) -> dict:
    "The accuracy view's current choice (its last trace)."
    return views["0"][-1]


def _clean(page, errors: list, refused: list):
    "No message box, no stderr output, no console error, no request that left the machine."
    assert page.locator(".bottlefit-message").count() == 0, page.locator(".bottlefit-message").all_inner_texts()
    assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert (errors, refused) == ([], [])


def test_voila_app(browser, app):
    """The Voila app renders the widgets and the three views offline; the C slider and the link kind redraw them as they
    should, then every other control redraws them too (timed), with no error, no console error, no outside request."""
    context, page, errors, refused = _open(browser, app["url"])
    for kind, label in (("dropdown", "backbone"), ("slider", "C"), ("slider", "rate knob β"), ("dropdown", "link"), ("slider", "quality"),
                        ("checkbox", "8-bit BQ")):
        assert _control(page, kind, label).count() == 1, (kind, label)
    page.wait_for_timeout(500)           # let the page settle for the screenshot (no measurement)
    _shot(page, "explorer-voila-before.png", full_page=True)
    before = page.evaluate(VIEWS)
    star = _current(before)["text"][0]
    assert star.startswith("current choice") and "C=3" in star, star
    layouts = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(d => d.layout)")
    assert [l["legend"]["font"]["size"] >= 12 for l in layouts] == [True] * 3
    assert (layouts[0]["xaxis"]["tickmode"], layouts[0]["xaxis"]["title"]["text"], layouts[1]["yaxis"]["title"]["text"]) == \
           ("array", "bytes per image [B]", "delay [ms]")
    assert not any(re.fullmatch(r"[2-9]", t) for t in layouts[0]["xaxis"]["ticktext"]), layouts[0]["xaxis"]["ticktext"]

    c_ms = _redraw(page, _slide(page, "C"),                           # every view at C=6
                   "(v, b) => String(v[0].at(-1).text).includes('C=6') && v[1][0].x.at(-1) === 'BottleFit C=6' && v[2][0].x.at(-1) === 'BottleFit C=6'")
    after_c = page.evaluate(VIEWS)
    assert _current(after_c)["x"] != _current(before)["x"]              # the current choice moved along the bytes axis
    assert after_c["2"][0]["y"][-1] != before["2"][0]["y"][-1]           # and the split's energy changed with its frame
    assert _control(page, "slider", "C").locator(".widget-readout").inner_text().strip() == "6"

    link_ms = _redraw(page, _pick(page, "link", "lte"),               # the transfer bars and the energy follow the link
                      "(v, b) => JSON.stringify(v[1][1].y) !== JSON.stringify(b[1][1].y) && JSON.stringify(v[2][0].y) !== JSON.stringify(b[2][0].y)")
    after_link = page.evaluate(VIEWS)
    assert after_link["1"][0]["y"] == after_c["1"][0]["y"]               # the device's head did not change
    assert "LTE CQI" in page.locator(".widget-html").filter(has_text="LTE CQI").first.inner_text()
    page.wait_for_timeout(500)
    _shot(page, "explorer-voila-after.png", full_page=True)
    REDRAWS.update({"C": c_ms, "link": link_ms})
    for name, act in (("quality", _slide(page, "quality", "ArrowLeft")), ("C back", _slide(page, "C", "ArrowLeft")),
                      ("method", _pick(page, "method", "HND")), ("entropy coder", _pick(page, "entropy coder", "lzma")),
                      ("JPEG input", _pick(page, "JPEG input")), ("device", _pick(page, "device")), ("device model", _pick(page, "device model")),
                      ("edge", _pick(page, "edge")), ("8-bit BQ", lambda: _control(page, "checkbox", "8-bit BQ").locator("input").click()),
                      ("split", _pick(page, "split", "sp2"))):
        REDRAWS[name] = _redraw_all(page, act)
    table = page.locator(".widget-html-content table").first
    cells = table.locator("tbody tr td:nth-child(2)").all_inner_texts()          # bytes sent: whole numbers, thousands separated
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", c) for c in cells) and "e+" not in table.inner_text(), cells
    assert "[ms]" in table.inner_text()
    _shot(page, "explorer-voila-every-control.png", full_page=True)
    _clean(page, errors, refused)
    context.close()


def test_several_results_folders(browser, multi_app):
    """Three results folders in one page: the selector switches them; the learned one has the rate knob, which moves the
    current choice along the learned bottlenecks; the empty one says why it cannot be explored, in words."""
    assert any("empty cannot be explored" in l for l in multi_app["lines"]), multi_app["lines"]     # said once, in the terminal
    context, page, errors, refused = _open(browser, multi_app["url"])
    select = _control(page, "dropdown", "results").locator("select")
    assert select.locator("option").evaluate_all("os => os.map(o => o.value)") == ["cpu", "learned (preset cpu)", "empty"]
    _shot(page, "explorer-folders-cpu.png", full_page=True)
    REDRAWS["results folder"] = _redraw_all(page, lambda: select.select_option(value="learned (preset cpu)"))
    names = [t["name"] for t in page.evaluate(VIEWS)["0"]]
    assert "Learned EB→KD, eb frames (β: rate knob)" in names, names
    for _ in range(3): _redraw_all(page, _slide(page, "C"))             # 3 -> 6 -> 9 -> 12
    REDRAWS["method (learned)"] = _redraw_all(page, _pick(page, "method", "Learned EB→KD"))
    assert _control(page, "dropdown", "entropy coder").locator("select").input_value() == "eb"
    assert "β=0.05" in _current(page.evaluate(VIEWS))["text"][0]
    REDRAWS["rate knob β"] = _redraw_all(page, _slide(page, "rate knob β"))
    views = page.evaluate(VIEWS)
    learned = next(t for t in views["0"] if t["name"].startswith("Learned EB→KD, eb frames"))
    assert "β=0.2" in _current(views)["text"][0] and _current(views)["x"][0] in learned["x"]
    assert sorted(learned["size"]) == [10, 10, 16] and learned["size"][learned["x"].index(_current(views)["x"][0])] == 16
    _shot(page, "explorer-folders-learned.png", full_page=True)
    select.select_option(value="empty")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 0"
                           " && [...document.querySelectorAll('.bottlefit-message')].some(m => m.innerText.includes('holds no records'))",
                           timeout=WAIT_MS)
    message = page.locator(".bottlefit-message").inner_text()
    assert "cannot be explored" in message and "run the study into it" in message and "Traceback" not in page.content(), message
    _shot(page, "explorer-folders-empty.png", full_page=True)
    REDRAWS["results folder (back, built already)"] = _redraw_all(page, lambda: select.select_option(value="cpu"))
    assert page.locator(".bottlefit-message").count() == 0
    _clean(page, errors, refused)
    context.close()


def test_token_and_no_traces(browser, guarded_app):
    """Behind a token on 127.0.0.2: a request without it (or with another) is refused, one with it gets the page. On a data
    root without traces the page draws the accuracy view and says, in words, why the delay and energy views are missing;
    LoRa, modelled, draws them."""
    url, lines = guarded_app["url"], guarded_app["lines"]
    assert url.startswith("http://127.0.0.2:") and url.endswith(f"/?token={TOKEN}"), url
    assert sum(TOKEN in l for l in lines) == 1 and TOKEN not in guarded_app["log"].read_text()     # printed once, by explore only
    assert any(l.startswith("note: no network traces under") for l in lines), lines
    where = urlsplit(url)
    def get(path):
        c = http.client.HTTPConnection(where.hostname, where.port, timeout=WAIT_MS / 1e3)
        try:
            c.request("GET", path); r = c.getresponse(); r.read()
            return r.status, r.getheader("Location") or ""
        finally: c.close()
    for path in ("/", "/?token=another-token-5678", "/api/kernels"):
        status, location = get(path)
        assert status == 403 or (status in (301, 302, 303, 307) and "/login" in location), (path, status, location)
    assert get(f"/?token={TOKEN}")[0] == 200
    context, page, errors, refused = _open(browser, url, plots=1)
    message = page.locator(".bottlefit-message").inner_text()
    assert "The delay and energy views cannot be drawn" in message and "no network traces under" in message and "LoRa" in message, message
    assert page.evaluate(VIEWS)["0"][-1]["name"] == "current choice"                                  # the accuracy view, drawn
    _shot(page, "explorer-no-traces.png", full_page=True)
    REDRAWS["link to LoRa (no traces)"] = _redraw_all(page, _pick(page, "link", "lora"), plots=3)
    assert not page.locator(".bottlefit-message").is_visible()
    _shot(page, "explorer-no-traces-lora.png", full_page=True)
    _clean(page, errors, refused)
    context.close()


def test_offline_html(browser, tmp_path, data_root_env, monkeypatch):
    "The offline export renders and its controls work with every request other than the file itself refused."
    from bottlefit.core import DATA_ENV
    from bottlefit.explore import Explorer, explorer_records, write_views_html
    if DATA_ENV in data_root_env: monkeypatch.setenv(DATA_ENV, data_root_env[DATA_ENV])
    html = write_views_html(Explorer(explorer_records()).views_figure(), tmp_path / "explorer.html")
    context, refused = _offline(browser, viewport={"width": 1620, "height": 660})
    page = context.new_page()
    errors = _errors(page)
    page.goto(html.as_uri(), timeout=WAIT_MS)
    page.wait_for_function("() => { const d = document.querySelector('.js-plotly-plot');"
                           " return d && d.data && document.querySelectorAll('.js-plotly-plot .bars path').length > 0; }",
                           timeout=WAIT_MS)
    ring = "document.querySelector('.js-plotly-plot').data.find(t => t.name === 'current choice')"
    before = page.evaluate(f"() => Array.from({ring}.x)")
    rail = page.locator(".slider-rail-touch-rect").bounding_box()
    last = page.locator(".slider-label").last.bounding_box()
    page.mouse.click(last["x"] + last["width"] / 2, rail["y"] + rail["height"] / 2)    # the slider's last step: the widest C
    page.wait_for_function(f"() => JSON.stringify(Array.from({ring}.x)) !== '{json.dumps(before)}'", timeout=WAIT_MS)
    page.locator(".updatemenu-button").nth(1).click()                 # LTE: WiFi's bars hidden
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').data.find(t => t.name === 'head (device)').visible === false",
                           timeout=WAIT_MS)
    _shot(page, "explorer-offline.png")
    print(f"offline export {html.stat().st_size / 1e6:.1f} MB; requests refused: {len(refused)}")
    assert (refused, errors) == ([], [])
    context.close()


def test_explore_stops_on_ctrl_c(app):
    "Ctrl-C (SIGINT) stops the app: exit status 0, a last word, Voila gone and the port free again."
    proc, port = app["proc"], urlsplit(app["url"]).port
    proc.send_signal(signal.SIGINT)
    assert proc.wait(START_S) == 0
    assert any("stopping the explorer" in l for l in app["lines"]), app["lines"]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_docs_site(browser, tmp_path):
    """The documentation site (scripts/docs.py, every page, rendered without executing: tests/test_docs.py checks the
    executed fast build) opens from disk with the network blocked, and its home page's links reach rendered notebooks."""
    docs = load_script("docs")
    docs.build(tmp_path / "site", work=tmp_path / "_proc", execute_notebooks=False)
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
