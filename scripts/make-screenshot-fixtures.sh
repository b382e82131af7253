#!/usr/bin/env bash
# Draws the screenshot fixtures in tests/fixtures/screenshots/ with ImageMagick
# and DejaVu Sans (both installed by scripts/lib.sh): a small positions table in
# a dark and a light theme. The ground truth is truth.json beside them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../tests/fixtures/screenshots"
draw() { # name background header-colour text-colour
  convert -size 760x200 "xc:$2" -font DejaVu-Sans -pointsize 18 \
    -fill "$3" -annotate +20+36 'Symbol        Type    Qty    Strike    Expiration      Avg Price' \
    -fill "$4" -annotate +20+80 'AAPL          Call      2     230.00    2024-08-16      4.35' \
    -annotate +20+120 'SPY           Put      -1     540.00    2024-07-19      2.10' \
    -annotate +20+160 'MSFT          Stock   100          -              -      441.20' \
    -strip "$1"
}
draw positions-dark.png '#0f172a' '#94a3b8' '#e2e8f0'
draw positions-light.png '#ffffff' '#475569' '#0f172a'
