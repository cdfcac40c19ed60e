#!/usr/bin/env bash
# The layout rules of docs/architecture.md, from the tree's includes and the
# build's object symbols (scripts/check-layers.py; TAP).
set -uo pipefail
cd "$(dirname "$0")/../.."
exec python3 scripts/check-layers.py --build "${BUILD:-build}"
