#!/usr/bin/env bash
# test-package.sh: the Debian package on a clean root, without touching this
# machine's own files.  As root:
#
#   bash scripts/test-package.sh [DEB]     (default: tmp_deb/postgresql-15-pgha_*.deb)
#
# The test runs in a private copy of the root: new mount and PID namespaces,
# an overlay whose lower layer is / and whose upper layer is a tmpfs, and a
# chroot into it.  There it
#  1. removes pgha files that "make install" left (no package owns them) and
#     libmicrohttpd12, so that the root is clean of pgha and apt has to
#     resolve a dependency;
#  2. installs the package with "apt-get install ./DEB";
#  3. checks the installed files: pghactl on the PATH, its manual page, the
#     unit, and the example pgha.conf loaded by postgres with pgha;
#  4. runs the installed tutorial (examples/tutorial.sh) as postgres, in a
#     network namespace of its own (its loopback addresses and ports cannot
#     meet another test's);
#  5. purges the package, and compares the file lists taken before the
#     install, after it and after the purge.
# Each check prints PASS or FAIL; the last line counts them, and the exit
# status is 1 if any failed.  Everything goes when the namespaces end: the
# upper layer is freed, and the kernel kills what the tutorial left running.
set -euo pipefail

stage=${PGHA_TEST_PACKAGE_STAGE:-host}
pkg=postgresql-15-pgha
pgbin=/usr/lib/postgresql/15/bin

if [ "$stage" = host ]; then
	cd "$(dirname "$0")/.."
	if [ "$(id -u)" -ne 0 ]; then
		echo "test-package.sh: run it as root (namespaces, overlay, chroot)" >&2
		exit 2
	fi
	deb=${1:-$(ls tmp_deb/${pkg}_*.deb 2>/dev/null | head -1)}
	if [ ! -f "$deb" ]; then
		echo "test-package.sh: no package ${deb:-tmp_deb/${pkg}_*.deb}: run make deb first" >&2
		exit 2
	fi
	work=$(mktemp -d /tmp/pgha-test-package.XXXXXX)
	trap 'rmdir "$work" 2>/dev/null || true' EXIT
	# the new mount namespace's mounts are private: nothing propagates back
	PGHA_TEST_PACKAGE_STAGE=namespace unshare --mount --pid --fork --propagation private \
		bash "$0" "$(realpath "$deb")" "$work" "$(realpath "$0")"
	exit $?
fi

if [ "$stage" = namespace ]; then
	deb=$1 work=$2 self=$3
	mount -t tmpfs -o mode=0755 pgha-test-package "$work"
	mkdir "$work/upper" "$work/overlay-work" "$work/root"
	if ! mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$work/upper,workdir=$work/overlay-work" "$work/root"; then
		echo "FAIL: cannot mount an overlay of / here (mount -t overlay)"
		exit 1
	fi
	root=$work/root
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount --rbind /sys "$root/sys"
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
	mount -t tmpfs -o mode=0755 tmpfs "$root/run"
	cp "$deb" "$self" "$root/tmp/"
	PGHA_TEST_PACKAGE_STAGE=chroot exec chroot "$root" \
		bash "/tmp/$(basename "$self")" "/tmp/$(basename "$deb")"
fi

# --- in the chroot: the clean root
deb=$1
passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
	echo "test-package: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
# give up on the rest after a failure nothing else can follow
fatal() { fail "$*"; finish; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
t0=$SECONDS

# every file, link and directory where a package installs, less what dpkg,
# apt and man-db keep about packages
snapshot() {
	find /usr /etc /var /opt -xdev \
		\( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log \
		-o -path /var/lib/systemd \) -prune -o -print | sort
}
# the same paths as snapshot() names them: /lib is a link to /usr/lib
canonical() { while read -r p; do echo "$(realpath "$(dirname "$p")")/$(basename "$p")"; done | sort -u; }

# 1. a root without pgha: no installed service may start here, and what
# "make install" left (owned by no package) goes
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
mkdir -p -m 2775 /run/postgresql
chown postgres:postgres /run/postgresql
leftovers=$(ls -d $pgbin/pghactl /usr/lib/postgresql/15/lib/pgha.so \
	/usr/lib/postgresql/15/lib/bitcode/pgha* /usr/share/postgresql/15/extension/pgha.control \
	/usr/share/postgresql/15/extension/pgha--*.sql /usr/bin/pghactl 2>/dev/null || true)
for f in $leftovers; do
	if dpkg -S "$f" >/dev/null 2>&1; then
		fatal "$f belongs to a package: this root is not clean of pgha ($(dpkg -S "$f"))"
	fi
	rm -rf "$f"
done
echo "removed what make install left: ${leftovers:-nothing}" | tr '\n' ' '
echo
if dpkg-query -W -f='${Status}' libmicrohttpd12 2>/dev/null | grep -q 'install ok installed'; then
	apt-get purge -y -qq libmicrohttpd-dev libmicrohttpd12 >/dev/null
fi
before=$(snapshot)
if grep -E '(^|/)(pgha[^/]*|pghactl[^/]*)$' <<< "$before" | grep -v '^/var/lib/postgresql/' > /tmp/pgha-files; then
	fatal "pgha files remain before the install: $(head -5 /tmp/pgha-files | tr '\n' ' ')"
fi
pass "the root is clean of pgha, and libmicrohttpd12 is not installed"
pkgs_before=$(dpkg-query -W -f='${binary:Package}\n' | sort)

# 2. the install: apt resolves the dependencies from the archive
t=$SECONDS
if timeout 600 apt-get install -y -q "$deb" > /tmp/apt-install.log 2>&1; then
	pass "apt-get install ./$(basename "$deb") ($((SECONDS - t)) s)"
else
	tail -20 /tmp/apt-install.log
	fatal "apt-get install ./$(basename "$deb")"
fi
deps=$(comm -13 <(echo "$pkgs_before") <(dpkg-query -W -f='${binary:Package}\n' | sort) | grep -vx "$pkg" || true)
if grep -qx 'libmicrohttpd12.*' <<< "$deps"; then
	pass "apt installed the dependencies: $(echo $deps)"
else
	fail "apt did not install libmicrohttpd12 (new packages: $(echo $deps))"
fi
installed=$(snapshot)
dep_files=$(for d in $deps; do dpkg -L "$d"; done | canonical)
pkg_files=$(dpkg -L "$pkg" | canonical)
# what the install added is the package's and its dependencies' files
added=$(comm -13 <(echo "$before") <(echo "$installed"))
unowned=$(comm -23 <(echo "$added") <(sort -u <(echo "$pkg_files") <(echo "$dep_files")))
if [ -z "$unowned" ]; then
	pass "the install added $(echo "$added" | wc -l) paths, all in dpkg -L of $pkg and its dependencies"
else
	fail "the install added paths no package lists: $(echo $unowned)"
fi

# 3. the installed files
if [ "$(command -v pghactl)" = /usr/bin/pghactl ] && [ "$(readlink -f /usr/bin/pghactl)" = $pgbin/pghactl ] &&
	pghactl --version | grep -qx 'pghactl (pgha) [0-9.]*'; then
	pass "pghactl on the PATH is $pgbin/pghactl: $(pghactl --version)"
else
	fail "pghactl on the PATH: $(command -v pghactl || echo none)"
fi
if [ "$(man -w pghactl 2>/dev/null)" = /usr/share/man/man1/pghactl.1.gz ] &&
	[ -z "$(MANWIDTH=80 man --warnings pghactl 2>&1 >/dev/null)" ] &&
	man pghactl 2>/dev/null | grep -q 'reinit MEMBER'; then
	pass "man pghactl: the page renders without warnings"
else
	fail "man pghactl"
fi
unit=/lib/systemd/system/pgha@.service
if [ -f $unit ] && grep -qx 'ExecStart=/usr/lib/postgresql/15/bin/pghactl run -c /etc/postgresql/%I/pgha.conf' $unit &&
	grep -qx 'Conflicts=postgresql@%i.service' $unit && grep -qx 'User=postgres' $unit &&
	verify=$(systemd-analyze verify --man=no "$unit" 2>&1) && [ -z "$verify" ]; then
	pass "pgha@.service: pghactl run -c /etc/postgresql/%I/pgha.conf as postgres, conflicts with postgresql@%i; systemd-analyze verify is silent"
else
	fail "pgha@.service: ${verify:-missing or other ExecStart/Conflicts/User}"
fi
# the example pgha.conf, included as pghactl run includes it: postgres -C
# loads pgha (shared_preload_libraries), which checks every pgha.* value
example=/usr/share/doc/$pkg/examples/pgha.conf
exdir=/tmp/pgha-example
if runuser -u postgres -- $pgbin/initdb -D $exdir -U postgres > /tmp/initdb.log 2>&1 &&
	printf "shared_preload_libraries = 'pgha'\ninclude '%s'\n" $example >> $exdir/postgresql.conf &&
	scope=$(runuser -u postgres -- $pgbin/postgres -D $exdir -C pgha.scope 2>&1) && [ "$scope" = main ] &&
	ddir=$(runuser -u postgres -- $pgbin/postgres -D $exdir -C pghactl.data_directory 2>&1) &&
	[ "$ddir" = /var/lib/postgresql/15/main ]; then
	pass "examples/pgha.conf: postgres with pgha loaded accepts it (pgha.scope = $scope, pghactl.data_directory = $ddir)"
else
	fail "examples/pgha.conf: postgres -C says: ${scope:-} ${ddir:-} $(tail -3 /tmp/initdb.log)"
fi
rm -rf $exdir

# 4. the tutorial, as postgres, against the installed files only, on a
# loopback of its own
tutorial=/usr/share/doc/$pkg/examples/tutorial.sh
t=$SECONDS
if timeout 900 unshare --net bash -c '
	ip link set lo up || exit 1
	for p in 2379 2380 5441 5442 5443 6441 6442 6443; do
		if (exec 3<>/dev/tcp/127.0.0.11/$p) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "port $p is taken" >&2
			exit 1
		fi
	done
	cd /tmp && exec runuser -u postgres -- env TUTORIAL_DIR=/tmp/pgha-tutorial PATH="$PATH" bash "$1"' \
	tutorial "$tutorial" > /tmp/tutorial.log 2>&1; then
	pass "the installed $tutorial as postgres ($((SECONDS - t)) s): $(tail -1 /tmp/tutorial.log)"
else
	tail -30 /tmp/tutorial.log
	fail "the installed tutorial ($((SECONDS - t)) s)"
fi

# 5. the purge removes what the install added, except the dependencies
if apt-get purge -y -q "$pkg" > /tmp/apt-purge.log 2>&1; then
	pass "apt-get purge $pkg"
else
	tail -20 /tmp/apt-purge.log
	fatal "apt-get purge $pkg"
fi
purged=$(snapshot)
left=$(comm -13 <(echo "$before") <(echo "$purged") | comm -23 - <(echo "$dep_files"))
gone=$(comm -23 <(echo "$before") <(echo "$purged"))
if [ -z "$left" ]; then
	pass "the purge left nothing of the package ($(echo "$pkg_files" | wc -l) paths in dpkg -L)"
else
	fail "left after the purge: $(echo $left)"
fi
if [ -z "$gone" ]; then
	pass "the purge removed nothing that was there before the install"
else
	fail "gone after the purge, there before the install: $(echo $gone)"
fi
echo "test-package: $((SECONDS - t0)) s in the private root"
finish
