#!/usr/bin/env bash
# run-faults.sh [short|full|FAULT,...]: the fault suite (test/faults): the
# checker's own test, then real partitions, etcd quorum loss, kills and
# freezes in network namespaces.  Needs root (ip netns, nftables); the
# servers run as PGHA_USER (default postgres).  Output and exit code go to
# tmp_faults/, where "make test"'s summary (run-tests.sh) picks them up.
#
#   make faults                 # full: every fault, then random rounds
#   make test                   # runs "short" first
set -uo pipefail
cd "$(dirname "$0")/.."
which=${1:-full}
rm -rf tmp_faults
mkdir -p tmp_faults
chmod 755 tmp_faults
log=tmp_faults/faults.log

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP the fault suite needs root (ip netns, nftables): run 'make faults' as root" | tee "$log"
	echo 0 > tmp_faults/rc
	[ "$which" = short ] && exit 0
	exit 1
fi
user=${PGHA_USER:-postgres}
id "$user" >/dev/null 2>&1 || useradd --system --create-home --shell /bin/bash "$user"

# a bound on the whole run: the short subset takes about 30 s, the full one 6 min
limit=3600
[ "$which" = short ] && limit=600
PATH="$(pg_config --bindir):$PATH" PGHA_USER=$user PGHA_FAULTS=$which \
	timeout -k 30 "$limit" prove -v test/faults/check.t test/faults/faults.pl 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "$rc" > tmp_faults/rc
chmod -R a+rX tmp_faults
exit "$rc"
