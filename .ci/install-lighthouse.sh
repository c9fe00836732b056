#!/usr/bin/env bash
# Installs Lighthouse (the npm package, pinned: 13.x needs Node 22) into bench/.lighthouse/ for
# bench/lighthouse.py and tests/web/test_lighthouse.py; it drives Debian's chromium
# (CHROME_PATH=/usr/bin/chromium, installed by install-browser.sh). Idempotent: does nothing
# when that version is already there. Without node/npm it is an error (exit 1).
set -euo pipefail

VERSION=12.2.3
DIR="$(cd "$(dirname "$0")/.." && pwd)/bench/.lighthouse"

if [ -x "$DIR/node_modules/.bin/lighthouse" ] && \
   grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/lighthouse/package.json" 2>/dev/null; then
    echo "lighthouse $VERSION already installed in $DIR"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install-lighthouse: npm not found; install Node.js 18-20 (apt-get install nodejs npm)" >&2
    exit 1
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name": "metarrd-lighthouse", "private": true}' > "$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --silent -E "lighthouse@$VERSION"
echo "lighthouse $VERSION installed in $DIR"
