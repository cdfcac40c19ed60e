#!/usr/bin/env bash
# Install what vstress needs, idempotently, saying what it installs.
#   scripts/deps.sh           Debian packages + the example agents' venvs
#   scripts/deps.sh --quiet   print only what gets installed
#   scripts/deps.sh --no-venv Debian packages only
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=0 venv=1
for a in "$@"; do
	case "$a" in
	--quiet) quiet=1 ;;
	--no-venv) venv=0 ;;
	*) echo "usage: $0 [--quiet] [--no-venv]" >&2; exit 2 ;;
	esac
done

# Build: compiler and the libraries of the design card; test: cmocka,
# valgrind, a PostgreSQL server; speech: flite and pocketsphinx; TeXML: libxml2;
# the hostile-agent test measures peak RSS with GNU time; fuzzing (make fuzz):
# clang 14 and its runtime, which holds libFuzzer; the HTML report's browser
# test: chromium and nodejs (tests/report).
PKGS=(build-essential pkg-config libcurl4-openssl-dev libpq-dev libjansson-dev libwebsockets-dev
	libinih-dev libssl-dev libcmocka-dev valgrind postgresql postgresql-client flite flite1-dev
	libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us python3 python3-venv libxml2-dev time
	clang libclang-rt-14-dev chromium nodejs)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing Debian packages: ${missing[*]}"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif [ $quiet = 0 ]; then
	echo "deps: Debian packages present"
fi

# The example agents' venvs (the second reuses pip's cache of the first's wheels).
if [ $venv = 1 ]; then
	for s in examples/reference-agent/scripts/setup-venv.sh examples/pipecat-runner-agent/scripts/setup-venv.sh; do
		[ -x "$s" ] || continue
		out=$("$s" 2>&1) || { echo "$out" >&2; exit 1; }
		if [ $quiet = 0 ] || ! grep -q "up to date" <<<"$out"; then
			echo "$out"
		fi
	done
fi
