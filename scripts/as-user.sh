#!/usr/bin/env bash
# as-user.sh USER CMD...: run CMD as the unprivileged USER when we are root
# (PostgreSQL refuses to run as root), or as ourselves otherwise.
#
# As root, USER is given write access to what the suites write in the
# source tree: the top directory (pg_regress's results/, PGXS's
# tmp_check/), test/unit and test/fuzz.  Nothing else in the tree changes
# owner.
set -euo pipefail
user=$1
shift
if [ "$(id -u)" -ne 0 ]; then
	exec "$@"
fi
top=$(cd "$(dirname "$0")/.." && pwd)
id "$user" >/dev/null 2>&1 || useradd --system --create-home --shell /bin/bash "$user"
# The two directories change owner only for the run: git refuses to work
# in a tree whose top directory belongs to somebody else.
owners=$(stat -c '%u:%g' "$top" "$top/test/unit" "$top/test/fuzz" | tr '\n' ' ')
restore() {
	set -- $owners
	chown "$1" "$top"
	chown "$2" "$top/test/unit"
	chown "$3" "$top/test/fuzz"
}
trap restore EXIT
for d in "$top" "$top/test/unit" "$top/test/fuzz"; do
	chown "$user" "$d"
done
for d in tmp_bench tmp_check tmp_check_logs tmp_check_regress tmp_regress results log demo regression.diffs regression.out test/unit/tmp test/fuzz/scratch; do
	[ -e "$top/$d" ] && chown -R "$user" "$top/$d"
done
# every directory above the tree must be traversable
d=$top
while [ "$d" != "/" ]; do
	chmod o+x "$d" 2>/dev/null || true
	d=$(dirname "$d")
done
cd "$top"
runuser -u "$user" -- env HOME="$(getent passwd "$user" | cut -d: -f6)" PATH="$PATH" "$@"
