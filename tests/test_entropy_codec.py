"""The learned-entropy codec end to end: bit-exact across processes, and every bad input refused.

- A density is fitted (briefly) and its tables computed here; its state dict is saved and loaded in a FRESH Python
  process with `torch.load(..., weights_only=True)`, which decodes this process's frames: the same tables hash, the
  same symbols, the same decoded latents bit for bit, and its own frames of the same latents byte for byte.
- eb frames truncated at every length, with every single bit flipped, under another model's tables, without tables,
  with oversize shapes, with junk payloads under a correct checksum, with escapes the encoder never writes: always a
  `CodecError` (or, for junk a checksum cannot tell from data, a finite tensor of the announced shape), each within
  bounded CPU time and memory.
Seeded and deterministic; a few seconds plus one fresh interpreter.
"""
import gc
import json
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zlib

import numpy as np
import pytest
import torch

from bottlefit.codec import FRAME_CODECS, MAGIC, VERSION, CodecError, SymbolModel, decode, encode, header_size
from bottlefit.core import CODECS, ConfigError
from bottlefit.entropy import (ESCAPE_BITS, SYMBOL_LIMIT, EntropyBottleneck, EntropyError, EntropyTables,
                               max_payload_bytes)

C, SHAPE = 4, (4, 12, 12)


def fitted_bottleneck(steps: int = 60) -> EntropyBottleneck:
    "A density fitted for a few steps on Laplacian latents of four scales, with its tables computed."
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                   # tiny tensors: one thread is fastest, and leaves the CPU to others
    try:
        torch.manual_seed(0)
        eb = EntropyBottleneck(C)
        opt = torch.optim.Adam(eb.parameters(), lr=2e-2)
        scales = torch.tensor([0.3, 1.0, 3.0, 10.0]).view(1, C, 1, 1)
        for _ in range(steps):
            _, lik = eb(torch.distributions.Laplace(0.0, 1.0).sample((8, *SHAPE)) * scales + 1.0)
            opt.zero_grad(); eb.rate_bits(lik).mean().backward(); opt.step()
        eb.eval().update()
    finally: torch.set_num_threads(threads)
    return eb


@pytest.fixture(scope="module")
def eb():
    return fitted_bottleneck()


def latents(n: int = 6) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    y = torch.randn(n, *SHAPE, generator=gen) * torch.tensor([0.3, 1.0, 3.0, 10.0]).view(1, C, 1, 1) + 1.0
    y[0, 0, 0, :3] = torch.tensor([500.0, -2e4, 1e9])                 # escapes, one clamped to the symbol limit
    return y


CHILD = textwrap.dedent("""
    import json, sys, numpy as np, torch
    from pathlib import Path
    from bottlefit.codec import decode, encode, header_size
    from bottlefit.entropy import EntropyBottleneck
    d = Path(sys.argv[1])
    eb = EntropyBottleneck(4)
    eb.load_state_dict(torch.load(d / "eb.pt", weights_only=True))
    eb.eval()
    t = eb.tables()
    frames = json.loads((d / "frames.json").read_text())
    blobs = [bytes.fromhex(f) for f in frames]
    y = torch.from_numpy(np.load(d / "latents.npy"))
    hdr = header_size("eb", 3)
    np.save(d / "symbols.npy", np.stack([t.decode(b[hdr:], (4, 12, 12)) for b in blobs]))
    np.save(d / "decoded.npy", torch.stack([decode(b, t) for b in blobs]).numpy())
    np.save(d / "forward.npy", eb(y)[0].detach().numpy())
    (d / "out.json").write_text(json.dumps(dict(hash=eb.tables_hash(), frames=[encode(v, "eb", t).hex() for v in y])))
""")


def test_decode_in_a_fresh_process_is_bit_exact(eb, tmp_path):
    y = latents()
    t = eb.tables()
    frames = [encode(v, "eb", t) for v in y]
    torch.save(eb.state_dict(), tmp_path / "eb.pt")
    (tmp_path / "frames.json").write_text(json.dumps([f.hex() for f in frames]))
    np.save(tmp_path / "latents.npy", y.numpy())
    r = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["hash"] == eb.tables_hash()
    hdr = header_size("eb", 3)
    mine = np.stack([t.symbols(v) for v in y])
    assert np.array_equal(np.load(tmp_path / "symbols.npy"), mine)                   # identical symbols
    assert np.array_equal(np.stack([t.decode(f[hdr:], SHAPE) for f in frames]), mine)
    y_hat = eb(y)[0].detach().numpy()
    assert np.array_equal(np.load(tmp_path / "decoded.npy"), y_hat)                  # and identical latents, bit for bit
    assert np.array_equal(np.load(tmp_path / "forward.npy"), y_hat)
    assert [bytes.fromhex(f) for f in out["frames"]] == frames                       # its frames are ours, byte for byte
    top = int(t.offsets[0] + t.lengths[0] - 2)                                       # the table's last symbol
    assert mine[0, 0, 0, 0] > top and mine[0, 0, 0, 1] < -top and mine[0, 0, 0, 2] == SYMBOL_LIMIT   # escapes, one clamped


def test_the_learned_codec_stays_out_of_the_model_free_codecs():
    "Everything that iterates over core.CODECS (reports, figures, server, explorer) never meets a codec needing a model."
    assert "eb" not in CODECS and FRAME_CODECS == CODECS + ("eb",)
    with pytest.raises(CodecError, match="needs the entropy tables"): encode(torch.zeros(SHAPE), "eb")


def raw_eb(dims, payload: bytes, tables_hash: bytes, plen=None) -> bytes:
    "An eb frame with any shape, hash, payload and length field, and a correct checksum (a hostile sender can compute one)."
    head = struct.pack("<2sBBB", MAGIC, VERSION, FRAME_CODECS.index("eb"), len(dims)) + struct.pack(f"<{len(dims)}H", *dims)
    head += tables_hash
    tail = struct.pack("<I", len(payload) if plen is None else plen) + payload
    return head + struct.pack("<I", zlib.crc32(tail, zlib.crc32(head))) + tail


def refused(frame, model, match=None):
    with pytest.raises(CodecError, match=match): decode(frame, model)


def test_every_truncation_and_bit_flip_is_refused(eb):
    t = eb.tables()
    f = encode(latents()[1], "eb", t)
    assert raw_eb(SHAPE, f[27:], t.hash) == f
    for k in range(len(f)): refused(f[:k], t)
    for i in range(len(f)):
        for b in range(8):
            g = bytearray(f); g[i] ^= 1 << b
            refused(bytes(g), t)


def test_wrong_missing_or_foreign_tables_are_refused(eb):
    t = eb.tables()
    f = encode(latents()[2], "eb", t)
    other = fitted_bottleneck(steps=5).tables()
    assert other.hash != t.hash
    refused(f, other, "coded with entropy tables")
    refused(f, None, "needs the entropy tables")
    refused(f, SymbolModel.fit(np.zeros(1, np.uint8)), "needs the entropy tables")
    refused(raw_eb(SHAPE, f[27:], bytes(8)), t, "coded with entropy tables 0000000000000000")
    with pytest.raises(CodecError, match="code 4 x ... latents"): encode(torch.zeros(3, 12, 12), "eb", t)
    with pytest.raises(CodecError, match="NaN or infinite"): encode(torch.full(SHAPE, float("nan")), "eb", t)


def test_oversize_and_lying_headers_are_refused(eb):
    t = eb.tables()
    refused(raw_eb((4, 65535, 65535, 65535), bytes(8), t.hash), t, "exceeds the frame limit")
    refused(raw_eb((4, 256, 257), bytes(8), t.hash), t, "exceeds the frame limit")
    refused(raw_eb((5, 12, 12), bytes(8), t.hash), t, "these tables code 4 channels")
    n = 4 * 12 * 12
    refused(raw_eb(SHAPE, bytes(max_payload_bytes(n)) + b"\1\0\0\0", t.hash), t, "exceed the")
    refused(raw_eb(SHAPE, b"\1\0\0\0", t.hash, plen=1 << 31), t, "header announces")
    refused(raw_eb(SHAPE, b"\1\0\0", t.hash), t, "whole 32-bit words")
    refused(raw_eb(SHAPE, b"\1\0\0\0" + bytes(4), t.hash), t, "zero word")


def escape_payload(t: EntropyTables, raw: int) -> bytes:
    "A payload whose first symbol is the escape, followed by `raw` (an offset uniform value), every other symbol 0."
    import constriction
    models, uniform = t._coders()
    coder = constriction.stream.stack.AnsCoder()
    hw = 144
    for c in reversed(range(C)):
        idx = np.full(hw, -int(t.offsets[c]), np.int32)                          # symbol 0: inside every table
        if c == 0:
            coder.encode_reverse(np.array([raw], np.int32), uniform)
            idx[0] = int(t.lengths[0]) - 1                                          # the escape entry
        coder.encode_reverse(idx, models[c])
    return coder.get_compressed().astype("<u4").tobytes()


def test_escapes_the_encoder_never_writes_are_refused(eb):
    t = eb.tables()
    half = 1 << ESCAPE_BITS - 1
    ok = decode(raw_eb(SHAPE, escape_payload(t, half + 30000), t.hash), t)        # a real escape: 30000 steps up
    assert float(ok[0, 0, 0]) == float(np.float32(30000) + t.medians[0])
    refused(raw_eb(SHAPE, escape_payload(t, 0), t.hash), t, "escaped symbol")      # -32768: beyond the symbol limit
    refused(raw_eb(SHAPE, escape_payload(t, half), t.hash), t, "escaped symbol")   # 0: the table holds it


def test_junk_under_a_correct_checksum_is_bounded(eb):
    "What no checksum can catch: junk the sender checksummed. A CodecError or a finite tensor, in bounded time and memory."
    t = eb.tables()
    rng = np.random.default_rng(0)
    big = (4, 256, 256)
    cases = [raw_eb(SHAPE, rng.integers(0, 1 << 32, int(rng.integers(0, 200)), dtype=np.uint64).astype("<u4").tobytes(), t.hash)
             for _ in range(300)]
    cases += [raw_eb(big, rng.integers(0, 1 << 32, int(rng.integers(1, 5000)), dtype=np.uint64).astype("<u4").tobytes(), t.hash)
              for _ in range(10)]
    outcomes, worst_cpu, worst_peak = {"decoded": 0, "CodecError": 0}, 0.0, 0
    gc.collect()
    tracemalloc.start()
    try:
        for f in cases:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            t0 = time.thread_time()
            try:
                out = decode(f, t)
                assert tuple(out.shape) == struct.unpack_from(f"<{f[4]}H", f, 5) and bool(torch.isfinite(out).all())
                outcomes["decoded"] += 1
            except CodecError: outcomes["CodecError"] += 1
            worst_cpu = max(worst_cpu, time.thread_time() - t0)
            worst_peak = max(worst_peak, tracemalloc.get_traced_memory()[1] - base)
    finally: tracemalloc.stop()
    assert outcomes["CodecError"] > 0 and sum(outcomes.values()) == len(cases), outcomes
    assert worst_peak <= 64 << 20, worst_peak
    assert worst_cpu <= 0.5, worst_cpu                  # about 10 ms at the size limit; thread CPU time, not wall time


def test_damaged_tables_in_a_state_dict_are_refused(eb):
    sd = {k: v.clone() for k, v in eb.state_dict().items()}
    sd["cdf"][0, 1] = sd["cdf"][0, 2]                                               # a zero-width symbol
    bad = EntropyBottleneck(C)
    bad.load_state_dict(sd)
    with pytest.raises(EntropyError, match="does not rise strictly"): bad.tables()
    sd = {k: v.clone() for k, v in eb.state_dict().items()}
    sd["medians"][1] += 1e-3                                                        # any change renames the tables
    moved = EntropyBottleneck(C)
    moved.load_state_dict(sd)
    assert moved.tables_hash() != eb.tables_hash()
    with pytest.raises(ConfigError, match="call update"): EntropyBottleneck(C).tables()
