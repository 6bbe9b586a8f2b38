#!/usr/bin/env bash
# run-tests.sh: every suite of "make test", as the unprivileged user, with
# one closing summary line.  Suites: source checks, C unit tests against a
# real etcd, the fuzzer, the simulator, pg_regress, TAP (real etcd + real
# PostgreSQL nodes), the benchmark smoke run; and the two "make test" ran as
# root before it: the fault suite's short subset and the package test.
set -uo pipefail
cd "$(dirname "$0")/.."
logdir=tmp_check_logs
rm -rf "$logdir"
mkdir -p "$logdir"

passed=0
failed=0
failed_suites=()

# count tests in a suite's output: prove's "Tests=N" or pg_regress's summary
count_tests() {
	local log=$1 n
	n=$(grep -Eo 'Tests=[0-9]+' "$log" | tail -1 | cut -d= -f2)
	[ -z "$n" ] && n=$(grep -Eo '(All )?[0-9]+ (of [0-9]+ )?tests (passed|failed)' "$log" | grep -Eo '[0-9]+ tests' | head -1 | cut -d' ' -f1)
	[ -z "$n" ] && n=$(grep -cE '^(ok |PASS: )' "$log")
	echo "${n:-0}"
}

suite() {
	local name=$1
	shift
	local log="$logdir/$name.log"
	echo "=== $name"
	local t0=$SECONDS
	if "$@" 2>&1 | tee "$log"; then
		local n
		n=$(count_tests "$log")
		passed=$((passed + n))
		echo "=== $name: ok ($n tests, $((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failed_suites+=("$name")
		echo "=== $name: FAILED ($((SECONDS - t0)) s); log in $log"
	fi
}

suite checks bash scripts/check-source.sh
suite unit bash scripts/run-unit.sh
suite fuzz bash scripts/run-fuzz.sh
suite sim bash scripts/run-sim.sh
suite regress bash scripts/run-regress.sh
# two TAP files at a time: they mostly wait (leases, polls), and each
# starts its own etcd and nodes on ports reserved per cluster
# (scripts/etcd-cluster.sh, Pgha::Node): 467 s instead of 864 s on 2 cores
# (a bound of 30 min: a test that hangs fails the suite, not the CI run)
suite tap timeout -k 30 1800 ${MAKE:-make} --no-print-directory installcheck REGRESS= PROVE_FLAGS="--timer -j2"
suite bench-smoke ${MAKE:-make} --no-print-directory bench-smoke
# the fault suite needs root: "make test" ran its short subset before this
# script (scripts/run-faults.sh); report it here with the others
if [ -f tmp_faults/rc ]; then
	suite faults bash -c 'cat tmp_faults/faults.log; exit "$(cat tmp_faults/rc)"'
fi
# so does the package test (scripts/test-package.sh: namespaces, a chroot)
if [ -f tmp_package/rc ]; then
	suite package bash -c 'cat tmp_package/package.log; exit "$(cat tmp_package/rc)"'
fi

if [ $failed -gt 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
	[ -f tmp_regress/regression.diffs ] && head -100 tmp_regress/regression.diffs
	for f in tmp_check/log/regress_log_*; do
		[ -f "$f" ] && grep -q "not ok" "$f" && { echo "--- $f"; tail -40 "$f"; }
	done
fi
echo "pgha: $passed passed, $failed failed"
[ $failed -eq 0 ]
