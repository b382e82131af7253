#!/usr/bin/env bash
# Draws the screenshot fixtures in tests/fixtures/screenshots/ with ImageMagick
# and DejaVu Sans (both installed by scripts/lib.sh). The ground truth is beside
# them: truth.json for the generic table, <broker>.truth.json for each broker's
# four images.
#
# - positions-{dark,light}.png: a generic positions table, each cell at its
#   column's x.
# - <broker>-<theme>-<px>.png: a positions screen in the style of thinkorswim,
#   tastytrade, IBKR (TWS), Robinhood (a mobile list of cards) and Webull, in a
#   dark and a light theme, with 14 px and 21 px text (the same layout drawn at
#   ×1 and ×1.5).
#
# The contracts are those the demo market lists on 2024-07-01 (coach_sim's
# expirations and strike grid, strikes near that day's demo prices).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../tests/fixtures/screenshots"

# --- The generic table -------------------------------------------------------
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

# --- The brokers' screens ----------------------------------------------------
# Coordinates are given at ×1 (14 px text); S is the scale in percent.
S=100
W=0
ARGS=()
BG=
TABLE=()
FONT=DejaVu-Sans
BOLD=DejaVu-Sans-Bold
px() { echo $(($1 * S / 100)); }
# text ALIGN X Y SIZE COLOUR FONT TEXT: ALIGN l puts the text's left at X,
# r its right edge at X; Y is the top of the text.
text() {
  local g=NorthWest x
  x=$(px "$2")
  if [[ $1 == r ]]; then
    g=NorthEast
    x=$((W - x))
  fi
  ARGS+=(-gravity "$g" -font "$6" -pointsize "$(px "$4")" -fill "$5" -annotate "+$x+$(px "$3")" "$7")
}
# rect X1 Y1 X2 Y2 COLOUR
rect() {
  ARGS+=(-gravity NorthWest -fill "$5" -draw "rectangle $(px "$1"),$(px "$2"),$(px "$3"),$(px "$4")")
}
# row Y COLOUR FONT CELLS...: one cell per entry of TABLE (align:x); a cell
# may end in ^colour to draw it in its own colour; an empty cell is skipped.
row() {
  local y=$1 colour=$2 font=$3
  shift 3
  local i=0 cell spec c
  for cell in "$@"; do
    spec=${TABLE[$i]}
    c=$colour
    if [[ $cell == *^* ]]; then
      c=${cell##*^}
      cell=${cell%^*}
    fi
    [[ -n $cell ]] && text "${spec%%:*}" "${spec#*:}" "$y" 14 "$c" "$font" "$cell"
    i=$((i + 1))
  done
}
# render NAME BASE-WIDTH BASE-HEIGHT BACKGROUND (each broker's function sets BG)
render() {
  convert -size "$(px "$2")x$(px "$3")" "xc:$4" "${ARGS[@]}" -strip -depth 8 +dither -colors 64 "PNG8:$1"
  ARGS=()
}

# thinkorswim: Monitor › Activity and Positions › Position Statement.
thinkorswim() { # theme
  local fg dim bar up down accent
  if [[ $1 == dark ]]; then
    BG='#000000' fg='#e6e6e6' dim='#a0a0a0' bar='#2a2a2a' up='#3cc23c' down='#ff4d4d' accent='#5fa8ff'
  else
    BG='#ffffff' fg='#111111' dim='#555555' bar='#e2e2e2' up='#0a7d0a' down='#c81e1e' accent='#1f5fbf'
  fi
  W=$(px 860)
  TABLE=(l:12 r:440 r:500 r:600 r:680 r:770 r:850)
  text l 12 8 12 "$dim" "$FONT" 'Monitor   Activity and Positions'
  text l 12 34 15 "$accent" "$BOLD" 'Position Statement'
  rect 0 64 860 90 "$bar"
  row 69 "$dim" "$FONT" 'Instrument' 'Qty' 'Days' 'Trade Price' 'Mark' 'P/L Open' 'P/L Day'
  row 102 "$fg" "$FONT" 'AAPL 100 16 AUG 24 235 CALL' '+2' '46' '6.85' '7.20' "+\$70.00^$up" "+\$18.00^$up"
  row 134 "$fg" "$FONT" 'SPY 100 (Weeklys) 26 JUL 24 580 PUT' '-1^'"$down" '25' '4.10' '3.62' "+\$48.00^$up" "+\$12.00^$up"
  row 166 "$fg" "$FONT" 'NVDA 100 20 SEP 24 185 CALL' '+3' '81' '14.20' '13.05' "-\$345.00^$down" "-\$60.00^$down"
  row 198 "$fg" "$FONT" 'MSFT' '+50' '' '452.10' '463.92' "+\$591.00^$up" "+\$102.50^$up"
  row 236 "$dim" "$BOLD" 'Overall Totals' '' '' '' '' "+\$364.00^$up" "+\$72.50^$up"
}

# tastytrade: the Positions tab, one column per field.
tastytrade() {
  local fg dim bar up down brand
  if [[ $1 == dark ]]; then
    BG='#111214' fg='#f2f2f2' dim='#9aa0a6' bar='#1d1f23' up='#3ec56d' down='#ff5a6e' brand='#ff3b4e'
  else
    BG='#ffffff' fg='#1b1b1b' dim='#6b7076' bar='#f1f2f4' up='#148a3c' down='#d0253b' brand='#e0142b'
  fi
  W=$(px 860)
  TABLE=(l:16 l:110 r:230 l:260 r:380 r:460 r:570 r:650 r:760)
  text l 16 10 16 "$brand" "$BOLD" 'tastytrade'
  text l 160 12 13 "$fg" "$FONT" 'Positions     Activity     Watchlist'
  rect 0 44 860 70 "$bar"
  row 49 "$dim" "$FONT" 'Symbol' 'Type' 'Qty' 'Exp Date' 'DTE' 'Strike' 'Trade Price' 'Mark' 'P/L Open'
  row 82 "$fg" "$FONT" 'QQQ' 'Put' "-2^$down" 'Jul 19' '18' '565' '3.45' '2.80' "+\$130.00^$up"
  row 114 "$fg" "$FONT" 'AAPL' 'Call' '1' 'Aug 16' '46' '240' '3.20' '3.55' "+\$35.00^$up"
  row 146 "$fg" "$FONT" 'IWM' 'Call' '5' 'Aug 2' '32' '290' '2.15' '1.90' "-\$125.00^$down"
  row 178 "$fg" "$FONT" 'TSLA' 'Stock' '20' '' '' '' '138.40' '141.61' "+\$64.20^$up"
  rect 0 208 860 209 "$dim"
  row 218 "$fg" "$BOLD" 'TOTAL' '' '24' '' '' '' '' '' "+\$104.20^$up"
}

# IBKR: Trader Workstation's Portfolio window.
ibkr() {
  local fg dim bar up down accent
  if [[ $1 == dark ]]; then
    BG='#000000' fg='#f0f0f0' dim='#b4b4b4' bar='#333333' up='#32d74b' down='#ff453a' accent='#d7d7d7'
  else
    BG='#ffffff' fg='#000000' dim='#3a3a3a' bar='#dfe6ee' up='#007a1f' down='#c40000' accent='#1a3d7c'
  fi
  W=$(px 840)
  TABLE=(l:12 r:380 r:470 r:550 r:680 r:830)
  text l 12 8 15 "$accent" "$BOLD" 'Portfolio'
  text l 130 11 12 "$dim" "$FONT" 'Account U1234567'
  rect 0 40 840 66 "$bar"
  row 45 "$dim" "$FONT" 'Financial Instrument' 'Position' 'Avg Price' 'Last' 'Market Value' 'Unrealized P&L'
  row 78 "$fg" "$FONT" "AAPL Aug16'24 230 CALL" '2' '7.45' '7.95' '1,590.00' "100.00^$up"
  row 110 "$fg" "$FONT" "SPY Jul26'24 600 CALL" '-3' '3.15' '2.40' '-720.00' "225.00^$up"
  row 142 "$fg" "$FONT" "AMZN Sep20'24 175 PUT" '1' '5.80' '5.10' '510.00' "-70.00^$down"
  row 174 "$fg" "$FONT" 'GOOGL' '100' '198.25' '200.80' '20,080.00' "255.00^$up"
}

# Robinhood: the phone app's list of positions, a card each (no table).
robinhood() {
  local fg dim up line
  if [[ $1 == dark ]]; then
    BG='#000000' fg='#ffffff' dim='#9b9b9b' up='#00c805' line='#2b2b2b'
  else
    BG='#ffffff' fg='#000000' dim='#6f6f6f' up='#00a805' line='#e3e3e3'
  fi
  W=$(px 420)
  text l 16 12 13 "$dim" "$FONT" 'Investing'
  text l 16 32 22 "$fg" "$BOLD" '$28,412.75'
  text l 16 80 17 "$fg" "$BOLD" 'Options'
  local y=116 card
  for card in \
    'AAPL $232.50 Call|8/16 · 2 buys|Avg cost $6.90|$1,440.00|+$60.00' \
    'SPY $575 Put|7/19 · 1 sell|Avg cost $3.40|$290.00|+$50.00' \
    'NVDA $190 Call|7/26 · 3 buys|Avg cost $4.25|$1,395.00|+$120.00'; do
    IFS='|' read -r -a c <<<"$card"
    text l 16 "$y" 14 "$fg" "$BOLD" "${c[0]}"
    text r 404 "$y" 14 "$fg" "$FONT" "${c[3]}"
    text l 16 $((y + 24)) 13 "$dim" "$FONT" "${c[1]}"
    text r 404 $((y + 24)) 13 "$up" "$FONT" "${c[4]}"
    text l 16 $((y + 48)) 13 "$dim" "$FONT" "${c[2]}"
    rect 16 $((y + 74)) 404 $((y + 74)) "$line"
    y=$((y + 86))
  done
  text l 16 $((y + 4)) 17 "$fg" "$BOLD" 'Stocks'
  y=$((y + 40))
  text l 16 "$y" 14 "$fg" "$BOLD" 'MSFT'
  text l 90 "$y" 13 "$dim" "$FONT" '10 shares'
  text l 200 "$y" 13 "$dim" "$FONT" 'Avg cost $455.60'
  rect 16 $((y + 28)) 404 $((y + 28)) "$line"
  y=$((y + 40))
  text l 16 "$y" 14 "$fg" "$BOLD" 'META'
  text r 404 "$y" 14 "$fg" "$FONT" '$5,009.25'
  text l 16 $((y + 24)) 13 "$dim" "$FONT" '5 shares · Avg cost $985.20'
}

# Webull: the desktop app's Positions panel.
webull() {
  local fg dim bar up down brand
  if [[ $1 == dark ]]; then
    BG='#17181c' fg='#e8e9ec' dim='#8b8f98' bar='#202127' up='#19c27a' down='#f2495c' brand='#3b8cff'
  else
    BG='#ffffff' fg='#1c1d21' dim='#777b84' bar='#f4f5f7' up='#0f9d58' down='#e0333f' brand='#0a6cff'
  fi
  W=$(px 820)
  TABLE=(l:16 r:330 r:430 r:530 r:660 r:800)
  text l 16 10 16 "$brand" "$BOLD" 'Webull'
  text l 110 12 13 "$fg" "$FONT" 'Positions (4)     Orders     History'
  rect 0 44 820 70 "$bar"
  row 49 "$dim" "$FONT" 'Symbol' 'Qty' 'Avg Cost' 'Last Price' 'Mkt Value' 'Open P&L'
  row 82 "$fg" "$FONT" 'AAPL 240816 235.00C' '2' '5.95' '6.10' '1,220.00' "+30.00^$up"
  row 114 "$fg" "$FONT" 'QQQ 240719 570.00P' "-1^$down" '6.20' '5.35' '-535.00' "+85.00^$up"
  row 146 "$fg" "$FONT" 'TSLA 145 Call 08/02/2024' '4' '7.40' '6.95' '2,780.00' "-180.00^$down"
  row 178 "$fg" "$FONT" 'NVDA' '30' '176.55' '180.83' '5,424.90' "+128.40^$up"
  rect 0 208 820 209 "$dim"
  row 218 "$fg" "$BOLD" 'Total' '35' '' '' '9,889.90' "+63.40^$up"
}

for broker in thinkorswim tastytrade ibkr robinhood webull; do
  case $broker in
    robinhood) size=(420 500) ;;
    thinkorswim) size=(860 266) ;;
    ibkr) size=(840 206) ;;
    *) size=(860 248) ;;
  esac
  for theme in dark light; do
    for S in 115 172; do
      "$broker" "$theme"
      render "$broker-$theme-$((14 * S / 100)).png" "${size[0]}" "${size[1]}" "$BG"
    done
  done
done
