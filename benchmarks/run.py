"""convcli against its peers, side by side: the goals of README's "Speed", printed as ratios.

    .venv/bin/python benchmarks/run.py            # the full run (a few minutes)
    .venv/bin/python benchmarks/run.py --quick    # a smoke run (seconds)
    .venv/bin/python benchmarks/run.py --goal layers --goal gradients   # only these goals

Every figure is the median of several runs; our runs and the peer's are interleaved, so a
busy machine slows both alike. A ratio is ours / peer: below 1 means convcli is faster (or
smaller). A goal whose prerequisites fail (no .npy output yet, no parse_text, ...) is skipped
with the reason, never fatal. The last lines are a markdown table for the README.

Processes run with PYTHONDONTWRITEBYTECODE unset, after one warm-up run, so that every
program, ours and the peers', imports from compiled bytecode as an installed program does.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

PY = sys.executable


@dataclass
class Row:
    goal: str
    case: str
    ours: str
    peer: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""


ROWS: list[Row] = []


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt_s(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.2f} ms"


def add(
    goal: str, case: str, ours: str, peer: str, ratio: float | None, target: str, met: bool | None, note=""
):
    ROWS.append(Row(goal, case, ours, peer, ratio, target, met, note))
    r = "-" if ratio is None else f"{ratio:.2f}"
    mark = {True: "ok", False: "MISSED", None: ""}[met]
    say(f"  {case:<34} ours {ours:>10}   peer {peer:>24}   ratio {r:>5}   {target:<10} {mark} {note}")


def skip(goal: str, case: str, why: str) -> None:
    ROWS.append(Row(goal, case, "-", "-", None, "-", None, f"skipped: {why}"))
    say(f"  {case:<34} skipped: {why}")


# --- processes ----------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    return env


def convcli_cmd() -> list[str]:
    script = Path(PY).with_name("convcli")
    if script.exists():
        return [str(script)]
    return [PY, "-m", "convcli"]


def run_process(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall time, exit status and the first line of stderr of one run."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    first = proc.stderr.decode(errors="replace").strip().splitlines()
    return elapsed, proc.returncode, (first[-1] if first else "")


# Linux carries a process's peak RSS across fork and exec, so the child of this (large) process
# would report at least our own size; a small launcher process starts the command instead.
_LAUNCHER = (
    "import os, subprocess, sys; "
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(p.pid, 0); "
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)"
)


def peak_rss(cmd: list[str], cwd: Path) -> tuple[int, int]:
    """(exit status, peak resident set size in bytes) of one run of ``cmd``."""
    proc = subprocess.run([PY, "-S", "-c", _LAUNCHER, *cmd], cwd=cwd, env=child_env(), capture_output=True)
    code, rss = proc.stdout.split()
    return int(code), int(rss)


WARM_UP = True  # --quick skips the untimed warm-up runs


def interleaved(cmds: dict[str, list[str]], cwd: Path, reps: int, warm_up: bool = True) -> dict[str, float]:
    """Median wall time per command; one warm-up each (unless told), then the commands take turns."""
    for name, cmd in cmds.items() if warm_up and WARM_UP else ():
        _, code, err = run_process(cmd, cwd)
        if code != 0:
            raise RuntimeError(f"{name} failed (exit {code}): {err}")
    times: dict[str, list[float]] = {name: [] for name in cmds}
    order = list(cmds)
    for rep in range(reps):
        for name in order if rep % 2 == 0 else order[::-1]:
            elapsed, code, err = run_process(cmds[name], cwd)
            if code != 0:
                raise RuntimeError(f"{name} failed (exit {code}): {err}")
            times[name].append(elapsed)
    return {name: statistics.median(ts) for name, ts in times.items()}


def timed(fn: Callable[[], object], reps: int) -> tuple[float, object]:
    out = None
    ts = []
    for _ in range(reps):
        start = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - start)
    return statistics.median(ts), out


def timed_warm(fn: Callable[[], object], reps: int, slow: float = 0.4) -> tuple[float, object]:
    """One untimed warm-up call, then the median of ``reps`` calls; a call slower than ``slow``
    seconds is measured by its first run alone (warm-up effects are small next to it)."""
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    if first > slow:
        return first, out
    return timed(fn, reps)


def timed_pair(ours: Callable[[], object], peer: Callable[[], object], reps: int) -> tuple[float, float]:
    a, b = [], []
    for rep in range(reps):
        pair = [(ours, a), (peer, b)]
        for fn, into in pair if rep % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


# --- (a) start-up -------------------------------------------------------------------------------


def goal_startup(reps: int) -> None:
    say("\n(a) start-up: a homework-size run, as whole processes")
    goal = "start-up"
    a, b = "samples/A.txt", "samples/B.txt"
    if not (ROOT / a).exists():
        skip(goal, "convolve samples/A.txt samples/B.txt", "samples/ missing")
        return
    ours = [*convcli_cmd(), "convolve", a, b, "--format", "json"]
    imports = [PY, "-c", "import numpy, typer, rich.console"]
    oneliner = (
        "import numpy, scipy.signal; "
        f"print(scipy.signal.convolve2d(numpy.loadtxt('{a}'), numpy.loadtxt('{b}'), mode='valid'))"
    )
    scipy_user = [PY, "-c", oneliner]
    try:
        t = interleaved({"ours": ours, "imports": imports, "scipy": scipy_user}, ROOT, reps)
    except RuntimeError as exc:
        skip(goal, "convolve samples/A.txt samples/B.txt", str(exc))
        return
    probe = subprocess.run(
        [PY, "-X", "importtime", *ours[1:]]
        if ours[0] == PY
        else [PY, "-X", "importtime", "-m", "convcli", *ours[1:]],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
    )
    scipy_loaded = b"scipy" in probe.stderr
    note = "scipy was imported!" if scipy_loaded else "scipy not imported"
    r1 = t["ours"] / t["imports"]
    add(
        goal,
        "vs import numpy, typer, rich.console",
        fmt_s(t["ours"]),
        fmt_s(t["imports"]),
        r1,
        "<= 1.2",
        r1 <= 1.2,
        note,
    )
    r2 = t["ours"] / t["scipy"]
    add(goal, "vs the scipy one-liner", fmt_s(t["ours"]), fmt_s(t["scipy"]), r2, "<= 0.2", r2 <= 0.2)


# --- (b) the engine grid ------------------------------------------------------------------------

PEER_CODE = {
    "ndimage.correlate": (
        "from scipy import ndimage; c=[n//2 for n in k.shape]; r=ndimage.correlate(a, k, mode='constant'); "
        "r=r[c[0]:c[0]+a.shape[0]-k.shape[0]+1, c[1]:c[1]+a.shape[1]-k.shape[1]+1]"
    ),
    "signal.correlate2d": "from scipy import signal; r=signal.correlate2d(a, k, mode='valid')",
    "signal.fftconvolve": "from scipy import signal; r=signal.fftconvolve(a, k[::-1, ::-1], mode='valid')",
    "signal.oaconvolve": "from scipy import signal; r=signal.oaconvolve(a, k[::-1, ::-1], mode='valid')",
}
# seconds per multiply-add of the direct peers (measured), to skip runs that would take minutes
PEER_DIRECT_COST = {"ndimage.correlate": 1.6e-9, "signal.correlate2d": 3.5e-9}


def peer_functions() -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    from scipy import ndimage, signal

    def nd(a: np.ndarray, k: np.ndarray) -> np.ndarray:
        c = [n // 2 for n in k.shape]
        r = ndimage.correlate(a, k, mode="constant")
        return r[c[0] : c[0] + a.shape[0] - k.shape[0] + 1, c[1] : c[1] + a.shape[1] - k.shape[1] + 1]

    return {
        "ndimage.correlate": nd,
        "signal.correlate2d": lambda a, k: signal.correlate2d(a, k, mode="valid"),
        "signal.fftconvolve": lambda a, k: signal.fftconvolve(a, k[::-1, ::-1], mode="valid"),
        "signal.oaconvolve": lambda a, k: signal.oaconvolve(a, k[::-1, ::-1], mode="valid"),
    }


def kernel_for(spec: str, rng: np.random.Generator) -> np.ndarray:
    if spec.startswith("gauss"):
        n = int(spec[5:])
        g = np.exp(-0.5 * (np.linspace(-2, 2, n)) ** 2)
        return np.outer(g, g) / g.sum() ** 2
    if "x" in spec:
        h, w = (int(x) for x in spec.split("x"))
        return rng.standard_normal((h, w))
    n = int(spec)
    return rng.standard_normal((n, n))


def rel_err(x: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(x - ref)) / max(np.max(np.abs(ref)), 1e-300))


def goal_grid(sizes: list[int], kernels: dict[int, list[str]], reps: int, proc_reps: int, tmp: Path) -> None:
    say("\n(b) engine grid: float64 valid correlation; in-process core, then whole processes")
    say("    core: our engine call against the fastest of the four scipy calls (each warmed up once)")
    say("    process: convcli correlate A.npy K.npy --output out.npy against a script that loads, calls")
    say("    scipy and saves; the peer is the faster process of the fastest core call and ndimage.correlate")
    say("    (whose import is the lightest)")
    from convcli.engine import correlate_valid

    peers = peer_functions()
    rng = np.random.default_rng(2024)
    ratios_proc: list[float] = []
    ratios_core: list[float] = []
    warmed: set[str] = set()
    cli_ok = True
    for n in sizes:
        a = rng.standard_normal((n, n))
        np.save(tmp / "A.npy", a)
        for spec in kernels[n]:
            k = kernel_for(spec, rng)
            square = spec[0].isdigit() and "x" not in spec
            case = f"{n}x{n}, {spec}x{spec}" if square else f"{n}x{n}, kernel {spec}"
            np.save(tmp / "K.npy", k)
            t_ours, (out, choice) = timed_warm(lambda a=a, k=k: correlate_valid(a, k), reps)
            core: dict[str, float] = {}
            skipped, bad = [], []
            work = (n - k.shape[0] + 1) * (n - k.shape[1] + 1) * k.size
            for name, fn in peers.items():
                if work * PEER_DIRECT_COST.get(name, 0) > 2.5:
                    skipped.append(name.split(".")[1])
                    continue
                core[name], ref = timed_warm(lambda fn=fn, a=a, k=k: fn(a, k), reps)
                if rel_err(out, ref) > 1e-10:
                    bad.append(f"{name} differs by {rel_err(out, ref):.1e}")
            best = min(core, key=core.__getitem__)
            ratio = t_ours / core[best]
            ratios_core.append(ratio)
            note = f"ours: {choice.method.value}"
            if skipped:
                note += f"; not run (minutes): {', '.join(skipped)}"
            if bad:
                note += "; DISAGREE: " + "; ".join(bad)
            peer_text = f"{fmt_s(core[best])} {best.split('.')[1]}"
            add("engine core", case, fmt_s(t_ours), peer_text, ratio, "<= 1.1", ratio <= 1.1, note)
            if not cli_ok:
                continue
            candidates = [best]
            if (
                "ndimage.correlate" in core
                and best != "ndimage.correlate"
                and core["ndimage.correlate"] < 1.5
            ):
                candidates.append("ndimage.correlate")
            cmds = {"ours": [*convcli_cmd(), "correlate", "A.npy", "K.npy", "--output", "out.npy"]}
            for name in candidates:
                script = "import numpy as np; a=np.load('A.npy'); k=np.load('K.npy'); "
                cmds[name] = [PY, "-c", script + PEER_CODE[name] + f"; np.save('{name}.npy', r)"]
            try:
                # each program is warmed up (bytecode compiled, files cached) on its first case
                fresh = [name for name in cmds if name not in warmed]
                t = interleaved(
                    cmds, tmp, proc_reps if n <= 2048 else max(2, proc_reps - 1), warm_up=bool(fresh)
                )
                warmed.update(cmds)
            except RuntimeError as exc:
                cli_ok = False
                skip("engine process", case, f"{exc} (the CLI needs .npy input and --output out.npy)")
                continue
            peer = min(candidates, key=t.__getitem__)
            agree = rel_err(np.load(tmp / "out.npy"), np.load(tmp / f"{peer}.npy"))
            ratio = t["ours"] / t[peer]
            ratios_proc.append(ratio)
            note = "" if agree <= 1e-10 else f"DISAGREE by {agree:.1e}"
            peer_text = f"{fmt_s(t[peer])} {peer.split('.')[1]}"
            add("engine process", case, fmt_s(t["ours"]), peer_text, ratio, "<= 1.1", ratio <= 1.1, note)
    if ratios_core:
        med = statistics.median(ratios_core)
        add("engine core", "median ratio over the grid", "-", "-", med, "<= 0.7", med <= 0.7)
    if ratios_proc:
        med = statistics.median(ratios_proc)
        add("engine process", "median ratio over the grid", "-", "-", med, "<= 0.7", med <= 0.7)


# --- (c) exact integers -------------------------------------------------------------------------


def goal_integers(n: int, reps: int) -> None:
    say("\n(c) exact integers at speed: int64, in-process through convcli.ops.correlate")
    from scipy import ndimage, signal

    from convcli import ops

    rng = np.random.default_rng(7)
    for label, a, k in [
        (f"{n}x{n} 0..255, 5x5 -8..8", rng.integers(0, 256, (n, n)), rng.integers(-8, 9, (5, 5))),
        (f"{n}x{n} |a|<2**40, 5x5 -8..8", rng.integers(-(2**40), 2**40, (n, n)), rng.integers(-8, 9, (5, 5))),
    ]:
        result = ops.correlate(a, k)
        ref = signal.correlate2d(a, k, mode="valid")
        exact = result.value.dtype == np.int64 and np.array_equal(result.value, ref)
        t_ours, t_peer = timed_pair(
            lambda a=a, k=k: ops.correlate(a, k),
            lambda a=a, k=k: signal.correlate2d(a, k, mode="valid"),
            reps,
        )
        t_nd, _ = timed(lambda a=a, k=k: ndimage.correlate(a, k, mode="constant"), reps)
        method = result.choice.method.value if result.choice else "?"
        note = f"ours: {method}; {'exact, equal to correlate2d' if exact else 'NOT EQUAL to correlate2d'}"
        note += f"; ndimage.correlate (floats inside) {fmt_s(t_nd)}"
        add(
            "exact integers",
            label,
            fmt_s(t_ours),
            f"{fmt_s(t_peer)} correlate2d",
            t_ours / t_peer,
            "<= 1.1",
            t_ours / t_peer <= 1.1,
            note,
        )


# --- (d) fractions ------------------------------------------------------------------------------


def goal_fractions(n: int, reps: int) -> None:
    say("\n(d) exact fractions: convcli.ops.correlate on an object array of Fractions")
    from convcli import numeric, ops

    a = np.empty((n, n), dtype=object)
    a[:] = [[Fraction((i * 7 + j) % 13 - 6, (i + 2 * j) % 5 + 1) for j in range(n)] for i in range(n)]
    k = np.empty((3, 3), dtype=object)
    k[:] = [
        [Fraction(1, 16), Fraction(1, 8), Fraction(1, 16)],
        [Fraction(1, 8), Fraction(1, 4), Fraction(1, 8)],
    ] + [[Fraction(1, 16), Fraction(1, 8), Fraction(1, 16)]]
    t, result = timed(lambda: ops.correlate(a, k), reps)
    ok = all(isinstance(v, Fraction) for v in result.value.flat[:100])  # type: ignore[union-attr]
    # where the time goes: the number model's scaling to integers and back, and the engine
    t_scale, (nums, den, _) = timed(lambda: numeric.to_scaled(a), 1)  # type: ignore[misc]
    t_back, _ = timed(lambda: numeric.from_scaled(np.zeros((n - 2, n - 2), dtype=np.int64), 48 * den), 1)
    note = f"to_scaled {fmt_s(t_scale)}, from_scaled {fmt_s(t_back)} of it"
    note += "; exact Fractions" if ok else "; NOT Fractions"
    add(
        "fractions", f"{n}x{n} Fractions, 3x3 kernel", fmt_s(t), "target 1 s", t / 1.0, "< 1 s", t < 1.0, note
    )


# --- (e) text parsing ---------------------------------------------------------------------------


def goal_parsing(n: int, reps: int) -> None:
    say("\n(e) text parsing: convcli.parsing.parse_text against numpy.loadtxt")
    try:
        from convcli.parsing import parse_text
    except ImportError as exc:
        skip("text parsing", f"{n}x{n} text", f"convcli.parsing.parse_text not available ({exc})")
        return
    rng = np.random.default_rng(3)
    buf = io.StringIO()
    np.savetxt(buf, rng.standard_normal((n, n)), fmt="%.6g")
    text = buf.getvalue()
    try:
        mine = parse_text(text, source="bench.txt")
    except Exception as exc:  # a benchmark never crashes on a prerequisite
        skip("text parsing", f"{n}x{n} text", f"parse_text failed: {exc}")
        return
    ref = np.loadtxt(io.StringIO(text))
    same = np.array_equal(np.asarray(mine, dtype=float), ref)
    t_ours, t_peer = timed_pair(
        lambda: parse_text(text, source="bench.txt"), lambda: np.loadtxt(io.StringIO(text)), reps
    )
    r = t_ours / t_peer
    add(
        "text parsing",
        f"{n}x{n} floats ({len(text) / 1e6:.0f} MB)",
        fmt_s(t_ours),
        f"{fmt_s(t_peer)} loadtxt",
        r,
        "<= 1.0",
        r <= 1.0,
        "" if same else "VALUES DIFFER",
    )


# --- (f) peak memory ----------------------------------------------------------------------------


def goal_memory(n: int, tmp: Path) -> None:
    say("\n(f) peak memory: convcli correlate on a float64 input with a 3x3 kernel (whole process)")
    say("    (the input is memory-mapped, so its pages count once read; the result is written to .npy)")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((n, n))
    np.save(tmp / "M.npy", a)
    np.save(tmp / "K3.npy", rng.standard_normal((3, 3)))
    size = a.nbytes
    del a
    code, rss = peak_rss([*convcli_cmd(), "correlate", "M.npy", "K3.npy", "--output", "mout.npy"], tmp)
    if code != 0:
        skip("peak memory", f"{n}x{n} float64, 3x3", f"convcli exited {code} (needs .npy input and --output)")
        return
    peer = (
        "import numpy as np; from scipy import ndimage; a=np.load('M.npy'); k=np.load('K3.npy'); "
        "np.save('pout.npy', ndimage.correlate(a, k, mode='constant')[1:-1, 1:-1])"
    )
    _, peer_rss = peak_rss([PY, "-c", peer], tmp)
    _, base_rss = peak_rss([PY, "-c", "import numpy, typer, rich.console"], tmp)
    ratio = rss / size
    note = f"input {size / 2**20:.0f} MiB; interpreter + imports alone {base_rss / 2**20:.0f} MiB"
    add(
        "peak memory",
        f"{n}x{n} float64, 3x3",
        f"{rss / 2**20:.0f} MiB",
        f"{peer_rss / 2**20:.0f} MiB ndimage",
        ratio,
        "<= 2.5x input",
        ratio <= 2.5,
        note,
    )
    for name in ("M.npy", "mout.npy", "pout.npy"):
        (tmp / name).unlink(missing_ok=True)


# --- (h) CNN layers and their gradients ---------------------------------------------------------

LAYERS = [
    ("C=3, O=16, 224x224, 3x3", 3, 16, 224, 3, 1),
    ("C=16, O=32, 128x128, 5x5", 16, 32, 128, 5, 1),
    ("C=64, O=64, 56x56, 3x3", 64, 64, 56, 3, 1),
    ("depthwise C=O=groups=64, 56x56, 3x3", 64, 64, 56, 3, 64),
]


def torch_module():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
    return torch


def goal_layers(reps: int, quick: bool) -> None:
    say("\n(h) CNN layers, float64, in one process: convcli.engine.conv2d (through ops.correlate with")
    say("    --channels semantics) against torch.nn.functional.conv2d on the same threads, and against")
    say("    scipy.signal.correlate per filter (what a layer costs without matrix products)")
    from scipy import signal

    from convcli import ops
    from convcli.model import OpOptions

    torch = torch_module()
    rng = np.random.default_rng(11)
    for case, c, o, n, k, groups in LAYERS[:2] if quick else LAYERS:
        x, w = rng.standard_normal((c, n, n)), rng.standard_normal((o, c // groups, k, k))
        options = OpOptions(channels=True, groups=groups)
        ours = ops.correlate(x, w, options)

        def scipy_layer(x=x, w=w, groups=groups) -> np.ndarray:
            cg, og = w.shape[1], w.shape[0] // groups
            return np.stack(
                [
                    signal.correlate(x[f // og * cg : (f // og + 1) * cg], w[f], mode="valid")[0]
                    for f in range(len(w))
                ]
            )

        ref = scipy_layer()
        note = f"ours: {ours.choice.reason.split(': ', 1)[1].split(' (est.')[0][:60]}" if ours.choice else ""
        if rel_err(ours.value, ref) > 1e-10:
            note += f"; DISAGREES with scipy by {rel_err(ours.value, ref):.1e}"
        t_ours, t_scipy = timed_pair(
            lambda x=x, w=w, options=options: ops.correlate(x, w, options), scipy_layer, reps
        )
        r = t_ours / t_scipy
        add(
            "layers",
            f"{case} vs scipy",
            fmt_s(t_ours),
            f"{fmt_s(t_scipy)} signal.correlate",
            r,
            "<= 1.0",
            r <= 1.0,
            note,
        )
        if torch is None:
            skip("layers", f"{case} vs torch", "torch is not installed")
            continue
        xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)

        def torch_layer(xt=xt, wt=wt, groups=groups):
            return torch.nn.functional.conv2d(xt, wt, groups=groups)

        t_ours, t_torch = timed_pair(
            lambda x=x, w=w, options=options: ops.correlate(x, w, options), torch_layer, reps
        )
        r = t_ours / t_torch
        agree = rel_err(ours.value, torch_layer()[0].numpy())
        add(
            "layers",
            f"{case} vs torch",
            fmt_s(t_ours),
            f"{fmt_s(t_torch)} torch conv2d",
            r,
            "<= 1.0",
            r <= 1.0,
            "" if agree <= 1e-10 else f"DISAGREES with torch by {agree:.1e}",
        )


def goal_gradients(reps: int, quick: bool) -> None:
    say("\n(i) the layer's gradients, float64: engine.conv2d_grad_input + conv2d_grad_weight against")
    say("    torch.autograd.grad of conv2d for both (torch rows only when torch is installed)")
    from convcli import engine

    torch = torch_module()
    if torch is None:
        skip("gradients", "(all cases)", "torch is not installed")
        return
    rng = np.random.default_rng(12)
    for case, c, o, n, k, groups in LAYERS[:2] if quick else LAYERS:
        x, w = rng.standard_normal((c, n, n)), rng.standard_normal((o, c // groups, k, k))
        g = rng.standard_normal((o, n - k + 1, n - k + 1))
        xt = torch.from_numpy(x)[None].requires_grad_()
        wt = torch.from_numpy(w).requires_grad_()
        y = torch.nn.functional.conv2d(xt, wt, groups=groups)
        gt = torch.from_numpy(g)[None]

        def ours(x=x, w=w, g=g, groups=groups):
            return (
                engine.conv2d_grad_input(g, w, x.shape, groups=groups),
                engine.conv2d_grad_weight(x, g, w.shape, groups=groups),
            )

        def theirs(y=y, xt=xt, wt=wt, gt=gt):
            return torch.autograd.grad(y, (xt, wt), gt, retain_graph=True)

        dx, dw = ours()
        tx, tw = theirs()
        agree = max(rel_err(dx, tx[0].numpy()), rel_err(dw, tw.numpy()))
        t_ours, t_torch = timed_pair(ours, theirs, reps)
        r = t_ours / t_torch
        note = "" if agree <= 1e-10 else f"DISAGREES with torch by {agree:.1e}"
        add(
            "gradients",
            f"{case}, dX and dW",
            fmt_s(t_ours),
            f"{fmt_s(t_torch)} torch autograd",
            r,
            "<= 1.0",
            r <= 1.0,
            note,
        )


def goal_grad(reps: int, quick: bool) -> None:
    say("\n(i') convcli grad's core, float64: grad.grad (dX, dW and db of a layer with padding 1, through")
    say("    its geometry) against torch.autograd.grad of conv2d with a bias, padding 1 (torch rows only)")
    from convcli.grad import grad
    from convcli.model import OpOptions

    torch = torch_module()
    if torch is None:
        skip("grad", "(all cases)", "torch is not installed")
        return
    rng = np.random.default_rng(14)
    for case, c, o, n, k, groups in LAYERS[:2] if quick else LAYERS:
        x, w = rng.standard_normal((c, n, n)), rng.standard_normal((o, c // groups, k, k))
        g = rng.standard_normal((o, n - k + 3, n - k + 3))
        options = OpOptions(channels=True, groups=groups, padding=(1,))
        xt = torch.from_numpy(x)[None].requires_grad_()
        wt = torch.from_numpy(w).requires_grad_()
        bt = torch.zeros(o, dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.conv2d(xt, wt, bt, padding=1, groups=groups)
        gt = torch.from_numpy(g)[None]

        def ours(x=x, w=w, g=g, options=options):
            return grad(x, w, g, options=options)

        def theirs(y=y, xt=xt, wt=wt, bt=bt, gt=gt):
            return torch.autograd.grad(y, (xt, wt, bt), gt, retain_graph=True)

        r_ours, (tx, tw, tb) = ours(), theirs()
        agree = max(
            rel_err(r_ours.grad_input, tx[0].numpy()),
            rel_err(r_ours.grad_weight, tw.numpy()),
            rel_err(r_ours.grad_bias, tb.numpy()),
        )
        t_ours, t_torch = timed_pair(ours, theirs, reps)
        r = t_ours / t_torch
        add(
            "grad",
            f"{case}, padding 1",
            fmt_s(t_ours),
            f"{fmt_s(t_torch)} torch autograd",
            r,
            "<= 1.0",
            r <= 1.0,
            "" if agree <= 1e-10 else f"DISAGREES with torch by {agree:.1e}",
        )


# --- (j) exact integers beyond int64, strides, Ctrl-C --------------------------------------------


def goal_big_integers(n: int) -> None:
    say("\n(j) exact integers whose sums pass int64: values below 2**40, a 9x9 kernel below 2**20,")
    say("    in limbs through the float engine (no peer computes this exactly; the target is absolute)")
    from convcli import ops

    rng = np.random.default_rng(13)
    a = rng.integers(-(2**40), 2**40, (n, n))
    k = rng.integers(-(2**20), 2**20, (9, 9))
    t, result = timed(lambda: ops.correlate(a, k), 1)
    corner = sum(int(a[u, v]) * int(k[u, v]) for u in range(9) for v in range(9))
    ok = result.value[0, 0] == corner and result.value.dtype == object  # type: ignore[union-attr]
    add(
        "exact integers",
        f"{n}x{n} below 2**40, 9x9 below 2**20",
        fmt_s(t),
        "target 1 s",
        t / 1.0,
        "< 1 s",
        t < 1.0,
        "exact Python ints" if ok else "NOT EXACT",
    )


def goal_strides(n: int, reps: int, tmp: Path) -> None:
    say("\n(k) a stride computes only the sampled outputs: stride 2 against stride 1 (in-process), and a")
    say("    padding that fits only when strided (whole process, peak memory against the bare imports)")
    from convcli import ops
    from convcli.model import OpOptions

    rng = np.random.default_rng(14)
    a, k = rng.standard_normal((n, n)), rng.standard_normal((5, 5))
    t2, t1 = timed_pair(
        lambda: ops.correlate(a, k, OpOptions(stride=(2,))), lambda: ops.correlate(a, k, OpOptions()), reps
    )
    add(
        "strides",
        f"{n}x{n}, 5x5, stride 2 vs stride 1",
        fmt_s(t2),
        f"{fmt_s(t1)} stride 1",
        t2 / t1,
        "<= 0.5",
        t2 / t1 <= 0.5,
    )
    cmd = [*convcli_cmd(), "correlate", "1 2; 3 4", "1", "--padding", "10000", "--stride", "100000"]
    code, rss = peak_rss(cmd, tmp)
    _, base = peak_rss([PY, "-c", "import numpy, typer, rich.console"], tmp)
    if code != 0:
        skip("strides", "--padding 10000 --stride 100000", f"convcli exited {code}")
        return
    r = rss / base
    add(
        "strides",
        "--padding 10000 --stride 100000 (one cell)",
        f"{rss / 2**20:.0f} MiB",
        f"{base / 2**20:.0f} MiB imports",
        r,
        "<= 1.5",
        r <= 1.5,
        "peak memory; the padded input would be 3 GiB",
    )


def goal_interrupt(tmp: Path) -> None:
    say("\n(l) Ctrl-C: seconds from SIGINT to the end of a long --method direct run (2000x2000, 101x101)")
    import select
    import signal

    rng = np.random.default_rng(15)
    np.save(tmp / "I.npy", rng.standard_normal((2000, 2000)))
    np.save(tmp / "IK.npy", rng.standard_normal((101, 101)))
    waits = []
    for _ in range(3):
        cmd = [
            *convcli_cmd(),
            "correlate",
            "I.npy",
            "IK.npy",
            "--method",
            "direct",
            "-o",
            "iout.npy",
            "--verbose",
        ]
        # SIGINT as on a terminal, even if this script runs as a background job (which ignores it)
        with subprocess.Popen(
            cmd,
            cwd=tmp,
            env=child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        ) as proc:
            assert proc.stderr is not None
            ready, _, _ = select.select([proc.stderr], [], [], 60)
            line = proc.stderr.readline() if ready else b""
            if not line.startswith(b"method:"):
                proc.kill()
                skip("interrupt", "Ctrl-C during --method direct", "no --verbose line before the work")
                return
            time.sleep(1.0)  # well inside the computation (estimated at several seconds)
            sent = time.perf_counter()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            waits.append(time.perf_counter() - sent)
            code = proc.returncode
    left = (tmp / "iout.npy").exists()
    wait = statistics.median(waits)
    add(
        "interrupt",
        "Ctrl-C during --method direct",
        fmt_s(wait),
        "target 0.5 s",
        wait / 0.5,
        "<= 1.0",
        wait <= 0.5 and code == 130 and not left,
        f"exit {code}; {'an output file was left' if left else 'no output file'}",
    )
    for name in ("I.npy", "IK.npy"):
        (tmp / name).unlink(missing_ok=True)


# --- (g) check and steps: about one computation ------------------------------------------------


def goal_explanations(n: int, reps: int, tmp: Path) -> None:
    """steps --at reads one window, and check costs about one computation of the operation
    (README's "Speed"): on an n x n integer input with box:3 (exact fractions), and on floats,
    whose check needs each cell's scale (the operation on |A| and |B|) only where |y| does not
    already accept the cell."""
    say(f"\n(g) steps --at and check: about one computation ({n}x{n} integers, box:3)")
    from convcli import diagnose, ops
    from convcli.explanations import CheckReport
    from convcli.kernels import named_kernel
    from convcli.model import Op, OpOptions
    from convcli.parsing import read_matrix
    from convcli.steps import derive

    rng = np.random.default_rng(7)
    path = tmp / "explain_A.txt"
    np.savetxt(path, rng.integers(0, 10, (n, n)), fmt="%d")
    box = named_kernel("box:3")
    t_read, a = timed(lambda: read_matrix(str(path)), 1)
    t_at, steps = timed(lambda: derive(Op.CORRELATE, a, box, OpOptions(), at=(0, 0)), reps)
    assert steps.out_shape == (n - 2, n - 2)  # type: ignore[union-attr]
    add(
        "steps",
        f"steps --at 0,0, {n}² (in-process)",
        fmt_s(t_at),
        f"{fmt_s(t_read)} reading A",
        t_at / t_read,
        "< 1 s",
        t_at < 1.0,
    )

    def checked(x: np.ndarray, k: np.ndarray, answer: np.ndarray, into: list) -> None:
        into.append(diagnose.check(x, k, answer, Op.CORRELATE, OpOptions()))

    cases = [("integers, box:3", a, box), ("floats, 3x3", a / 7.0, rng.random((3, 3)))]
    for label, x, k in cases:
        answer = ops.correlate(x, k).value.copy()
        where = (n // 3, n // 2)
        answer[where] = answer[where] + 1
        reports: list[CheckReport] = []
        ours = functools.partial(checked, x, k, answer, reports)
        t_check, t_op = timed_pair(ours, functools.partial(ops.correlate, x, k), max(1, reps - 1))
        ok = all(r.wrong == [where] for r in reports)
        ratio = t_check / t_op
        # a float check computes each cell's scale only where |y| does not decide the cell
        target = 1.5
        note = "" if ok else "WRONG CELLS NOT FOUND"
        add(
            "check",
            f"check, one wrong cell, {n}² {label}",
            fmt_s(t_check),
            f"{fmt_s(t_op)} correlate",
            ratio,
            f"≤ {target}",
            ok and ratio <= target,
            note,
        )


# --- the report ---------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scipy

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpu}, {cores} cores; Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}; {platform.system()} {platform.release()}; {load}"
    )


def table() -> str:
    lines = [
        "| goal | case | convcli | peer | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in ROWS:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        case = r.case + (f" ({r.note})" if r.note else "")
        lines.append(f"| {r.goal} | {case} | {r.ours} | {r.peer} | {ratio} | {r.target} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--goal",
        action="append",
        metavar="NAME",
        help="run only this goal (repeatable): start-up, engine, exact integers, fractions, text "
        "parsing, peak memory, check and steps, layers, gradients, grad, big integers, strides, "
        "interrupt",
    )
    args = parser.parse_args()
    quick = args.quick
    global WARM_UP
    WARM_UP = not quick
    started = time.perf_counter()
    say(f"machine: {machine()}")
    say(f"convcli command: {' '.join(convcli_cmd())}")
    if quick:
        sizes = [512]
        kernels = {512: ["3"]}
        reps, proc_reps, start_reps = 2, 1, 1
    else:
        sizes = [512, 2048, 4096]
        square = ["3", "5", "11", "31", "64"]
        kernels = {
            512: [*square, "1x5", "5x1", "1x31", "31x1", "gauss11"],
            2048: [*square, "1x5", "5x1", "1x31", "31x1", "1x64", "64x1", "gauss11"],
            4096: [*square, "1x31", "31x1", "gauss11"],
        }
        reps, proc_reps, start_reps = 3, 3, 7
    tmp = Path(tempfile.mkdtemp(prefix="convcli-bench-"))
    goals: list[tuple[str, Callable[[], None]]] = [
        ("start-up", lambda: goal_startup(start_reps)),
        ("engine", lambda: goal_grid(sizes, kernels, reps, proc_reps, tmp)),
        ("exact integers", lambda: goal_integers(512 if quick else 2048, reps)),
        ("fractions", lambda: goal_fractions(200 if quick else 1000, 1)),
        ("text parsing", lambda: goal_parsing(256 if quick else 2048, 1 if quick else 2)),
        ("peak memory", lambda: goal_memory(1024 if quick else 4096, tmp)),
        ("check and steps", lambda: goal_explanations(300 if quick else 2000, 1 if quick else 3, tmp)),
        ("layers", lambda: goal_layers(2 if quick else 7, quick)),
        ("gradients", lambda: goal_gradients(2 if quick else 7, quick)),
        ("grad", lambda: goal_grad(2 if quick else 7, quick)),
        ("big integers", lambda: goal_big_integers(256 if quick else 1024)),
        ("strides", lambda: goal_strides(512 if quick else 2048, 2 if quick else 5, tmp)),
        ("interrupt", lambda: goal_interrupt(tmp)),
    ]
    if args.goal:
        unknown = set(args.goal) - {name for name, _ in goals}
        if unknown:
            parser.error(f"no goal named {', '.join(sorted(unknown))}")
        goals = [(name, goal) for name, goal in goals if name in args.goal]
    try:
        for name, goal in goals:
            began = time.perf_counter()
            try:
                goal()
            except Exception as exc:  # report and go on: one broken goal must not hide the others
                skip(name, "(whole goal)", f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
            say(f"  [{name}: {time.perf_counter() - began:.0f} s]")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s\n")
    say(f"Measured on {machine()}" + (" (--quick)" if quick else ""))
    say()
    say(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
