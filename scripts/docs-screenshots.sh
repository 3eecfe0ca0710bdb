#!/usr/bin/env bash
# Regenerates the README's screenshots of the quick-start pack:
#   docs/pack-first-page.png      the pack's first screen (cover, scorecard)
#   docs/pack-indicator-page.png  one indicator page (INDICATOR, default NI16)
# from the committed sample, with headless Chromium (Debian's `chromium`, or
# PIREPORT_CHROMIUM=/path). Run from the repository root:
#   scripts/docs-screenshots.sh [INDICATOR]
# SOURCE_DATE_EPOCH is fixed so the cover's dates do not change between runs.
set -euo pipefail

indicator="${1:-NI16}"
chromium="${PIREPORT_CHROMIUM:-chromium}"
command -v "$chromium" >/dev/null || { echo "error: $chromium not found: apt-get install chromium, or set PIREPORT_CHROMIUM" >&2; exit 1; }
[ -f Cargo.toml ] && [ -d data-samples ] || { echo "error: run from the repository root" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1341100800}" \
  cargo run --quiet -- pack dom --region E12000002 --quarter "2010-11 Q2" --out "$work/pack"

html="$work/pack/index.html"
grep -q "id=\"ind-$indicator\"" "$html" || { echo "error: the pack has no page for $indicator" >&2; exit 2; }

# The indicator page alone: the same document with every other section hidden.
sed "s|</head>|<style>section{display:none!important} #ind-$indicator{display:block!important}</style></head>|" \
  "$html" > "$work/pack/indicator.html"

shot() { # URL OUT
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --virtual-time-budget=10000 --window-size=1000,1400 \
    --screenshot="$2" "$1" 2>/dev/null
  [ -s "$2" ] || { echo "error: chromium wrote no $2" >&2; exit 1; }
}

mkdir -p docs
shot "file://$html" docs/pack-first-page.png
shot "file://$work/pack/indicator.html" docs/pack-indicator-page.png
echo "wrote docs/pack-first-page.png and docs/pack-indicator-page.png ($indicator)"
