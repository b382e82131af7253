#!/usr/bin/env python3
"""RSI(14) + EMA(20) + ATR(14) over the same 1,000,000 bars: TA-Lib and ours,
in one run on one machine. Prints both times and the ratio (target ≤ 1.0).

  python -m venv /tmp/ta && /tmp/ta/bin/pip install ta-lib numpy
  /tmp/ta/bin/python scripts/bench_indicators_vs_talib.py

Ours is the criterion benchmark `indicators/rsi14 + ema20 + atr14` fed the
same CSV through COACH_BENCH_BARS; TA-Lib is timed with timeit (best of 7
runs of 5 calls each) on the arrays read from that CSV.
"""

import re
import subprocess
import timeit
from pathlib import Path

import numpy as np
import talib

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "target/bench/bars_1m.csv"
N = 1_000_000


def write_bars():
    rng = np.random.default_rng(20261123)
    close = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 1e-3, N))
    opn = np.concatenate([[100.0], close[:-1]])
    wiggle = np.abs(rng.normal(0.0, 5e-4, N)) * close
    high = np.maximum(opn, close) + wiggle
    low = np.minimum(opn, close) - wiggle
    vol = rng.integers(100, 5000, N)
    CSV.parent.mkdir(parents=True, exist_ok=True)
    t0 = 1_000_000_000
    with CSV.open("w") as f:
        f.write("time,open,high,low,close,volume\n")
        for i in range(N):
            f.write(f"{t0 + 60 * i},{float(opn[i])!r},{float(high[i])!r},{float(low[i])!r},{float(close[i])!r},{vol[i]}\n")


def talib_ms():
    data = np.genfromtxt(CSV, delimiter=",", skip_header=1)
    high, low, close = (np.ascontiguousarray(data[:, i]) for i in (2, 3, 4))
    run = lambda: (talib.RSI(close, 14), talib.EMA(close, 20), talib.ATR(high, low, close, 14))
    return min(timeit.repeat(run, number=5, repeat=7)) / 5 * 1000


def ours_ms():
    out = subprocess.run(
        ["cargo", "bench", "-p", "coach-core", "--bench", "indicators", "--", "rsi14"],
        cwd=ROOT, env={**__import__("os").environ, "COACH_BENCH_BARS": str(CSV)},
        capture_output=True, text=True, check=True).stdout
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", out)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


if __name__ == "__main__":
    if not CSV.exists():
        write_bars()
    t = talib_ms()
    o = ours_ms()
    print(f"TA-Lib {talib.__ta_version__.decode()}: {t:.2f} ms   ours: {o:.2f} ms   ratio ours/TA-Lib: {o / t:.2f}")
