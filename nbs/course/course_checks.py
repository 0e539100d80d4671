"""Exercise checks of the split-computing course (nbs/course/). Each `check_...` compares a student's answer with the
value the library computes, prints "right" or "not yet" with a hint, and returns True or False. An answer left at
`None` is "not answered yet", never an error. The expected values come from `bottlefit` itself, so the checks follow
the library (and the committed results) instead of repeating numbers by hand."""
from __future__ import annotations

import math

__all__ = ["verdict", "check_bottleneck_shape", "check_bq8_frame_bytes", "check_trainable_parts", "check_ghnd_pairs",
           "check_hnd_by_hand", "check_best_distillation", "check_frame_bytes", "check_header_size", "check_saving_vs_jpeg",
           "check_transfer_time", "check_energy", "check_fastest", "check_request_bytes", "check_same_predictions",
           "check_shaped_time", "check_best_method", "check_choice_bytes"]


def verdict(ok: bool, what: str, hint: str, answer=None) -> bool:
    "Print the outcome of one exercise and return it: 'right' or 'not yet' with a hint."
    if answer is None:
        print(f"{what}: not answered yet (set your answer, then run this cell again). Hint: {hint}")
        return False
    print(f"{what}: right!" if ok else f"{what}: not yet ({answer!r}). Hint: {hint}")
    return bool(ok)


def _close(a, b, rel=0.01, abs_=0.0) -> bool:
    try: return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)
    except (TypeError, ValueError): return False


# --- 00 start here -------------------------------------------------------------------------------------------------
def check_bottleneck_shape(answer, arch="resnet152", split="sp1", channels=3, input_size=224) -> bool:
    "The bottleneck shape (C, H, W) of a design at an input size."
    from bottlefit.models import model_card
    want = tuple(model_card(arch, split, channels, input_size).bottleneck_shape)
    ok = answer is not None and tuple(answer) == want
    return verdict(ok, f"bottleneck of {arch} {split.upper()} C={channels} at {input_size} px", "the SP1 encoder halves the "
                   "size three times: conv 7/2 (224 -> 112), max-pool 3/2 (-> 56), then a 2x2 conv with stride 2 and padding 1, "
                   "whose output is floor((56 + 2 - 2) / 2) + 1", answer)


def check_bq8_frame_bytes(answer, shape=(3, 29, 29)) -> bool:
    "Bytes of one bq8 frame of a tensor of `shape` (header included)."
    import torch
    from bottlefit.codec import encode
    want = len(encode(torch.zeros(shape), "bq8"))
    return verdict(answer is not None and int(answer) == want, f"bq8 frame of a {'x'.join(map(str, shape))} bottleneck",
                   "one byte per element (8-bit codes) plus a fixed header: bottlefit.codec.header_size('bq8')", answer)


# --- 01 bottlenecks and distillation ----------------------------------------------------------------------------------
def check_trainable_parts(method, answer) -> bool:
    "The parts (encoder, decoder, rest) that the first stage of `method` trains."
    from bottlefit.methods import method_stages
    want = set(method_stages(method)[0].train)
    ok = answer is not None and set(answer) == want
    return verdict(ok, f"parts trained by {method}", "distillation of features (HND, GHND) trains only the new layers and "
                   "keeps the teacher's layers frozen; conventional training (CE) trains everything. Look at "
                   "bottlefit.methods.method_stages(method)[0].train", answer)


def check_ghnd_pairs(answer, arch="resnet18") -> bool:
    "The teacher stages that GHND compares with the student's (Eq. 4)."
    from bottlefit.losses import distill_pairs
    want = [t for _, t in distill_pairs(arch)]
    ok = answer is not None and list(answer) == want
    return verdict(ok, f"GHND's teacher stages for {arch}", "HND compares only the output of the replaced stem; GHND adds "
                   "every later block but the classifier, in order (bottlefit.losses.distill_pairs)", answer)


def check_hnd_by_hand(answer, student, teacher) -> bool:
    "The HND loss (sum of squared errors) of the student's decoder output against the teacher's stem output."
    from bottlefit.losses import hnd_loss
    want = float(hnd_loss({"decoder": student}, {"stem": teacher}))
    return verdict(answer is not None and _close(answer, want, 1e-6), "HND loss by hand",
                   "sum (not mean) of (student - teacher)^2 over every element of the batch", answer)


def check_best_distillation(answer, frame, channels=3) -> bool:
    "Which of CE, KD and HND reached the best top-1 at SP1 with `channels` in the committed study (main runs)."
    rows = frame[(frame.split == "sp1") & (frame.channels == channels) & frame.method.isin(["ce", "kd", "hnd"])]
    if "seed" in rows: rows = rows[rows.seed == 0]
    want = rows.sort_values("top1").method.iloc[-1]
    return verdict(answer == want, f"best of CE, KD and HND at C={channels}", "sort the rows of the records frame by top1; "
                   "the paper's Table I finds distilling the head (HND) beats training end to end on labels", answer)


# --- 02 the wire -------------------------------------------------------------------------------------------------------
def check_frame_bytes(codec, shape, answer) -> bool:
    "Bytes of one frame of `codec` (fp32, fp16 or bq8) for a tensor of `shape`."
    import torch
    from bottlefit.codec import encode
    want = len(encode(torch.zeros(shape), codec))
    return verdict(answer is not None and int(answer) == want, f"{codec} frame of shape {tuple(shape)}",
                   "bytes per element (fp32: 4, fp16: 2, bq8: 1) times the elements, plus header_size(codec, ndim)", answer)


def check_header_size(codec, answer, ndim=3) -> bool:
    "Header bytes of a `codec` frame of an `ndim`-dimensional tensor."
    from bottlefit.codec import header_size
    want = header_size(codec, ndim)
    return verdict(answer is not None and int(answer) == want, f"{codec} header", "magic (2) + version (1) + codec (1) + "
                   "ndim (1) + 2 per dimension + [scale (4) + zero point (1) for bq8*] + payload length (4)", answer)


def check_saving_vs_jpeg(answer, frame_bytes, jpeg_bytes) -> bool:
    "The share of bytes saved by sending the frame instead of the JPEG: 1 - frame / JPEG (a fraction, e.g. 0.7)."
    want = 1 - frame_bytes / jpeg_bytes
    return verdict(answer is not None and _close(answer, want, 0, 0.005), "saving against JPEG",
                   "1 - frame bytes / JPEG bytes, as a fraction (0.7 means 70 % fewer bytes); negative if the frame is larger", answer)


# --- 03 latency and energy ----------------------------------------------------------------------------------------------
def check_transfer_time(answer, nbytes, rate_bps, latency_s=0.0, overhead_bytes=40) -> bool:
    "Seconds to send `nbytes` over a constant-rate link (what bottlefit.system.constant_link computes)."
    from bottlefit.system import constant_link
    want = float(constant_link(rate_bps, latency_s, overhead_bytes=overhead_bytes).transfer_time(nbytes).mean())
    return verdict(answer is not None and _close(answer, want, 0.001), f"{nbytes} B at {rate_bps / 1e6:g} Mbit/s",
                   f"2 x the one-way latency (the request goes, the small answer comes back) + 8 x (bytes + {overhead_bytes} B of "
                   "protocol overhead) / rate, in seconds", answer)


def check_energy(answer, p_compute_w, d_head_s, p_tx_w, d_net_s) -> bool:
    "Device energy of one inference (Sec. III-D): compute power x head time + transmit power x transfer time."
    want = p_compute_w * d_head_s + p_tx_w * d_net_s
    return verdict(answer is not None and _close(answer, want, 0.001), "device energy",
                   "E = P_compute * D_head + P_tx * D_net (joules = watts x seconds); the device idles at no cost while the edge works",
                   answer)


def check_fastest(answer, rows, link_index=None, arch=None, column="delay_mean", among=None) -> bool:
    """The approach with the lowest `column` (mean delay by default) among `rows` (evaluate_approaches rows, or a table with an
    `approach` column), at link `link_index`, backbone `arch` and among the approaches `among` where given."""
    if hasattr(rows, "to_dict"): rows = rows.to_dict("records")
    pick = [r for r in rows if (link_index is None or r["link_index"] == link_index) and (arch is None or r["arch"] == arch)
            and (among is None or r["approach"] in among)]
    want = min(pick, key=lambda r: r[column])["approach"]
    where = "" if link_index is None else f" at link {link_index}"
    keep = " and ".join(x for x in ("" if link_index is None else "that link", "" if among is None else "the approaches named") if x)
    return verdict(answer == want, f"lowest {column}{where}", (f"keep the rows of {keep}, then take" if keep else "take")
                   + f" the approach with the smallest {column}", answer)


# --- 04 the split run --------------------------------------------------------------------------------------------------
def check_request_bytes(answer, shape, codec="bq8") -> bool:
    "Bytes one request puts on the wire: the runtime's 8-byte request header plus the frame."
    import torch
    from bottlefit.codec import encode
    from bottlefit.runtime import REQ
    want = REQ.size + len(encode(torch.zeros(shape), codec))
    return verdict(answer is not None and int(answer) == want, f"request bytes of a {codec} frame of shape {tuple(shape)}",
                   "bottlefit.runtime.REQ (payload length + request id, 4 bytes each) comes in front of the codec's frame", answer)


def check_same_predictions(answer, over_the_wire, offline) -> bool:
    "Whether the split run over the socket predicted exactly what the model predicts offline (True/False)."
    want = list(over_the_wire) == list(offline)
    return verdict(answer is not None and bool(answer) == want, "same predictions over the wire",
                   "compare the two lists element by element", answer)


def check_shaped_time(answer, nbytes, rate_bps, overhead_bytes=40) -> bool:
    "The modelled transfer time the client paces a request over, on a constant link (seconds)."
    return check_transfer_time(answer, nbytes, rate_bps, 0.0, overhead_bytes)


# --- 05 the explorer ----------------------------------------------------------------------------------------------------
def check_best_method(answer, frame, split="sp1", channels=3) -> bool:
    "The method with the best top-1 among the trained models at (split, channels), main runs only."
    rows = frame[(frame.method != "teacher") & (frame.split == split) & (frame.channels == channels)]
    if "seed" in rows: rows = rows[rows.seed == 0]
    want = rows.sort_values("top1").method.iloc[-1]
    return verdict(answer == want, f"best method at {split.upper()} C={channels}",
                   "filter the records frame on split and channels, then take the method with the largest top1", answer)


def check_choice_bytes(answer, explorer) -> bool:
    "The bytes per image the explorer's current choice sends (its frame in the chosen coding)."
    from bottlefit.explore import frame_column
    c = explorer.choice()
    want = float(explorer.selected()[frame_column(c["bq"], c["coder"])])
    return verdict(answer is not None and _close(answer, want, 1e-6), "bytes of the current choice",
                   "explorer.selected() is the chosen model's row; its frame sizes are the columns bytes_<codec>", answer)
