#!/usr/bin/env bash
# Checks `postbode serve`'s preference page in headless Chromium: starts
# `serve` on a free loopback port for the sample site with two digests and
# two readers, lets scripts/email-checks/preferences-page.js open each
# reader's preference link (375 px and 1024 px), tick boxes, set a pause and
# save, then checks that the list holds what was clicked.
# Screenshots go to SHOT_DIR (default: a temp dir).
#
# usage: scripts/preferences-page.sh [SHOT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shots="${1:-$(mktemp -d)/preferences-page}"
mkdir -p "$shots"
checks="$root/scripts/email-checks"

"$root/scripts/browser-tools.sh"

cargo build --quiet --manifest-path "$root/Cargo.toml" --bin postbode
bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/postbode"

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cat >"$work/config.toml" <<TOML
[site]
source = "$root/sample"

[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[digests.weekly]
cron = "0 8 * * MON"

[digests.daily]
cron = "0 7 * * *"
window_days = 1

[delivery]
transport = "file"

[subscribers]
file = "subscribers.yaml"

[serve]
listen = "127.0.0.1:$port"
TOML
pb() { "$bin" --config "$work/config.toml" -q "$@"; }
pb subscribers add lezer-375@example.org
pb subscribers add lezer-1024@example.org
token() {
  pb subscribers export --format json | node -e '
    const list = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(list.find((s) => s.email === process.argv[1]).token);' "$1"
}

"$bin" --config "$work/config.toml" serve 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.05
done

node "$checks/preferences-page.js" "$shots" "http://127.0.0.1:$port" \
  "$(token lezer-375@example.org)" "$(token lezer-1024@example.org)"

# The clicks are in the list: both readers on both digests, paused.
saved="$(pb subscribers list --digest daily --json | node -e '
  const list = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(list.map((s) => `${s.email}:${s.digests.join("+")}:${s.categories.length}:${s.paused_until}`).sort().join(" "))')"
if [ "$saved" != "lezer-1024@example.org:daily+weekly:1:2099-01-04 lezer-375@example.org:daily+weekly:1:2099-01-04" ]; then
  echo "preference page: the list does not hold what was clicked: $saved" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
echo "preference page: the list holds what was clicked; screenshots in $shots"
