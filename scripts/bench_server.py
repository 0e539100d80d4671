"""Edge-server admission benchmark on loopback: many device clients, reconnecting or not, and a flood from one address.

    python scripts/bench_server.py [--loads 50,100,200,1000] [--requests 20] [--flood 3000] [--no-reference]
                                   [--out data/results/bench/server.json] [--markdown]

The server (`bottlefit.runtime.EdgeServer` with its default settings, serving the tiny tail of the robustness tests:
a convolution, pooling and a linear layer on a 3 x 8 x 8 bottleneck) runs in a subprocess, so the load generator does
not share its GIL; the clients are asyncio coroutines in this process, each one device: it sends one bq8 frame, reads
the reply and checks the class, `--requests` times, either on one connection (`kept`) or on a new connection per
request (`reconnecting`, as a device that sleeps between images does). A client that is cut (reset, closed, a timeout)
or told busy loses that request; a kept client that is cut loses the rest. Columns: answered of sent, busy replies,
cut connections, answered requests per second over the whole load, median and p99 latency of the answered requests
(connect included for reconnecting clients) and the server's peak RSS.

Each load row is measured `--rounds` times, the rounds interleaved, each against a fresh server; counts are summed,
rates and latencies are medians, and the server's CPU time per answered request is given too (steadier than req/s on
a busy machine). Rows: each load; the memory per connection (server RSS with `--idle` idle connections, against the server at rest);
the flood (`--flood` hostile connections from 127.0.0.2, idle or stopping after two bytes, each reopened when the server
ends it) with one valid client on 127.0.0.1 meanwhile; and for reference (unless --no-reference) the admission of
revision `REFERENCE` (64 slots, a newcomer evicts the connection with the least progress) under the same loads.
A control: the reference server with 2048 slots, more than any load here, so that it never evicts (`--control-loads`):
what the connection machinery costs at each load, whatever the admission policy.
Linux routes all of 127/8 to the loopback interface: every client binds its socket to its source address.
Results are written atomically to `--out` with their provenance.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import logging
import os
import platform
import random
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from bottlefit.codec import decode, encode  # noqa: E402
from bottlefit.core import atomic_write_json  # noqa: E402
from bottlefit.runtime import LEN, REQ  # noqa: E402

SHAPE = (3, 8, 8)
REFERENCE = "0db9689"          # the last revision whose server evicted the least-progress connection to admit a newcomer
VALID, HOSTILE = "127.0.0.1", "127.0.0.2"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)   # Linux: pick the port at connect, not at bind


@contextlib.asynccontextmanager
async def _deadline(seconds: float):
    "`asyncio.timeout` for Python 3.10 too: TimeoutError once `seconds` have passed."
    task, fired = asyncio.current_task(), []
    h = asyncio.get_running_loop().call_later(seconds, lambda: (fired.append(True), task.cancel()))
    try: yield
    except asyncio.CancelledError:
        if fired: raise TimeoutError from None
        raise
    finally: h.cancel()


deadline = getattr(asyncio, "timeout", _deadline)   # (asyncio.wait_for can swallow a cancel before Python 3.12)


def tiny_tail() -> nn.Module:
    "The tail the robustness tests serve (seeded: the server process builds the same weights)."
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)).eval()


def inputs(n: int = 5, seed: int = 1) -> tuple[list[bytes], list[int]]:
    "`n` bq8 frames and the class the tail gives each, computed here."
    tail, g = tiny_tail(), torch.Generator().manual_seed(seed)
    frames = [encode(torch.randn(SHAPE, generator=g) * 3, "bq8") for _ in range(n)]
    with torch.no_grad(): expect = [int(tail(decode(f)[None]).argmax(1)) for f in frames]
    return frames, expect


def raise_nofile(need: int) -> int:
    "Raise this process's soft RLIMIT_NOFILE toward `need` (at most the hard limit); the soft limit now."
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        try: resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard)); soft = want
        except (ValueError, OSError): pass
    return soft


# ---------------------------------------------------------------- the server, in a subprocess

SERVE = textwrap.dedent("""
    import faulthandler, json, logging, signal, sys, types, torch
    from torch import nn
    faulthandler.register(signal.SIGUSR1)       # a stuck server tells where (in its stderr) before it is killed
    cfg = json.loads(sys.argv[1])
    if cfg.get("runtime_src"):                  # an older runtime.py, for reference
        import bottlefit
        src = cfg["runtime_src"].replace("from .codec import", "from bottlefit.codec import").replace("from .core import", "from bottlefit.core import")
        rt = types.ModuleType("bottlefit_reference_runtime"); sys.modules[rt.__name__] = rt
        exec(compile(src, "reference runtime.py", "exec"), rt.__dict__)
    else:
        import bottlefit.runtime as rt
    torch.manual_seed(0)
    tail = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)).eval()
    server = rt.EdgeServer(tail, tuple(cfg["shape"]), **cfg["server"])
    stats = rt.serve_until_signal(server, "127.0.0.1", 0, on_ready=lambda p: print("PORT", p, flush=True), report=None,
                                  log_level=logging.WARNING)
    stats["max_clients"] = server.max_clients
    print("STATS", json.dumps(stats), flush=True)
""")


class Server:
    "An EdgeServer in a subprocess (`with Server(**kwargs) as s: s.port`); `stats` holds its counters once it has stopped."
    def __init__(self, runtime_src: str | None = None, **server):
        self.cfg = dict(shape=SHAPE, server=server, runtime_src=runtime_src)
        self.stats, self.rss_peak = None, 0.0

    def __enter__(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, json.dumps(self.cfg)], stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=env, cwd=ROOT)
        ready, _, _ = select.select([self.proc.stdout], [], [], 300)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("PORT"):
            self.proc.kill(); self.err.seek(0)
            raise RuntimeError(f"the server did not start: {line!r} {self.err.read()[-2000:]}")
        self.port = int(line.split()[1])
        return self

    def cpu_s(self) -> float:
        "CPU seconds the server process has used so far (all its threads)."
        try: f = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError: return 0.0
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        "The server's resident memory now (MB), and the peak seen by any call."
        try:
            for ln in open(f"/proc/{self.proc.pid}/status"):
                if ln.startswith("VmRSS:"):
                    v = int(ln.split()[1]) / 1024; self.rss_peak = max(self.rss_peak, v); return v
        except OSError: pass
        return 0.0

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try: out, _ = self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGUSR1); time.sleep(1); self.proc.kill(); out, _ = self.proc.communicate()
            line = next((ln for ln in out.splitlines() if ln.startswith("STATS ")), None)
            self.stats = json.loads(line[6:]) if line else None
        self.err.seek(0); self.log = self.err.read(); self.err.close()


# ---------------------------------------------------------------- the clients

async def connect(port: int, src: str):
    "A connection to the server on 127.0.0.1:`port` from source address `src`."
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((src, 0)); s.setblocking(False)
        await asyncio.get_running_loop().sock_connect(s, ("127.0.0.1", port))
        return await asyncio.open_connection(sock=s)
    except BaseException: s.close(); raise


def _shut(w):
    if w is not None: w.close()


def tally() -> dict:
    return dict(sent=0, answered=0, busy=0, cut=0, wrong=0, latency=[])


async def device(port: int, src: str, frames, expect, n: int, reconnect: bool, out: dict, timeout: float, first: int = 0):
    """One device: `n` requests, each checked (`ok`, its id, the right class). Reconnecting: a new connection for each;
    kept: one connection, and when it is cut or told busy, the requests left are lost."""
    w = None
    try:
        for k in range(n):
            f, e = frames[(first + k) % len(frames)], expect[(first + k) % len(frames)]
            out["sent"] += 1
            t0 = time.perf_counter()
            try:
                async with deadline(timeout):
                    if w is None: r, w = await connect(port, src)
                    w.write(REQ.pack(len(f), k + 1) + f)
                    (m,) = LEN.unpack(await r.readexactly(LEN.size))
                    reply = json.loads(await r.readexactly(m))
            except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                out["cut"] += 1; _shut(w); w = None
                if not reconnect: out["sent"] += n - k - 1; return
                continue
            if reply.get("busy"):
                out["busy"] += 1; _shut(w); w = None
                if not reconnect: out["sent"] += n - k - 1; return
                continue
            if reply.get("ok") and reply.get("id") == k + 1 and reply.get("class") == e:
                out["answered"] += 1; out["latency"].append(time.perf_counter() - t0)
            else: out["wrong"] += 1
            if reconnect: _shut(w); w = None
    finally: _shut(w)


def summary(t: dict, secs: float) -> dict:
    lat = sorted(t["latency"])
    pct = lambda q: 1e3 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
    return dict({k: v for k, v in t.items() if k != "latency"}, seconds=secs, req_s=t["answered"] / secs if secs else 0.0,
                p50_ms=pct(0.5), p99_ms=pct(0.99), max_ms=1e3 * lat[-1] if lat else None)


async def load(port: int, clients: int, requests: int, reconnect: bool, frames, expect, sources=(VALID,),
               timeout: float = 120.0, sample=None) -> dict:
    "`clients` devices at once (source addresses in turn from `sources`); their summed tally. `sample()` runs every 0.1 s."
    t = tally()
    async def sampler():
        while True: sample(); await asyncio.sleep(0.1)
    s = asyncio.create_task(sampler()) if sample else None
    t0 = time.perf_counter()
    await asyncio.gather(*(device(port, sources[i % len(sources)], frames, expect, requests, reconnect, t, timeout, first=i)
                           for i in range(clients)))
    secs = time.perf_counter() - t0
    if s: s.cancel()
    return summary(t, secs)


class Flood:
    """`n` hostile connections from `src`: half send nothing, half two bytes of a header and then nothing; each is
    reopened after `pause_s` (0.5-1.5 x) whenever the server ends it. Counts connects, busy replies and ends."""
    def __init__(self, port: int, n: int, src: str = HOSTILE, pause_s: float = 0.5):
        self.port, self.n, self.src, self.pause_s = port, n, src, pause_s
        self.counts = dict(connects=0, busy=0, ended=0, failed=0)
        self.rng, self.stopped, self.open = random.Random(0), False, set()

    async def _one(self, k: int):
        while not self.stopped:
            try:
                async with deadline(10): r, w = await connect(self.port, self.src)
            except (OSError, TimeoutError): self.counts["failed"] += 1; await asyncio.sleep(self.pause_s); continue
            self.counts["connects"] += 1; self.open.add(w)
            try:
                if k % 2: w.write(REQ.pack(1000, 1)[:2])
                data = await r.read()                    # until the server ends it
                if b'"busy": true' in data: self.counts["busy"] += 1
            except OSError: pass
            finally: w.close(); self.open.discard(w)
            self.counts["ended"] += 1
            await asyncio.sleep(self.pause_s * self.rng.uniform(0.5, 1.5))

    async def __aenter__(self):
        self.tasks = [asyncio.create_task(self._one(k)) for k in range(self.n)]
        return self

    async def __aexit__(self, *exc):
        self.stopped = True
        for t in self.tasks: t.cancel()
        _, left = await asyncio.wait(self.tasks, timeout=30)
        for w in list(self.open): w.close()             # a task that missed its cancel reads EOF now, and stops
        if left: await asyncio.wait(left, timeout=30)

    async def connected(self, timeout: float = 120.0) -> bool:
        "Wait until every hostile connection has been opened at least once."
        end = time.monotonic() + timeout
        while self.counts["connects"] < self.n and time.monotonic() < end: await asyncio.sleep(0.1)
        return self.counts["connects"] >= self.n


async def valid_during_flood(port: int, n_flood: int, requests: int, frames, expect, timeout: float = 120.0, sample=None):
    "One valid device on 127.0.0.1, `requests` on new connections and then `requests` on one, while `n_flood` connections flood."
    async with Flood(port, n_flood) as fl:
        ok = await fl.connected()
        t0 = time.perf_counter()
        a = await load(port, 1, requests, True, frames, expect, timeout=timeout, sample=sample)
        b = await load(port, 1, requests, False, frames, expect, timeout=timeout, sample=sample)
        secs = time.perf_counter() - t0
    both = {k: a[k] + b[k] for k in ("sent", "answered", "busy", "cut", "wrong")}
    return dict(both, reconnecting=a, kept=b, flood=dict(fl.counts, all_connected=ok), seconds=secs,
                p99_ms=max(v for v in (a["p99_ms"], b["p99_ms"], 0) if v is not None))


async def idle_memory(server: Server, n: int, sources) -> dict:
    "Server RSS at rest, then with `n` idle connections (from `sources` in turn) after they have been accepted."
    frames, expect = inputs(1)
    await load(server.port, 1, 3, False, frames, expect)            # warm-up: the tail has run, the pools exist
    await asyncio.sleep(0.5)
    base = server.rss_mb()
    conns = [await connect(server.port, sources[i % len(sources)]) for i in range(n)]
    await asyncio.sleep(1.0)
    held = server.rss_mb()
    for _, w in conns: w.close()
    return dict(connections=n, rss_rest_mb=base, rss_idle_mb=held, kb_per_idle=1024 * (held - base) / n)


# ---------------------------------------------------------------- the benchmark

def reference_source() -> str | None:
    r = subprocess.run(["git", "show", f"{REFERENCE}:bottlefit/runtime.py"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def measure(n: int, requests: int, reconnect: bool, frames, expect, runtime_src=None, **server_kw) -> dict:
    "One load against a fresh server: the clients' tally, the server's CPU time, RSS and counters."
    with Server(runtime_src, **server_kw) as srv:
        rest, cpu0 = srv.rss_mb(), srv.cpu_s()
        row = asyncio.run(load(srv.port, n, requests, reconnect, frames, expect, sample=srv.rss_mb))
        cpu = srv.cpu_s() - cpu0
    return dict(row, rss_start_mb=rest, rss_peak_mb=srv.rss_peak, server_cpu_s=cpu, counters=srv.stats)


def combine(label: str, n: int, reconnect: bool, runs: list[dict]) -> dict:
    "The rounds of one row: counts summed, rates and latencies as medians, the largest RSS."
    med = lambda k: statistics.median(v) if (v := [r[k] for r in runs if r[k] is not None]) else None
    return dict(server=label, clients=n, mode="reconnecting" if reconnect else "kept", rounds=len(runs),
                **{k: sum(r[k] for r in runs) for k in ("sent", "answered", "busy", "cut", "wrong")},
                req_s=med("req_s"), req_s_rounds=[round(r["req_s"], 1) for r in runs], p50_ms=med("p50_ms"), p99_ms=med("p99_ms"),
                cpu_us=statistics.median(1e6 * r["server_cpu_s"] / max(r["answered"], 1) for r in runs),
                rss_start_mb=min(r["rss_start_mb"] for r in runs), rss_peak_mb=max(r["rss_peak_mb"] for r in runs), runs=runs)


def run_rows(args, loads, frames, expect, runtime_src=None, label="this server", **server_kw) -> list[dict]:
    "Every load in both modes, `args.rounds` times, the rounds interleaved (a busy machine slows all rows alike)."
    runs = {}
    for k in range(args.rounds):
        for n in loads:
            for reconnect in (False, True):
                r = measure(n, args.requests, reconnect, frames, expect, runtime_src, **server_kw)
                runs.setdefault((n, reconnect), []).append(r)
                print(f"  round {k + 1}: {label}, {n} {'reconnecting' if reconnect else 'kept'}: {r['answered']}/{r['sent']}, "
                      f"{r['req_s']:.0f} req/s", file=sys.stderr, flush=True)
    rows = [combine(label, n, rec, rs) for (n, rec), rs in runs.items()]
    for r in rows:
        base = next((b for b in rows if b["clients"] == min(loads) and b["mode"] == r["mode"]), None)
        r["of_smallest"] = r["req_s"] / base["req_s"] if base and base["req_s"] else None
    return rows


COLS = ("server", "clients", "mode", "answered", "busy", "cut", "req/s", "of 50", "p50 ms", "p99 ms", "server CPU µs/req",
        "server RSS MB")


def fmt(row: dict) -> str:
    ms = lambda v: "-" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
    rel = row.get("of_smallest")
    cells = (row["server"], str(row["clients"]), row["mode"], f"{row['answered']:,} / {row['sent']:,}", f"{row['busy']:,}",
             f"{row['cut']:,}", f"{row['req_s']:,.0f}", "-" if rel is None else f"{100 * rel:.0f} %", ms(row["p50_ms"]),
             ms(row["p99_ms"]), "-" if row.get("cpu_us") is None else f"{row['cpu_us']:,.0f}", f"{row['rss_peak_mb']:.0f}")
    return "| " + " | ".join(cells) + " |"


def provenance(argv) -> dict:
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").is_file() else platform.processor()
    return dict(command=" ".join(["python", "scripts/bench_server.py", *argv]), git_revision=git("rev-parse", "HEAD") or None,
                git_dirty=bool(git("status", "--porcelain", "--untracked-files=no")),
                versions=dict(python=platform.python_version(), torch=torch.__version__),
                machine=dict(platform=platform.platform(), cpu=cpu, cpus=os.cpu_count(),
                             load_average_at_start=[round(v, 2) for v in os.getloadavg()],
                             nofile=list(resource.getrlimit(resource.RLIMIT_NOFILE))),
                date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                tail="tiny: Conv2d(3, 8, 3) + ReLU + global pooling + Linear(8, 10) on a 3 x 8 x 8 bq8 bottleneck")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ints = lambda s: [int(v) for v in s.split(",") if v]
    ap.add_argument("--loads", type=ints, default=[50, 100, 200, 1000], help="numbers of concurrent clients, comma-separated")
    ap.add_argument("--requests", type=int, default=20, help="requests per client")
    ap.add_argument("--rounds", type=int, default=3, help="measurements of each load row, interleaved; medians reported")
    ap.add_argument("--flood", type=int, default=3000, help="hostile connections from 127.0.0.2 (0: no flood row)")
    ap.add_argument("--flood-requests", type=int, default=50, help="requests of the valid client during the flood, per mode")
    ap.add_argument("--idle", type=int, default=1000, help="idle connections for the memory row (0: none)")
    ap.add_argument("--reference-loads", type=ints, default=[50, 200], help="loads for the reference server's rows")
    ap.add_argument("--control-loads", type=ints, default=[50, 1000],
                    help="loads for the reference server with 2048 slots, never full (no eviction): a control ('' for none)")
    ap.add_argument("--no-reference", action="store_true", help=f"skip the rows of revision {REFERENCE}'s server")
    ap.add_argument("--out", default=str(ROOT / "data" / "results" / "bench" / "server.json"), help="JSON record ('' for none)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    raise_nofile(4 * max([*args.loads, args.flood, args.idle, 256]) + 1024)
    prov = provenance(argv)
    frames, expect = inputs()
    print(f"bench_server: git {(prov['git_revision'] or '?')[:10]}{'-dirty' if prov['git_dirty'] else ''}, {prov['date']}, "
          f"Python {prov['versions']['python']}, torch {prov['versions']['torch']}, {prov['machine']['cpu']}, "
          f"{prov['machine']['cpus']} CPUs, load average {prov['machine']['load_average_at_start']}", flush=True)
    rows = run_rows(args, args.loads, frames, expect)
    src = None if args.no_reference else reference_source()
    ref = run_rows(args, args.reference_loads, frames, expect, src, f"{REFERENCE} (64 slots, evicts)") if src else []
    if src and args.control_loads:          # the same old server with more slots than clients: the cost of the machinery alone
        ref += run_rows(args, args.control_loads, frames, expect, src, f"{REFERENCE} (2048 slots, never full)", max_clients=2048)
    memory = flood = None
    if args.idle:
        with Server() as srv:
            memory = asyncio.run(idle_memory(srv, args.idle, [f"127.0.1.{i}" for i in range(1, 9)]))
        memory["max_clients"] = srv.stats["max_clients"]
        for r in rows:
            if r["clients"] == max(args.loads): r["kb_per_active"] = 1024 * (r["rss_peak_mb"] - r["rss_start_mb"]) / r["clients"]
    if args.flood:
        with Server() as srv:
            srv.rss_mb()
            flood = asyncio.run(valid_during_flood(srv.port, args.flood, args.flood_requests, frames, expect, sample=srv.rss_mb))
        flood.update(server="this server", clients=f"1 + flood of {args.flood:,} from {HOSTILE}", mode="both", p50_ms=None,
                     rss_peak_mb=srv.rss_peak, counters=srv.stats, req_s=flood["answered"] / flood["seconds"], cpu_us=None)
    print(f"\n{args.requests} requests per client; req/s, p50, p99, server CPU: median of {args.rounds} rounds; "
          f"of 50: req/s against the {min(args.loads)}-client row of the same mode\n")
    print("| " + " | ".join(COLS) + " |\n|" + "---|" * len(COLS))
    for r in rows + ([flood] if flood else []) + ref: print(fmt(r))
    if memory:
        print(f"\nmemory: server RSS {memory['rss_rest_mb']:.1f} MB at rest, {memory['rss_idle_mb']:.1f} MB with "
              f"{memory['connections']:,} idle connections: {memory['kb_per_idle']:.1f} kB each (max_clients {memory['max_clients']})")
        for r in rows:
            if "kb_per_active" in r:
                print(f"  {r['clients']:,} active devices ({r['mode']}): peak {r['rss_peak_mb']:.1f} MB from {r['rss_start_mb']:.1f} MB "
                      f"at the start: {r['kb_per_active']:.1f} kB per device")
    if flood:
        print(f"flood: the valid client on {VALID}: {flood['answered']} of {flood['sent']} answered, {flood['busy']} busy, "
              f"{flood['cut']} cut, p99 {flood['p99_ms']:.1f} ms; hostile {flood['flood']}; server counters "
              + " ".join(f"{k}={v}" for k, v in flood["counters"].items() if v and k not in ("bytes_received",)))
    record = dict(provenance=prov, requests_per_client=args.requests, rounds=args.rounds, loads=rows, memory=memory, flood=flood,
                  reference=ref)
    if args.out: print(f"\nwrote {atomic_write_json(args.out, record)}")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
