#!/usr/bin/env bash
# install-deps.sh: install the Debian packages pgha builds and tests with.
# As root, missing packages are installed with apt-get; otherwise the
# script only checks and says what to install.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
packages=(
	"postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
	etcd-server etcd-client
	libcurl4-openssl-dev libjansson-dev pkg-config gcc make
	libkrb5-dev  # libpq/libpq-be.h (authentication hook) includes gssapi.h
	libmicrohttpd-dev libgnutls28-dev haproxy  # the REST API (HTTPS: GnuTLS); HAProxy in front of it in t/140
	clang  # libFuzzer (test/fuzz)
	libipc-run-perl curl iproute2 patroni
	python3-idna  # patronictl's HTTPS requests (t/198) import it
	nftables  # partitions in the fault suite (test/faults)
	gnuplot-nox  # the failover chart of bench/scenarios.pl (make bench, the bench-smoke suite)
	prometheus  # promtool parses GET /metrics in t/140
	man-db  # scripts/check-help.sh: groff's warnings about the manual page pghactl.1
	pgbackrest  # clones and bootstrap from a backup (t/207)
	patch  # scripts/check-source.sh and test/sim/mutate.sh put bugs back by patch
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "pgha: missing Debian packages: ${missing[*]}" >&2
	echo "pgha: run 'make deps' as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "pgha: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages may start services of their own; pgha's tests start
# their own servers on free ports, so stop anything the install started.
if command -v service >/dev/null 2>&1; then
	service etcd stop >/dev/null 2>&1 || true
	service patroni stop >/dev/null 2>&1 || true
	service prometheus stop >/dev/null 2>&1 || true
fi
echo "pgha: packages installed"
