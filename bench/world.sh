#!/usr/bin/env bash
# make bench-world: N calls' worth of provider traffic through the world
# (bench/world.c; bench/README.md "make bench-world").  For each STT mode the
# world offers (grammar: pocketsphinx recognises what it hears; scripted: VAD
# only) and each size, a fresh `vstress world` (conf.d as `vstress run`
# reads it, only the Deepgram and Cartesia stand-ins) pinned to core 1, the
# driver pinned to core 0; once with the TTS replies and once STT alone, so
# that the share of each shows.  One table at the end.
#   BENCH_WORLD_SIZES="100 1000"  BENCH_WORLD_SECONDS=10  BENCH_WORLD_MODES="scripted grammar"
#   BENCH_WORLD_TTS_EVERY=8 (a reply per call every 8 s)  BENCH_WORLD_ENCODING=mulaw|linear16
#   BENCH_WORLD_SMOKE=1: 3 calls x 2 s (a reply each) per mode, --check (every stream completes), no table
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${BENCH_WORLD_SIZES:-100 1000}
SECS=${BENCH_WORLD_SECONDS:-10}
MODES=${BENCH_WORLD_MODES:-scripted grammar}
EVERY=${BENCH_WORLD_TTS_EVERY:-8}
ENC=${BENCH_WORLD_ENCODING:-mulaw}
SMOKE=${BENCH_WORLD_SMOKE:-0}
VARIANTS="$EVERY 0"
[ "$EVERY" = 0 ] && VARIANTS=0
if [ "$SMOKE" = 1 ]; then
	SIZES=3 SECS=2 EVERY=2 VARIANTS=2
fi
ncpu=$(nproc)
DRV_CPU=0
WORLD_CPU=$((ncpu > 1 ? 1 : 0))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
wpid=
stop_world() {
	[ -n "$wpid" ] || return 0
	kill "$wpid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=
}
trap 'stop_world; rm -rf "$tmp"' EXIT
[ "$ncpu" -gt 1 ] || echo "# one CPU only: driver and world share it; figures are not comparable" >&2

# The world's counters after a run (GET /_vstress/stats): "dropped heard_s
# spoken_s" = the STT stand-in's decodes_dropped and audio_in_s, the TTS
# stand-in's audio_out_s; "? ? ?" if the control API did not answer.
world_counters() {
	local ctl tok
	ctl=$(sed -n 's/^VSTRESS_WORLD_CONTROL_URL=//p' "$tmp/urls.env")
	tok=$(sed -n 's/^VSTRESS_WORLD_TOKEN=//p' "$tmp/urls.env")
	curl -s -m 10 -H "Authorization: Bearer $tok" "$ctl/_vstress/stats" | python3 -c '
import sys, json
s = json.load(sys.stdin)
d, t = s.get("stt_deepgram", {}), s.get("tts_cartesia", {})
print(d.get("decodes_dropped", 0), round(d.get("audio_in_s", 0)), round(t.get("audio_out_s", 0)))' 2>/dev/null || echo "? ? ?"
}

rows=()
fail=0
for mode in $MODES; do
	for n in $SIZES; do
		for every in $VARIANTS; do
			rm -f "$tmp/urls.env"
			: >"$tmp/world.out"
			taskset -c "$WORLD_CPU" "$BUILD/vstress" world -P "$BUILD/plugins" --port-base 0 --urls-file "$tmp/urls.env" \
				--only stt_deepgram,tts_cartesia -s "stt_deepgram.mode=$mode" -q >"$tmp/world.out" 2>&1 &
			wpid=$!
			for _ in $(seq 300); do grep -q "ready" "$tmp/world.out" && break; kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
			sp=$(awk '$3 == "stt_deepgram" {print $4}' "$tmp/world.out" | sed 's/.*://')
			tp=$(awk '$3 == "tts_cartesia" {print $4}' "$tmp/world.out" | sed 's/.*://')
			if [ -z "$sp" ] || [ -z "$tp" ]; then
				echo "bench-world: the world did not start ($mode): $(head -c 400 "$tmp/world.out")" >&2
				exit 1
			fi
			args=(--stt-port "$sp" --tts-port "$tp" --world-pid "$wpid" --calls "$n" --seconds "$SECS"
				--tts-every "$every" --encoding "$ENC")
			[ "$SMOKE" = 1 ] && args+=(--check --drain 10)
			line=$(timeout $((SECS * 3 + 180)) taskset -c "$DRV_CPU" "$BUILD/bench/world" "${args[@]}" 2>"$tmp/err" | tail -1)
			rc=${PIPESTATUS[0]}
			read -r dropped heard spoken < <(world_counters)
			hwm=$(awk '/^VmHWM/{printf "%.0f", $2 / 1024}' "/proc/$wpid/status" 2>/dev/null)
			stop_world
			[ -n "$line" ] || line="FAILED $(head -c 300 "$tmp/err" | tr '\n' ' ')"
			if [ "$SMOKE" = 1 ]; then
				[ "$rc" = 0 ] || fail=1
				echo "$( [ "$rc" = 0 ] && echo ok || echo "not ok" ) - world $mode: $line"
				sed 's/^/# /' "$tmp/err"
				continue
			fi
			echo "# $mode n=$n tts_every=$every: $line (world: decodes dropped $dropped, heard $heard s, spoke $spoken s, peak RSS ${hwm:-?} MiB)" >&2
			rows+=("$n|$mode|$every|${dropped:-?}|${heard:-?}|${spoken:-?}|${hwm:-?}|$line")
		done
	done
done
[ "$SMOKE" = 1 ] && exit "$fail"

python3 - "$SECS" "$ENC" "${rows[@]}" <<'PY'
import sys
secs, enc, rows = sys.argv[1], sys.argv[2], sys.argv[3:]
print(f"\nthe world: calls x {secs} s, STT 20 ms {enc} frames in real time + a TTS reply per call every N s; "
      "world on one core (taskset), driver on the other")
hdr = ("calls", "STT mode", "TTS every", "world cores", "loop / decoder", "world waited for a CPU s", "call-s/CPU-s", "STT audio heard",
       "TTS audio s", "driver send late p99 ms (waited s)",
       "final p50 / p99 ms", "recognised", "decodes dropped", "TTFA p50 / p99 ms", "stall p99 / max ms",
       "streams complete", "calls served", "world peak RSS MiB", "set-up s (world CPU s)")
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
def pct(heard, call_s):
    try:
        return f"{100 * float(heard) / float(call_s):.0f} %"
    except ValueError:
        return "?"
for r in rows:
    n, mode, every, dropped, heard, spoken, hwm, line = r.split("|", 7)
    tts = f"{every} s" if every not in ("0", "0.0") else "none"
    if line.startswith("FAILED"):
        print(f"| {n} | {mode} | {tts} | {line} |" + " |" * (len(hdr) - 4))
        continue
    kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
    ttfa = f"{kv['ttfa_p50_ms']} / {kv['ttfa_p99_ms']}" if kv["tts_req"] != "0" else "-"
    stall = f"{kv['stall_p99_ms']} / {kv['stall_max_ms']}" if kv["tts_req"] != "0" else "-"
    print(f"| {n} | {mode} | {tts} | {kv['world_cores']} | {kv['world_loop_cores']} / {kv['world_other_cores']} | {kv['world_wait_s']} | "
          f"{kv['cs_per_world_cpus']} | {pct(heard, kv['call_s'])} | {spoken} | {kv['send_late_p99_ms']} ({kv['driver_wait_s']}) | {kv['final_p50_ms']} / {kv['final_p99_ms']} | "
          f"{kv['finals_text']}/{kv['finals']} | {dropped} | {ttfa} | {stall} | "
          f"{kv['complete']}/{n} (replies {kv['tts_ok']}/{kv['tts_req']} unstalled) | {kv['served_pct']} % | {hwm} | "
          f"{kv['setup_s']} ({kv['setup_world_cpu_s']}) |")
PY
