#!/usr/bin/env bash
# `make install` into a staging folder, then an out-of-tree plugin built with
# pkg-config against the installed headers, found and run by the installed binary.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage"

make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$stage" PREFIX=/usr/local >"$tmp/install.log" 2>&1
check "make install succeeds" [ $? = 0 ]
check "binary, headers, pkg-config file and conf.d installed" \
	test -x "$stage/usr/local/bin/vstress" -a -f "$stage/usr/local/include/vstress/plugin.h" \
	-a -f "$stage/usr/local/lib/pkgconfig/vstress.pc" -a -f "$stage/usr/local/share/vstress/conf.d/00-vstress.ini"
check "plugins installed" test -f "$stage/usr/local/lib/vstress/plugins/skeleton.so"

export PKG_CONFIG_PATH="$stage/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
mkdir -p "$tmp/oot"
sed -e 's/"skeleton"/"oot_probe"/' plugins/skeleton/skeleton.c >"$tmp/oot/oot_probe.c"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(pkg-config --cflags vstress) "$tmp/oot/oot_probe.c" \
	$(pkg-config --libs vstress) -o "$tmp/oot/oot_probe.so" 2>"$tmp/oot/cc.log"
check "an out-of-tree plugin builds with pkg-config" [ -f "$tmp/oot/oot_probe.so" ]
check "it exports exactly one symbol" [ "$(nm -D --defined-only "$tmp/oot/oot_probe.so" | awk '{print $3}' | grep -v '^_')" = vstress_plugin ]
printf '[oot_probe]\nrequests = 5\n' >"$tmp/oot.ini"
"${WRAP[@]}" "$stage/usr/local/bin/vstress" -q -c "$tmp/oot.ini" -P "$tmp/oot" -r "$tmp/r" run
check "the installed binary runs it" [ $? = 0 ]
check "and reports it passed" json "$tmp/r/latest/test_summary.json" \
	'[(p["name"], p["status"]) for p in s["plugins"]] == [("oot_probe", "passed")]'
finish
