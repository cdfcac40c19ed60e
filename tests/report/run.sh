#!/usr/bin/env bash
# The HTML report in a real browser: `vstress report` renders the fixture
# results folder (tests/fixtures/report), headless Chromium (Debian's, driven
# through the DevTools protocol by cdp.js) loads it; the page must log no
# console error or exception, show the summary's verdict in the DOM, and its
# screenshot must not be blank.  Then three reports broken on purpose (a
# throwing script with and without the page's CSP, a hidden body) must each
# be caught by the same checks.  TAP output.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
here=tests/report
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2"; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=d.get(sys.argv[2]); print(json.dumps(v) if isinstance(v,list) else ("" if v is None else v))' "$1" "$2"; }

for tool in /usr/bin/chromium node "$BUILD/vstress"; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..1"
		echo "not ok 1 - $tool is missing (scripts/deps.sh installs chromium and nodejs; make builds vstress)"
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/../fixtures/report/"*.json "$tmp/"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$tmp/test_summary.json")

render() { # html png -> JSON line from cdp.js
	node --experimental-websocket "$here/cdp.js" "$1" "$2" 2>&1 | tail -1
}
# judge name json: the three checks on one rendering; sets bad=1 when any fails
judge() {
	local name=$1 j=$2 errs verdict colours
	errs=$(field "$j" errors)
	verdict=$(field "$j" verdict)
	colours=$(field "$j" colours)
	bad=0
	if [ -n "$(field "$j" fatal)" ]; then
		bad=1; why="cdp.js: $(field "$j" fatal)"; return
	fi
	why=""
	[ "$errs" != "[]" ] && { bad=1; why+="console errors: $errs"$'\n'; }
	[ "$verdict" != "$want" ] && { bad=1; why+="verdict in the DOM: '$verdict', summary says '$want'"$'\n'; }
	[ "${colours:-0}" -lt 16 ] && { bad=1; why+="screenshot has ${colours:-0} distinct colours (blank)"$'\n'; }
	return 0
}

echo "1..7"
start=$(date +%s)
if out=$("$BUILD/vstress" report "$tmp" 2>&1) && [ -s "$tmp/report.html" ]; then
	ok "vstress report writes report.html from the fixture ($(wc -c <"$tmp/report.html") bytes)"
else
	nok "vstress report writes report.html from the fixture" "$out"
fi
j=$(render "$tmp/report.html" "$tmp/report.png")
judge good "$j"
errs=$(field "$j" errors)
if [ -z "$(field "$j" fatal)" ] && [ "$errs" = "[]" ]; then ok "no console error, exception or log error"
else nok "no console error, exception or log error" "$j"; fi
if [ "$(field "$j" verdict)" = "$want" ] && [ "$(field "$j" sections)" = "verdict,checks,harness,latency,calls,waterfalls,load,memory,cost" ]; then
	ok "verdict '$want' in the DOM, every section present"
else
	nok "verdict '$want' in the DOM, every section present" "$j"
fi
c=$(field "$j" colours)
if [ "${c:-0}" -ge 16 ]; then ok "screenshot is not blank ($c distinct colours, $(field "$j" width)x$(field "$j" height))"
else nok "screenshot is not blank" "$j"; fi

# Broken on purpose: each must be caught.
sed 's|</body>|<script>throw new Error("broken on purpose")</script></body>|' "$tmp/report.html" >"$tmp/b1.html"
sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' \
	-e 's|</body>|<script>throw new Error("broken on purpose")</script></body>|' "$tmp/report.html" >"$tmp/b2.html"
sed 's|<body>|<body style="visibility:hidden">|' "$tmp/report.html" >"$tmp/b3.html"
for b in "b1:a throwing inline script (blocked by the page's CSP: a console error)" \
	"b2:a throwing script without the CSP (an uncaught exception)" \
	"b3:a hidden body (a blank screenshot)"; do
	f=${b%%:*}
	j=$(render "$tmp/$f.html" "")
	judge "$f" "$j"
	if [ -n "$(field "$j" fatal)" ]; then nok "broken report ${b#*:}: the browser run itself failed" "$j"
	elif [ "$bad" = 1 ]; then ok "broken report caught: ${b#*:} -> $(head -1 <<<"$why" | cut -c1-120)"
	else nok "broken report NOT caught: ${b#*:}"; fi
done
echo "# $(( $(date +%s) - start )) s"
echo "report: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
