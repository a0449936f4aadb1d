#!/usr/bin/env bash
# Installs what the browser checks need when it is missing: Debian's
# chromium, node and npm, a font, any extra Debian packages named as
# arguments, and the npm packages pinned in scripts/email-checks.
# usage: scripts/browser-tools.sh [DEBIAN_PACKAGE...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
for pkg in "$@"; do
  command -v "$pkg" >/dev/null || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
checks="$root/scripts/email-checks"
[ -d "$checks/node_modules/playwright-core" ] || (cd "$checks" && npm ci --no-audit --no-fund --silent)
