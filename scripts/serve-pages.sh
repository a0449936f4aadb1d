#!/usr/bin/env bash
# Checks `postbode serve`'s pages in headless Chromium, as a reader meets
# them: starts `serve` on a free loopback port for the sample site with two
# subscribers, lets scripts/email-checks/serve-pages.js open the unsubscribe
# link at 375 px and 1024 px, click its button, sign up and confirm, and
# open a dead link, then checks that the list changed accordingly.
# Screenshots go to SHOT_DIR (default: a temp dir).
#
# usage: scripts/serve-pages.sh [SHOT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shots="${1:-$(mktemp -d)/serve-pages}"
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
reply_to = "redactie@leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"
outbox = "outbox"

[subscribers]
file = "subscribers.yaml"

[serve]
listen = "127.0.0.1:$port"
TOML
pb() { "$bin" --config "$work/config.toml" -q "$@"; }
pb subscribers add lezer-375@example.org --name "Lezer 375"
pb subscribers add lezer-1024@example.org --name "Lezer 1024"
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

node "$checks/serve-pages.js" "$shots" "http://127.0.0.1:$port" "$work/outbox" \
  "$(token lezer-375@example.org)" "$(token lezer-1024@example.org)"

# The clicks changed the list: both readers out, both sign-ups confirmed.
status() { pb subscribers list --status "$1" --json | node -e '
  console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).map((s) => s.email).sort().join(" "))'; }
unsubscribed="$(status unsubscribed)"
active="$(status active)"
if [ "$unsubscribed" != "lezer-1024@example.org lezer-375@example.org" ] \
  || [ "$active" != "nieuw-1024@example.org nieuw-375@example.org" ]; then
  echo "serve pages: the list did not change as clicked: unsubscribed: $unsubscribed; active: $active" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
echo "serve pages: the list changed as clicked; screenshots in $shots"
