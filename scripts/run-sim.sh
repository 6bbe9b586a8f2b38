#!/usr/bin/env bash
# run-sim.sh: the deterministic simulator (test/sim) in "make test": every
# regression seed of test/sim/seeds/list, then SIM_SECONDS (default 60) of
# new runs from one printed seed, an eighth each asynchronous (3 nodes),
# synchronous_mode (3 nodes), synchronous_mode_strict (5 nodes), quorum
# commit (5 nodes, ANY 2 of 4), replicatefrom chains (5 nodes), quorum
# commit turned off and on again (3 nodes, --sync-toggle), failsafe_mode
# at the fastest settings, 3/1/1 (3 nodes, --failsafe --fast), and
# failsafe_mode with the ttl lowered for a while (--ttl-change), with
# operators' switchover requests among the faults (and, in the first and
# the failsafe one, actions that fail with an ERROR: --errors), each run ending 10 s
# after its cluster settled (--quick-heal).  TAP
# lines for the summary; a failure prints the replay command and the trace.
set -uo pipefail
cd "$(dirname "$0")/../test/sim"
secs=${SIM_SECONDS:-60}
seed=${SIM_SEED:-$(date +%s)}
n=0
rc=0

tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		rc=1
	fi
}

while IFS= read -r line; do
	args=${line%%#*}
	[ -z "${args// /}" ] && continue
	if out=$(./pgha_sim $args 2>&1); then
		tap ok "regression seed: pgha_sim $args"
	else
		echo "$out" | tail -80
		tap fail "regression seed: pgha_sim $args"
	fi
done < seeds/list

echo "# new runs from seed $seed (replay one with its printed command)"
modes=("--switchovers --errors" "--sync --switchovers" "--strict --nodes 5 --switchovers"
	"--quorum --nodes 5 --switchovers" "--cascade --nodes 5 --switchovers"
	"--sync-toggle --quorum --switchovers" "--failsafe --fast --switchovers --errors"
	"--failsafe --ttl-change --switchovers")
for mode in "${modes[@]}"; do
	if out=$(./pgha_sim --seed "$seed" --seconds $((secs / ${#modes[@]})) --quick-heal $mode 2>&1); then
		tap ok "pgha_sim $mode: $(echo "$out" | tail -1)"
	else
		echo "$out" | tail -80
		tap fail "pgha_sim $mode: $(echo "$out" | grep '^FAILED')"
	fi
done
echo "1..$n"
exit $rc
