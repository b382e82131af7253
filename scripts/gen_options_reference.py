#!/usr/bin/env python3
"""Reference option prices and Greeks from py_vollib and QuantLib, committed
as test data for crates/coach-core/tests/options.

  python -m venv /tmp/ref && /tmp/ref/bin/pip install py_vollib QuantLib numpy
  /tmp/ref/bin/python scripts/gen_options_reference.py

Writes crates/coach-core/tests/data/options_reference.csv: one random contract
per row (fixed seed) with
  py_vollib  BSM price and analytical Greeks (theta/day, vega and rho per point)
  QuantLib   AnalyticEuropeanEngine price and Greeks (converted to the same units)
  QuantLib   American price, Leisen-Reimer tree with 2001 steps, and the
             finite-difference engine (1000 time × 1000 space steps)
"""

import csv
import math
import random
from pathlib import Path

import QuantLib as ql
from py_vollib.black_scholes_merton import black_scholes_merton as pv_price
from py_vollib.black_scholes_merton.greeks import analytical as pv

OUT = Path(__file__).resolve().parent.parent / "crates/coach-core/tests/data/options_reference.csv"
N = 2000
random.seed(20261123)

today = ql.Date(2, 1, 2026)
ql.Settings.instance().evaluationDate = today
dc = ql.Actual365Fixed()


def quantlib(kind, s, k, t, r, q, vol):
    days = max(1, round(t * 365))
    t_exact = days / 365.0
    maturity = today + days
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, k)
    spot = ql.QuoteHandle(ql.SimpleQuote(s))
    rts = ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc))
    vts = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc))
    process = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
    euro = ql.VanillaOption(payoff, ql.EuropeanExercise(maturity))
    euro.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    amer = ql.VanillaOption(payoff, ql.AmericanExercise(today, maturity))
    amer.setPricingEngine(ql.BinomialVanillaEngine(process, "lr", 2001))
    lr = amer.NPV()
    amer.setPricingEngine(ql.FdBlackScholesVanillaEngine(process, 1000, 1000))
    fd = amer.NPV()
    return t_exact, [euro.NPV(), euro.delta(), euro.gamma(), euro.thetaPerDay(),
                     euro.vega() * 0.01, euro.rho() * 0.01, lr, fd]


rows = []
for i in range(N):
    kind = random.choice(["call", "put"])
    s = math.exp(random.uniform(math.log(5), math.log(2000)))
    k = s * math.exp(random.uniform(-0.6, 0.6))
    t = random.uniform(2, 3 * 365) / 365.0
    r = random.uniform(-0.01, 0.08)
    q = random.uniform(0.0, 0.06)
    vol = random.uniform(0.05, 1.5)
    # QuantLib works in whole days: use the same T for everyone.
    t, qlv = quantlib(kind, s, k, t, r, q, vol)
    flag = kind[0]
    pvv = [pv_price(flag, s, k, t, r, vol, q), pv.delta(flag, s, k, t, r, vol, q),
           pv.gamma(flag, s, k, t, r, vol, q), pv.theta(flag, s, k, t, r, vol, q),
           pv.vega(flag, s, k, t, r, vol, q), pv.rho(flag, s, k, t, r, vol, q)]
    rows.append([kind, s, k, t, r, q, vol] + pvv + qlv)

with OUT.open("w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["kind", "spot", "strike", "years", "rate", "dividend", "vol",
                "pv_price", "pv_delta", "pv_gamma", "pv_theta", "pv_vega", "pv_rho",
                "ql_price", "ql_delta", "ql_gamma", "ql_theta", "ql_vega", "ql_rho",
                "ql_american_lr2001", "ql_american_fd1000"])
    for r in rows:
        w.writerow([r[0]] + [repr(float(v)) for v in r[1:]])
print(f"{len(rows)} contracts (QuantLib {ql.__version__})")
