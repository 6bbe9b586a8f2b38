# pgha: high availability for PostgreSQL, inside PostgreSQL.
#
#   make demo   install what is missing (as root), build, install, start a
#               local etcd + pgha cluster on loopback and show it working
#   make test   the same set-up, then unit tests, pg_regress and TAP tests
#
# As root, servers and test suites run as the unprivileged user $(PGHA_USER)
# (PostgreSQL refuses to run as root).

EXTENSION  = pgha
EXTVERSION = 1.0

MODULE_big = pgha
OBJS = \
	src/pgha.o \
	src/guc.o \
	src/shmem.o \
	src/worker.o \
	src/etcd_backend.o \
	src/keeper/state.o \
	src/keeper/lease.o \
	src/keeper/failsafe_key.o \
	src/keeper/members.o \
	src/keeper/promote.o \
	src/keeper/member_slots.o \
	src/keeper/logical_copies.o \
	src/keeper/act.o \
	src/keeper/apply_config.o \
	src/keeper/publish.o \
	src/keeper/iterate.o \
	src/local.o \
	src/actions.o \
	src/server_queries.o \
	src/logical_slots.o \
	src/probe.o \
	src/orphans.o \
	src/apply.o \
	src/hba.o \
	src/recover.o \
	src/syncrep.o \
	src/failsafe.o \
	src/write_gate.o \
	src/api.o \
	src/api_auth.o \
	src/api_docs.o \
	src/api_tls.o \
	src/metrics.o \
	src/sql_status.o \
	src/sql_config.o \
	src/sql_slots.o \
	src/cluster_change.o \
	src/api_action.o \
	src/http_backend.o

DATA = sql/pgha--1.0.sql

# pg_regress runs against a temporary instance that preloads pgha and points
# at a single-member etcd, which scripts/run-regress.sh ("make regress")
# starts and passes PGHA_REGRESS=1 for; a plain "make installcheck" runs the
# TAP suites alone (each starts its own etcd).
ifdef PGHA_REGRESS
REGRESS = pgha_basic pgha_guc pgha_rules pgha_config pgha_hba pgha_etcd_down
REGRESS_OPTS = --inputdir=test/regress --outputdir=tmp_regress --temp-instance=tmp_check_regress \
	--temp-config=$(CURDIR)/tmp_regress/regress.conf --port=$(REGRESS_PORT)
endif
REGRESS_PORT ?= 58432

TAP_TESTS = 1

PG_CONFIG ?= pg_config
PGHA_USER ?= postgres

PKG_CFLAGS := $(shell pkg-config --cflags libcurl jansson libmicrohttpd gnutls 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libcurl jansson libmicrohttpd gnutls 2>/dev/null || echo -lcurl -ljansson -lmicrohttpd -lgnutls)

PG_CPPFLAGS = -I$(CURDIR)/src -I$(libpq_srcdir) $(PKG_CFLAGS)
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-cast-function-type
SHLIB_LINK  = $(SHARED_LIB) $(PKG_LIBS) $(libpq)

# src/shared, built once as a static library (its Makefile says how)
SHARED_LIB = src/shared/libpgha_shared.a

# No LLVM bitcode: Debian's PGXS would otherwise require clang for "install".
override with_llvm = no

# rebuild objects when a header changes
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: FORCE deps unit regress tap clean-more test sim faults demo demo-stop bench bench-failover bench-compare bench-scenarios bench-elections bench-api bench-quorum bench-scale bench-smoke pghactl install-pghactl fuzz man deb test-package dist

deps:
	@bash scripts/install-deps.sh

unit: $(SHARED_LIB)
	$(MAKE) -C test/unit PG_CONFIG=$(PG_CONFIG)

pghactl: $(SHARED_LIB)
	$(MAKE) -C src/bin/pghactl PG_CONFIG=$(PG_CONFIG)

# src/shared's own make (with its dependency files) decides what is out of
# date; pgha.so is relinked only when the library did change
$(SHARED_LIB): FORCE
	$(MAKE) -C src/shared PG_CONFIG=$(PG_CONFIG)
FORCE:
$(shlib): $(SHARED_LIB)

# pg_regress (with its own etcd) and the TAP suites, each alone, against
# the installed extension, as the unprivileged user when run as root
# (PROVE_TESTS="t/120_sync.pl ..." picks TAP files)
regress: install
	@bash scripts/as-user.sh $(PGHA_USER) bash scripts/run-regress.sh
tap: install
	@bash scripts/as-user.sh $(PGHA_USER) $(MAKE) --no-print-directory installcheck PROVE_TESTS="$(PROVE_TESTS)"

# what the programs and test builds with makefiles of their own, and the
# suites' scratch directories, leave
clean: clean-more
clean-more:
	$(MAKE) -C src/shared PG_CONFIG=$(PG_CONFIG) clean
	$(MAKE) -C src/bin/pghactl PG_CONFIG=$(PG_CONFIG) clean
	$(MAKE) -C test/unit PG_CONFIG=$(PG_CONFIG) clean
	$(MAKE) -C test/fuzz clean
	$(MAKE) -C test/sim clean
	$(MAKE) -C bench/scale PG_CONFIG=$(PG_CONFIG) clean
	rm -rf tmp_regress tmp_check_regress results log regression.diffs regression.out \
		tmp_check_logs tmp_faults tmp_deb tmp_package tmp_bench pghactl.1

all: pghactl
install: install-pghactl
install-pghactl: pghactl
	$(MAKE) -C src/bin/pghactl PG_CONFIG=$(PG_CONFIG) install

# "test": build and install (as the invoking user, root in CI), then run every
# suite as the unprivileged user.
test: deps
	$(MAKE) all
	$(MAKE) install
	$(MAKE) -C test/unit PG_CONFIG=$(PG_CONFIG)
	$(MAKE) -C test/fuzz PG_CONFIG=$(PG_CONFIG)
	$(MAKE) -C test/sim PG_CONFIG=$(PG_CONFIG)
	@echo "=== faults: the short subset, as root (reported below with the other suites)"
	-@PGHA_USER=$(PGHA_USER) bash scripts/run-faults.sh short >/dev/null
	@echo "=== package: the Debian package on a private copy of the root, as root (reported below)"
	-@rm -rf tmp_package && mkdir -p tmp_package && \
		{ $(MAKE) -s deb && bash scripts/test-package.sh; } > tmp_package/package.log 2>&1; \
		echo $$? > tmp_package/rc
	@bash scripts/as-user.sh $(PGHA_USER) bash scripts/run-tests.sh

# the fault suite: real partitions (network namespaces), etcd quorum loss,
# kills and freezes; as root.  PGHA_FAULTS=short|full|'fault,...',
# PGHA_FAULTS_ROUNDS=N random rounds (default 5), PGHA_FAULTS_QUORUM=1 for
# quorum commit, PGHA_FAULTS_SYNC=1 for
# synchronous_mode.  Not part of "make test" (it runs the short subset).
faults: deps install
	@PGHA_USER=$(PGHA_USER) bash scripts/run-faults.sh $${PGHA_FAULTS:-full}

demo: deps
	$(MAKE) all
	$(MAKE) install
	@bash scripts/as-user.sh $(PGHA_USER) bash scripts/demo.sh start

# the deterministic simulator (test/sim): the real keeper against model
# etcd, PostgreSQL, network and clocks; make test runs it 60 s, this as
# long as SIM_SECONDS says (make sim SIM_SECONDS=3600)
sim: $(SHARED_LIB)
	$(MAKE) -C test/sim PG_CONFIG=$(PG_CONFIG)
	SIM_SECONDS=$${SIM_SECONDS:-600} bash scripts/run-sim.sh

# the parsers of untrusted input under libFuzzer (make test runs it 10 s)
fuzz:
	$(MAKE) -C test/fuzz PG_CONFIG=$(PG_CONFIG)
	$(MAKE) -C test/fuzz run FUZZ_SECONDS=$${FUZZ_SECONDS:-300}

# every benchmark: pgha alone (failover, switchover), then pgha against
# Patroni in one run (slow: about an hour with the default 3 runs); the
# tables also as markdown in tmp_bench/benchmarks.md
bench: bench-failover bench-compare bench-scenarios
	cat tmp_bench/compare.md tmp_bench/scenarios.md > tmp_bench/benchmarks.md

# each bench target clears only the test clusters of the previous one, so
# that "make bench" keeps every table
BENCH_ENV = TESTDIR=$(CURDIR)/tmp_bench PATH="$(bindir):$$PATH" \
	PG_REGRESS=$(top_builddir)/src/test/regress/pg_regress \
	PGHA_BENCH_RUNS="$(PGHA_BENCH_RUNS)" PGHA_BENCH_FAULTS="$(PGHA_BENCH_FAULTS)" \
	PGHA_BENCH_SCENARIOS="$(PGHA_BENCH_SCENARIOS)" PGHA_BENCH_WINDOW="$(PGHA_BENCH_WINDOW)" \
	PGHA_BENCH_CHART_FAULT="$(PGHA_BENCH_CHART_FAULT)" PGHA_BENCH_PROFILES="$(PGHA_BENCH_PROFILES)"
BENCH_PROVE = prove -I $(top_srcdir)/src/test/perl

# failover time on this machine (not part of "make test": it is slow)
bench-failover: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) $(BENCH_PROVE) bench/failover.pl

# pgha against Patroni on this machine, same run (slow: not part of "make test")
bench-compare: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) $(BENCH_PROVE) bench/compare.pl

# cold start, steady-state load, pgbench overhead and the failover chart,
# pgha against Patroni (slow: not part of "make test")
bench-scenarios: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) $(BENCH_PROVE) bench/scenarios.pl

# spurious failovers at the fastest settings: an idle cluster, then etcd
# leader elections (about 35 min per profile; PGHA_BENCH_IDLE=60 for a
# short run)
bench-elections: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) PGHA_BENCH_IDLE="$(PGHA_BENCH_IDLE)" \
		PGHA_BENCH_ELECTIONS="$(PGHA_BENCH_ELECTIONS)" $(BENCH_PROVE) bench/elections.pl

# commit latency with one standby slowed: first-n against quorum commit,
# pgha and Patroni (about 4 min)
bench-quorum: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) PGHA_BENCH_SECONDS="$(PGHA_BENCH_SECONDS)" $(BENCH_PROVE) bench/quorum.pl

# health-check latency while hostile clients hold the REST API (about 1 min)
bench-api: install
	rm -rf tmp_bench/tmp_check && mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env $(BENCH_ENV) PGHA_BENCH_CHECKS="$(PGHA_BENCH_CHECKS)" $(BENCH_PROVE) bench/api_hostile.pl

# how many clusters one etcd carries: virtual clusters replaying pgha's and
# Patroni's measured etcd traffic against a 3-member etcd (about 15 min)
bench-scale: $(SHARED_LIB)
	$(MAKE) -C bench/scale PG_CONFIG=$(PG_CONFIG)
	mkdir -p tmp_bench
	@bash scripts/as-user.sh $(PGHA_USER) env TESTDIR=$(CURDIR)/tmp_bench \
		PGHA_SCALE_STEPS="$(PGHA_SCALE_STEPS)" PGHA_SCALE_SECONDS="$(PGHA_SCALE_SECONDS)" \
		PGHA_SCALE_PROFILES="$(PGHA_SCALE_PROFILES)" PGHA_SCALE_SYSTEMS="$(PGHA_SCALE_SYSTEMS)" \
		PGHA_SCALE_PIN="$(PGHA_SCALE_PIN)" PGHA_SCALE_HEALTH_INTERVAL="$(PGHA_SCALE_HEALTH_INTERVAL)" \
		python3 bench/scale/scale.py

# the short run of bench/scenarios.pl in "make test" (pgha only, under a
# minute): no install, run-tests.sh runs after it as the unprivileged user
bench-smoke:
	rm -rf tmp_bench/smoke && mkdir -p tmp_bench/smoke
	@bash scripts/as-user.sh $(PGHA_USER) env TESTDIR=$(CURDIR)/tmp_bench/smoke PATH="$(bindir):$$PATH" \
		PG_REGRESS=$(top_builddir)/src/test/regress/pg_regress PGHA_BENCH_SMOKE=1 \
		$(BENCH_PROVE) bench/scenarios.pl

demo-stop:
	@bash scripts/as-user.sh $(PGHA_USER) bash scripts/demo.sh stop

# the manual page pghactl(1), from docs/pghactl.md
man: pghactl.1
pghactl.1: docs/pghactl.md scripts/md2man.pl
	perl scripts/md2man.pl $(EXTVERSION) < docs/pghactl.md > $@

# the Debian package postgresql-15-pgha, built from the tracked files in a
# copy under /tmp, into tmp_deb/ (docs/development.md)
deb:
	bash scripts/build-deb.sh

# that package on a private copy of this machine's root: install, the
# tutorial, purge (as root; docs/development.md)
test-package: deb
	bash scripts/test-package.sh

# the PGXN distribution pgha-VERSION.zip, from git archive of HEAD
PGXN_VERSION = $(shell python3 -c 'import json; print(json.load(open("META.json"))["version"])')
dist:
	git archive --format=zip --prefix=pgha-$(PGXN_VERSION)/ -o pgha-$(PGXN_VERSION).zip HEAD
	@echo "pgha-$(PGXN_VERSION).zip"
