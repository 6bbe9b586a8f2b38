#!/usr/bin/env bash
# demo.sh start|stop: a local pgha cluster on loopback, for people.
#
#   start  3-member etcd + pgha PostgreSQL nodes under $PGHA_DEMO_DIR
#          (default /tmp/pgha-demo), then show what pgha sees
#   stop   stop everything and remove the directory
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
dir=${PGHA_DEMO_DIR:-/tmp/pgha-demo}
nodes=${PGHA_DEMO_NODES:-1}
bindir=$(pg_config --bindir)
base_port=${PGHA_DEMO_PORT:-55432}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
psql_node() { local i=$1; shift; "$bindir/psql" -X -h "$dir" -p $((base_port + i - 1)) -U postgres -d postgres "$@"; }

stop() {
	for pgdata in "$dir"/node*; do
		[ -d "$pgdata" ] && "$bindir/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
	done
	[ -d "$dir/etcd" ] && bash scripts/etcd-cluster.sh stop "$dir/etcd" >/dev/null 2>&1 || true
	rm -rf "$dir"
}

start() {
	stop
	mkdir -p "$dir"
	say "starting a 3-member etcd cluster on loopback"
	bash scripts/etcd-cluster.sh start "$dir/etcd" 3 >/dev/null
	endpoints=$(cat "$dir/etcd/endpoints")
	echo "etcd endpoints: $endpoints"

	for i in $(seq 1 "$nodes"); do
		port=$((base_port + i - 1))
		say "starting PostgreSQL node$i on 127.0.0.1:$port with pgha preloaded"
		"$bindir/initdb" -D "$dir/node$i" -U postgres -A trust --data-checksums >/dev/null
		cat >> "$dir/node$i/postgresql.conf" <<EOC
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'pgha'
pgha.etcd_hosts = '$endpoints'
pgha.scope = 'demo'
pgha.name = 'node$i'
pgha.connect_address = '127.0.0.1:$port'
EOC
		"$bindir/pg_ctl" -D "$dir/node$i" -l "$dir/node$i.log" -w start >/dev/null
		psql_node "$i" -q -c "CREATE EXTENSION IF NOT EXISTS pgha"
	done

	say "waiting for the pgha worker to reach etcd"
	for _ in $(seq 1 100); do
		[ "$(psql_node 1 -At -c 'SELECT etcd_reachable FROM pgha.status()')" = t ] && break
		sleep 0.1
	done
	grep -h "pgha worker reached etcd" "$dir"/node*.log || true

	say "SELECT * FROM pgha.status();"
	psql_node 1 -x -c "SELECT * FROM pgha.status()"
	say "SELECT * FROM pgha.etcd_members();"
	psql_node 1 -c "SELECT name, endpoint, reachable, version, is_leader, raft_term FROM pgha.etcd_members() ORDER BY name"

	cat <<EOT

The demo cluster is running under $dir:
  psql -h $dir -p $base_port -U postgres        connect to node1
  ETCDCTL_API=3 etcdctl --endpoints=$endpoints get --prefix /service/demo/
  make demo-stop                                 stop everything
EOT
}

case "${1:-start}" in
start) start ;;
stop) stop; echo "pgha demo stopped" ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
