#!/usr/bin/env python3
"""Implied volatility + delta, gamma, theta, vega, rho for the same 1,000,000
options: ours (criterion, COACH_BENCH_OPTIONS), py_vollib_vectorized (the
whole book) and QuantLib (20,000 of them, scaled — it prices one at a time).

  python3 -m venv /tmp/ref && /tmp/ref/bin/pip install py_vollib_vectorized==0.1.1 \
      py_vollib==1.0.1 py_lets_be_rational==1.0.1 numba QuantLib numpy pandas scipy

(py_vollib_vectorized calls py_lets_be_rational's norm_cdf from its numba kernels;
from py_lets_be_rational 1.1 that function is no longer numba-compiled and the
kernels fail to type, so both are pinned to 1.0.1.)
  /tmp/ref/bin/python scripts/bench_options_vs_references.py
"""

import math
import os
import re
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
import py_vollib_vectorized as pvv  # noqa: E402
import QuantLib as ql  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "target/bench/options_1m.csv"
N = 1_000_000


def book():
    rng = np.random.default_rng(7)
    s = 50 + 500 * rng.random(N)
    k = s * (0.7 + 0.6 * rng.random(N))
    t = 0.01 + 2 * rng.random(N)
    flag = np.where(rng.random(N) < 0.5, "c", "p")
    vol = 0.1 + 0.8 * rng.random(N)
    r, q = np.full(N, 0.04), np.full(N, 0.01)
    # Prices by the plain formula (importing py_vollib_vectorized replaces
    # py_vollib's own functions with its kernels).
    cdf = np.frompyfunc(lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), 1, 1)
    w = np.where(flag == "c", 1.0, -1.0)
    d1 = (np.log(s / k) + (r - q + 0.5 * vol**2) * t) / (vol * np.sqrt(t))
    d2 = d1 - vol * np.sqrt(t)
    price = w * (s * np.exp(-q * t) * cdf(w * d1).astype(float) - k * np.exp(-r * t) * cdf(w * d2).astype(float))
    return flag, s, k, t, r, q, price


def write(flag, s, k, t, r, q, price):
    CSV.parent.mkdir(parents=True, exist_ok=True)
    with CSV.open("w") as f:
        f.write("kind,spot,strike,years,rate,dividend,price\n")
        for i in range(N):
            f.write(f"{flag[i]},{float(s[i])!r},{float(k[i])!r},{float(t[i])!r},{float(r[i])!r},{float(q[i])!r},{float(price[i])!r}\n")


def ours_s():
    out = subprocess.run(["cargo", "bench", "-p", "coach-core", "--bench", "options", "--", "iv \\+ greeks"],
                         cwd=ROOT, env={**os.environ, "COACH_BENCH_OPTIONS": str(CSV)},
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", out)
    return float(m.group(1)) * {"ms": 1e-3, "s": 1.0}[m.group(2)]


def py_vollib_s(flag, s, k, t, r, q, price):
    # Its numba kernels compile on first use: warm them on a slice first.
    w = slice(0, 1000)
    iv = pvv.vectorized_implied_volatility(price[w], s[w], k[w], t[w], r[w], flag[w], q[w],
                                           model="black_scholes_merton", return_as="numpy", on_error="ignore")
    pvv.get_all_greeks(flag[w], s[w], k[w], t[w], r[w], iv, q[w], model="black_scholes_merton", return_as="dict")
    t0 = time.perf_counter()
    iv = pvv.vectorized_implied_volatility(price, s, k, t, r, flag, q, model="black_scholes_merton",
                                           return_as="numpy", on_error="ignore")
    pvv.get_all_greeks(flag, s, k, t, r, iv, q, model="black_scholes_merton", return_as="dict")
    return time.perf_counter() - t0


def quantlib_s(flag, s, k, t, r, q, price, n=20_000):
    today = ql.Date(2, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    t0 = time.perf_counter()
    for i in range(n):
        spot = ql.SimpleQuote(s[i])
        vol = ql.SimpleQuote(0.2)
        proc = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(spot),
            ql.YieldTermStructureHandle(ql.FlatForward(today, q[i], dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, r[i], dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol), dc)))
        opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call if flag[i] == "c" else ql.Option.Put, k[i]),
                               ql.EuropeanExercise(today + max(1, int(t[i] * 365))))
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(proc))
        try:
            vol.setValue(opt.impliedVolatility(float(price[i]), proc, 1e-12, 200, 1e-4, 5.0))
        except RuntimeError:
            continue
        opt.delta(), opt.gamma(), opt.theta(), opt.vega(), opt.rho()
    return (time.perf_counter() - t0) * N / n


if __name__ == "__main__":
    data = book()
    if not CSV.exists():
        write(*data)
    o = ours_s()
    try:
        p = py_vollib_s(*data)
        pv = f"py_vollib_vectorized {p:.2f} s ({p / o:.1f}x ours)"
    except Exception as e:  # its numba kernels fail to compile against py_vollib 1.0.12
        pv = f"py_vollib_vectorized unavailable ({type(e).__name__})"
    q = quantlib_s(*data)
    print(f"1,000,000 options, IV + 5 Greeks: ours {o:.2f} s, {pv}, "
          f"QuantLib ~{q:.1f} s (from 20,000; {q / o:.1f}x ours)")
