#!/usr/bin/env bash
# Lints the digest's HTML against the caniemail database (via
# @jsx-email/doiuse-email) for Gmail, Outlook and Apple Mail. Fails on any
# error, and on any warning that templates/style.rs does not accept with a
# `lint-ok:` reason.
#
# usage: scripts/check-email-html.sh [PREVIEW_DIR]   (rendered when not given)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d)"
  "$root/scripts/email-previews.sh" "$dir"
fi
checks="$root/scripts/email-checks"
[ -d "$checks/node_modules/@jsx-email/doiuse-email" ] || (cd "$checks" && npm ci --no-audit --no-fund --silent)
node "$checks/lint.js" "$root/templates/style.rs" "$dir"/*.html
