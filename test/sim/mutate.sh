#!/bin/bash
# test/sim/mutate.sh [SECONDS]: does the simulator find the bugs we fixed?
# MUTATIONS='d-*' runs only the patches whose names match.
#
# Each patch in mutations/ puts one bug back (most from the safety issue's
# list; 0-* is a control: a fence window longer than the lease).  For each,
# the simulator is built from a patched copy of src/ and run for up to
# SECONDS (default 60) per mode, asynchronous and synchronous (q-*: quorum
# commit with 3 and with 5 nodes, switchover requests included; w-*: etcd
# loses the cluster's keys, asynchronous and synchronous; c-*: replicatefrom
# chains with the slots they need; t-*: synchronous_mode turned off and on
# again, synchronous and quorum; f-*: failsafe_mode with the ttl lowered or
# the mode turned off for a while, asynchronous and synchronous; l-*: the
# leader-only keys, with a ttl lowered to 3/1/1 for a while, without and
# with failsafe_mode); the table
# says which invariant caught it, after how many runs and seconds.  A bug
# the simulator does not find is listed as "missed".
set -u
cd "$(dirname "$0")"
budget=${1:-60}
seed=${SIM_SEED:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-32s %-6s %-8s %-8s %s\n' mutation mode runs seconds found
for p in mutations/${MUTATIONS:-*}.patch; do
	name=$(basename "$p" .patch)
	rm -rf "$work/src" "$work/build"
	cp -r ../../src "$work/src"
	# built from scratch: a copied object must not pass for the patched one
	find "$work/src" \( -name '*.o' -o -name '*.a' -o -name .deps \) -prune -exec rm -rf {} +
	if ! patch -s -d "$work" -p1 < "$p"; then
		printf '%-32s does not apply\n' "$name"
		continue
	fi
	mkdir -p "$work/build"
	if ! make -s -C "$work/build" -f "$PWD/Makefile" PGHA_SRC="$work/src" WERROR= pgha_sim >/dev/null 2>&1; then
		printf '%-32s does not build\n' "$name"
		continue
	fi
	modes="async sync"
	case $name in q-*) modes="quorum quorum5" ;; w-*) modes="wipe wipesync" ;; c-*) modes="cascade cascadesync" ;; t-*) modes="toggle togglequorum" ;; f-*) modes="failsafe failsafesync" ;; l-*) modes="fastchange failsafe" ;; esac
	for mode in $modes; do
		case $mode in
			async) flag= ;;
			sync) flag=--sync ;;
			quorum) flag="--quorum --switchovers --quick-heal" ;;
			quorum5) flag="--quorum --nodes 5 --switchovers --quick-heal" ;;
			wipe) flag="--etcd-wipe --quick-heal" ;;
			wipesync) flag="--etcd-wipe --quick-heal --sync" ;;
			cascade) flag="--cascade --switchovers --quick-heal" ;;
			cascadesync) flag="--cascade --switchovers --quick-heal --sync" ;;
			toggle) flag="--sync-toggle --switchovers" ;;
			togglequorum) flag="--sync-toggle --quorum --switchovers --quick-heal" ;;
			failsafe) flag="--failsafe --ttl-change --switchovers --quick-heal" ;;
			fastchange) flag="--fast --ttl-change --switchovers --quick-heal" ;;
			failsafesync) flag="--failsafe --ttl-change --switchovers --quick-heal --sync" ;;
		esac
		start=$(date +%s.%N)
		out=$("$work/build/pgha_sim" --seed "$seed" --seconds "$budget" $flag 2>/dev/null)
		took=$(echo "$(date +%s.%N) - $start" | bc)
		if echo "$out" | grep -q '^FAILED'; then
			s=$(echo "$out" | sed -n 's/^FAILED: seed \([0-9]*\).*/\1/p')
			what=$(echo "$out" | sed -n 's/^FAILED: seed [0-9]*: \(([a-z])\).*/\1/p')
			printf '%-32s %-6s %-8s %-8.1f %s (seed %s)\n' "$name" $mode $((s - seed + 1)) "$took" "$what" "$s"
		else
			printf '%-32s %-6s %-8s %-8.1f missed\n' "$name" $mode "$(echo "$out" | sed -n 's/^ok: \([0-9]*\) runs.*/\1/p')" "$took"
		fi
	done
done
