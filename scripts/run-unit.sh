#!/usr/bin/env bash
# run-unit.sh: the C unit tests (test/unit/pgha_unit) against a real
# 3-member etcd cluster that this script starts and always stops.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/pgha-unit-etcd.XXXXXX")
tls=$(mktemp -d "${TMPDIR:-/tmp}/pgha-unit-tls.XXXXXX")
cleanup() {
	bash "$top/scripts/etcd-cluster.sh" wipe "$dir" >/dev/null 2>&1 || true
	bash "$top/scripts/etcd-tls.sh" stop "$tls" >/dev/null 2>&1 || true
	rm -rf "$tls"
}
trap cleanup EXIT
rmdir "$dir"
bash scripts/etcd-cluster.sh start "$dir" 3 >/dev/null
# a TLS-only etcd demanding client certificates, certificates made by openssl
bash scripts/etcd-tls.sh start "$tls"
PGHA_TEST_ETCD_DIR=$dir PGHA_TEST_ETCD_TLS_DIR=$tls PGHA_TEST_SRCDIR=$top/test/unit \
	prove --exec '' ${PROVE_FLAGS:-} test/unit/pgha_unit
