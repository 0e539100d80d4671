"""Fuzzing `bottlefit.codec.decode` with hostile frames.

Valid frames of every codec (fp32, fp16, bq8, bq8-zlib, bq8-lzma, bq8-rans with a fitted SymbolModel, and the
learned-entropy eb with its EntropyTables), small ones and ones at the size limits, then many hostile variants: bit
flips, truncation, extension, random header fields, payloads swapped with a consistent length field, random shapes,
overflowing shapes (all dimensions 65,535), products just over the limits, zlib/lzma bombs (gigabytes of zeros under
a small, limit-sized or huge shape), NaN/inf float payloads, bq8 scales of 3.4e38, FLT_MAX, inf, nan, 0, negative and
subnormal, junk rANS payloads, wrong symbol models, expected shapes that match or not, and random bytes. eb frames
carry a checksum, so every mutation of one is refused; junk eb payloads under a correct checksum (what a hostile
sender can write) reach the ANS decoder, small and at the size limit, as do wrong, missing or foreign tables.

Every case must end as a finite float32 tensor of the shape its header announces (and the caller's expected shape),
or as a `CodecError`; any other exception fails the test. Each case is bounded in cost:
- peak memory <= 64 MB, measured with tracemalloc (deterministic). numpy, zlib and lzma allocate through it; decode
  makes no torch allocation of its own (it wraps a numpy array), and the output's element count is checked against
  MAX_ELEMENTS as well;
- CPU time of the decoding thread <= 100 ms, measured with time.thread_time() (not wall time, so machine load
  cannot fail it), with the garbage collector paused and torch held to one thread so no work hides elsewhere.
  The real worst case is ~15 ms, so the bound has a wide margin.
Seeded and deterministic; a few seconds. `python tests/test_codec_fuzz.py` prints the figures.
"""
import functools
import gc
import lzma
import struct
import time
import tracemalloc
import zlib
from collections import Counter

import numpy as np
import torch

from bottlefit.codec import (CODECS, FRAME_CODECS, MAGIC, MAX_ELEMENTS, MAX_RANS_ELEMENTS, MAX_SCALE, VERSION, CodecError,
                             SymbolModel, decode, encode, header_size, quantize, rans_encode)
from bottlefit.entropy import EntropyTables, max_payload_bytes, quantize_pmf

SEED = 0
CPU_LIMIT_S = 0.100
PEAK_LIMIT_BYTES = 64 << 20
F32_MAX = float(np.finfo(np.float32).max)


def f32_bytes(x: float) -> bytes: return np.array([x], "<f4").tobytes()


def raw_frame(codec, dims, payload=b"", scale=1.0, zero=0, model_id=0, plen=None, tables_hash=bytes(8)) -> bytes:
    """A frame with any header fields (`scale` a float or 4 raw bytes) and any payload: what a hostile client can send.
    An eb frame gets a correct checksum over whatever it holds, as a hostile sender can compute one."""
    head = struct.pack("<2sBBB", MAGIC, VERSION, FRAME_CODECS.index(codec), len(dims)) + struct.pack(f"<{len(dims)}H", *dims)
    if codec.startswith("bq8"): head += (scale if isinstance(scale, bytes) else f32_bytes(scale)) + bytes([zero])
    if codec == "bq8-rans": head += struct.pack("<I", model_id)
    tail = struct.pack("<I", len(payload) if plen is None else plen) + payload
    if codec == "eb":
        head += tables_hash
        head += struct.pack("<I", zlib.crc32(tail, zlib.crc32(head)))
    return head + tail


def laplace_tables(C: int, half: int = 30, median: float = 0.0) -> EntropyTables:
    "Entropy tables of discretized Laplace densities of scale 1 + c over -half..half: a trained density's stand-in."
    xs = np.arange(-half, half + 1)
    cdf = [np.concatenate([[0], np.cumsum(quantize_pmf(np.append(np.exp(-np.abs(xs) / (1 + c)), 1e-6)))]) for c in range(C)]
    return EntropyTables(np.array(cdf), [len(xs) + 1] * C, [-half] * C, np.full(C, median))


def hdr_len(frame: bytes) -> int:
    "Header size of a well-formed frame."
    return header_size(FRAME_CODECS[frame[3]], frame[4])


def announced(frame: bytes) -> tuple:
    "The shape a frame's header announces (only read after decode accepted the frame)."
    return struct.unpack_from(f"<{frame[4]}H", frame, 5)


@functools.lru_cache(maxsize=None)
def zeros_bomb(codec: str, size: int, chunk: int = 1 << 20) -> bytes:
    "A valid zlib or raw LZMA2 stream of `size` zero bytes, made of one compressed `chunk` repeated."
    z, k = bytes(chunk), size // chunk
    if codec == "bq8-lzma":
        s = lzma.compress(z, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 6, "dict_size": chunk}])
        return s[:-1] * k + b"\0"          # each copy starts with a dictionary reset; a 0 byte ends the stream
    c = zlib.compressobj(9)
    first, again = c.compress(z) + c.flush(zlib.Z_FULL_FLUSH), c.compress(z) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (k - 1) + c.flush()[:-4] + struct.pack(">I", (size % 65521) << 16 | 1)   # adler32 of zeros


def make_cases(seed: int = SEED):
    "Deterministic list of (category, frame, symbol model, expected shape or None), and the fitted model."
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    sm = SymbolModel.fit(quantize(torch.relu(torch.randn(32, 3, 29, 29, generator=gen))).codes.numpy())
    other = SymbolModel.fit(np.zeros(1, np.uint8))
    cases = []
    add = lambda cat, f, model=sm, shape=None: cases.append((cat, bytes(f), model, shape))

    # valid frames: small tensors of every codec, then the worst cases at the size limits
    small = [torch.relu(torch.randn(3, 29, 29, generator=gen)), torch.randn(12, 29, 29, generator=gen) * 50,
             torch.relu(torch.randn(3, 9, 9, generator=gen)),
             torch.randn(7, generator=gen), torch.full((2, 3, 4, 5), -2.5), torch.zeros(1), torch.ones(1, 1, 1, 1) * 1e-30]
    valid = [encode(x, c, sm) for x in small for c in CODECS]
    bases = [f for f in valid if np.prod(announced(f)) <= 243]       # mutated below: small, so the passes stay quick
    for f in valid:
        add("valid", f)
        add("valid+shape", f, shape=announced(f))
        add("shape-mismatch", f, shape=announced(f)[:-1] + (announced(f)[-1] % 65535 + 1,))
    busy = torch.from_numpy(np.clip(rng.normal(128, 60, (512, 512)), 0, 255).astype(np.float32))   # high-entropy codes
    for c in ("fp32", "fp16", "bq8", "bq8-zlib", "bq8-lzma"): add("valid-at-limit", encode(busy, c))
    codes = rng.choice(256, MAX_RANS_ELEMENTS, p=sm.freq / sm.freq.sum()).astype(np.uint8)   # the slowest rANS frame
    add("valid-at-limit", raw_frame("bq8-rans", (256, 256), rans_encode(codes, sm), 0.01, 3, sm.id))
    mode = np.full(2523, int(np.argmax(sm.freq)), np.uint8)            # the fewest payload bytes for the symbols
    add("valid", raw_frame("bq8-rans", (3, 29, 29), rans_encode(mode, sm), 0.01, 3, sm.id))
    add("valid-at-limit", raw_frame("bq8", (64, 64, 64), rng.integers(0, 256, MAX_ELEMENTS, dtype=np.uint8).tobytes(), 0.5, 7))
    cases += eb_cases(rng, gen, sm)

    # mutations of the small valid frames
    for i in range(2400):
        f = bytearray(bases[i % len(bases)])
        hdr = hdr_len(f)
        op = i // len(bases) % 7
        if op == 0:                                                     # bit flips
            for _ in range(rng.integers(1, 9)):
                p = rng.integers(0, len(f)); f[p] ^= 1 << int(rng.integers(0, 8))
            add("bit-flip", f)
        elif op == 1:                                                   # random bytes set anywhere
            for _ in range(rng.integers(1, 5)): f[rng.integers(0, len(f))] = rng.integers(0, 256)
            add("byte-set", f)
        elif op == 2: add("truncate", f[:rng.integers(0, len(f))])
        elif op == 3: add("extend", f + rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes())
        elif op == 4:                                                   # random header fields
            p = int(rng.integers(0, hdr)); w = int(rng.integers(1, 5))
            f[p:p + w] = rng.integers(0, 256, min(w, hdr - p), dtype=np.uint8).tobytes()
            add("header-field", f)
        elif op == 5:                                                   # corrupt payload, length field kept consistent
            body = bytearray(f[hdr:])
            if len(body):
                for _ in range(rng.integers(1, 4)): body[rng.integers(0, len(body))] = rng.integers(0, 256)
            body = body[:rng.integers(0, len(body) + 1)] + rng.integers(0, 256, rng.integers(0, 8), dtype=np.uint8).tobytes()
            add("payload+length", f[:hdr - 4] + struct.pack("<I", len(body)) + body)
        else:                                                           # another frame's payload under this header
            g = bases[rng.integers(0, len(bases))]
            add("payload-swap", f[:hdr - 4] + struct.pack("<I", len(g) - hdr_len(g)) + g[hdr_len(g):])

    # random shapes announced by well-formed headers
    for i in range(240):
        c = CODECS[i % len(CODECS)]
        ndim = int(rng.integers(1, 5))
        dims = tuple(int(d) for d in (rng.integers(1, 65536, ndim) if i % 2 else rng.integers(1, 40, ndim)))
        payload = rng.integers(0, 256, rng.integers(0, 4096), dtype=np.uint8).tobytes()
        add("random-dims", raw_frame(c, dims, payload, float(rng.uniform(1e-3, 10)), int(rng.integers(0, 256)), sm.id))

    # overflowing shapes and products just over the limits
    tiny_bomb = zeros_bomb("bq8-lzma", 1 << 20)
    for c in CODECS:
        for ndim in range(1, 5):
            for payload in (b"", bytes(64), tiny_bomb):
                add("overflow-shape", raw_frame(c, (65535,) * ndim, payload, 1.0, 0, sm.id))
        for dims in ((512, 513), (5, 52429), (1, 2, 131, 1001), (65535, 5)):       # MAX_ELEMENTS + a little
            add("over-limit", raw_frame(c, dims, bytes(4 * 512 * 513 if c == "fp32" else 2 * 512 * 513), 1.0, 0, sm.id))
    for dims in ((2, 32769), (257, 256), (3, 21846)):                               # MAX_RANS_ELEMENTS + a little
        add("over-limit", raw_frame("bq8-rans", dims, rans_encode(np.zeros(8, np.uint8), sm), 1.0, 0, sm.id))

    # compression bombs: gigabytes of zeros under a small, limit-sized, just-over or huge shape
    for c in ("bq8-zlib", "bq8-lzma"):
        for size in (1 << 30, 4 << 30):
            bomb = zeros_bomb(c, size)
            for dims in ((3, 29, 29), (512, 512), (512, 513), (65535,) * 4, (1,)):
                add("bomb", raw_frame(c, dims, bomb))
                add("bomb", raw_frame(c, dims, bomb[:len(bomb) // 2]))            # a bomb cut short
            add("bomb", raw_frame(c, (3, 29, 29), bomb), shape=(3, 29, 28))          # refused before inflating
            add("bomb", raw_frame(c, (3, 29, 29), bomb), shape=(3, 29, 29))

    # non-finite float payloads
    for i in range(120):
        x = small[i % 3].clone()
        f = bytearray(encode(x, "fp32" if i % 2 else "fp16"))
        hdr, width = hdr_len(f), 4 if i % 2 else 2
        k = int(rng.integers(0, (len(f) - hdr) // width))
        bad = [f32_bytes(v) for v in (np.nan, np.inf, -np.inf)] if width == 4 else \
              [struct.pack("<H", b) for b in (0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF)]
        f[hdr + k * width: hdr + (k + 1) * width] = bad[i // 2 % len(bad)]
        add("non-finite-float", f)

    # bq8 scales: overflowing, non-finite, zero, negative, subnormal, at and just over MAX_SCALE
    scales = [3.4e38, F32_MAX, float("inf"), float("-inf"), float("nan"), 0.0, -0.0, -1.0, -3.4e38, 1e-45, 1e-40,
              MAX_SCALE, float(np.nextafter(np.float32(MAX_SCALE), np.float32(np.inf))), 1.0]
    for c in ("bq8", "bq8-zlib", "bq8-lzma", "bq8-rans"):
        base = encode(small[0], c, sm)
        for s in scales:
            for zero in (0, 255):
                add("bq8-scale", base[:11] + f32_bytes(s) + bytes([zero]) + base[16:])
    add("bq8-scale", raw_frame("bq8", (512, 512), bytes(range(256)) * 1024, 3.4e38, 0))       # all of it would be inf
    for s in scales:
        add("bq8-scale", raw_frame("bq8", (2,), bytes([0, 255]), s, 0))
        add("bq8-scale", raw_frame("bq8", (2,), bytes([0, 255]), s, 255))

    # junk rANS payloads at the rANS limit, and wrong or missing symbol models
    for i in range(60):
        payload = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        add("rans-junk", raw_frame("bq8-rans", (256, 256), payload, 0.1, 0, sm.id))
    for f in valid[5::len(CODECS)]:
        add("wrong-model", f, model=None)
        add("wrong-model", f, model=other)

    # random bytes, some behind a valid magic and version
    for i in range(400):
        junk = rng.integers(0, 256, rng.integers(0, 64), dtype=np.uint8).tobytes()
        add("random-bytes", (MAGIC + bytes([VERSION]) + junk) if i % 2 else junk)
    return cases, sm


def eb_cases(rng, gen, sm) -> list:
    "eb frames: valid ones, every kind of mutation (all refused: the checksum), junk under a correct checksum, wrong tables."
    tab, tab4, other = laplace_tables(3, median=0.25), laplace_tables(4), laplace_tables(3, median=0.5)
    cases = []
    add = lambda cat, f, model=tab, shape=None: cases.append((cat, bytes(f), model, shape))
    lat = [torch.randn(3, 29, 29, generator=gen) * 3, torch.randn(3, 9, 9, generator=gen) * 40, torch.full((3, 1), -2.5),
           torch.randn(3, 2, 2, 2, generator=gen) * 1e4]                # the last two: mostly escapes, clamped values
    valid = [encode(x, "eb", tab) for x in lat]
    for f in valid:
        add("valid", f)
        add("valid+shape", f, shape=announced(f))
        add("shape-mismatch", f, shape=announced(f)[:-1] + (announced(f)[-1] % 65535 + 1,))
        for model in (None, sm, other, tab4): add("wrong-model", f, model=model)
    codes = rng.integers(-40, 41, (4, 256, 256)).astype(np.float32)      # |v| > 30: escapes, a quarter of them
    add("valid-at-limit", encode(torch.from_numpy(codes), "eb", tab4), model=tab4)
    bases = valid[1:]
    for i in range(600):                                               # every mutation fails the checksum or a header check
        base = bases[i % len(bases)]
        f, op = bytearray(base), i // len(bases) % 5
        if op == 0:
            for _ in range(rng.integers(1, 9)): p = rng.integers(0, len(f)); f[p] ^= 1 << int(rng.integers(0, 8))
        elif op == 1: f[rng.integers(0, len(f))] ^= int(rng.integers(1, 256))
        elif op == 2: f = f[:rng.integers(0, len(f))]
        elif op == 3: f += rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes()
        else:                                                          # another payload, the length field made consistent
            g = valid[int(rng.integers(0, len(valid)))]
            f = f[:hdr_len(base) - 4] + struct.pack("<I", len(g) - hdr_len(g)) + g[hdr_len(g):]
        if bytes(f) != base: add("eb-mutated", f)
    for i in range(200):                                               # junk under a correct checksum: the ANS decoder's turn
        dims = ((3, 9, 9), (3, 29, 29), (3, 1), (3, 2, 2, 2))[i % 4]
        words = rng.integers(0, 1 << 32, int(rng.integers(0, 60)), dtype=np.uint64).astype("<u4")
        add("eb-junk", raw_frame("eb", dims, words.tobytes(), tables_hash=tab.hash))
    for i in range(20):
        words = rng.integers(0, 1 << 32, int(rng.integers(1, 3000)), dtype=np.uint64).astype("<u4")
        add("eb-junk", raw_frame("eb", (4, 256, 256), words.tobytes(), tables_hash=tab4.hash), model=tab4)
    for dims in ((3, 65535, 65535, 65535), (3, 512, 175), (4, 256, 257)):
        add("over-limit", raw_frame("eb", dims, bytes(64), tables_hash=tab.hash))
    for plen in (max_payload_bytes(243) + 4, 1 << 20):                   # longer than 243 symbols can take
        add("eb-long", raw_frame("eb", (3, 9, 9), bytes(plen - 4) + b"\1\0\0\0", tables_hash=tab.hash))
    return cases


def _decode_checked(cat, frame, model, shape):
    "Decode one case: 'decoded' (checked) or 'CodecError'; anything else fails with the case named."
    try: out = decode(frame, model, shape=shape)
    except CodecError: return "CodecError"
    except Exception as e: raise AssertionError(f"{cat}: {type(e).__name__} escaped decode: {e}") from e
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32, (cat, type(out))
    assert tuple(out.shape) == announced(frame), (cat, tuple(out.shape), announced(frame))
    assert shape is None or tuple(out.shape) == tuple(shape), (cat, tuple(out.shape), shape)
    assert out.numel() <= MAX_ELEMENTS, (cat, out.numel())
    assert bool(np.isfinite(out.numpy()).all()), cat
    return "decoded"


def run_fuzz(seed: int = SEED) -> dict:
    "Decode every case twice (once under tracemalloc, once for CPU time); outcomes and the worst costs."
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cases, _ = make_cases(seed)
        for cat, f, m, s in cases[:50]: _decode_checked(cat, f, m, s)        # warm up (first calls, lazy imports)
        outcomes, peaks, cpus = Counter(), [], []
        tracemalloc.start()
        try:
            for cat, f, m, s in cases:
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                outcomes[(cat, _decode_checked(cat, f, m, s))] += 1
                peaks.append(tracemalloc.get_traced_memory()[1] - base)
        finally: tracemalloc.stop()
        gc.collect(); gc.disable()
        try:
            for cat, f, m, s in cases:
                t = time.thread_time()
                _decode_checked(cat, f, m, s)
                cpus.append(time.thread_time() - t)
        finally: gc.enable()
    finally: torch.set_num_threads(threads)
    i, j = int(np.argmax(cpus)), int(np.argmax(peaks))
    worst = {}
    for (cat, *_), cpu, peak in zip(cases, cpus, peaks):
        c0, p0 = worst.get(cat, (0.0, 0))
        worst[cat] = (max(c0, cpu), max(p0, peak))
    return dict(cases=len(cases), outcomes=outcomes, worst_by_category=worst, worst_cpu_s=cpus[i], worst_cpu_case=cases[i][0],
                worst_cpu_frame_bytes=len(cases[i][1]), worst_peak_bytes=peaks[j], worst_peak_case=cases[j][0],
                worst_peak_frame_bytes=len(cases[j][1]))


def test_codec_fuzz():
    r = run_fuzz()
    by = Counter()
    for (cat, out), k in r["outcomes"].items(): by[out] += k
    assert by["decoded"] > 100 and by["CodecError"] > 1000, by             # both outcomes are exercised
    for cat in ("overflow-shape", "over-limit", "non-finite-float", "shape-mismatch", "rans-junk", "wrong-model", "eb-mutated", "eb-long"):
        assert r["outcomes"][(cat, "decoded")] == 0, cat                   # these are always refused
    assert r["outcomes"][("bomb", "decoded")] == 0
    assert r["outcomes"][("valid", "decoded")] == r["outcomes"][("valid+shape", "decoded")] + 1 > 1
    assert r["outcomes"][("valid-at-limit", "decoded")] == 8
    assert r["outcomes"][("eb-mutated", "CodecError")] > 500 and r["outcomes"][("eb-junk", "CodecError")] > 10
    assert r["worst_peak_bytes"] <= PEAK_LIMIT_BYTES, r
    assert r["worst_cpu_s"] <= CPU_LIMIT_S, r


def test_bq8_scale_outcomes():
    "Finite positive scales up to MAX_SCALE decode (subnormal included), every other scale is refused."
    for s, ok in ((MAX_SCALE, True), (1e-45, True), (1.0, True), (3.4e38, False), (F32_MAX, False), (float("inf"), False),
                  (float("nan"), False), (0.0, False), (-0.0, False), (-1.0, False),
                  (float(np.nextafter(np.float32(MAX_SCALE), np.float32(np.inf))), False)):
        f = raw_frame("bq8", (2,), bytes([0, 255]), s, 0)
        if ok: assert bool(torch.isfinite(decode(f)).all()), s
        else:
            try: decode(f)
            except CodecError as e: assert "quantization scale" in str(e), (s, e)
            else: raise AssertionError(f"scale {s} was accepted")


if __name__ == "__main__":
    t = time.perf_counter()
    r = run_fuzz()
    print(f"{r['cases']:,} cases, seed {SEED}, {time.perf_counter() - t:.1f} s wall (two passes)")
    cats = sorted({c for c, _ in r["outcomes"]}, key=lambda c: -sum(v for (k, _), v in r["outcomes"].items() if k == c))
    print(f"{'category':<18}{'decoded':>9}{'CodecError':>12}{'worst CPU ms':>14}{'worst peak MiB':>16}")
    for c in cats:
        cpu, peak = r["worst_by_category"][c]
        print(f"{c:<18}{r['outcomes'][(c, 'decoded')]:>9}{r['outcomes'][(c, 'CodecError')]:>12}{cpu * 1e3:>14.2f}{peak / 2**20:>16.2f}")
    tot = Counter()
    for (_, o), k in r["outcomes"].items(): tot[o] += k
    print(f"{'total':<18}{tot['decoded']:>9}{tot['CodecError']:>12}")
    print(f"worst thread CPU: {r['worst_cpu_s'] * 1e3:.1f} ms ({r['worst_cpu_case']}, {r['worst_cpu_frame_bytes']:,}-byte frame); "
          f"limit {CPU_LIMIT_S * 1e3:.0f} ms")
    print(f"worst peak traced memory: {r['worst_peak_bytes'] / 2**20:.2f} MiB ({r['worst_peak_case']}, "
          f"{r['worst_peak_frame_bytes']:,}-byte frame); limit {PEAK_LIMIT_BYTES / 2**20:.0f} MiB")
