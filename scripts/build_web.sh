#!/usr/bin/env bash
# Builds the chat widget (web/src -> web/dist) with esbuild from npm.
# Re-running is a no-op while package-lock.json and the sources are unchanged.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then
  echo "npm (Node 20+) is needed to build the web chat widget." >&2
  exit 1
fi
deps=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
want=$(cat package.json package-lock.json $(find src -type f | sort) \
  ../scripts/build_web.sh | sha256sum | cut -d' ' -f1)
if [[ -f dist/.stamp && "$(cat dist/.stamp)" == "$want" && -f dist/carer-chat.js \
      && -f node_modules/.deps-stamp && "$(cat node_modules/.deps-stamp)" == "$deps" ]]; then
  exit 0
fi
if [[ ! -f node_modules/.deps-stamp || "$(cat node_modules/.deps-stamp)" != "$deps" ]]; then
  echo "Installing the web chat's npm packages (package-lock.json)..."
  npm ci --no-audit --no-fund --loglevel=error
  echo "$deps" > node_modules/.deps-stamp
fi
rm -rf dist
npm run --silent build
echo "$want" > dist/.stamp
echo "Web chat built: web/dist/"
