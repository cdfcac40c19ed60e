#!/usr/bin/env bash
# Run every test suite and end with one plain line: "check: N passed, N failed".
# Each suite's output goes to $BUILD/check-logs/<suite>.log; its tests are
# counted from TAP lines (ok / not ok), a pytest summary, or a plain
# "N passed, N failed" line.  A suite that exits non-zero without a counted
# failure counts as one failure.
#   BUILD=build scripts/check.sh [--c-only]
#   VALGRIND=1: C test binaries and the vstress binary run under valgrind
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
logs="$BUILD/check-logs"
mkdir -p "$logs"
c_only=0
[ "${1:-}" = "--c-only" ] && c_only=1

total_pass=0 total_fail=0 total_skip=0 failed_suites=()
# Each failed suite and its failing lines, for .ci/run to repeat at its end.
failed_log="$logs/failed$([ "${VALGRIND:-0}" = 1 ] && echo -valgrind)"
: >"$failed_log"

count() { # log rc -> sets p f
	local log=$1 rc=$2 line
	# TAP: a "# SKIP" line (cmocka prints "not ok N # SKIP") is neither.
	p=$(grep -E '^ok [0-9]+' "$log" | grep -cv '# SKIP' || true)
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -cv '# SKIP' || true)
	sk=$(grep -cE '^(not )?ok [0-9]+ # SKIP' "$log" || true)
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		line=$(grep -E '^(=+ )?([0-9]+ (passed|failed|skipped|errors?|deselected|xfailed|xpassed)(, )?)+.* in [0-9.]+s' "$log" | tail -1)
		if [ -n "$line" ]; then
			p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
			f=$(( $(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0) + $(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || echo 0) ))
		else
			line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
			if [ -n "$line" ]; then
				p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
				f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
			fi
		fi
	fi
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	if [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ] && [ "${sk:-0}" = 0 ]; then f=1; echo "  (no test was counted)" >>"$log"; fi
}

suite() { # name command...
	local name=$1 log rc start
	shift
	log="$logs/$name.log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	count "$log" "$rc"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + ${sk:-0}))
	printf '%-28s %4d passed, %3d failed%s  (%ss)%s\n' "$name" "$p" "$f" \
		"$([ "${sk:-0}" != 0 ] && echo ", ${sk} skipped")" "$(( $(date +%s) - start ))" \
		"$([ "$f" != 0 ] && echo "  -> $log")"
	if [ "$f" != 0 ]; then
		failed_suites+=("$name")
		{
			echo "$name ($log)"
			grep -E '^not ok|FAILED|Error|error:' "$log" | head -20 | sed 's/^/    /'
		} | tee -a "$failed_log" | tail -n +2
	fi
}

vg=()
if [ "${VALGRIND:-0}" = 1 ]; then
	# Children are traced (plugins run in forked children, the world in an
	# exec'd one), except the Python target and the Postgres tools.
	vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --trace-children=yes
		"--trace-children-skip=*python*,*/psql,*pg_ctl*,*/postgres,*initdb*,*runuser*,*/sh,*/bash"
		--track-fds=no --suppressions=tests/valgrind.supp)
	export VSTRESS_VALGRIND=1 # tests that must shrink their load to run at all
fi
export CMOCKA_MESSAGE_OUTPUT=TAP
# Timing assertions widen under valgrind and the sanitizers (tests read this).
if [ "${VALGRIND:-0}" = 1 ] || [ "${SAN:-}" = 1 ]; then
	export VSTRESS_SLOW_RUNTIME=1
fi
# Sanitizer build: let crash fixtures really die by their signal (the runner
# must classify them), and fail on any report.
export ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

# The plain stage keeps, one "plugin check" a line, every check a test
# asserted to fail (tests/fakehost/fh_assert.h, tests/integration/lib.sh);
# scripts/check-audit.py SUMMARY.json lists the target checks none made fail.
if [ "${VALGRIND:-0}" != 1 ] && [ "${SAN:-}" != 1 ]; then
	VSTRESS_FAILED_CHECKS_LOG="$(cd "$logs" && pwd)/failed-checks.txt"
	export VSTRESS_FAILED_CHECKS_LOG
	: >"$VSTRESS_FAILED_CHECKS_LOG"
fi

# A throwaway PostgreSQL shared by every suite that needs one.
pg_dir=""
cleanup() { [ -n "$pg_dir" ] && scripts/pg-throwaway.sh stop "$pg_dir"; }
trap cleanup EXIT
if [ $c_only = 0 ] || [ -z "${DATABASE_URL:-}" ]; then
	if out=$(scripts/pg-throwaway.sh start); then
		eval "$out"
		pg_dir=$VSTRESS_PG_DIR
	else
		echo "check: could not start a throwaway PostgreSQL" >&2
	fi
fi

# Every process a suite starts inherits this token; the last suite
# (scripts/check-orphans.sh) fails naming any that is still alive.  Set
# after the throwaway PostgreSQL started, which cleanup stops itself.
export VSTRESS_CHECK_TOKEN="check-$$-$(date +%s%N)"

# C unit tests (core and plugins; plugin tests that need a database find
# DATABASE_URL in the environment, and load plugins from VSTRESS_TEST_PLUGIN_DIR).
export VSTRESS_TEST_PLUGIN_DIR="$BUILD/plugins" VSTRESS_TEST_FIXTURE_DIR="$BUILD/fixtures"
export VS_ECHO_TARGET="$BUILD/tests/echo_target"
for t in "$BUILD"/tests/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	[ "$t" = "$VS_ECHO_TARGET" ] && continue # a helper program, not a suite
	[ "$t" = "$BUILD/tests/hostile_agent" ] && continue # likewise (tests/integration/test_hostile.sh)
	suite "c:$(basename "$t")" "${vg[@]}" "$t"
done

# Integration tests of the real binary.
for t in tests/integration/test_*.sh; do
	[ -x "$t" ] || continue
	VSTRESS_WRAP="${vg[*]}" suite "it:$(basename "$t" .sh)" "$t"
done

if [ $c_only = 0 ]; then
	# Other suites a folder brings along: tests/*/run.sh (plugins/*/tests/run.sh
	# are for running one plugin's tests alone; their binaries ran above).
	for t in tests/*/run.sh; do
		[ -x "$t" ] || continue
		suite "$(basename "$(dirname "$t")"):run" "$t"
	done
	if [ -x examples/reference-agent/scripts/test.sh ]; then
		suite "agent:pytest" examples/reference-agent/scripts/test.sh
	fi
	# examples/pipecat-runner-agent: its pytest suite with a whole call against a
	# world (~30 s; ~1 min more the first time, for its venv), then vstress run
	# --only telnyx,pipeline,load against it (~2.5 min; skips until vstress
	# knows [target] telephony = texml)
	if [ -x examples/pipecat-runner-agent/scripts/test.sh ]; then
		suite "pipecat-runner:pytest" examples/pipecat-runner-agent/scripts/test.sh
		suite "pipecat-runner:vstress" tests/examples/pipecat_runner.sh
	fi
fi

# Last: no process left by any suite above.
suite "orphans" scripts/check-orphans.sh

echo
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$total_pass $total_fail $total_skip" >"$logs/totals$([ "${VALGRIND:-0}" = 1 ] && echo -valgrind)"
echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
