#!/usr/bin/env bash
# Regenerates app.min.js + app.min.js.map (linked map) and app.inline.js (inline data: map)
# from app/src with a real bundler (esbuild from the npm registry).  The sources hold a
# placeholder, never a key: tests replace it with a random fake key of the same length, so
# the bundle's columns and the map's mappings stay right.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund -s esbuild@0.24.2 >/dev/null)
esbuild="$tmp/node_modules/.bin/esbuild"
"$esbuild" app/src/main.ts --bundle --minify --sourcemap --format=esm --outfile=app.min.js
"$esbuild" app/src/main.ts --bundle --minify --sourcemap=inline --format=esm --outfile=app.inline.js
