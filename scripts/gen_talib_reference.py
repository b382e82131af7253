#!/usr/bin/env python3
"""Reference indicator values from TA-Lib, committed as test data.

Input: real daily SPY history (Yahoo Finance, as shipped in the mplfinance
examples: examples/data/yahoofinance-SPY-20080101-20180101.csv). Output, in
crates/coach-core/tests/data/:

  spy_daily_2008_2017.csv   the bars in `coach indicators` input format
                            (time = unix seconds of midnight New York)
  talib_spy_daily.csv       one row per bar: time, then one column per output
                            key (empty = TA-Lib gives no value yet)
  vwap_minutes.csv          (from a `coach bars` JSON-lines file, optional
  vwap_reference.csv         second argument) minute bars and a session VWAP
                            computed here, independently of the Rust code

Run:  python -m venv /tmp/ta && /tmp/ta/bin/pip install ta-lib numpy
      /tmp/ta/bin/python scripts/gen_talib_reference.py SPY.csv [minutes.jsonl]
"""

import csv
import datetime as dt
import json
import sys
import zoneinfo
from pathlib import Path

import numpy as np
import talib

OUT = Path(__file__).resolve().parent.parent / "crates/coach-core/tests/data"
NY = zoneinfo.ZoneInfo("America/New_York")

# (spec as `coach indicators` takes it, output keys, TA-Lib call)
SPECS = [
    ("sma:1", ["sma_1"], lambda o, h, l, c: [talib.SMA(c, 1)]),
    ("sma:20", ["sma_20"], lambda o, h, l, c: [talib.SMA(c, 20)]),
    ("sma:200", ["sma_200"], lambda o, h, l, c: [talib.SMA(c, 200)]),
    ("ema:1", ["ema_1"], lambda o, h, l, c: [talib.EMA(c, 1)]),
    ("ema:9", ["ema_9"], lambda o, h, l, c: [talib.EMA(c, 9)]),
    ("ema:50", ["ema_50"], lambda o, h, l, c: [talib.EMA(c, 50)]),
    ("rsi:2", ["rsi_2"], lambda o, h, l, c: [talib.RSI(c, 2)]),
    ("rsi:14", ["rsi_14"], lambda o, h, l, c: [talib.RSI(c, 14)]),
    ("macd:12:26:9", ["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"],
     lambda o, h, l, c: list(talib.MACD(c, 12, 26, 9))),
    ("macd:5:35:5", ["macd_5_35_5", "macd_signal_5_35_5", "macd_hist_5_35_5"],
     lambda o, h, l, c: list(talib.MACD(c, 5, 35, 5))),
    ("atr:1", ["atr_1"], lambda o, h, l, c: [talib.ATR(h, l, c, 1)]),
    ("atr:14", ["atr_14"], lambda o, h, l, c: [talib.ATR(h, l, c, 14)]),
    ("bbands:20:2", ["bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2"],
     lambda o, h, l, c: list(talib.BBANDS(c, 20, 2.0, 2.0, 0))),
    ("bbands:10:1.5", ["bb_upper_10_1.5", "bb_middle_10_1.5", "bb_lower_10_1.5"],
     lambda o, h, l, c: list(talib.BBANDS(c, 10, 1.5, 1.5, 0))),
    ("stoch:14:3", ["stoch_k_14_3", "stoch_d_14_3"],
     lambda o, h, l, c: list(talib.STOCHF(h, l, c, 14, 3, 0))),
    ("stoch:5:1", ["stoch_k_5_1", "stoch_d_5_1"],
     lambda o, h, l, c: list(talib.STOCHF(h, l, c, 5, 1, 0))),
]


def daily(src: Path):
    rows = []
    with src.open() as f:
        for r in csv.DictReader(f):
            day = dt.date.fromisoformat(r["Date"])
            midnight = dt.datetime(day.year, day.month, day.day, tzinfo=NY)
            rows.append((int(midnight.timestamp()), float(r["Open"]), float(r["High"]),
                         float(r["Low"]), float(r["Close"]), float(r["Volume"])))
    with (OUT / "spy_daily_2008_2017.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "open", "high", "low", "close", "volume"])
        for t, o, h, l, c, v in rows:
            w.writerow([t, repr(o), repr(h), repr(l), repr(c), int(v)])
    o, h, l, c = (np.array([r[i] for r in rows]) for i in range(1, 5))
    columns, keys = [], []
    for _spec, names, fn in SPECS:
        outs = fn(o, h, l, c)
        assert len(outs) == len(names)
        keys += names
        columns += outs
    with (OUT / "talib_spy_daily.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time"] + keys)
        for i, r in enumerate(rows):
            w.writerow([r[0]] + ["" if np.isnan(col[i]) else repr(float(col[i])) for col in columns])
    print(f"{len(rows)} daily bars, {len(keys)} TA-Lib outputs (TA-Lib {talib.__ta_version__.decode()})")


def vwap(src: Path):
    """Session VWAP restarting at 09:30 New York, typical price (H+L+C)/3."""
    bars = [json.loads(line) for line in src.open()]
    with (OUT / "vwap_minutes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "open", "high", "low", "close", "volume"])
        for b in bars:
            w.writerow([b["time"], repr(b["open"]), repr(b["high"]), repr(b["low"]),
                        repr(b["close"]), repr(float(b["volume"]))])
    session, pv, vol = None, 0.0, 0.0
    with (OUT / "vwap_reference.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "vwap"])
        for b in bars:
            t = dt.datetime.fromtimestamp(b["time"] / 1000, NY)
            opened = t.hour * 60 + t.minute >= 570
            if opened and session != t.date():
                session, pv, vol = t.date(), 0.0, 0.0
            if session is None:
                w.writerow([b["time"], ""])
                continue
            pv += (b["high"] + b["low"] + b["close"]) / 3.0 * b["volume"]
            vol += b["volume"]
            w.writerow([b["time"], repr(pv / vol) if vol > 0 else ""])
    print(f"{len(bars)} minute bars with a reference VWAP")


if __name__ == "__main__":
    daily(Path(sys.argv[1]))
    if len(sys.argv) > 2:
        vwap(Path(sys.argv[2]))
