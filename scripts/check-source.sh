#!/usr/bin/env bash
# check-source.sh: facts about the tree that no compiler checks.
#  - one version truth: Makefile EXTVERSION, pgha.control, META.json,
#    PGHA_VERSION and debian/changelog agree, and the install script for
#    it exists;
#  - META.json follows the PGXN Meta Spec, and it and debian/pgversions
#    claim PostgreSQL 15, the one version built and tested;
#  - every source banner's IDENTIFICATION line names its own path;
#  - pgha.so does not import json_object (postgres exports a function of
#    that name and would capture jansson's: see src/shared/etcd_json.h);
#  - docs/development.md's layout names every C file under src/;
#  - src/shared includes no backend header: only postgres_fe.h and the
#    headers PostgreSQL's own frontend programs use;
#  - every mutation patch of the simulator still applies;
#  - pghactl's help matches docs/pghactl.md (scripts/check-help.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n=0
fail() { echo "not ok $((++n)) - $*"; status=1; }
pass() { echo "ok $((++n)) - $*"; }
status=0

mk=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
ctl=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pgha.control)
# PGXN wants semantic versions: the extension's 1.0 is the distribution's 1.0.0
meta=$(python3 -c 'import json;d=json.load(open("META.json"));print(d["version"]);assert d["provides"]["pgha"]["version"]==d["version"]' 2>/dev/null || echo "?")
c=$(sed -n 's/^#define PGHA_VERSION "\(.*\)"/\1/p' src/pgha.h)
if [ "$mk" = "$ctl" ] && [ "$mk.0" = "$meta" ] && [ "$mk" = "$c" ]; then
	pass "version $mk agrees in Makefile, pgha.control, META.json ($meta) and src/pgha.h"
else
	fail "versions differ: Makefile=$mk control=$ctl META=$meta pgha.h=$c"
fi
# the PGXN Meta Spec 1.0.0: required keys and their types, semantic
# versions and version ranges, files that exist, a license it knows
if why=$(python3 - <<'EOP' 2>&1
import json, os, re
d = json.load(open("META.json"))
semver = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+)?"
def is_semver(v):
    return re.fullmatch(semver, v) is not None
def is_range(v):
    return v == 0 or (isinstance(v, str) and all(
        re.fullmatch(r"(==|!=|>=|<=|>|<)?\s*" + semver, part.strip()) for part in v.split(",")))
for k in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    assert k in d, "missing key " + k
assert re.fullmatch(r"[^\s/\\:]{2,}", d["name"]), "name %r" % d["name"]
assert isinstance(d["abstract"], str) and d["abstract"], "abstract"
assert d["meta-spec"]["version"] == "1.0.0", "meta-spec version"
assert is_semver(d["version"]), "version %r is not semantic" % d["version"]
m = d["maintainer"]
assert isinstance(m, str) or (isinstance(m, list) and m and all(isinstance(x, str) for x in m)), "maintainer"
for name, p in d["provides"].items():
    assert "file" in p and "version" in p, "provides.%s needs file and version" % name
    assert is_semver(p["version"]), "provides.%s.version %r is not semantic" % (name, p["version"])
    for f in ("file", "docfile"):
        assert f not in p or os.path.isfile(p[f]), "provides.%s.%s: no file %s" % (name, f, p[f])
for phase, rels in d.get("prereqs", {}).items():
    assert phase in ("configure", "build", "test", "runtime", "develop"), "prereqs phase " + phase
    for rel, deps in rels.items():
        assert rel in ("requires", "recommends", "suggests", "conflicts"), "prereqs relation " + rel
        for dep, v in deps.items():
            assert is_range(v), "prereq %s: %r is not a version range" % (dep, v)
known = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd", "gfdl_1_2", "gfdl_1_3",
         "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
         "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
lic = d["license"]
for l in ([lic] if isinstance(lic, str) else lic if isinstance(lic, list) else []):
    assert l in known, "license %r" % l
assert isinstance(lic, (str, list)) or (isinstance(lic, dict) and lic), "license %r" % lic
assert all(isinstance(t, str) and 0 < len(t) < 256 for t in d.get("tags", [])), "tags"
EOP
); then
	pass "META.json follows the PGXN Meta Spec 1.0.0 (keys, versions and ranges, files, license)"
else
	fail "META.json: $(echo "$why" | tail -1)"
fi
# the Debian package: its upstream version is the distribution's, and it
# is built for the PostgreSQL versions META.json claims (15)
deb=$(sed -n '1s/^pgha (\(.*\)-[^-]*).*/\1/p' debian/changelog)
pg=$(python3 -c 'import json;print(json.load(open("META.json"))["prereqs"]["runtime"]["requires"]["PostgreSQL"])')
if [ "$deb" = "$meta" ] && [ "$(cat debian/pgversions)" = 15 ] && [ "$pg" = ">= 15.0.0, < 16.0.0" ]; then
	pass "debian/changelog's version is $meta; debian/pgversions and META.json both say PostgreSQL 15"
else
	fail "debian/changelog says $deb (META.json $meta); debian/pgversions: $(cat debian/pgversions); META.json PostgreSQL: $pg"
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

# docs/development.md's layout names every C file under src/
layout=$(sed -n '/^## Layout/,/^## Tests/p' docs/development.md)
unnamed=""
for f in $(find src -name '*.c' | sort); do
	grep -qE "(^|[ ,/])$(basename "$f" | sed 's/\./\\./')([ ,]|$)" <<<"$layout" || unnamed="$unnamed $f"
done
[ -z "$unnamed" ] && pass "docs/development.md's layout names every C file under src/" ||
	fail "docs/development.md's layout does not name:$unnamed"

# src/shared is built once for the server and the programs alike
backend=$(grep -HnE '^#include' src/shared/*.[ch] | grep -vE '#include (<[^>]*>|"shared/[a-z0-9_]+\.h"|"postgres_fe\.h"|"lib/stringinfo\.h"|"common/[a-z0-9_]+\.h"|"catalog/pg_control\.h"|"libpq-fe\.h")' || true)
[ -z "$backend" ] && pass "src/shared includes no backend header" ||
	fail "src/shared includes headers a frontend program cannot: $(echo $backend)"

# the simulator's mutation check puts bugs back by patch: a patch that no
# longer applies checks nothing (test/sim/mutate.sh)
stale=""
for p in test/sim/mutations/*.patch; do
	patch -p1 --dry-run -s -f < "$p" >/dev/null 2>&1 || stale="$stale $(basename "$p")"
done
[ -z "$stale" ] && pass "every mutation patch in test/sim/mutations applies to the tree" ||
	fail "mutation patches that no longer apply (put the same bug back in the code as it is):$stale"

if [ -f pgha.so ]; then
	if nm -D --undefined-only pgha.so | grep -qw json_object; then
		fail "pgha.so imports json_object, which postgres would capture"
	else
		pass "pgha.so does not import json_object"
	fi
fi
if [ -x src/bin/pghactl/pghactl ]; then
	if why=$(bash scripts/check-help.sh 2>&1); then
		pass "pghactl --help, each command's --help and pghactl(1) agree with docs/pghactl.md"
	else
		echo "$why" | sed 's/^/# /'
		fail "pghactl's help and docs/pghactl.md differ (scripts/check-help.sh)"
	fi
fi
echo "1..$n"
exit $status
