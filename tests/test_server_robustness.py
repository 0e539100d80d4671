"""Edge-server robustness on loopback: many attackers of each kind at once from 127.0.0.2, well over the slot limit,
while a valid device client on 127.0.0.1 must get the right class within `MARGIN_S`; memory stays bounded; bind errors
and signals end cleanly. Then admission at scale: more devices than slots all answered through the queue, 1,000
devices at once, and a flood of 3,000 connections from one address that costs a valid device nothing.

Attackers run in one thread on non-blocking sockets (little GIL time taken from the server, which runs in a
`ServerThread` of this process); each connection the server drops is reopened after `PAUSE_S`, so the attack lasts.
The tests at scale run the server in a subprocess and the devices as asyncio clients here (`scripts/bench_server.py`,
whose load generator they use); they assert that every request is answered, never how fast.
Run with `-s` to see the figures (valid latency, RSS growth, counters)."""
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch
from torch import nn

import bottlefit.runtime as runtime
from bottlefit.codec import decode, encode
from bottlefit.core import BottleFitError
from bottlefit.runtime import LEN, REQ, DeviceClient, EdgeServer, ServerThread
from script_kit import load_script

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (3, 8, 8)
MARGIN_S = 5.0          # the most a valid request may take under attack: milliseconds, or a grace period (1 s) to wait for a slot
HOSTILE = "127.0.0.2"   # the attackers' address (Linux routes all of 127/8 to lo); valid clients come from 127.0.0.1
SLOTS = 16
PAUSE_S = 0.5           # an attacker reopens a dropped connection after about this (0.5-1.5 x, so they do not all come at once)
TRICKLE_S = 0.5         # slowloris: one byte every half second
TIMEOUTS = dict(request_deadline_s=1.0, read_timeout_s=2.0, idle_timeout_s=1.0, write_timeout_s=0.5)


def tiny_tail():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)).eval()


def inputs(tail, n=5, seed=1):
    "`n` bottlenecks and the class the tail gives each after bq8 coding, computed here."
    g = torch.Generator().manual_seed(seed)
    zs = [torch.randn(SHAPE, generator=g) * 3 for _ in range(n)]
    with torch.no_grad(): expect = [int(tail(decode(encode(z, "bq8"))[None]).argmax(1)) for z in zs]
    return zs, expect


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    return 0.0


def recv_reply(s):
    buf = b""
    while len(buf) < 4: buf += s.recv(4 - len(buf)) or pytest.fail("closed")
    (n,) = LEN.unpack(buf); body = b""
    while len(body) < n: body += s.recv(n - len(body)) or pytest.fail("closed")
    return json.loads(body)


class Attack(threading.Thread):
    """Attack connections driven by this one thread. Kinds: `slowloris` (a valid request, one byte every TRICKLE_S),
    `never_reader` (pipelines valid requests as fast as the socket takes them, never reads), `idle` (sends nothing)."""
    def __init__(self, port: int, kinds: dict, frame: bytes, src: str = HOSTILE):
        super().__init__(daemon=True)
        self.addr, self.src, self.msg = ("127.0.0.1", port), src, REQ.pack(len(frame), 1) + frame
        self.pipeline = self.msg * 512
        self.conns = [dict(kind=k, sock=None, at=0.0, pos=0, drops=0) for k, n in kinds.items() for _ in range(n)]
        self.done, self.connects, self.sent, self.rss_max = threading.Event(), 0, 0, rss_mb()
        self.rng = random.Random(0)

    def drops(self, kind=None) -> int:
        return sum(c["drops"] for c in self.conns if kind is None or c["kind"] == kind)

    def dropped_each(self, kind) -> bool:
        return all(c["drops"] > 0 for c in self.conns if c["kind"] == kind)

    def _tick(self, c, now):
        s = c["sock"]
        if s is None:
            if now < c["at"]: return
            s = socket.socket()
            if c["kind"] == "never_reader":     # a small receive window: the server's writes block after ~100 replies
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            try: s.settimeout(1); s.bind((self.src, 0)); s.connect(self.addr)
            except OSError: s.close(); c["at"] = now + self.pause(); return
            s.setblocking(False); c.update(sock=s, at=now, pos=0); self.connects += 1     # and it starts at once
        try:
            if c["kind"] == "never_reader":
                for _ in range(8):
                    n = s.send(memoryview(self.pipeline)[c["pos"]:])
                    self.sent += n; c["pos"] = (c["pos"] + n) % len(self.pipeline)
                return
            if c["kind"] == "slowloris" and now >= c["at"]:
                s.send(self.msg[c["pos"] % len(self.msg):][:1]); c["pos"] += 1; c["at"] = now + TRICKLE_S
            s.recv(4096)                            # slowloris and idle: nothing to read until the server ends them
            raise ConnectionResetError
        except BlockingIOError: return
        except OSError:
            s.close(); c.update(sock=None, at=now + self.pause(), drops=c["drops"] + 1)

    def pause(self): return PAUSE_S * self.rng.uniform(0.5, 1.5)

    def run(self):
        while not self.done.is_set():
            now = time.monotonic()
            for c in self.conns: self._tick(c, now)
            self.rss_max = max(self.rss_max, rss_mb())
            time.sleep(0.02)
        for c in self.conns:
            if c["sock"] is not None: c["sock"].close()

    def __enter__(self): self.start(); return self

    def __exit__(self, *exc): self.done.set(); self.join(5)


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end: time.sleep(0.02)
    return cond()


def valid_requests(port, zs, expect):
    """Each input on a fresh DeviceClient that sends its (already encoded) frame as soon as it is connected, as a device
    does when it connects to send; then all inputs on one DeviceClient (`infer`). Latencies, asserting each class."""
    lat = []
    for z, e in zip(zs, expect):
        frame = encode(z, "bq8")
        t0 = time.perf_counter()
        with DeviceClient(nn.Identity(), ("127.0.0.1", port), "bq8", timeout_s=MARGIN_S) as c: reply = c.request(frame)
        lat.append(time.perf_counter() - t0)
        assert reply["ok"] and reply["class"] == e, reply
    with DeviceClient(nn.Identity(), ("127.0.0.1", port), "bq8", timeout_s=MARGIN_S) as c:
        for z, e in zip(zs, expect):
            t0 = time.perf_counter(); pred = c.infer(z)["pred"]; lat.append(time.perf_counter() - t0)
            assert pred == e
            time.sleep(0.1)                     # between requests, a device's connection is idle
    assert max(lat) < MARGIN_S, lat
    return lat


@pytest.fixture(scope="module")
def tail(): return tiny_tail()


COUNTER = dict(slowloris="dropped_deadline", never_reader="dropped_write", idle="dropped_idle")


@pytest.mark.parametrize("kind", ["slowloris", "never_reader", "idle"])
def test_one_kind_holding_every_slot(tail, kind):
    """As many attackers of one kind as there are slots, allowed to hold them all (`max_per_address`): valid clients
    wait for the slot of one that shows no progress, are answered, and the attackers are cut."""
    zs, expect = inputs(tail)
    server = EdgeServer(tail, SHAPE, max_clients=SLOTS, max_per_address=SLOTS, **TIMEOUTS)
    with ServerThread(server) as st, Attack(st.port, {kind: SLOTS}, encode(zs[0], "bq8")) as atk:
        assert wait_for(lambda: atk.connects >= SLOTS, 30)
        time.sleep(0.3)
        lat = valid_requests(st.port, zs, expect)
        assert wait_for(lambda: atk.dropped_each(kind), 60), [c["drops"] for c in atk.conns]
        stats = dict(server.stats)
    print(f"\n{kind} x{SLOTS}: valid max {1e3 * max(lat):.1f} ms, median {1e3 * sorted(lat)[len(lat) // 2]:.1f} ms;",
          {k: v for k, v in stats.items() if v and k not in ("bytes_received", "batches")})
    assert stats[COUNTER[kind]] > 0
    assert stats["peak_slots"] == SLOTS           # the attackers did hold every slot
    assert stats["busy"] == 0                     # (and a valid client told busy would have failed above)


def test_all_attacks_at_once_over_the_limit(tail):
    """16 slots; 16 slowloris, 16 never-readers, 16 idle and 120 more idle connections from one address, all reopened
    when dropped: it holds at most its share (8 slots, 8 places in line), the rest are told busy; meanwhile 20 valid
    requests from another address each answered correctly, memory bounded, every attacker cut."""
    zs, expect = inputs(tail)
    server = EdgeServer(tail, SHAPE, max_clients=SLOTS, **TIMEOUTS)
    kinds = dict(slowloris=SLOTS, never_reader=SLOTS, idle=SLOTS + 120)
    with ServerThread(server) as st:
        valid_requests(st.port, zs[:1], expect[:1])                          # warm-up
        rss0 = rss_mb(); t0 = time.monotonic()
        with Attack(st.port, kinds, encode(zs[0], "bq8")) as atk:
            assert wait_for(lambda: atk.connects >= sum(kinds.values()), 30)
            time.sleep(0.5)
            lat = valid_requests(st.port, zs, expect)
            assert wait_for(lambda: all(atk.dropped_each(k) for k in kinds), 60), {k: atk.drops(k) for k in kinds}
            lat += valid_requests(st.port, zs, expect)
            rss_growth, attack_s = atk.rss_max - rss0, time.monotonic() - t0
            stats, open_conns = dict(server.stats), len(server._conns)
        drops = {k: atk.drops(k) for k in kinds}
    print(f"\nflood: {atk.connects} attacker connections in {attack_s:.1f} s ({atk.sent / 2**20:.1f} MiB pipelined by never-readers),"
          f" attackers cut {drops}")
    print(f"valid: {len(lat)} requests, max {1e3 * max(lat):.1f} ms, median {1e3 * sorted(lat)[len(lat) // 2]:.1f} ms")
    print(f"RSS growth during the attack {rss_growth:.1f} MB (bounds for this server: {server.memory_bound / 2**20:.1f} MiB "
          f"buffered in the process, {server.kernel_bound / 2**20:.1f} MiB in kernel socket buffers)")
    print("counters", {k: v for k, v in stats.items() if k != "bytes_received"})
    assert open_conns <= SLOTS
    assert rss_growth < 200, rss_growth
    assert stats["busy"] > 0 and stats["peak_waiting"] <= server.waiting_per_address
    assert stats["dropped_connections"] + stats["evicted"] + stats["busy"] >= sum(kinds.values())
    assert stats["answered"] >= 2 * 2 * len(zs) + 1


def test_any_decode_failure_gets_a_reply(tail, monkeypatch):
    "A frame of another shape, and a decoder raising a plain ValueError, both get an error reply on a connection that stays usable."
    zs, expect = inputs(tail, 1)
    good, wrong = encode(zs[0], "bq8"), encode(torch.zeros(3, 9, 9), "bq8")
    server = EdgeServer(tail, SHAPE)
    with ServerThread(server) as st, socket.create_connection(("127.0.0.1", st.port), timeout=MARGIN_S) as s:
        s.sendall(REQ.pack(len(wrong), 1) + wrong)
        r = recv_reply(s); assert (r["id"], r["ok"]) == (1, False) and "shape" in r["error"], r
        def broken(frame, model=None, shape=None): raise ValueError("not a CodecError")
        monkeypatch.setattr(runtime, "decode", broken)
        s.sendall(REQ.pack(len(good), 2) + good)
        r = recv_reply(s); assert (r["id"], r["ok"]) == (2, False) and "ValueError" in r["error"], r
        monkeypatch.undo()
        s.sendall(REQ.pack(len(good), 3) + good)
        r = recv_reply(s); assert (r["id"], r["ok"], r["class"]) == (3, True, expect[0]), r
    assert server.stats["refused_frames"] == 2 and server.stats["dropped_connections"] == 0


@pytest.mark.parametrize("host,port,words", [("127.0.0.1", "used", "in use"), ("127.0.0.1", 65536, "0-65535"),
                                             ("127.0.0.1", -1, "0-65535"), ("no-such-host.invalid", 0, "unknown host")])
def test_bind_errors_are_one_line(tail, host, port, words):
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        if port == "used": port = blocker.getsockname()[1]
        with pytest.raises(BottleFitError) as e:
            with ServerThread(EdgeServer(tail, SHAPE), host, port): pass
    assert words in str(e.value) and "\n" not in str(e.value), str(e.value)


SERVE = textwrap.dedent("""
    import sys, torch
    from torch import nn
    from bottlefit.runtime import EdgeServer, serve_until_signal
    torch.manual_seed(0)
    tail = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    stats = serve_until_signal(EdgeServer(tail, (3, 8, 8)), "127.0.0.1", 0, on_ready=lambda p: print("PORT", p, flush=True))
    print("RETURNED", stats["answered"], flush=True)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_until_signal_stops_cleanly(tail, sig):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = p.stdout.readline()
        assert line.startswith("PORT"), (line, p.stderr.read() if p.poll() is not None else "")
        port = int(line.split()[1])
        zs, expect = inputs(tail, 1)
        frame = encode(zs[0], "bq8")
        with socket.create_connection(("127.0.0.1", port), timeout=MARGIN_S) as s:
            s.sendall(REQ.pack(len(frame), 1) + frame); assert recv_reply(s)["class"] == expect[0]
            p.send_signal(sig)                                                  # with a connection still open
            out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None: p.kill(); p.wait()
    assert p.returncode == 0, err
    assert f"stopped on {sig.name}; " in out and "answered=1" in out and "RETURNED 1" in out, out
    assert "Traceback" not in err, err


def test_stop_is_prompt_with_a_client_that_does_not_read(tail):
    "stop() cuts a connection stuck on an unread reply at once, instead of waiting for its write timeout."
    zs, _ = inputs(tail, 1)
    server = EdgeServer(tail, SHAPE, write_timeout_s=60)
    st = ServerThread(server).__enter__()
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", st.port)); s.setblocking(False)
    frame = encode(zs[0], "bq8"); burst = (REQ.pack(len(frame), 1) + frame) * 100
    blocked_since = None
    end = time.monotonic() + 10
    while time.monotonic() < end and (blocked_since is None or time.monotonic() - blocked_since < 0.5):
        try: s.send(burst); blocked_since = None
        except BlockingIOError:
            blocked_since = blocked_since or time.monotonic(); time.sleep(0.01)
    assert blocked_since is not None, "the client's sends never blocked"
    t0 = time.monotonic()
    st.__exit__(None, None, None)          # raises TimeoutError if stop() took over 10 s
    print(f"\nstop with a stuck reply took {time.monotonic() - t0:.3f} s after {server.stats['answered']} unread replies")
    assert server.stats["dropped_write"] == 0
    s.close()


# ---------------------------------------------------------------- admission at scale

bench = load_script("bench_server")
LONG = dict(queue_timeout_s=600.0)   # a slow machine must not turn a wait into a busy reply: the tests count, not time
# ... nor a late first byte into an eviction: the 1,000 devices below are coroutines of one process, which on a busy
# machine may send a second or more after the server gave their connection a slot (the server cannot tell that from an
# idle client, so its default grace of 1 s may evict them: right for a server, wrong for a test that counts answers).
PATIENT = dict(LONG, grace_s=60.0)


def need_files(n: int):
    "Skip unless this process may open `n` files (the clients' sockets): the soft limit is raised toward the hard one."
    if bench.raise_nofile(n) < n: pytest.skip(f"needs {n} open files (ulimit -n)")


def loaded(server_kw: dict, clients: int, requests: int, reconnect: bool, **kw) -> tuple[dict, dict]:
    "`clients` devices at once against a server in a subprocess: their tally, and the server's counters."
    frames, expect = bench.inputs()
    with bench.Server(**server_kw) as srv:
        t = asyncio.run(bench.load(srv.port, clients, requests, reconnect, frames, expect, **kw))
    print(f"\n{clients} devices, {'reconnecting' if reconnect else 'kept'}: {t['answered']}/{t['sent']} answered, "
          f"{t['busy']} busy, {t['cut']} cut in {t['seconds']:.1f} s; server", {k: v for k, v in srv.stats.items() if v})
    return t, srv.stats


def all_answered(t: dict):
    assert (t["answered"], t["busy"], t["cut"], t["wrong"]) == (t["sent"], 0, 0, 0), {k: v for k, v in t.items() if k != "latency"}


def test_more_devices_than_slots_are_all_answered_through_the_queue():
    """200 devices behind one address, each keeping its connection, and 16 slots: the first server cut 184 of them
    (a newcomer evicted the least active connection); now the others wait in line and every request is answered."""
    need_files(1024)
    t, stats = loaded(dict(max_clients=16, max_per_address=200, max_waiting=200, **PATIENT), 200, 3, False)
    all_answered(t)
    assert stats["queued"] >= 200 - 16 and stats["evicted"] == 0 and stats["peak_slots"] == 16, stats


@pytest.mark.parametrize("reconnect", [False, True], ids=["kept", "reconnecting"])
def test_a_thousand_devices_at_once(reconnect):
    """1,000 devices behind one address (a NAT), three requests each, on one connection or a new one per request, with
    the default slots, share and queue: every request is answered."""
    need_files(4096)
    t, stats = loaded(PATIENT, 1000, 3, reconnect)
    all_answered(t)
    assert stats["evicted"] == 0 and stats["peak_slots"] <= 512, stats       # one address: at most its share of slots


def test_a_flood_from_one_address_costs_a_valid_device_nothing():
    """3,000 hostile connections from 127.0.0.2 (idle, or stopping after two bytes; each reopened when the server ends
    it) against the default server: a valid device on 127.0.0.1 has every request answered, 10 on new connections and
    10 on one connection, never told busy, never cut."""
    need_files(8192)
    frames, expect = bench.inputs()
    with bench.Server(**LONG) as srv:
        r = asyncio.run(bench.valid_during_flood(srv.port, 3000, 10, frames, expect))
    print(f"\nflood {r['flood']}: valid {r['answered']}/{r['sent']} answered, {r['busy']} busy, {r['cut']} cut; "
          f"server", {k: v for k, v in srv.stats.items() if v})
    assert r["flood"]["all_connected"], r["flood"]
    all_answered(r)
    assert r["sent"] == 20
    assert srv.stats["busy"] > 0, srv.stats                                         # the flood got its share, no more:
    assert srv.stats["peak_slots"] <= 512 + 2 and srv.stats["peak_waiting"] <= 1024, srv.stats   # half the slots and places (+ the valid device: its closing connection and its next)
