#!/usr/bin/env bash
# Opens each preview in headless Chromium at 600 px and 375 px, saves
# full-page screenshots to SHOT_DIR, and fails when a page scrolls sideways
# or an item is missing or cut off (scripts/email-checks/screenshots.js).
#
# usage: scripts/screenshots.sh [PREVIEW_DIR] [SHOT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-}"
shots="${2:-${dir:-$(mktemp -d)}/screenshots}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d)"
  "$root/scripts/email-previews.sh" "$dir"
fi
checks="$root/scripts/email-checks"
[ -d "$checks/node_modules/playwright-core" ] || (cd "$checks" && npm ci --no-audit --no-fund --silent)
node "$checks/screenshots.js" "$shots" "$dir"/*.html
