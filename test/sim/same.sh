#!/bin/bash
# test/sim/same.sh BASE [RUNS]: does the keeper of the working tree (files
# not committed included) behave exactly as the keeper of git revision
# BASE?  For a change that must not change behaviour (a refactor): the
# simulator is built from BASE's src/ and test/sim/ and from the tree's,
# both run every regression seed of seeds/list and the same RUNS seeds
# (default 150) in every mode of "make test", and the summaries (steps,
# faults, leader changes, acknowledged writes, cluster reads) and exit
# statuses must be equal.  The runs are deterministic, so any change in
# what the keeper does, or when, shows as a different count.
set -u
cd "$(dirname "$0")"
base=${1:?usage: same.sh BASE [RUNS]}
runs=${2:-150}
seed=${SIM_SEED:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C ../.. archive "$base" src test/sim bench/scale | tar -x -C "$work" || exit 2
if ! make -s -C "$work/test/sim" WERROR= pgha_sim >/dev/null 2>&1; then
	echo "same.sh: the simulator of $base does not build" >&2
	exit 2
fi
make -s WERROR= pgha_sim >/dev/null || exit 2
rc=0
# one run of both builds; args: the simulator's arguments
compare() {
	local a b
	# the summary line, less its wall-clock time, and the exit status
	a="$("$work/test/sim/pgha_sim" "$@" 2>&1 | tail -1 | sed 's/ in [0-9.]* s$//') (exit ${PIPESTATUS[0]})"
	b="$(./pgha_sim "$@" 2>&1 | tail -1 | sed 's/ in [0-9.]* s$//') (exit ${PIPESTATUS[0]})"
	a=${a//$work\/test\/sim\//./}
	if [ "$a" = "$b" ]; then
		echo "same      $*: $b"
	else
		printf 'DIFFERENT %s\n  %s: %s\n  this tree: %s\n' "$*" "$base" "$a" "$b"
		rc=1
	fi
}
while IFS= read -r line; do
	args=${line%%#*}
	[ -z "${args// /}" ] && continue
	compare $args
done < seeds/list
for mode in "--switchovers --errors" "--sync --switchovers" "--strict --nodes 5 --switchovers" \
	"--quorum --nodes 5 --switchovers" "--cascade --nodes 5 --switchovers" \
	"--sync-toggle --quorum --switchovers" "--failsafe --fast --switchovers --errors" \
	"--failsafe --ttl-change --switchovers" "--etcd-wipe --sync"; do
	compare --seed "$seed" --runs "$runs" --quick-heal $mode
done
exit $rc
