#!/usr/bin/env bash
# docs/tutorial.sh: every command of docs/tutorial.md, end to end, on one
# machine: a 5-member etcd on 127.0.0.11-15 (ports 2379/2380, as on five
# hosts) and 3 PostgreSQL nodes run by pghactl on 127.0.0.1.
#
#   bash docs/tutorial.sh            # as the PostgreSQL OS user (not root)
#
# TUTORIAL_DIR (default /tmp/pgha-tutorial) holds everything; TUTORIAL_PORTS
# (default "5441 5442 5443") are the nodes' ports.  Each step checks its
# outcome with a deadline and the script stops at the first failure; the
# servers are stopped on exit either way.  t/500_tutorial.pl runs it.
set -euo pipefail

dir=${TUTORIAL_DIR:-/tmp/pgha-tutorial}
read -r -a ports <<< "${TUTORIAL_PORTS:-5441 5442 5443}"
bindir=$(pg_config --bindir)
PATH="$bindir:$PATH"
export ETCDCTL_API=3
etcd_endpoints="127.0.0.11:2379,127.0.0.12:2379,127.0.0.13:2379,127.0.0.14:2379,127.0.0.15:2379"
user=$(id -un)

step() { printf '\n### %s\n' "$*"; }
# the transcript names paths inside the repository relative to it
top=$(cd "$(dirname "$0")/.." && pwd)
show() { local cmd="$*"; printf '$ %s\n' "${cmd//$top\//}"; "$@"; }
# until SECONDS CMD...: retry CMD every 0.2 s until it succeeds
until_ok() {
	local limit=$1 end
	shift
	end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge "$end" ]; then
			echo "FAILED waiting for: $*" >&2
			return 1
		fi
		sleep 0.2
	done
}
node_psql() { local i=$1; shift; psql -X -h "$dir" -p "${ports[$((i - 1))]}" -U "$user" -d postgres "$@"; }
leader() { ETCDCTL_API=3 etcdctl --endpoints="$etcd_endpoints" get /service/tutorial/leader --print-value-only; }

cleanup() {
	set +e
	for i in 1 2 3; do
		[ -f "$dir/node$i/pghactl.pid" ] && kill "$(cat "$dir/node$i/pghactl.pid")" 2>/dev/null
	done
	for i in 1 2 3; do
		[ -f "$dir/node$i/pghactl.pid" ] && while kill -0 "$(cat "$dir/node$i/pghactl.pid")" 2>/dev/null; do sleep 0.1; done
	done
	for n in 1 2 3 4 5; do
		[ -f "$dir/etcd$n.pid" ] && kill "$(cat "$dir/etcd$n.pid")" 2>/dev/null
	done
	# wait for etcd to be gone: a new run must not meet the old cluster
	for n in 1 2 3 4 5; do
		[ -f "$dir/etcd$n.pid" ] || continue
		for _ in $(seq 1 100); do
			kill -0 "$(cat "$dir/etcd$n.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$dir/etcd$n.pid")" 2>/dev/null
	done
}
trap cleanup EXIT

if (exec 3<>/dev/tcp/127.0.0.11/2379) 2>/dev/null; then
	echo "something already listens on 127.0.0.11:2379 (an etcd of an earlier run?)" >&2
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

step "1. etcd: 5 members tolerate 2 failures (N = 2F + 1)"
show pghactl etcd-config --nodes etcd1=127.0.0.11,etcd2=127.0.0.12,etcd3=127.0.0.13,etcd4=127.0.0.14,etcd5=127.0.0.15 \
	--failures 2 --data-dir "$dir/etcd" --token tutorial > etcd.yaml
grep '^# [0-9]* members' etcd.yaml
# one file per member, as each host would have its own
awk -v d="$dir" '/^# etcd[0-9]: /{f=d "/" $2; sub(":", ".yaml", f)} /^---$/{f=""; next} f{print > f}' etcd.yaml
for n in 1 2 3 4 5; do
	etcd --config-file "$dir/etcd$n.yaml" > "$dir/etcd$n.log" 2>&1 &
	echo $! > "$dir/etcd$n.pid"
done
until_ok 60 etcdctl --endpoints="$etcd_endpoints" endpoint health
show etcdctl --endpoints="$etcd_endpoints" member list -w table
show etcdctl --endpoints="$etcd_endpoints" endpoint status -w table

step "2. one pgha.conf per node; the cluster-wide settings go to etcd first"
for i in 1 2 3; do
	mkdir -p "$dir/node$i"
	cat > "$dir/node$i/pgha.conf" <<EOC
port = ${ports[$((i - 1))]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
pgha.etcd_hosts = '$etcd_endpoints'
pgha.namespace = '/service'
pgha.scope = 'tutorial'
pgha.name = 'node$i'
pgha.connect_address = '127.0.0.1:${ports[$((i - 1))]}'
pgha.api_listen = '127.0.0.1:$((${ports[$((i - 1))]} + 1000))'
pgha.replication_user = '$user'
pghactl.data_directory = '$dir/node$i/data'
pghactl.superuser = '$user'
pghactl.initdb_options = '--auth-local=trust --auth-host=trust --encoding=UTF8'
pghactl.bootstrap_sql = '$dir/bootstrap.sql'
EOC
done
cat > "$dir/bootstrap.sql" <<'EOS'
CREATE EXTENSION pgha;
EOS
# Patroni's bootstrap.dcs: timing, parameters and pg_hba, before any node
# starts.  The superuser over TCP is deliberately missing.
show pghactl edit-config -c "$dir/node1/pgha.conf" --force \
	-s ttl=10 -s loop_wait=2 -s retry_timeout=4 -s maximum_lag_on_failover=1048576 \
	-p max_connections=100 -p wal_keep_size=256MB \
	-s 'postgresql.pg_hba=["local all all trust","host replication all 127.0.0.1/32 trust"]'

step "3. bring-up: node1 initializes the cluster, node2 and node3 clone it"
(exec pghactl run -c "$dir/node1/pgha.conf" > "$dir/node1/pghactl.log" 2>&1) &
echo $! > "$dir/node1/pghactl.pid"
until_ok 90 bash -c "[ \"\$(ETCDCTL_API=3 etcdctl --endpoints=$etcd_endpoints get /service/tutorial/leader --print-value-only)\" = node1 ]"
until_ok 60 node_psql 1 -Atc "SELECT 1 FROM pg_extension WHERE extname = 'pgha'"
for i in 2 3; do
	(exec pghactl run -c "$dir/node$i/pgha.conf" > "$dir/node$i/pghactl.log" 2>&1) &
	echo $! > "$dir/node$i/pghactl.pid"
done
until_ok 120 bash -c "[ \"\$(psql -X -h $dir -p ${ports[0]} -U $user -d postgres -Atc \"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'\")\" = 2 ]"
until_ok 30 bash -c "pghactl list -c $dir/node1/pgha.conf | grep -c streaming | grep -qx 2"
show pghactl list -c "$dir/node1/pgha.conf"
show node_psql 1 -c 'SELECT member, host, port, role, state, timeline, lag_bytes FROM pgha.members()'
show node_psql 1 -c 'SELECT name, endpoint, is_leader, raft_term, quorum, failures_tolerated FROM pgha.etcd_members()'

step "4. pg_hba for the whole cluster: a replica refuses the superuser over TCP..."
if psql -X -h 127.0.0.1 -p "${ports[1]}" -U "$user" -d postgres -c 'SELECT 1' 2> "$dir/refused.txt"; then
	echo "FAILED: node2 accepted a connection pg_hba has no rule for" >&2
	exit 1
fi
cat "$dir/refused.txt"
echo "... until pgha.set_hba() adds the rule on every node:"
show node_psql 1 -c "SELECT pgha.set_hba(ARRAY['local all all trust', 'host replication all 127.0.0.1/32 trust', 'host all $user 127.0.0.1/32 trust'], wait => '30s')"
show psql -X -h 127.0.0.1 -p "${ports[1]}" -U "$user" -d postgres -Atc 'SELECT pg_is_in_recovery()'

step "5. replication: a database created on the primary shows up on a replica"
show node_psql 1 -c 'CREATE DATABASE foobar'
until_ok 30 bash -c "psql -X -h 127.0.0.1 -p ${ports[2]} -U $user -d postgres -Atc \"SELECT 1 FROM pg_database WHERE datname = 'foobar'\" | grep -qx 1"
show psql -X -h 127.0.0.1 -p "${ports[2]}" -U "$user" -d postgres -c "SELECT datname FROM pg_stat_database WHERE datname = 'foobar'"

step "6. failover: the primary's postmaster is killed"
pm=$(head -1 "$dir/node1/data/postmaster.pid")
show kill -9 "$pm"
until_ok 60 bash -c "ETCDCTL_API=3 etcdctl --endpoints=$etcd_endpoints get /service/tutorial/leader --print-value-only | grep -Eqx 'node[23]'"
new=$(leader)
echo "new leader: $new"
# pghactl brings node1 back as a standby of the new leader, on its timeline
newport=${ports[$((${new#node} - 1))]}
until_ok 90 bash -c "[ \"\$(psql -X -h $dir -p ${ports[0]} -U $user -d postgres -Atc 'SELECT timeline FROM pgha.status()')\" = \
	\"\$(psql -X -h $dir -p $newport -U $user -d postgres -Atc 'SELECT timeline FROM pgha.status()')\" ] && \
	psql -X -h $dir -p $newport -U $user -d postgres -Atc \"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'node1' AND state = 'streaming'\" | grep -qx 1"
show pghactl list -c "$dir/node2/pgha.conf"

step "7. switchover back to node1, planned: no write is lost"
show pghactl switchover -c "$dir/node2/pgha.conf" --candidate node1 --force
until_ok 90 bash -c "pghactl list -c $dir/node1/pgha.conf | grep -c streaming | grep -qx 2"
show pghactl list -c "$dir/node1/pgha.conf"
show pghactl history -c "$dir/node1/pgha.conf"

step "8. maintenance: pause, and nothing automatic happens until resume"
show pghactl pause -c "$dir/node1/pgha.conf"
until_ok 30 bash -c "pghactl list -c $dir/node1/pgha.conf | grep -q 'Maintenance mode: on'"
pghactl list -c "$dir/node1/pgha.conf" | head -1
show pghactl resume -c "$dir/node1/pgha.conf"

step "done"
echo "tutorial: all steps passed"
