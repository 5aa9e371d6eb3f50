#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for tests and benchmarks.
#
#   tests/pg/cluster.sh start STATE_DIR   initdb + start; writes STATE_DIR/uri
#   tests/pg/cluster.sh stop STATE_DIR    stop the server and remove its files
#   tests/pg/cluster.sh uri STATE_DIR     print the URI of a running cluster
#   tests/pg/cluster.sh replica STATE_DIR  add a streaming replica; prints its URI
#   tests/pg/cluster.sh stop-replica STATE_DIR
#
# The data lives in a fresh directory under ${KEHU_PG_TMPDIR:-${TMPDIR:-/tmp}};
# STATE_DIR only remembers where (so that `stop` finds it) and the URI. The
# server trusts loopback connections as the superuser "kehu" and is tuned for
# tests, not for keeping data (fsync off): it is removed by `stop`.
#
# PostgreSQL refuses to run as root, and CI runs as root: then the cluster runs
# as the "postgres" user that Debian's package creates (or "nobody").
set -euo pipefail

PGBIN=${KEHU_PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then
	echo "usage: $0 start|stop|uri STATE_DIR" >&2
	exit 2
fi

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	if [ ! -x "$PGBIN/initdb" ]; then
		echo "cluster.sh: no PostgreSQL server in $PGBIN (apt-get install postgresql postgresql-contrib)" >&2
		exit 3
	fi
	mkdir -p "$state"
	if [ -f "$state/datadir" ] && [ -d "$(cat "$state/datadir")" ]; then
		"$0" stop "$state" || true
		mkdir -p "$state"
	fi
	owner=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		owner=postgres
		getent passwd postgres >/dev/null || owner=nobody
	fi
	base=${KEHU_PG_TMPDIR:-${TMPDIR:-/tmp}}
	dir=$(mktemp -d "$base/kehu-pg.XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
	echo "$dir" >"$state/datadir"
	echo "$owner" >"$state/owner"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U kehu -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# A port picked at random, tried until one is free: several build trees on
	# one machine may each run a cluster at the same time.
	for try in $(seq 1 20); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
			"-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off \
			 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB \
			 -c log_min_messages=warning -c log_min_error_statement=panic" >/dev/null 2>&1; then
			uri="postgresql://kehu@127.0.0.1:$port/postgres"
			# Tests cross-check the API with SQL written for sqlite3: its
			# group_concat(), || of two integers and sum() of comparisons are
			# given to every new database (via template1).
			"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "${uri%/postgres}/template1" -c "
				CREATE FUNCTION group_concat_step(acc text, x text, sep text) RETURNS text
				  LANGUAGE sql IMMUTABLE AS \$\$ SELECT CASE WHEN x IS NULL THEN acc WHEN acc IS NULL THEN x
				  ELSE acc || sep || x END \$\$;
				CREATE FUNCTION group_concat_step(acc text, x text) RETURNS text
				  LANGUAGE sql IMMUTABLE AS \$\$ SELECT group_concat_step(acc, x, ',') \$\$;
				CREATE AGGREGATE group_concat(text, text) (SFUNC = group_concat_step, STYPE = text);
				CREATE AGGREGATE group_concat(text) (SFUNC = group_concat_step, STYPE = text);
				CREATE FUNCTION group_concat_any(acc text, x anyelement) RETURNS text
				  LANGUAGE sql IMMUTABLE AS \$\$ SELECT group_concat_step(acc, x::text, ',') \$\$;
				CREATE AGGREGATE group_concat(anyelement) (SFUNC = group_concat_any, STYPE = text);
				CREATE FUNCTION concat_int(a bigint, b bigint) RETURNS text
				  LANGUAGE sql IMMUTABLE AS \$\$ SELECT a::text || b::text \$\$;
				CREATE OPERATOR || (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = concat_int);
				CREATE FUNCTION sum_bool_step(acc bigint, x boolean) RETURNS bigint
				  LANGUAGE sql IMMUTABLE AS \$\$ SELECT CASE WHEN x IS NULL THEN acc ELSE COALESCE(acc, 0) + x::int END \$\$;
				CREATE AGGREGATE sum(boolean) (SFUNC = sum_bool_step, STYPE = bigint);" >/dev/null
			echo "$uri" >"$state/uri"
			cat "$state/uri"
			exit 0
		fi
		grep -q "already in use\|could not bind" "$dir/server.log" 2>/dev/null || break
	done
	echo "cluster.sh: the server did not start:" >&2
	tail -20 "$dir/server.log" >&2 || true
	exit 1
	;;
stop)
	[ -f "$state/datadir" ] || exit 0
	dir=$(cat "$state/datadir")
	owner=$(cat "$state/owner" 2>/dev/null || id -un)
	for d in "$dir/replica" "$dir/data"; do
		if [ -d "$d" ]; then
			as_owner "$PGBIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$dir"
	rm -f "$state/datadir" "$state/owner" "$state/uri" "$state/replica_uri"
	;;
replica)
	# A streaming replica of the running cluster, on a port of its own:
	# prints its URI (also in STATE_DIR/replica_uri). `stop` stops it too.
	dir=$(cat "$state/datadir")
	owner=$(cat "$state/owner")
	uri=$(cat "$state/uri")
	hostport=${uri#*@}
	hostport=${hostport%%/*}
	as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "${hostport#*:}" -U kehu -D "$dir/replica" -R -X stream \
		>"$dir/basebackup.log" 2>&1 || {
		cat "$dir/basebackup.log" >&2
		exit 1
	}
	for try in $(seq 1 20); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if as_owner "$PGBIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 60 start -o \
			"-c port=$port -c hot_standby=on -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off" >/dev/null 2>&1; then
			echo "postgresql://kehu@127.0.0.1:$port/postgres" >"$state/replica_uri"
			cat "$state/replica_uri"
			exit 0
		fi
		grep -q "already in use\|could not bind" "$dir/replica.log" 2>/dev/null || break
	done
	echo "cluster.sh: the replica did not start:" >&2
	tail -20 "$dir/replica.log" >&2 || true
	exit 1
	;;
stop-replica)
	dir=$(cat "$state/datadir")
	owner=$(cat "$state/owner")
	if [ -d "$dir/replica" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/replica" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$dir/replica"
	fi
	rm -f "$state/replica_uri"
	;;
uri)
	cat "$state/uri"
	;;
*)
	echo "usage: $0 start|stop|uri STATE_DIR" >&2
	exit 2
	;;
esac
