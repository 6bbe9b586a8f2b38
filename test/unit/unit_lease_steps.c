/*-------------------------------------------------------------------------
 *
 * unit_lease_steps.c
 *		This node's lease, one call at a time (shared/lease_steps.h): the
 *		calls an iteration sends for each state of the lease and each
 *		answer etcd gives, through a ttl change and a lost lease.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_lease_steps.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/lease_steps.h"
#include "unit.h"

/* a lease 7 of ttl 10, kept alive */
static void
lease_7(PghaLease *l)
{
	memset(l, 0, sizeof(*l));
	l->id = 7;
	l->ttl = 10;
	l->requested_ttl = 10;
}

void
unit_lease_steps_tests(void)
{
	PghaLease	l;

	/* no lease yet */
	memset(&l, 0, sizeof(l));
	pgha_lease_begin(&l, 10, 1000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_GRANT, "lease: none yet: a grant");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 42, 9, 10, 1020);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && l.id == 42 && l.ttl == 9 && l.requested_ttl == 10 &&
	   l.keepalive_ok && l.keepalive_sent_ms == 1000,
	   "lease: granted: the id and the ttl as granted; it counts from the send, not the answer");
	memset(&l, 0, sizeof(l));
	pgha_lease_begin(&l, 10, 1000);
	pgha_lease_answer(&l, PGHA_LEASE_FAILED, 0, 0, 10, 1020);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && l.id == 0 && !l.keepalive_ok,
	   "lease: a grant that failed: no lease, not renewed");

	/* a lease */
	lease_7(&l);
	l.keepalive_ok = true;
	pgha_lease_begin(&l, 10, 2000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE && !l.keepalive_ok,
	   "lease: each iteration a keepalive, not renewed until it is answered");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 10, 2015);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && l.keepalive_ok && l.keepalive_sent_ms == 2000 && l.id == 7,
	   "lease: answered: renewed as of the send");
	lease_7(&l);
	pgha_lease_begin(&l, 10, 2000);
	pgha_lease_answer(&l, PGHA_LEASE_FAILED, 0, 0, 10, 3000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && !l.keepalive_ok && l.id == 7,
	   "lease: no answer: not renewed, and the lease kept (etcd may still know it)");
	lease_7(&l);
	pgha_lease_begin(&l, 10, 2000);
	pgha_lease_answer(&l, PGHA_LEASE_NOT_FOUND, 0, 0, 10, 2500);
	ok(pgha_lease_next(&l) == PGHA_LEASE_GRANT && l.id == 0, "lease: etcd lost it: a new grant at once");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 43, 10, 10, 2520);
	ok(l.id == 43 && l.keepalive_ok && l.keepalive_sent_ms == 2500,
	   "lease: ... which counts from its own send, not the lost keepalive's");

	/* a ttl change */
	lease_7(&l);
	pgha_lease_begin(&l, 30, 4000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE_OLD && l.old_id == 7 && l.old_ttl == 10 && l.id == 0,
	   "ttl change: the lease is put aside as the old one, kept alive first (our keys sit on it)");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 30, 4005);
	ok(pgha_lease_next(&l) == PGHA_LEASE_GRANT, "ttl change: ... then a new one of the new ttl granted");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 44, 30, 30, 4010);
	ok(l.id == 44 && l.requested_ttl == 30 && l.old_id == 7 && l.keepalive_ok,
	   "ttl change: the new lease held, the old one still aside");
	pgha_lease_begin(&l, 30, 5000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE_OLD,
	   "ttl change: while the keys sit on the old lease, it is kept alive first");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 30, 5010);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE && l.old_id == 7 && l.id == 44,
	   "ttl change: ... then the new one");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 30, 5020);
	ok(l.keepalive_ok && l.keepalive_sent_ms == 5000, "ttl change: both answered: renewed as of the first send");
	pgha_lease_begin(&l, 30, 6000);
	pgha_lease_answer(&l, PGHA_LEASE_FAILED, 0, 0, 30, 6010);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && !l.keepalive_ok,
	   "ttl change: the old lease unanswered: not renewed (the keys on it may expire)");
	pgha_lease_begin(&l, 30, 7000);
	pgha_lease_answer(&l, PGHA_LEASE_NOT_FOUND, 0, 0, 30, 7010);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE && l.old_id == 0,
	   "ttl change: the old lease gone: nothing left on it to keep alive");
	lease_7(&l);
	l.old_id = 5;
	l.old_ttl = 10;
	pgha_lease_begin(&l, 30, 8000);
	ok(l.old_id == 5 && l.id == 7 && pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE_OLD,
	   "ttl change: another change before the keys moved keeps the first old lease, not a second one");
	pgha_lease_retired(&l);
	ok(l.old_id == 0, "ttl change: the keys moved, the old lease retired");

	/* a ttl change under way when etcd loses the new lease, or a grant fails */
	lease_7(&l);
	l.old_id = 5;
	l.old_ttl = 10;
	pgha_lease_begin(&l, 10, 9000);
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 10, 9010);
	pgha_lease_answer(&l, PGHA_LEASE_NOT_FOUND, 0, 0, 10, 9020);
	ok(pgha_lease_next(&l) == PGHA_LEASE_KEEPALIVE_OLD && l.try_ms == 9020,
	   "lost during a ttl change: the try starts again, the old lease (our keys on it) kept alive first");
	pgha_lease_answer(&l, PGHA_LEASE_ANSWERED, 0, 0, 10, 9030);
	ok(pgha_lease_next(&l) == PGHA_LEASE_GRANT, "lost during a ttl change: ... then a new grant");
	pgha_lease_answer(&l, PGHA_LEASE_FAILED, 0, 0, 10, 9040);
	ok(pgha_lease_next(&l) == PGHA_LEASE_DONE && l.old_id == 5 && l.id == 0 && !l.keepalive_ok,
	   "a grant that failed during a ttl change keeps the old lease (never keys on a lease nobody renews)");

	/* lost to another call */
	lease_7(&l);
	pgha_lease_lost(&l);
	pgha_lease_begin(&l, 10, 9000);
	ok(pgha_lease_next(&l) == PGHA_LEASE_GRANT, "lost: a write that found no lease: a new grant next time");
}
