#!/usr/bin/env bash
# Scores each preview .eml with SpamAssassin's local rules (no network
# tests) and fails when one scores 1.0 or more.
#
# usage: scripts/spamassassin.sh [PREVIEW_DIR]   (rendered when not given)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d)"
  "$root/scripts/email-previews.sh" "$dir"
fi
limit="1.0"
prefs="$(mktemp -d)"
trap 'rm -rf "$prefs"' EXIT
failed=0
for eml in "$dir"/*.eml; do
  report="$(spamassassin -L -t -p "$prefs/user_prefs" <"$eml" 2>/dev/null)"
  status="$(printf '%s\n' "$report" | sed -n 's/^X-Spam-Status: //p' | head -n 1)"
  score="$(printf '%s\n' "$status" | sed -n 's/.*score=\([-0-9.]*\).*/\1/p')"
  if [ -z "$score" ]; then
    echo "$eml: no score from spamassassin" >&2
    failed=1
    continue
  fi
  rules="$(printf '%s\n' "$report" | sed -n '/^ pts rule name/,/^$/p' | sed -n 's/^ *\(-\{0,1\}[0-9.]*\) \([A-Z0-9_]*\) .*/\2=\1/p' | tr '\n' ' ')"
  if awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s + 0 >= l + 0) }'; then
    echo "$eml: score $score (limit $limit): $rules"
    failed=1
  else
    echo "$eml: score $score: $rules"
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "spamassassin: failed" >&2
  exit 1
fi
echo "spamassassin: every preview scores below $limit"
