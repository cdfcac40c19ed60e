#!/usr/bin/env python3
"""Checks the layout rules of docs/architecture.md and prints TAP.

Two graphs are read from the tree itself:
  - includes: every quoted #include of a tracked .c/.h, resolved the way the
    Makefile's -I order does (the file's folder, include/, the root, core/);
  - symbols: which object file uses a global symbol that another defines
    (nm over the build's objects: core, world, lib), so calls count even when
    two files share one header.
Each file belongs to a unit (core, world, lib/<topic>, the ABI headers,
plugins/<name>, a test folder), and the rules say which unit may use which.

  scripts/check-layers.py [--build DIR] [-v]
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def unit_of(path):
    """The unit a tracked path belongs to, or None when outside the rules."""
    p = path.split("/")
    if "tests" in p[:-1]:  # core/tests, lib/x/tests, plugins/x/tests, tests/...
        if p[0] == "plugins":
            return "test:plugins/" + p[1]
        return "test"
    if p[0] in ("core", "world"):
        return p[0]
    if p[0] == "lib" and len(p) > 2:
        return "lib/" + p[1]
    if p[0] == "include" and len(p) == 3:
        return "abi"  # include/vstress/plugin.h, world.h
    if p[0] == "include" and len(p) > 3:
        return "lib/" + p[2]  # a library's public header
    if p[0] == "plugins" and len(p) > 2:
        return "plugins/" + p[1]
    if p[0] in ("bench",):
        return "bench"
    return None


def allowed(src, dst, src_path, dst_path):
    """May unit src use unit dst? (same unit always may)"""
    if src == dst or dst == "abi":
        return True
    if src.startswith("test") or src == "bench":
        if src.startswith("test:plugins/"):  # a plugin's tests: not another plugin
            return not (dst.startswith("plugins/") and dst != src[5:]) and not (
                dst.startswith("test:plugins/") and dst != src)
        return True
    if src == "abi":
        return False
    if src.startswith("lib/"):
        return dst.startswith("lib/")
    if src == "world":
        return dst.startswith("lib/")
    if src == "core":
        if dst.startswith("lib/"):
            return True
        # the binary's entry point starts the world (`vstress world`)
        return dst == "world" and src_path == "core/main.c" and dst_path in ("world/main.h", "world/main.c")
    if src.startswith("plugins/"):
        return dst.startswith("lib/")
    return False


def tracked_sources():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "*.c", "*.h"], capture_output=True, text=True,
                         check=True).stdout.split()
    return [p for p in out if os.path.exists(os.path.join(ROOT, p))]


def resolve(src, inc, known):
    for base in (os.path.dirname(src), "include", "", "core", "tests/fakehost", "tests/plugin-support"):
        cand = os.path.normpath(os.path.join(base, inc))
        if cand in known:
            return cand
    return None


def include_edges(files):
    known = set(files)
    edges = []
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INC_RE.finditer(text):
            dst = resolve(f, m.group(1), known)
            if dst:
                line = text.count("\n", 0, m.start()) + 1
                edges.append((f, dst, "%s:%d includes %s" % (f, line, m.group(1))))
    return edges


def symbol_edges(build):
    objs = []
    for sub in ("obj/core", "obj/world", "pic/lib", "layout/plugins"):
        d = os.path.join(ROOT, build, sub)
        for dp, _, fs in os.walk(d):
            objs += [os.path.join(dp, x) for x in fs if x.endswith(".o")]
    if not objs:
        return None
    defs, uses = {}, defaultdict(set)
    for o in objs:
        rel = os.path.relpath(o, os.path.join(ROOT, build))
        src = rel.split("/", 1)[1][:-2] + ".c"  # obj/core/x.o, layout/plugins/p/x.o
        if not os.path.exists(os.path.join(ROOT, src)):
            continue  # a stale object of a moved or deleted source
        r = subprocess.run(["nm", "-P", o], capture_output=True, text=True)
        for ln in r.stdout.splitlines():
            parts = ln.split()
            if len(parts) < 2:
                continue
            name, kind = parts[0], parts[1]
            if kind == "U":
                uses[src].add(name)
            elif kind in "TDBRGSVW" and kind.isupper():
                defs.setdefault(name, src)
    edges = []
    for src, names in uses.items():
        for n in sorted(names):
            dst = defs.get(n)
            if dst and dst != src:
                edges.append((src, dst, "%s calls %s (%s)" % (src, n, dst)))
    return edges


def find_cycle(nodes, adj):
    """One cycle of the directed graph as a list of nodes, or None."""
    color = dict.fromkeys(nodes, 0)
    stack = []

    def dfs(u):
        color[u] = 1
        stack.append(u)
        for v in sorted(adj.get(u, ())):
            if color.get(v, 0) == 1:
                return stack[stack.index(v):] + [v]
            if color.get(v, 0) == 0:
                c = dfs(v)
                if c:
                    return c
        stack.pop()
        color[u] = 2
        return None

    for n in sorted(nodes):
        if color[n] == 0:
            c = dfs(n)
            if c:
                return c
    return None


def main():
    build = "build"
    verbose = "-v" in sys.argv
    if "--build" in sys.argv:
        build = sys.argv[sys.argv.index("--build") + 1]
    build = os.environ.get("BUILD", build) if "--build" not in sys.argv else build
    files = tracked_sources()
    inc = include_edges(files)
    sym = symbol_edges(build)
    results = []

    def report(ok, desc, detail=()):
        results.append((ok, desc, list(detail)))

    # 1. every use between units follows the rules
    for kind, edges in (("include", inc), ("symbol", sym or [])):
        bad = []
        for s, d, why in edges:
            us, ud = unit_of(s), unit_of(d)
            if us is None or ud is None:
                continue
            if not allowed(us, ud, s, d):
                bad.append("%s -> %s: %s" % (us, ud, why))
        report(not bad, "every %s between folders is allowed by docs/architecture.md" % kind, bad[:20])
    if sym is None:
        results.append((None, "symbols: no objects under %s (build first)" % build, []))

    # 2. no cycle between units (includes and calls together)
    uadj = defaultdict(set)
    why_u = {}
    for s, d, why in inc + (sym or []):
        us, ud = unit_of(s), unit_of(d)
        if us and ud and us != ud and not us.startswith("test") and us != "bench":
            uadj[us].add(ud)
            why_u.setdefault((us, ud), why)
    units = set(uadj) | {v for vs in uadj.values() for v in vs}
    cyc = find_cycle(units, uadj)
    report(cyc is None, "no cycle between folders",
           [] if cyc is None else [" -> ".join(cyc)] + [why_u[(a, b)] for a, b in zip(cyc, cyc[1:])])

    # 3. inside the core, the world, each library topic and each plugin: no
    #    call cycle between files
    def inner(u):
        return u in ("world", "core") or u.startswith("lib/") or u.startswith("plugins/")
    if sym is not None:
        groups = defaultdict(lambda: defaultdict(set))
        whys = {}
        for s, d, why in sym:
            us = unit_of(s)
            if us and us == unit_of(d) and inner(us):
                groups[us][s].add(d)
                whys[(s, d)] = why
        for u in sorted({unit_of(s) for s, _, _ in sym if inner(unit_of(s) or "")}):
            adj = groups.get(u, {})
            nodes = set(adj) | {v for vs in adj.values() for v in vs}
            c = find_cycle(nodes, adj)
            report(c is None, "no call cycle between the files of %s" % u,
                   [] if c is None else [" -> ".join(c)] + [whys[(a, b)] for a, b in zip(c, c[1:])])

    n = 0
    for ok, desc, detail in results:
        n += 1
        if ok is None:
            print("ok %d - %s # SKIP" % (n, desc))
            continue
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
        for d in detail if (not ok or verbose) else ():
            print("#   " + d)
    print("1..%d" % n)
    return 0 if all(ok is not False for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
