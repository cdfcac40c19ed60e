#!/usr/bin/env bash
# The last suite of scripts/check.sh: no process may outlive the suites.
# check.sh exports VSTRESS_CHECK_TOKEN (after starting its throwaway
# PostgreSQL, which it stops itself) and every process a suite starts
# inherits it: vstress, the world, targets, plugin children, reference-agent
# Pythons, sleeps.  Any live process whose environment holds the token,
# other than this script, its own children and its ancestors, is a leftover:
# each one is named (pid, command line, working directory) and the suite
# fails.  The user's unrelated processes never hold the token.
#   VSTRESS_CHECK_TOKEN=... scripts/check-orphans.sh [WAIT_S]
# WAIT_S (default 5): how long leftovers may take to finish exiting.
set -u
token=${VSTRESS_CHECK_TOKEN:-}
if [ -z "$token" ]; then
	echo "not ok 1 - no process left by the suites"
	echo "# VSTRESS_CHECK_TOKEN is not set: scripts/check.sh sets it"
	echo "1..1"
	exit 1
fi
python3 - "$token" "$$" "${1:-5}" <<'PY'
import os, sys, time

token = ("VSTRESS_CHECK_TOKEN=" + sys.argv[1]).encode()
me = int(sys.argv[2])
deadline = time.time() + float(sys.argv[3])


def stat(pid):
    try:
        st = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    f = st[st.rindex(")") + 2:].split()
    return f[0], int(f[1])  # state, ppid


def ancestors(pid):
    out = set()
    while pid > 1 and pid not in out:
        out.add(pid)
        s = stat(pid)
        if not s:
            break
        pid = s[1]
    return out


def leftovers():
    skip = ancestors(os.getpid()) | ancestors(me)
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        s = stat(pid)
        if pid in skip or not s or s[0] == "Z":
            continue
        if s[1] in (os.getpid(), me):  # our own helpers
            continue
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if token not in env:
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        found.append((pid, cmd[:200], cwd))
    return found


while True:
    left = leftovers()
    if not left or time.time() >= deadline:
        break
    time.sleep(0.2)
if left:
    print(f"not ok 1 - no process left by the suites: {len(left)} left")
    for pid, cmd, cwd in sorted(left):
        print(f"# left behind: pid {pid}: {cmd}  (cwd {cwd})")
    print("1..1")
    sys.exit(1)
print("ok 1 - no process left by the suites")
print("1..1")
PY
