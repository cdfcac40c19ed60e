#!/usr/bin/env bash
# The layout rules of docs/architecture.md, from the tree's includes and the
# build's object symbols (scripts/check-layers.py; TAP).
set -uo pipefail
cd "$(dirname "$0")/../.."
# the plugins' sources as objects, for their call graph
make --no-print-directory -s BUILD="${BUILD:-build}" layout-objs >/dev/null || exit 1
exec python3 scripts/check-layers.py --build "${BUILD:-build}"
