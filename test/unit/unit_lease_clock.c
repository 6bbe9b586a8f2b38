/*-------------------------------------------------------------------------
 *
 * unit_lease_clock.c
 *		The leader's clock: the ttl in force during a ttl change, the fence
 *		deadline with and without failsafe, the write gate, the etcd call
 *		budget and the wait before the next look.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_lease_clock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/lease_clock.h"
#include "unit.h"

/* 10/2/4, last proven renewal at 100 s */
static void
clock_at(PghaLeaseClock *lc, PghaConfig *c)
{
	pgha_config_defaults(c);
	c->ttl = 10;
	c->loop_wait = 2;
	c->retry_timeout = 4;
	memset(lc, 0, sizeof(*lc));
	lc->config = c;
	lc->lease_ttl = 10;
	lc->last_renewal_ms = 100000;
}

void
unit_lease_clock_tests(void)
{
	PghaConfig	c;
	PghaLeaseClock lc;
	int64		deadline;

	clock_at(&lc, &c);
	ok(pgha_lease_ttl_now(&lc) == 10 && pgha_lease_fence_after(&lc) == 8000,
	   "clock: ttl 10 fences 8 s after the renewal (margin max(1 s, ttl/5))");
	ok(pgha_lease_fence_deadline(&lc) == 108000, "clock: the deadline runs from the proven renewal");
	lc.lease_ttl = 6;
	ok(pgha_lease_ttl_now(&lc) == 6 && pgha_lease_fence_deadline(&lc) == 104800,
	   "clock: a lease granted shorter than asked bounds the window");
	lc.lease_ttl = 30;
	lc.old_lease_ttl = 4;
	ok(pgha_lease_ttl_now(&lc) == 4 && pgha_lease_fence_deadline(&lc) == 103000,
	   "clock: during a ttl change, the old lease the keys still sit on bounds it");

	clock_at(&lc, &c);
	lc.failsafe_confirmed_ms = 105000;
	lc.failsafe_ttl = 10;
	ok(pgha_lease_fence_deadline(&lc) == 108000, "clock: the members' word counts only in failsafe_mode");
	c.failsafe_mode = true;
	ok(pgha_lease_fence_deadline(&lc) == 113000, "clock: failsafe_mode: the members' word moves the deadline");
	lc.failsafe_ttl = 4;
	ok(pgha_lease_fence_deadline(&lc) == 108000,
	   "clock: ... by the window of the ttl the members were told, if shorter (their promise)");
	lc.failsafe_ttl = 0;
	ok(pgha_lease_fence_deadline(&lc) == 108000, "clock: ... and not at all when that ttl is unknown");
	lc.failsafe_ttl = 10;
	lc.failsafe_confirmed_ms = 99000;
	ok(pgha_lease_fence_deadline(&lc) == 108000, "clock: ... never back before the renewal's");

	clock_at(&lc, &c);
	ok(pgha_lease_gate(&lc, true, true) == 0, "gate: open on a node of another cluster (it leads nothing)");
	ok(pgha_lease_gate(&lc, false, false) == PGHA_GATE_UNPROVEN, "gate: closed until a renewal is proven");
	ok(pgha_lease_gate(&lc, false, true) == 108000, "gate: proven: open until the fence deadline");
	c.standby_cluster = true;
	strlcpy(c.standby_host, "remote", sizeof(c.standby_host));
	ok(pgha_lease_gate(&lc, false, true) == PGHA_GATE_UNPROVEN,
	   "gate: closed in a standby cluster, which acknowledges nothing");
	clock_at(&lc, &c);
	lc.last_renewal_ms = -20000;
	ok(pgha_lease_gate(&lc, false, true) == PGHA_GATE_UNPROVEN + 1,
	   "gate: a deadline at the clock's start is still a deadline (past), not \"unproven\" or \"open\"");

	clock_at(&lc, &c);
	ok(pgha_lease_call_timeout(&lc, false, 105000, 3, 5000, &deadline) == 5000 && deadline == 0,
	   "budget: a follower's calls get the usual timeout, no deadline");
	ok(pgha_lease_call_timeout(&lc, true, 105000, 3, 5000, &deadline) == 1000 && deadline == 108000,
	   "budget: the leader's 3 s left, a third per endpoint, all by the deadline");
	ok(pgha_lease_call_timeout(&lc, true, 100000, 1, 5000, &deadline) == 5000,
	   "budget: never more than the usual timeout");
	ok(pgha_lease_call_timeout(&lc, true, 107990, 3, 5000, &deadline) == 100 && deadline == 108000,
	   "budget: 100 ms at least per try; the deadline still ends them all");
	c.pause = true;
	ok(pgha_lease_call_timeout(&lc, true, 107990, 3, 5000, &deadline) == 5000 && deadline == 0,
	   "budget: a paused leader does not fence: the usual timeout");
	c.pause = false;
	c.failsafe_mode = true;
	ok(pgha_lease_call_timeout(&lc, true, 105000, 3, 5000, &deadline) == 1000 && deadline == 108000,
	   "budget: failsafe_mode on a standby holding the key (it asks nobody): to the fence");
	lc.asks_members = true;
	ok(pgha_lease_call_timeout(&lc, true, 105000, 3, 5000, &deadline) == 666 && deadline == 107000,
	   "budget: a primary in failsafe_mode keeps 1 s before the fence for asking the members");
	ok(pgha_lease_call_deadline(&lc, 101000) == 107000,
	   "budget: ... also for the calls after a keepalive (sent at 101 s, it may prove a fence at 109 s; the fence now is at 108 s)");
	ok(pgha_lease_call_deadline(&lc, 99000) == 106000,
	   "budget: ... the earlier of the two");
	c.ttl = 3;
	c.loop_wait = 1;
	c.retry_timeout = 1;
	lc.lease_ttl = 3;
	ok(pgha_lease_call_timeout(&lc, true, 100600, 3, 5000, &deadline) == 300 && deadline == 101500,
	   "budget: at ttl 3, a quarter of the 2-s window (0.5 s)");
	lc.asks_members = false;

	clock_at(&lc, &c);
	ok(pgha_lease_next_wait(&lc, 100000, true, true, true, -1, 0) == 2000,
	   "wait: a primary renews every loop_wait at 10/2/4 (2 + 4 + 1 s fit in the 8-s window)");
	ok(pgha_lease_next_wait(&lc, 107700, true, true, false, -1, 0) == 300,
	   "wait: ... and looks again at its fence deadline, whatever etcd does");
	ok(pgha_lease_next_wait(&lc, 109000, true, true, false, -1, 0) == 10,
	   "wait: past the deadline: 10 ms, to fence");
	ok(pgha_lease_next_wait(&lc, 100000, false, true, true, -1, 0) == 2000,
	   "wait: a standby holding the key (promoting) renews like a leader");
	ok(pgha_lease_next_wait(&lc, 100000, false, false, false, -1, 0) == 1000,
	   "wait: a follower without etcd tries again after 1 s");
	ok(pgha_lease_next_wait(&lc, 100000, false, false, true, -1, 0) == 2000,
	   "wait: a follower looks every loop_wait");
	ok(pgha_lease_next_wait(&lc, 100000, false, false, true, 50, 0) == 50 &&
	   pgha_lease_next_wait(&lc, 100000, false, false, true, -1, 200) == 200,
	   "wait: sooner for a request, or when the rule asks for a closer look");
	c.ttl = 4;
	c.loop_wait = 1;
	c.retry_timeout = 1;
	lc.lease_ttl = 4;
	ok(pgha_lease_next_wait(&lc, 100000, true, true, true, -1, 0) == 1000,
	   "wait: at 4/1/1 every loop_wait too (1 + 1 + 1 s fit in the 3-s window)");
	c.ttl = 6;
	c.loop_wait = 2;
	c.retry_timeout = 2;
	lc.lease_ttl = 6;
	ok(pgha_lease_next_wait(&lc, 100000, true, true, true, -1, 0) == 1200,
	   "wait: at 6/2/2 (2 + 2 + 1 s do not fit in the 4.8-s window) every ttl/5");
	c.ttl = 3;
	c.loop_wait = 1;
	c.retry_timeout = 1;
	lc.lease_ttl = 3;
	ok(pgha_lease_next_wait(&lc, 100000, true, true, true, -1, 0) == 600,
	   "wait: 3/1/1: every 600 ms, three tries in the 2-s window");
}
