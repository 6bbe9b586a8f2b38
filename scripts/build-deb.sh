#!/usr/bin/env bash
# build-deb.sh: the Debian package (debian/), built with dpkg-buildpackage
# from the tracked files as they are in the work tree (committed or not;
# untracked files are left out), in a copy under /tmp: dpkg-buildpackage
# writes into the parent directory of the tree it builds.  The .deb and
# lintian's report end up in tmp_deb/.  Build dependencies: debian/control
# (as root, missing ones are installed).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
out=$top/tmp_deb
work=$(mktemp -d /tmp/pgha-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the build dependencies, from debian/control
need=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '1s/^Build-Depends://; /^[A-Z]/d' |
	tr ',' '\n' | sed 's/(.*)//; s/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' | sed 's/debhelper-compat/debhelper/')
missing=()
for p in $need dpkg-dev fakeroot lintian; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-deb.sh: missing Debian packages: ${missing[*]}" >&2
		exit 1
	fi
	echo "build-deb.sh: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# "git stash create" makes a commit of the work tree's tracked files
# without touching the tree or the stash; with no change it prints nothing
tree=$(git stash create)
git archive --prefix="pgha-$upstream/" "${tree:-HEAD}" | tar -x -C "$work"
t0=$SECONDS
(cd "$work/pgha-$upstream" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"
	echo "build-deb.sh: dpkg-buildpackage failed" >&2
	exit 1
}
rm -rf "$out"
mkdir -p "$out"
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$work/build.log" "$out/"
echo "build-deb.sh: built in $((SECONDS - t0)) s:"
ls -1 "$out"/*.deb

# lintian: every tag it may report is overridden in debian/ with the reason
if lintian --info --display-info --fail-on error,warning "$out"/*.changes > "$out/lintian.txt" 2>&1; then
	echo "build-deb.sh: lintian: no error or warning (tmp_deb/lintian.txt)"
else
	cat "$out/lintian.txt"
	echo "build-deb.sh: lintian found errors or warnings" >&2
	exit 1
fi
