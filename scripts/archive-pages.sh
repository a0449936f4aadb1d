#!/usr/bin/env bash
# Builds a web archive the way `send` does (two delivered editions of the
# Dutch fixture, file transport, a theme and a note) and checks its pages in
# headless Chromium at 375 and 1024 px, light and dark: no sideways
# scrolling, every item title shown. Screenshots go to OUT_DIR/screenshots.
#
# usage: scripts/archive-pages.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cargo build --quiet --manifest-path "$root/Cargo.toml" --bin postbode
bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/postbode"

work="$out/work"
rm -rf "$work"
mkdir -p "$work"
cp -r "$root/tests/fixtures/digest_nl" "$work/site"
cat >"$work/subscribers.yaml" <<'YAML'
subscribers:
  - email: "ada@example.org"
    name: "Ada Lovelace"
    categories: []
    status: active
YAML
cat >"$work/config.toml" <<'TOML'
[site]
source = "site"

[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
address = "Keizersgracht 123, 1015 CJ Amsterdam"

[delivery]
transport = "file"

[subscribers]
file = "subscribers.yaml"

[theme]
accent = "#0b6e4f"
logo = "https://leestmeer.example.org/logo.png"
logo_alt = "Leest Meer"
logo_width = 180
footer = "Samengesteld door *de redactie*."

[archive]
TOML
printf 'Deze week: **de nieuwe bibliotheek**.\n' >"$work/intro.md"
(cd "$work" && "$bin" -q send --since 2026-11-16 --until 2026-11-23 && "$bin" -q send --since 2026-11-23 --until 2026-11-30)

pages="$work/site/digest"
# The edition pages show what the edition JSON counts.
for page in "$pages"/2*.html; do
  id="$(basename "$page" .html)"
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["edition"]; print(json.dumps({"count": sum(len(s["items"]) for s in e["sections"])}))' \
    "$work/state/editions/$id/edition.json" >"$pages/$id.json"
done
checks="$root/scripts/email-checks"
[ -d "$checks/node_modules/playwright-core" ] || (cd "$checks" && npm ci --no-audit --no-fund --silent)
SHOT_WIDTHS=375,1024 SHOT_SCHEMES=light,dark node "$checks/screenshots.js" "$out/screenshots" "$pages"/*.html
rm -f "$pages"/*.json
