#!/usr/bin/env bash
# Live progress (host->progress) of a phase placing calls (fx_progress, ~2 s):
# refreshed in place on a terminal (a pseudo-terminal here); plain lines,
# without \r or escape codes, when stderr is not a terminal or NO_COLOR is
# set or TERM=dumb; nothing with -q; never in the summary or junit.xml.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FX=(-P "$BUILD/fixtures" -P "$BUILD/plugins")
printf '[vstress]\ntimeout = 30s\nprogress_interval = 500ms\n[fx_progress]\nseconds = 2s\n' >"$tmp/p.ini"

# on_pty OUT CMD...: runs CMD with stdin, stdout and stderr on a new
# pseudo-terminal ($COLS columns, default 200); its output bytes go to OUT;
# its exit code.
on_pty() {
	python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, int(os.environ.get("COLS", "200")), 0, 0))
    os.execvp(argv[0], argv)
data = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    data += b
open(out, "wb").write(data)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
# no_ctl FILE: no carriage return (other than a terminal's \r\n line end) and no escape code
no_ctl() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(1 if (b"\r" in d.replace(b"\r\n", b"\n") or b"\x1b" in d) else 0)' "$1"; }
never_in_results() { ! grep -rqE "fake calls|in flight|\"progress\"" "$1"/*/test_summary.json "$1"/*/junit.xml; }

# --- on a terminal: one line refreshed in place ------------------------------
on_pty "$tmp/tty.out" env TERM=xterm NO_COLOR= "${WRAP[@]}" "$BUILD/vstress" -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r1" run
check "on a terminal: the run passes" [ $? = 0 ]
refreshes=$(grep -ao $'\r\e\\[K\\[1/1\\] fx_progress [0-9]*s/30s | fake calls: [0-9]* started' "$tmp/tty.out" | wc -l)
check "on a terminal: the phase's line is refreshed in place ($refreshes times, >= 3)" [ "$refreshes" -ge 3 ]
check "on a terminal: it shows started, done, in flight, failed, p95 and the budget" \
	grep -aqE $'\r\e\\[K\\[1/1\\] fx_progress [0-9]+s/30s \\| fake calls: [0-9]+ started, [0-9]+ done, [0-9]+ in flight, [0-9]+ failed, p95 300 ms' "$tmp/tty.out"
check "on a terminal: the counts move (the last refresh has more calls started than the first)" python3 - "$tmp/tty.out" <<'PY'
import re, sys
n = [int(x) for x in re.findall(rb"fake calls: (\d+) started", open(sys.argv[1], "rb").read())]
sys.exit(0 if len(n) >= 2 and n[-1] > n[0] else 1)
PY
COLS=60 on_pty "$tmp/narrow.out" env TERM=xterm NO_COLOR= "${WRAP[@]}" "$BUILD/vstress" -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r1n" run
check "on a 60-column terminal: each refresh is cut to fit (a wrapped line could not be redrawn)" python3 - "$tmp/narrow.out" <<'PY'
import sys
segs = [s.split(b"\r")[0] for s in open(sys.argv[1], "rb").read().split(b"\r\x1b[K")[1:]]
segs = [s for s in segs if b"fx_progress" in s and b"passed" not in s]
sys.exit(0 if segs and all(len(s) < 60 for s in segs) and max(len(s) for s in segs) >= 50 else 1)
PY
check "on a terminal: progress is not in the results" never_in_results "$tmp/r1"

# --- not a terminal: plain lines ------------------------------------------------
"${WRAP[@]}" "$BUILD/vstress" -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r2" run 2>"$tmp/pipe.err" >"$tmp/pipe.out"
check "not a terminal: the run passes" [ $? = 0 ]
plain=$(grep -cE '^\[1/1\] fx_progress [0-9]+s/30s \| fake calls: [0-9]+ started, [0-9]+ done, [0-9]+ in flight, [0-9]+ failed, p95 (300 ms|-)$' "$tmp/pipe.err")
check "not a terminal: plain progress lines, at most every progress_interval ($plain lines, 2..5)" \
	[ "$plain" -ge 2 ] && [ "$plain" -le 5 ]
check "not a terminal: no carriage return or escape code" python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(1 if (b"\r" in d or b"\x1b" in d) else 0)' "$tmp/pipe.err"
check "not a terminal: nothing on stdout" [ ! -s "$tmp/pipe.out" ]
check "not a terminal: progress is not in the results" never_in_results "$tmp/r2"

# --- a terminal with NO_COLOR, or TERM=dumb: plain lines -------------------------
on_pty "$tmp/nocolor.out" env TERM=xterm NO_COLOR=1 "${WRAP[@]}" "$BUILD/vstress" -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r3" run
check "NO_COLOR on a terminal: the run passes" [ $? = 0 ]
check "NO_COLOR on a terminal: no carriage return (but for line ends) or escape code" no_ctl "$tmp/nocolor.out"
check "NO_COLOR on a terminal: plain progress lines instead" grep -aqE $'^\\[1/1\\] fx_progress [0-9]+s/30s \\| fake calls: .*\r$' "$tmp/nocolor.out"
on_pty "$tmp/dumb.out" env TERM=dumb NO_COLOR= "${WRAP[@]}" "$BUILD/vstress" -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r4" run
check "TERM=dumb: no carriage return (but for line ends) or escape code" no_ctl "$tmp/dumb.out"
check "TERM=dumb: plain progress lines instead" grep -aq 'fake calls: ' "$tmp/dumb.out"

on_pty "$tmp/verbose.out" env TERM=xterm NO_COLOR= "${WRAP[@]}" "$BUILD/vstress" -v -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r4v" run
check "-v on a terminal: plain progress lines (the plugin's log lines share it), no escape code" \
	bash -c "grep -aq 'fake calls: ' $tmp/verbose.out && python3 -c 'import sys; d=open(sys.argv[1],\"rb\").read(); sys.exit(1 if b\"\\x1b[K\" in d else 0)' $tmp/verbose.out"

# --- -q: only the verdict ------------------------------------------------------------
on_pty "$tmp/quiet.out" env TERM=xterm NO_COLOR= "${WRAP[@]}" "$BUILD/vstress" -q -c "$tmp/p.ini" "${FX[@]}" -r "$tmp/r5" run
check "-q on a terminal: the run passes" [ $? = 0 ]
check "-q on a terminal: no escape code" no_ctl "$tmp/quiet.out"
check "-q on a terminal: no progress at all, only the verdict" bash -c "! grep -aq 'fake calls' $tmp/quiet.out && grep -aq '^passed: 1 passed' $tmp/quiet.out"

# --- a phase that reports no progress: no plain progress lines ---------------------------
printf '[vstress]\nprogress_interval = 100ms\n[fx_pass]\n' >"$tmp/quiet_phase.ini"
"${WRAP[@]}" "$BUILD/vstress" -c "$tmp/quiet_phase.ini" "${FX[@]}" -r "$tmp/r6" run 2>"$tmp/noprog.err" >/dev/null
check "a phase without progress reports prints no progress line when not a terminal" bash -c "! grep -q '|' $tmp/noprog.err"

# --- a bad progress_interval is a clear error ----------------------------------------------
printf '[vstress]\nprogress_interval = often\n[fx_pass]\n' >"$tmp/bad.ini"
out=$("$BUILD/vstress" -c "$tmp/bad.ini" "${FX[@]}" -r "$tmp/r7" run 2>&1)
check "a bad progress_interval exits 2 and names the key" bash -c "[ $? = 2 ] && grep -q \"progress_interval = 'often'\" <<<\"\$0\"" "$out"
finish
