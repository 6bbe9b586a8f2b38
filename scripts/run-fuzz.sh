#!/usr/bin/env bash
# run-fuzz.sh: the libFuzzer target over the corpus plus FUZZ_SECONDS
# (default 10) of new inputs; TAP-style line for the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
if make --no-print-directory -s -C test/fuzz run FUZZ_SECONDS="$secs" > test/fuzz/scratch.log 2>&1; then
	runs=$(grep -Eo 'number_of_executed_units: [0-9]+' test/fuzz/scratch.log | grep -Eo '[0-9]+$')
	echo "ok 1 - the parsers survived ${runs:-?} fuzzed inputs in ${secs} s (test/fuzz)"
else
	tail -60 test/fuzz/scratch.log
	echo "not ok 1 - the fuzzer found a crash: see test/fuzz/crash-* and test/fuzz/scratch.log"
	exit 1
fi
