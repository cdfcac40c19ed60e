#!/usr/bin/env bash
# The scale-out examples (examples/kubernetes, examples/github-actions;
# docs/scale-out.md), checked as far as this machine allows, TAP:
#  - every Kubernetes manifest against the Kubernetes API schemas
#    (kubernetes-validate from PyPI, strict: unknown fields rejected; it
#    ships the schemas and works offline), and a deliberately broken Job is
#    rejected by the same validator;
#  - what the schemas cannot see: the Indexed Job's index becomes --shard,
#    the shard count agrees everywhere, the ConfigMap's manifest is one
#    `vstress check-config` accepts;
#  - the GitHub Actions workflows parse as YAML and have the expected keys
#    (matrix over shards, merge job after them, --only subsets naming real
#    plugins).  No workflow runs here, and no schema of GitHub's is checked.
# About 15 s the first time (the venv), 2 s after.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
VENV=$BUILD/venv-k8s
T=$(mktemp -d /tmp/vs-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
	if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q kubernetes-validate==1.37.0; } >"$T/pip.log" 2>&1; then
		n=$((n + 1))
		echo "ok $n # SKIP kubernetes manifests against the API schemas: kubernetes-validate could not be installed from PyPI: $(tail -1 "$T/pip.log")"
		KV=
	fi
fi
KV=${KV-$VENV/bin/kubernetes-validate}
if [ -n "$KV" ]; then
	for f in examples/kubernetes/*.yaml; do
		check "$f passes kubernetes-validate --strict (Kubernetes 1.37 schemas)" "$KV" --strict --quiet "$f"
	done
	sed 's/completionMode: Indexed/completionMode: 3/; s/^  parallelism: 3/  paralelism: 3/' \
		examples/kubernetes/job-shards.yaml >"$T/broken-job.yaml"
	check "the validator rejects a broken copy of the shard Job (a misspelt field, a wrong type)" \
		bash -c '! "$1" --strict --quiet "$2" >/dev/null 2>&1' _ "$KV" "$T/broken-job.yaml"
fi

# PyYAML: the venv's (kubernetes-validate depends on it), else the system's
PY=python3
[ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import yaml' 2>/dev/null && PY=$VENV/bin/python
if ! "$PY" -c 'import yaml' 2>/dev/null; then
	n=$((n + 1))
	echo "ok $n # SKIP the examples' YAML structure: no PyYAML (neither in $VENV nor for python3)"
	echo "1..$n"
	[ "$failed" = 0 ]
	exit
fi
"$PY" - "$BUILD" "$T" >"$T/py.tap" <<'PY'
import glob, json, os, re, subprocess, sys
import yaml
build, tmp = sys.argv[1], sys.argv[2]
out = []
def check(desc, fn):
    try:
        fn()
        out.append((True, desc, ""))
    except Exception as e:  # report, go on
        out.append((False, desc, repr(e)))
def load(p):
    return [d for d in yaml.safe_load_all(open(p)) if d]
k = {d["kind"] + "/" + d["metadata"]["name"]: d for p in glob.glob("examples/kubernetes/*.yaml") for d in load(p)}
def shard_job():
    j = k["Job/vstress-shards"]["spec"]
    c = j["template"]["spec"]["containers"][0]
    n = int(next(e["value"] for e in c["env"] if e["name"] == "SHARDS"))
    assert j["completionMode"] == "Indexed" and j["completions"] == j["parallelism"] == n, j
    script = "\n".join(c["args"])
    assert "JOB_COMPLETION_INDEX + 1" in script and '--shard "$i/$SHARDS"' in script, script
    assert any(v["mountPath"] == "/results" for v in c["volumeMounts"])
check("the Indexed Job turns JOB_COMPLETION_INDEX (0-based) into --shard I/N; completions = parallelism = N", shard_job)
def merge_job():
    c = k["Job/vstress-merge"]["spec"]["template"]["spec"]["containers"][0]
    n = int(next(e["value"] for e in c["env"] if e["name"] == "SHARDS"))
    assert n == k["Job/vstress-shards"]["spec"]["completions"]
    assert "vstress merge" in "\n".join(c["args"]) and "/results/shard-$i/latest" in "\n".join(c["args"])
    claims = {v["persistentVolumeClaim"]["claimName"] for j in ("Job/vstress-merge", "Job/vstress-shards")
              for v in k[j]["spec"]["template"]["spec"]["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {k["PersistentVolumeClaim/vstress-results"]["metadata"]["name"]}, claims
    assert "ReadWriteMany" in k["PersistentVolumeClaim/vstress-results"]["spec"]["accessModes"]
check("the merge Job merges the same N shard folders from the same shared volume", merge_job)
def configmap():
    cm = k["ConfigMap/vstress-manifest"]
    vols = k["Job/vstress-shards"]["spec"]["template"]["spec"]["volumes"]
    assert any(v.get("configMap", {}).get("name") == cm["metadata"]["name"] for v in vols)
    for name, text in cm["data"].items():
        p = os.path.join(tmp, name)
        open(p, "w").write(text)
        r = subprocess.run([build + "/vstress", "check-config", "-c", "conf.d", "-c", p], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
check("the ConfigMap's manifest is mounted by the shard Job and vstress check-config accepts it over conf.d", configmap)

wf = {os.path.basename(p): yaml.safe_load(open(p)) for p in glob.glob("examples/github-actions/*.yml")}
def runs(job):
    return "\n".join(s.get("run", "") for s in job["steps"])
def shards_wf():
    w = wf["vstress-shards.yml"]
    n = int(w["env"]["SHARDS"])
    sh = w["jobs"]["shard"]
    assert sh["strategy"]["matrix"]["shard"] == list(range(1, n + 1)), sh["strategy"]
    assert sh["strategy"]["fail-fast"] is False
    assert "--shard ${{ matrix.shard }}/%d" % n in runs(sh)
    m = w["jobs"]["merge"]
    assert m["needs"] == "shard" or "shard" in m["needs"]
    merge = next(l for l in runs(m).splitlines() if "vstress merge" in l)
    assert len(re.findall(r"vstress-shard-\d", merge)) == n, merge
check("vstress-shards.yml: a matrix over shards 1..N running --shard, a merge job after it naming N shards", shards_wf)
def phases_wf():
    w = wf["vstress-phases.yml"]
    j = w["jobs"]["phases"]
    inc = j["strategy"]["matrix"]["include"]
    plugins = {os.path.basename(p)[:-3] for p in glob.glob(build + "/plugins/*.so")}
    assert plugins, "no plugins built in " + build
    for e in inc:
        names = e["only"].split(",")
        assert set(names) <= plugins, set(names) - plugins
    assert "--only ${{ matrix.only }}" in runs(j)
check("vstress-phases.yml: a matrix of --only subsets, each naming plugins that exist", phases_wf)
for i, (good, desc, why) in enumerate(out):
    print(("ok" if good else "not ok") + " - " + desc + ("" if good else "\n# " + why))
PY
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$T/py.tap"
echo "1..$n"
[ "$failed" = 0 ]
