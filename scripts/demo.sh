#!/usr/bin/env bash
# demo.sh start|stop: a local pgha cluster on loopback, for people.
#
#   start  3-member etcd + 3 pgha PostgreSQL nodes under $PGHA_DEMO_DIR
#          (default /tmp/pgha-demo), show what pgha sees, fail over
#   stop   stop everything and remove the directory
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
dir=${PGHA_DEMO_DIR:-/tmp/pgha-demo}
nodes=3
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

node_conf() {
	local i=$1 port=$2 endpoints=$3
	cat >> "$dir/node$i/postgresql.conf" <<EOC

# pgha demo node$i
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'pgha'
pgha.etcd_hosts = '$endpoints'
pgha.scope = 'demo'
pgha.name = 'node$i'
pgha.connect_address = '127.0.0.1:$port'
pgha.api_listen = '127.0.0.1:$((port + 1000))'
pgha.replication_user = 'postgres'
wal_log_hints = on
wal_retrieve_retry_interval = '500ms'
EOC
}

wait_for() {
	# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && { echo "timed out waiting for: $*" >&2; return 1; }
		sleep 0.2
	done
}

leader() { ETCDCTL_API=3 etcdctl --endpoints="$endpoints" get --print-value-only /service/demo/leader; }
leader_is() { [ "$(leader)" = "$1" ]; }
leader_not() { local l; l=$(leader); [ -n "$l" ] && [ "$l" != "$1" ]; }
streaming() { [ "$(psql_node 1 -At -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = "$1" ]; }

start() {
	stop
	mkdir -p "$dir"
	say "starting a 3-member etcd cluster on loopback"
	bash scripts/etcd-cluster.sh start "$dir/etcd" 3 >/dev/null
	endpoints=$(cat "$dir/etcd/endpoints")
	echo "etcd endpoints: $endpoints"
	# demo timings: ttl 6 s (pgha's default is 10 s, Patroni's 30 s)
	ETCDCTL_API=3 etcdctl --endpoints="$endpoints" put /service/demo/config \
		'{"ttl":6,"loop_wait":1,"retry_timeout":2,"maximum_lag_on_failover":1048576}' >/dev/null

	say "node1: initdb, start; pgha bootstraps the cluster"
	"$bindir/initdb" -D "$dir/node1" -U postgres -A trust --data-checksums >/dev/null
	node_conf 1 "$base_port" "$endpoints"
	"$bindir/pg_ctl" -D "$dir/node1" -l "$dir/node1.log" -w start >/dev/null
	wait_for 30 leader_is node1
	psql_node 1 -q -c "CREATE EXTENSION pgha"
	grep -h "pgha: bootstrapped" "$dir/node1.log" || true

	for i in $(seq 2 "$nodes"); do
		port=$((base_port + i - 1))
		say "node$i: clone node1 (pg_basebackup), start as a standby"
		"$bindir/pg_basebackup" -D "$dir/node$i" -h 127.0.0.1 -p "$base_port" -U postgres \
			-R -X stream -C -S "node$i" >/dev/null
		node_conf "$i" "$port" "$endpoints"
		"$bindir/pg_ctl" -D "$dir/node$i" -l "$dir/node$i.log" -w start >/dev/null
	done
	wait_for 60 streaming $((nodes - 1))

	cat > "$dir/patronictl.yml" <<EOC
scope: demo
namespace: /service/
etcd3:
  hosts: $endpoints
EOC
	say "patronictl list (Patroni's own tool reads the pgha cluster)"
	patronictl -c "$dir/patronictl.yml" list 2>/dev/null || echo "(patronictl not installed)"

	say "SELECT * FROM pgha.members();"
	psql_node 2 -c "SELECT member, host, port, role, state, timeline, lag_bytes, stale FROM pgha.members()"

	say "SELECT member, role, leader, last_rule, lease_deadline FROM pgha.status();  -- on each node"
	for i in $(seq 1 "$nodes"); do
		psql_node "$i" -At -F ' | ' -c "SELECT member, role, coalesce(leader, '-'), last_rule, coalesce(lease_deadline::text, '-') FROM pgha.status()"
	done

	say "SELECT name, endpoint, is_leader, raft_term FROM pgha.etcd_members();"
	psql_node 1 -c "SELECT name, endpoint, reachable, version, is_leader, raft_term FROM pgha.etcd_members() ORDER BY name"

	say "cluster-wide pg_hba: TCP connections as postgres are refused until a rule allows them"
	psql_node 1 -At -c "SELECT 'revision ' || pgha.set_hba(ARRAY[]::text[], wait => '30s')"
	"$bindir/psql" -X -h 127.0.0.1 -p $((base_port + 1)) -U postgres -d postgres -c 'SELECT 1' 2>&1 | head -1 || true
	echo "SELECT pgha.set_hba(ARRAY['host all postgres 127.0.0.1/32 trust'], wait => '30s');"
	psql_node 1 -At -c "SELECT 'revision ' || pgha.set_hba(ARRAY['host all postgres 127.0.0.1/32 trust'], wait => '30s')"
	"$bindir/psql" -X -h 127.0.0.1 -p $((base_port + 1)) -U postgres -d postgres -At -c "SELECT 'connected to node2 over TCP, port ' || inet_server_port()"
	psql_node 2 -c "SELECT * FROM pgha.hba_rules()"

	say "a parameter on every node: SELECT pgha.set_parameter('work_mem', '16MB', wait => '30s');"
	psql_node 3 -At -c "SELECT 'revision ' || pgha.set_parameter('work_mem', '16MB', wait => '30s')"
	for i in $(seq 1 "$nodes"); do
		psql_node "$i" -At -c "SELECT 'node$i work_mem = ' || current_setting('work_mem')"
	done

	say "a row written on the primary shows up on the replicas"
	psql_node 1 -q -c "CREATE TABLE demo (id int, note text); INSERT INTO demo VALUES (1, 'written on node1')"
	wait_for 30 bash -c "[ \"\$($bindir/psql -X -h $dir -p $((base_port + 1)) -U postgres -d postgres -At -c 'SELECT count(*) FROM demo' 2>/dev/null)\" = 1 ]"
	psql_node 2 -c "SELECT * FROM demo"

	say "planned switchover: SELECT pgha.switchover('node3');  -- from node2"
	psql_node 2 -At -c "SELECT 'new leader: ' || pgha.switchover('node3')"
	wait_for 30 test -f "$dir/node1/standby.signal"
	wait_for 30 bash -c "! [ -f $dir/node1/postmaster.pid ]"
	echo "node1 shut down cleanly and restarts as node3's standby, no pg_rewind:"
	"$bindir/pg_ctl" -D "$dir/node1" -l "$dir/node1.log" -w start >/dev/null
	wait_for 60 bash -c "[ \"\$($bindir/psql -X -h $dir -p $((base_port + 2)) -U postgres -d postgres -At -c \"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'\")\" = 2 ]"
	patronictl -c "$dir/patronictl.yml" list 2>/dev/null || true
	psql_node 2 -At -c "SELECT pgha.switchover('node1')" >/dev/null
	wait_for 30 leader_is node1
	wait_for 30 bash -c "! [ -f $dir/node3/postmaster.pid ]"
	"$bindir/pg_ctl" -D "$dir/node3" -l "$dir/node3.log" -w start >/dev/null
	wait_for 60 streaming $((nodes - 1))
	echo "and back to node1 the same way."

	say "failover: kill -9 of node1's postmaster"
	url="postgresql://127.0.0.1:$base_port,127.0.0.1:$((base_port + 1)),127.0.0.1:$((base_port + 2))/postgres?target_session_attrs=read-write&connect_timeout=1"
	t0=$(date +%s.%N)
	kill -9 "$(head -1 "$dir/node1/postmaster.pid")"
	until "$bindir/psql" -X -q -U postgres -d "$url" -c "INSERT INTO demo VALUES (2, 'written after the failover')" 2>/dev/null; do
		sleep 0.05
	done
	t1=$(date +%s.%N)
	printf 'new leader: %s; first write accepted %.1f s after the kill (ttl 6 s)\n' "$(leader)" "$(awk "BEGIN{print $t1 - $t0}")"
	wait_for 30 leader_not node1
	sleep 1   # let the survivors publish their new state once
	patronictl -c "$dir/patronictl.yml" list 2>/dev/null || true
	grep -h "pgha: this node is the leader\|pgha: promoted\|pgha: following leader" "$dir"/node[23].log | tail -3

	cat <<EOT

The demo cluster is running under $dir (node1 is down after the failover):
  psql "$url"
  patronictl -c $dir/patronictl.yml list
  ETCDCTL_API=3 etcdctl --endpoints=$endpoints get --prefix /service/demo/
  make demo-stop                                 stop everything
The demo runs its nodes with pg_ctl, so node1 stays down after the failover;
under "pghactl run" it would come back as a standby by itself (pg_rewind
included): see docs/tutorial.md, whose script does exactly that.
EOT
}

case "${1:-start}" in
start) start ;;
stop) stop; echo "pgha demo stopped" ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
