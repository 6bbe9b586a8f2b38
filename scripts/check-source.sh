#!/usr/bin/env bash
# check-source.sh: facts about the tree that no compiler checks.
#  - one version truth: Makefile EXTVERSION, pgha.control, META.json and
#    PGHA_VERSION agree, and the install script for it exists;
#  - every source banner's IDENTIFICATION line names its own path;
#  - pgha.so does not import json_object (postgres exports a function of
#    that name and would capture jansson's: see src/common/etcd_json.h).
set -euo pipefail
cd "$(dirname "$0")/.."
n=0
fail() { echo "not ok $((++n)) - $*"; status=1; }
pass() { echo "ok $((++n)) - $*"; }
status=0

mk=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
ctl=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pgha.control)
meta=$(python3 -c 'import json;d=json.load(open("META.json"));print(d["version"]);assert d["provides"]["pgha"]["version"]==d["version"]' 2>/dev/null || echo "?")
c=$(sed -n 's/^#define PGHA_VERSION "\(.*\)"/\1/p' src/pgha.h)
if [ "$mk" = "$ctl" ] && [ "$mk" = "$meta" ] && [ "$mk" = "$c" ]; then
	pass "version $mk agrees in Makefile, pgha.control, META.json and src/pgha.h"
else
	fail "versions differ: Makefile=$mk control=$ctl META=$meta pgha.h=$c"
fi
[ -f "sql/pgha--$mk.sql" ] && pass "install script sql/pgha--$mk.sql exists" || fail "sql/pgha--$mk.sql is missing"

bad=0
while IFS= read -r f; do
	id=$(grep -A1 'IDENTIFICATION' "$f" | tail -1 | tr -d ' \t*')
	if [ "$id" != "$f" ]; then
		echo "# $f: IDENTIFICATION says '$id'"
		bad=1
	fi
done < <(find src test/unit -name '*.[ch]' | sort)
[ $bad -eq 0 ] && pass "every banner's IDENTIFICATION matches its path" || fail "IDENTIFICATION lines do not match their paths"

if [ -f pgha.so ]; then
	if nm -D --undefined-only pgha.so | grep -qw json_object; then
		fail "pgha.so imports json_object, which postgres would capture"
	else
		pass "pgha.so does not import json_object"
	fi
fi
echo "1..$n"
exit $status
