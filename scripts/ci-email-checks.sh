#!/usr/bin/env bash
# The e-mail checks CI runs: installs the tools (Debian's chromium and
# spamassassin, the npm packages pinned in scripts/email-checks), renders the
# previews once, then lints the HTML, scores the .eml files and takes the
# screenshots. Screenshots stay in $EMAIL_CHECKS_DIR (default: a temp dir).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v spamassassin >/dev/null || need+=(spamassassin)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
(cd "$root/scripts/email-checks" && npm ci --no-audit --no-fund --silent)

dir="${EMAIL_CHECKS_DIR:-$(mktemp -d)}"
"$root/scripts/email-previews.sh" "$dir"
"$root/scripts/check-email-html.sh" "$dir"
"$root/scripts/spamassassin.sh" "$dir"
"$root/scripts/screenshots.sh" "$dir" "$dir/screenshots"
