#!/usr/bin/env bash
# Throwaway PostgreSQL for tests and the demo: initdb in a temporary folder,
# listening on a unix socket in that folder and on a loopback TCP port.
#   scripts/pg-throwaway.sh start [DIR] [PORT]  -> prints export lines (PGDATA_DIR, DATABASE_URL, PGHOST, PGPORT)
#   scripts/pg-throwaway.sh stop DIR
# Runs as root by switching to the 'postgres' user (initdb refuses root).
# The cluster carries the role vstress_scratch: the mark of a scratch
# database (plugins/db and plugins/api write or delete data only there).
set -euo pipefail

find_bin() {
	local b
	for b in "$(command -v "$1" 2>/dev/null || true)" /usr/lib/postgresql/*/bin/"$1"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	echo "pg-throwaway: $1 not found (install the 'postgresql' package: make deps)" >&2
	return 1
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

cmd=${1:-}
case "$cmd" in
start)
	dir=${2:-$(mktemp -d /tmp/vstress-pg.XXXXXX)}
	port=${3:-$(free_port)}
	initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
	chmod 700 "$dir"
	as_pg "$initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	as_pg "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	# The cluster says itself that it is vstress's own scratch: the db plugin
	# writes rows, and the api phase lets the agent delete data, only where
	# it finds this role (or where the manifest says scratch = true).
	psql=$(find_bin psql)
	as_pg "$psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE vstress_scratch NOLOGIN" \
		-c "COMMENT ON ROLE vstress_scratch IS 'a throwaway cluster started by vstress (scripts/pg-throwaway.sh): its data may be written and deleted'" \
		>/dev/null 2>"$dir/marker.log" || { cat "$dir/marker.log" >&2; exit 1; }
	echo "export VSTRESS_PG_DIR=$dir"
	echo "export PGHOST=127.0.0.1"
	echo "export PGPORT=$port"
	echo "export PGUSER=postgres"
	echo "export DATABASE_URL=postgresql://postgres@127.0.0.1:$port/postgres"
	;;
stop)
	dir=${2:?usage: pg-throwaway.sh stop DIR}
	pg_ctl=$(find_bin pg_ctl)
	[ -d "$dir/data" ] && as_pg "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start [DIR] [PORT] | stop DIR" >&2
	exit 2
	;;
esac
