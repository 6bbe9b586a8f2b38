#!/usr/bin/env bash
# run-regress.sh: pg_regress against a temporary instance that preloads
# pgha and points at a single-member etcd started (and always stopped)
# here.  The etcd lives in tmp_regress/etcd so that a test can stop it
# (pgha_etcd_down.sql).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tmp_regress
bash scripts/etcd-cluster.sh stop "$dir/etcd" >/dev/null 2>&1 || true
rm -rf "$dir" tmp_check_regress
mkdir -p "$dir"
trap 'bash scripts/etcd-cluster.sh stop "$dir/etcd" >/dev/null 2>&1 || true' EXIT
bash scripts/etcd-cluster.sh start "$dir/etcd" 1 >/dev/null
cat > "$dir/regress.conf" <<EOC
shared_preload_libraries = 'pgha'
pgha.etcd_hosts = '$(cat "$dir/etcd/endpoints")'
pgha.scope = 'regress'
pgha.api_listen = ''
pgha.name = 'regress1'
pgha.etcd_timeout = 1000
EOC
${MAKE:-make} --no-print-directory installcheck TAP_TESTS= PGHA_REGRESS=1 "$@"
