#!/usr/bin/env bash
# Draws the screenshot fixtures in tests/fixtures/screenshots/ with ImageMagick
# and DejaVu Sans (both installed by scripts/lib.sh): a small positions table,
# each cell at its column's x, in a dark and a light theme. The ground truth is
# truth.json beside them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../tests/fixtures/screenshots"
COLS=(20 150 250 330 450 620)
ROWS=(
  'Symbol|Type|Qty|Strike|Expiration|Avg Price'
  'AAPL|Call|2|230.00|2024-08-16|4.35'
  'SPY|Put|-1|540.00|2024-07-19|2.10'
  'MSFT|Stock|100|-|-|441.20'
)
draw() { # name background header-colour text-colour
  local args=() y=36 colour="$3"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r -a cells <<<"$row"
    args+=(-fill "$colour")
    for i in "${!cells[@]}"; do
      args+=(-annotate "+${COLS[$i]}+$y" "${cells[$i]}")
    done
    colour="$4"
    y=$((y + 42))
  done
  convert -size 760x200 "xc:$2" -font DejaVu-Sans -pointsize 18 "${args[@]}" -strip "$1"
}
draw positions-dark.png '#0f172a' '#94a3b8' '#e2e8f0'
draw positions-light.png '#ffffff' '#475569' '#0f172a'
