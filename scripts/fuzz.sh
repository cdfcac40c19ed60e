#!/usr/bin/env bash
# make fuzz: run each fuzz target (build-fuzz/fuzz/fuzz_NAME, libFuzzer with
# ASan+UBSan) for FUZZ_SECONDS over a copy of tests/fuzz/corpus/NAME, then
# print one line per target: executions, coverage (cov/ft), crashes.
# A crash, leak, timeout or out-of-memory fails the run and its reproducer
# path is printed; add it to the corpus with the fix (docs/fuzzing.md).
#   FUZZ_SECONDS=30 scripts/fuzz.sh [NAME...]
# Each run works in $FUZZ_RUN/NAME/ (default build-fuzz/fuzz-run): corpus/
# (the seeds plus what the run found), crashes/, log.  The committed corpus
# only grows by hand: small, reviewed files.
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-30}
BUILD=${FUZZ_BUILD:-build-fuzz}
RUN=${FUZZ_RUN:-$BUILD/fuzz-run}
mkdir -p "$RUN"
names=("$@")
if [ ${#names[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); names+=("${n#fuzz_}"); done
fi
# Input bounds: manifests and scripts are small files; streams a few KiB.
max_len() {
	case "$1" in
	http | ws | sse) echo 16384 ;;
	media_msg) echo 8192 ;;
	*) echo 4096 ;;
	esac
}
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fail=0
rows=()
for n in "${names[@]}"; do
	bin="$BUILD/fuzz/fuzz_$n"
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing (make SAN=fuzz fuzz-build)" >&2
		fail=1
		rows+=("$(printf '%-14s %12s %8s %8s %s' "$n" - - - "not built")")
		continue
	fi
	work="$RUN/$n"
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/crashes"
	cp tests/fuzz/corpus/"$n"/* "$work/corpus/" 2>/dev/null || true
	log="$work/log"
	echo "== fuzz $n: ${SECS}s"
	"$bin" -max_total_time="$SECS" -max_len="$(max_len "$n")" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" >"$log" 2>&1
	rc=$?
	execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
	ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
	crashes=$(find "$work/crashes" -type f | wc -l)
	status=ok
	if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
		status="FAILED (rc $rc)"
		fail=1
		grep -E '^==[0-9]+==ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
		find "$work/crashes" -type f | sed 's/^/    reproducer: /'
		echo "    log: $log"
	fi
	rows+=("$(printf '%-14s %12s %8s %8s %s' "$n" "${execs:-?}" "${cov:-?}/${ft:-?}" "$crashes" "$status")")
done
echo
printf '%-14s %12s %8s %8s %s\n' target executions cov/ft crashes status
printf '%s\n' "${rows[@]}"
passed=$(printf '%s\n' "${rows[@]}" | grep -c ' ok$' || true)
echo "fuzz: $passed passed, $(( ${#rows[@]} - passed )) failed"
# One target = one test in the CI totals (.ci/run adds this file up).
mkdir -p "$BUILD/check-logs"
echo "$passed $(( ${#rows[@]} - passed )) 0" >"$BUILD/check-logs/totals-fuzz"
exit $fail
