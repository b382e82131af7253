#!/usr/bin/env python3
"""Generate the NYSE (XNYS) session reference used by coach-core's calendar test.

How to run (from the repository root):

    pip install exchange_calendars==4.13.2
    python3 scripts/gen_xnys_reference.py

The committed crates/coach-core/tests/data/xnys_sessions.csv was produced with
exchange_calendars 4.13.2 (pandas 3.1.1, tzdata 2026.6).

It writes one row per XNYS session from 1990-01-02 through 2035-12-31:

    date,open_utc,close_utc,early_close

with open/close as RFC 3339 UTC timestamps (e.g. 2024-07-03T13:30:00Z) and
early_close "true" when the close is earlier than 16:00 New York time.
The Rust integration test (crates/coach-core/tests/calendar/main.rs) compares
every row with coach_core::calendar and expects zero differences.
"""

import csv
import sys
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

START = "1990-01-02"
END = "2035-12-31"
OUT = (
    Path(__file__).resolve().parent.parent
    / "crates"
    / "coach-core"
    / "tests"
    / "data"
    / "xnys_sessions.csv"
)
NEW_YORK = ZoneInfo("America/New_York")
REGULAR_CLOSE = time(16, 0)


def rfc3339_utc(ts) -> str:
    """Format a tz-aware pandas Timestamp as RFC 3339 UTC with a Z suffix."""
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> int:
    cal = xcals.get_calendar("XNYS", start=START, end=END)
    schedule = cal.schedule.loc[START:END]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with OUT.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["date", "open_utc", "close_utc", "early_close"])
        for date, row in schedule.iterrows():
            open_utc, close_utc = row["open"], row["close"]
            local_close = close_utc.tz_convert(NEW_YORK).time()
            early = local_close < REGULAR_CLOSE
            writer.writerow(
                [
                    date.strftime("%Y-%m-%d"),
                    rfc3339_utc(open_utc),
                    rfc3339_utc(close_utc),
                    "true" if early else "false",
                ]
            )
            rows += 1
    print(
        f"wrote {rows} sessions ({START}..{END}) to {OUT} "
        f"with exchange_calendars {xcals.__version__}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
