#!/usr/bin/env bash
# Run the reference agent's test suite (called by the top-level `make check`).
# Creates the venv if needed, starts a throwaway Postgres when DATABASE_URL is unset,
# runs pytest -q, stops Postgres, exits with pytest's exit code.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
"$here/scripts/setup-venv.sh" || exit 1
pgdir=""
if [ -z "${DATABASE_URL:-}" ]; then
	eval "$("$repo/scripts/pg-throwaway.sh" start)" || { echo "test.sh: could not start Postgres" >&2; exit 1; }
	pgdir=$VSTRESS_PG_DIR
	echo "test.sh: throwaway Postgres at $DATABASE_URL"
fi
cd "$here"
"$here/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
rc=$?
[ -n "$pgdir" ] && "$repo/scripts/pg-throwaway.sh" stop "$pgdir"
exit $rc
