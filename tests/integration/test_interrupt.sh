#!/usr/bin/env bash
# SIGINT and SIGTERM at three moments of a real run: while the world is
# starting, while the target is starting, and while a phase places calls.
# Each time: exit code 3, a valid summary marked interrupted, vstress gone
# within the grace periods, and no process left from any child's process
# group (world, target and its children, the plugin child and its
# grandchild), recorded from /proc before the signal.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

if [ -n "${VSTRESS_WRAP:-}" ]; then
	# Under valgrind the start-up alone takes longer than the windows the
	# signals must land in.
	echo "ok 1 # SKIP interrupt timing under valgrind (VSTRESS_WRAP): start-up is too slow to aim the signals"
	echo "1..1"
	exit 0
fi

tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
FX=(-P "$BUILD/fixtures" -P "$BUILD/plugins")
GRACE=2
SLACK=4
[ -n "${VSTRESS_SLOW_RUNTIME:-}" ] && SLACK=10

# tree PID: "pid pgid comm" of PID's descendants (not PID itself), from /proc.
tree() {
	python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        st = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    comm = st[st.index("(") + 1:st.rindex(")")]
    f = st[st.rindex(")") + 2:].split()
    procs[int(d)] = (int(f[1]), int(f[2]), comm)  # ppid, pgrp
todo, seen = [root], []
while todo:
    p = todo.pop()
    for c, (pp, pg, comm) in procs.items():
        if pp == p and c not in seen:
            seen.append(c)
            todo.append(c)
for c in seen:
    print(c, procs[c][1], procs[c][2].replace(" ", "_"))
PY
}

# leftovers FILE VSPGID: names every recorded process still alive and every
# live process in a recorded group; also a child left in vstress's own group.
leftovers() {
	python3 - "$1" "$2" <<'PY'
import os, sys
rec = [l.split() for l in open(sys.argv[1]) if l.strip()]
vspg = int(sys.argv[2])
bad = []
for pid, pg, comm in rec:
    if int(pg) == vspg:
        bad.append(f"{comm} ({pid}) ran in vstress's own process group")
groups = {int(pg) for _, pg, _ in rec if int(pg) != vspg}
pids = {int(p) for p, _, _ in rec}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        st = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    f = st[st.rindex(")") + 2:].split()
    if f[0] == "Z":
        continue
    if int(d) in pids or int(f[2]) in groups:
        bad.append(f"{st[st.index('(') + 1:st.rindex(')')]} ({d}, group {f[2]}) is still alive")
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
}

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# the tree holds a process named $2 (and $3...)
has_procs() {
	local t
	t=$(tree "$1")
	shift
	for c in "$@"; do grep -q " $c\$" <<<"$t" || return 1; done
}

cat >"$tmp/base.ini" <<INI
[vstress]
timeout = 60s
kill_grace = ${GRACE}s
[world]
database_url = postgresql://u:pw@127.0.0.1:5999/db?sslmode=disable
[target]
mode = launch
command = exec python3 -m http.server --bind 127.0.0.1 \${VSTRESS_TARGET_PORT}
base_url = http://127.0.0.1:\${VSTRESS_TARGET_PORT}
health_path = /
ready_timeout = 30s
stop_timeout = ${GRACE}s
[fx_progress]
depends = target
seconds = 60s
spawn = true
escape = true
INI
# A target that starts slowly, leaves a child behind and ignores SIGTERM:
# only the SIGKILL after the grace period ends it.
sed -e 's|^command = .*|command = trap "" TERM; sleep 47 \& sleep 30; exec python3 -m http.server --bind 127.0.0.1 ${VSTRESS_TARGET_PORT}|' \
	"$tmp/base.ini" >"$tmp/slow_target.ini"

# run_case NAME SIGNAL MANIFEST READY-TEST [ENV=VAL]: starts vstress, waits until
# READY-TEST "$dir" "$pid" is true, records the process tree, signals, checks.
run_case() {
	local name=$1 sig=$2 man=$3 ready=$4 root="$tmp/$1-$2" pid rc t0 t1 dir vspg
	shift 4
	env "$@" "$BUILD/vstress" -q -c "$man" "${FX[@]}" -r "$root" run >"$tmp/$name-$sig.out" 2>&1 &
	pid=$!
	if ! wait_for 30 "$ready" "$root" "$pid"; then
		not_ok "$name/$sig: the moment to interrupt was reached" "$(tree "$pid" | tr '\n' ' ')"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	tree "$pid" >"$tmp/$name-$sig.procs"
	vspg=$(ps -o pgid= -p "$pid" | tr -d ' ')
	t0=$(date +%s.%N)
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	t1=$(date +%s.%N)
	dir=$(ls -d "$root"/*/ | head -1)
	S="$dir/test_summary.json"
	check "$name/$sig: exit code 3" [ "$rc" = 3 ]
	check "$name/$sig: the summary is valid JSON marked interrupted" json "$S" \
		's["status"] == "interrupted" and s["interrupted"] is True'
	if json "$S" "$CHECK" 2>/dev/null; then ok "$name/$sig: $WHAT"; else
		not_ok "$name/$sig: $WHAT" "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["services"], [(p["name"], p["status"], p.get("reason")) for p in s["plugins"]])' "$S" 2>&1)"; fi
	if python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= $LIMIT else 1)"; then
		ok "$name/$sig: vstress ended within its grace periods ($(printf '%.1f' "$(python3 -c "print($t1 - $t0)")") s <= $LIMIT s)"
	else
		not_ok "$name/$sig: vstress ended within its grace periods" "took $(python3 -c "print($t1 - $t0)") s"
	fi
	out=$(leftovers "$tmp/$name-$sig.procs" "$vspg")
	if [ $? = 0 ]; then
		ok "$name/$sig: no process left of the $(wc -l <"$tmp/$name-$sig.procs") recorded ($(awk '{print $3}' "$tmp/$name-$sig.procs" | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}'))"
	else
		not_ok "$name/$sig: no process left" "$out"
	fi
}

world_holding() { grep -qs "test hook: readiness delayed" "$1"/*/world.log && has_procs "$2" vstress; }
target_starting() { has_procs "$2" vstress sh sleep; }
phase_running() { grep -qs "escaped grandchild .* started" "$1"/*/fx_progress.log && has_procs "$2" vstress python3 sleep; }

for sig in INT TERM; do
	CHECK='s["services"]["world"]["status"] == "unavailable" and "interrupted while the world was starting" in s["services"]["world"]["error"] and [p["status"] for p in s["plugins"]] == ["skipped"]'
	WHAT="the world is reported interrupted while starting, the phase not run"
	LIMIT=$((GRACE + SLACK))
	run_case world "$sig" "$tmp/base.ini" world_holding VSTRESS_WORLD_TEST_READY_DELAY_MS=60000

	CHECK='s["services"]["world"]["status"] == "ready" and "interrupted while the target was starting" in s["services"]["target"]["error"] and [p["status"] for p in s["plugins"]] == ["skipped"]'
	WHAT="the target is reported interrupted while starting, the phase not run"
	LIMIT=$((GRACE + SLACK))
	run_case target "$sig" "$tmp/slow_target.ini" target_starting

	CHECK='s["services"]["target"]["status"] == "ready" and [p["status"] for p in s["plugins"]] == ["interrupted"] and s["plugins"][0]["checks_passed"] == 1'
	WHAT="the running phase is interrupted and keeps what it reported"
	LIMIT=$((2 * GRACE + SLACK))
	run_case phase "$sig" "$tmp/base.ini" phase_running
done

# A grandchild that left its group (setsid) is still killed at the end: vstress
# is a child subreaper and sweeps what was reparented to it.
sed -e "s/^seconds = .*/seconds = 1s/" "$tmp/base.ini" >"$tmp/escape.ini"
"$BUILD/vstress" -c "$tmp/escape.ini" "${FX[@]}" -r "$tmp/esc" run >/dev/null 2>"$tmp/esc.err" &
pid=$!
if wait_for 30 phase_running "$tmp/esc" "$pid"; then
	tree "$pid" >"$tmp/esc.procs"
	vspg=$(ps -o pgid= -p "$pid" | tr -d ' ')
	wait "$pid"
	check "an escaped grandchild: the run itself passes" [ $? = 0 ]
	check "an escaped grandchild: vstress says it killed it" grep -q "killed 1 process(es) that escaped their process group: sleep(" "$tmp/esc.err"
	out=$(leftovers "$tmp/esc.procs" "$vspg")
	check "an escaped grandchild: no process left${out:+ ($out)}" [ -z "$out" ]
else
	not_ok "an escaped grandchild: the phase ran" "$(tree "$pid" | tr '\n' ' ')"
	kill -KILL "$pid"
	wait "$pid"
fi

# A target that dies while starting takes what it left in its group along.
mark="46.$$"
sed -e "s|^command = .*|command = sleep $mark \& echo dying; exit 3|" "$tmp/base.ini" >"$tmp/dies.ini"
"$BUILD/vstress" -q -c "$tmp/dies.ini" "${FX[@]}" -r "$tmp/dies" run >/dev/null 2>&1
check "a target that dies while starting: the run fails (exit 1)" [ $? = 1 ]
check "a target that dies while starting: its child in the group is gone" bash -c "! pgrep -xf 'sleep $mark' >/dev/null"
left=$(pgrep -xf "sleep $mark")
[ -n "$left" ] && kill $left

# A second signal does not wait for the grace period: everything is killed at once.
sed -e "s/^kill_grace = .*/kill_grace = 30s/; s/^stop_timeout = .*/stop_timeout = 30s/" "$tmp/slow_target.ini" >"$tmp/twice.ini"
"$BUILD/vstress" -q -c "$tmp/twice.ini" "${FX[@]}" -r "$tmp/twice" run >/dev/null 2>&1 &
pid=$!
if wait_for 30 target_starting "$tmp/twice" "$pid"; then
	tree "$pid" >"$tmp/twice.procs"
	vspg=$(ps -o pgid= -p "$pid" | tr -d ' ')
	t0=$(date +%s.%N)
	kill -INT "$pid"
	sleep 0.5
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	t1=$(date +%s.%N)
	check "a second SIGINT: exit code 3" [ "$rc" = 3 ]
	check "a second SIGINT: the summary is still written, marked interrupted" json "$(ls -d "$tmp"/twice/*/ | head -1)/test_summary.json" \
		's["status"] == "interrupted" and s["interrupted"] is True'
	check "a second SIGINT kills at once, not after the 30 s grace ($(python3 -c "print(round($t1 - $t0, 1))") s)" \
		python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 0.5 + $SLACK else 1)"
	out=$(leftovers "$tmp/twice.procs" "$vspg")
	check "a second SIGINT: no process left${out:+ ($out)}" [ -z "$out" ]
else
	not_ok "a second SIGINT: the target started" "$(tree "$pid" | tr '\n' ' ')"
	kill -KILL "$pid"
	wait "$pid"
fi
finish
