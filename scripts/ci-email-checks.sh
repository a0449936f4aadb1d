#!/usr/bin/env bash
# The e-mail checks CI runs: installs the tools (Debian's chromium and
# spamassassin, the npm packages pinned in scripts/email-checks), renders the
# previews once, then lints the HTML, scores the .eml files and takes the
# screenshots (the themed digest in dark mode too, and the web archive's
# pages). Screenshots stay in $EMAIL_CHECKS_DIR (default: a temp dir).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/browser-tools.sh" spamassassin

dir="${EMAIL_CHECKS_DIR:-$(mktemp -d)}"
"$root/scripts/email-previews.sh" "$dir"
"$root/scripts/check-email-html.sh" "$dir"
"$root/scripts/spamassassin.sh" "$dir"
"$root/scripts/screenshots.sh" "$dir" "$dir/screenshots"
# The themed digest again, as a client in dark mode shows it.
SHOT_SCHEMES=dark node "$root/scripts/email-checks/screenshots.js" "$dir/screenshots" "$dir/themed.html"
"$root/scripts/archive-pages.sh" "$dir/archive"
