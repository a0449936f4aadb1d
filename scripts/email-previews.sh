#!/usr/bin/env bash
# Renders the previews the e-mail checks look at: the fixture editions in
# Dutch and English, the hostile fixture, an empty edition, the sample
# site and a themed edition (logo, colours, footer, postal address and an
# editor's note), each as .html, .txt, .eml and .json, into OUT_DIR.
#
# usage: scripts/email-previews.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: scripts/email-previews.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cargo build --quiet --manifest-path "$root/Cargo.toml" --bin postbode
bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/postbode"

# name, site folder, since, until
previews=(
  "digest_nl $root/tests/fixtures/digest_nl 2026-11-16 2026-11-23"
  "digest_en $root/tests/fixtures/digest_en 2026-11-16 2026-11-23"
  "hostile $root/tests/fixtures/hostile 2026-11-16 2026-11-23"
  "empty $root/tests/fixtures/digest_nl 2026-10-01 2026-10-08"
  "sample $root/sample 2026-11-16 2026-11-23"
  "themed $root/tests/fixtures/digest_nl 2026-11-16 2026-11-23"
)
for line in "${previews[@]}"; do
  read -r name site since until <<<"$line"
  config="$out/$name.toml"
  cat >"$config" <<TOML
[site]
source = "$site"

[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
reply_to = "redactie@leestmeer.example.org"
list_id = "weekly.leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
TOML
  intro=()
  if [ "$name" = themed ]; then
    cat >>"$config" <<'TOML'
address = "Keizersgracht 123, 1015 CJ Amsterdam"

[theme]
accent = "#0b6e4f"
background = "#fffdf7"
text = "#1f2421"
logo = "https://leestmeer.example.org/logo.png"
logo_alt = "Leest Meer"
logo_width = 180
font = "Verdana, Geneva, sans-serif"
header = "Het beste van de week, elke maandag"
footer = "Samengesteld door *de redactie*. [Over deze nieuwsbrief](https://leestmeer.example.org/over)."
TOML
    printf '%s\n\n%s\n' "Deze week: **de nieuwe bibliotheek** en een storm." \
      "Tips? Mail [de redactie](mailto:redactie@leestmeer.example.org)." >"$out/themed-intro.md"
    intro=(--intro "$out/themed-intro.md")
  fi
  "$bin" --config "$config" -q preview --since "$since" --until "$until" "${intro[@]}" \
    --out "$out/$name.html" --text "$out/$name.txt" --eml "$out/$name.eml" --json "$out/$name.json"
done
echo "previews in $out: ${#previews[@]} editions"
