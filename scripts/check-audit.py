#!/usr/bin/env python3
"""Which target checks of a run has some test made fail?

    scripts/check-audit.py [--strict] [--describe] SUMMARY.json [FAILED-CHECKS.txt]

SUMMARY.json is a run's test_summary.json; FAILED-CHECKS.txt (default
$BUILD/check-logs/failed-checks.txt, BUILD=build) is the log the tests write
as they run: one "plugin check" line each time a test asserted that a check
failed (the fake host's assert_check & co., tests/integration/lib.sh's
check_fails; scripts/check.sh names the file in VSTRESS_FAILED_CHECKS_LOG).

Every target check of the summary is listed, "fails" when a test made it
(or its family) fail, "NEVER" otherwise; then the count and the list of those
never made to fail.  A family is matched by its stem: digits stand for any
number (stage.1 ~ stage.2, faults.fault_1_x ~ faults.fault_2_x), and a
per-item check stands for its kind (fk.enforced.<table>.<col>,
endpoint.<path>, target.import.<module>, env.<plugin>.<VAR>, schema.<kind>.<item>).
With --describe, each row also says what of the system under test the check
measures: the check's row of its plugin's table in docs/plugins/<doc>.md
(llm_* in llm.md, tts_* in tts.md, stt_* in stt.md), "(not documented)"
where the docs have no row for it.
Exit 0; 1 with --strict when a target check was never made to fail; 2 on
unreadable input.
"""
import json
import os
import re
import sys

# A check named <prefix><item>: every item is the same check of another thing.
PER_ITEM = ("fk.enforced.", "endpoint.", "target.import.", "env.", "schema.fk.", "schema.table.",
            "schema.type.", "schema.null.", "schema.index.", "schema.column.")


def stem(name):
    for p in PER_ITEM:
        if name.startswith(p) and len(name) > len(p):
            return p + "*"
    return re.sub(r"\d+", "N", name)


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "plugins")


def doc_rows(plugin):
    """(regex, what it measures) for every table row of the plugin's doc
    whose first cell holds only code spans naming checks: `name`,
    `writes.a`, `writes.b`, `a.x` / `.y`, `fk.enforced.T.COLS`, `endpoint.<path>`
    (<...>, * and upper-case words stand for any text)."""
    name = plugin.split("_")[0] if plugin.split("_")[0] in ("llm", "tts", "stt") else plugin
    rows = []
    try:
        with open(os.path.join(DOCS, name + ".md"), encoding="utf-8") as f:
            for line in f:
                cells = line.split("|")
                if len(cells) < 4 or cells[0].strip():
                    continue
                spans = re.findall(r"`([^`]+)`", cells[1])
                if not spans or re.sub(r"`[^`]+`|[,/\s]|and|or", "", cells[1]):
                    continue
                for i, sp in enumerate(spans):
                    if sp.startswith(".") and i:  # `signature.forged` / `.stale`: the first one's stem
                        sp = spans[0][:spans[0].rindex(".")] + sp
                    parts = re.split(r"(<[^>]*>|\*|\b[A-Z][A-Z_]*\b)", sp.strip())
                    pat = "".join(".+" if i % 2 else re.escape(t) for i, t in enumerate(parts))
                    rows.append((re.compile(pat + "$"), cells[2].strip()))
    except OSError:
        pass
    return rows


def describe(rows, check):
    for rx, what in rows:
        if rx.match(check):
            return what.replace("`", "")
    return "(not documented)"


def read_log(path):
    made = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            plugin, _, check = line.partition(" ")
            if not check:
                raise ValueError("%s:%d: expected \"plugin check\", got %r" % (path, ln, line))
            made.add((plugin, stem(check)))
    return made


def main(argv):
    strict = "--strict" in argv
    desc = "--describe" in argv
    args = [a for a in argv[1:] if a not in ("--strict", "--describe")]
    if not 1 <= len(args) <= 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    log = args[1] if len(args) == 2 else os.path.join(os.environ.get("BUILD", "build"), "check-logs",
                                                       "failed-checks.txt")
    try:
        with open(args[0], encoding="utf-8") as f:
            summary = json.load(f)
        made = read_log(log) if os.path.exists(log) or len(args) == 2 else set()
    except (OSError, ValueError) as e:
        print("check-audit: %s" % e, file=sys.stderr)
        return 2
    if not made:
        print("check-audit: no failing assertion recorded in %s" % log, file=sys.stderr)
    targets, never = 0, []
    for p in summary.get("plugins", []):
        rows = doc_rows(p["name"]) if desc else []
        for c in p.get("checks", []):
            if c.get("subject") != "target":
                continue
            targets += 1
            hit = (p["name"], stem(c["name"])) in made
            print("%-5s %s %s%s" % ("fails" if hit else "NEVER", p["name"], c["name"],
                                    " | " + describe(rows, c["name"]) if desc else ""))
            if not hit:
                never.append("%s %s" % (p["name"], c["name"]))
    print("%d target checks; %d never made to fail by a test%s" % (targets, len(never), ":" if never else ""))
    for n in never:
        print("  " + n)
    return 1 if strict and never else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
