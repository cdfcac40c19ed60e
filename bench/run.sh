#!/usr/bin/env bash
# make bench: bench/calls (vstress's call engine), the Node `ws` peer and the
# raw epoll floor, each at 100, 1,000 and 2,000 concurrent 20 ms streams,
# generator pinned to core 0, the echo (bench/peers/echo_srv) to core 1;
# one table at the end (bench/README.md).
#   BENCH_SIZES="100 1000 2000"  BENCH_SECONDS=10  BENCH_PEERS="vstress node floor"
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-100 1000 2000}
SECS=${BENCH_SECONDS:-10}
PEERS=${BENCH_PEERS:-vstress node floor}
ncpu=$(nproc)
GEN_CPU=0
ECHO_CPU=$((ncpu > 1 ? 1 : 0))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
echo_pid=
cleanup() { [ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
[ "$ncpu" -gt 1 ] || echo "# one CPU only: generator and echo share it; figures are not comparable" >&2

taskset -c "$ECHO_CPU" "$BUILD/bench/peers/echo_srv" >"$tmp/echo.out" 2>&1 &
echo_pid=$!
for _ in $(seq 50); do grep -q LISTENING "$tmp/echo.out" && break; sleep 0.1; done
port=$(awk '/LISTENING/{print $2}' "$tmp/echo.out")
[ -n "$port" ] || { echo "bench: the echo did not start: $(cat "$tmp/echo.out")" >&2; exit 1; }

# CPU seconds the echo used so far (utime + stime from /proc)
echo_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$echo_pid/stat"; }

rows=()
for n in $SIZES; do
	for peer in $PEERS; do
		case $peer in
		vstress) cmd=("$BUILD/bench/calls" --url "ws://127.0.0.1:$port/" --calls "$n" --seconds "$SECS") ;;
		node) cmd=(node bench/peers/node_ws.js "ws://127.0.0.1:$port/" "$n" "$SECS") ;;
		floor) cmd=("$BUILD/bench/peers/floor" --port "$port" --calls "$n" --seconds "$SECS") ;;
		*) echo "bench: unknown peer $peer" >&2; exit 2 ;;
		esac
		e0=$(echo_cpu); w0=$(date +%s.%N)
		line=$(timeout $((SECS * 3 + 120)) taskset -c "$GEN_CPU" "${cmd[@]}" 2>"$tmp/err" | tail -1)
		e1=$(echo_cpu); w1=$(date +%s.%N)
		ecores=$(echo "$e0 $e1 $w0 $w1" | awk '{printf "%.2f", ($2 - $1) / ($4 - $3)}')
		if [ -z "$line" ]; then
			line="FAILED $(head -c 200 "$tmp/err" | tr '\n' ' ')"
		fi
		echo "# $peer n=$n: $line (echo $ecores core)" >&2
		rows+=("$n|$peer|$ecores|$line")
	done
done

python3 - "$SECS" "${rows[@]}" <<'PY'
import sys
secs, rows = sys.argv[1], sys.argv[2:]
print(f"\ncalls x {secs} s of 20 ms frames, generator on one core (taskset), echo on the other")
hdr = ("calls", "peer", "cores", "call-s/CPU-s", "late p50 ms", "p99 ms", "max ms", "frames accounted", "RSS/call KiB", "echo cores")
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for r in rows:
    n, peer, ec, line = r.split("|", 3)
    if line.startswith("FAILED"):
        print(f"| {n} | {peer} | {line} |" + " |" * 7)
        continue
    kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
    acc = f"{kv['accounted_pct']} % ({kv['echoed']}/{kv['sent']})"
    print(f"| {n} | {peer} | {kv['cores']} | {kv['cs_per_cpus']} | {kv['late_p50_ms']} | {kv['late_p99_ms']} | "
          f"{kv['late_max_ms']} | {acc} | {kv['rss_kib_per_call']} | {ec} |")
PY
