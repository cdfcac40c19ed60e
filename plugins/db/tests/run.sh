#!/usr/bin/env bash
# Runs the db plugin's tests against a real throwaway PostgreSQL:
#   plugins/db/tests/run.sh [--valgrind] [BUILD_DIR]
# starts one with scripts/pg-throwaway.sh, exports DATABASE_URL, runs every
# BUILD_DIR/tests/db_test_* (default build), stops Postgres, exits non-zero
# if any binary failed.  VALGRIND=1 works like --valgrind.
set -uo pipefail
cd "$(dirname "$0")/../../.."

valgrind=${VALGRIND:-}
if [ "${1:-}" = "--valgrind" ]; then valgrind=1; shift; fi
build=${1:-${BUILD:-build}}
bins=$(ls "$build"/tests/db_test_* 2>/dev/null | grep -v '\.d$' || true)
if [ -z "$bins" ]; then
	echo "run.sh: no $build/tests/db_test_* (make $build/plugins/db.so and the db tests first)" >&2
	exit 2
fi

env_lines=$(scripts/pg-throwaway.sh start) || { echo "run.sh: could not start PostgreSQL" >&2; exit 2; }
eval "$env_lines"
trap 'scripts/pg-throwaway.sh stop "$VSTRESS_PG_DIR"' EXIT
export DATABASE_URL VSTRESS_TEST_PLUGIN_DIR="$build/plugins"

passed=0 failed=0 failed_names=""
for b in $bins; do
	if [ -n "$valgrind" ]; then
		cmd=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible "$b")
	else
		cmd=("$b")
	fi
	if "${cmd[@]}"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); failed_names="$failed_names $(basename "$b")"
	fi
done
echo "[==========] db: $((passed + failed)) test binaries run${valgrind:+ under valgrind}."
echo "[  PASSED  ] $passed binaries."
if [ "$failed" -gt 0 ]; then
	echo "[  FAILED  ] $failed binaries:$failed_names"
	exit 1
fi
exit 0
