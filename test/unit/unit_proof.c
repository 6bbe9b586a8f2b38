/*-------------------------------------------------------------------------
 *
 * unit_proof.c
 *		Whether the leadership is proven, and since when: what moves the
 *		fence window, and what withdraws the proof (shared/proof.h).  Each
 *		case tries one way of opening the write gate, or keeping it open,
 *		without a proof.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_proof.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/proof.h"
#include "unit.h"

/* a leader proven by the keepalive it sent at 100 s */
static void
proven_leader(PghaProof *p)
{
	int64		renewal = 100000;

	pgha_proof_start(p, 100500, false, &renewal, true);
	pgha_proof_took_key(p);
	pgha_proof_renewed(p, 100000);
}

/* this iteration's read: the key ours on lease 7, renewed by a keepalive sent at 'sent' */
static PghaProofRead
read_showing_me(int64 sent)
{
	PghaProofRead r = {.etcd_ok = true, .keepalive_ok = true, .keepalive_sent_ms = sent,
	.leader_is_me = true, .leader_lease = 7, .my_lease = 7};

	return r;
}

void
unit_proof_tests(void)
{
	PghaProof	p;
	PghaProofRead r;
	int64		renewal = 90000;

	/* a worker's start */
	pgha_proof_start(&p, 100000, false, &renewal, true);
	ok(p.last_renewal_ms == 90000 && p.proven && !p.is_leader,
	   "start: a successor keeps its predecessor's window and proof: a restart never extends it");
	pgha_proof_start(&p, 100000, false, NULL, false);
	ok(p.last_renewal_ms == 100000 && !p.proven, "start: no predecessor: the window from now, unproven");
	pgha_proof_start(&p, 100000, true, &renewal, true);
	ok(!p.proven && p.last_renewal_ms == 90000,
	   "start: a standby carries no proof, whatever its predecessor had (its window is its predecessor's)");

	/* the read */
	proven_leader(&p);
	r = read_showing_me(103000);
	ok(pgha_proof_read(&p, &r) && p.proven && p.last_renewal_ms == 103000,
	   "read: the key ours on the lease just renewed: the window starts at the keepalive's send");
	proven_leader(&p);
	r = read_showing_me(103000);
	r.leader_lease = 6;
	ok(!pgha_proof_read(&p, &r) && p.last_renewal_ms == 100000,
	   "read: the key ours on another lease (a duplicate name, an old lease) proves nothing");
	proven_leader(&p);
	r = read_showing_me(103000);
	r.keepalive_ok = false;
	ok(!pgha_proof_read(&p, &r) && p.last_renewal_ms == 100000,
	   "read: without an answered keepalive this iteration the read proves nothing");
	proven_leader(&p);
	r = read_showing_me(103000);
	r.leader_is_me = false;
	ok(!pgha_proof_read(&p, &r) && p.last_renewal_ms == 100000, "read: another's key proves nothing");
	proven_leader(&p);
	r = read_showing_me(103000);
	r.my_lease = r.leader_lease = 0;
	ok(!pgha_proof_read(&p, &r) && p.last_renewal_ms == 100000,
	   "read: no lease (0 on both sides) proves nothing");
	proven_leader(&p);
	r = read_showing_me(103000);
	r.etcd_ok = false;
	ok(!pgha_proof_read(&p, &r) && p.last_renewal_ms == 100000 && p.proven && p.is_leader,
	   "read: a failed read proves nothing, and takes nothing (the window runs on to the fence)");
	pgha_proof_start(&p, 100000, false, NULL, false);
	r = read_showing_me(103000);
	ok(pgha_proof_read(&p, &r) && !p.proven && p.last_renewal_ms == 100000,
	   "read: it shows the key ours, but a node that does not know it leads (it decides first) is not proven by it");

	/* taking the key */
	pgha_proof_start(&p, 100000, false, NULL, false);
	pgha_proof_took_key(&p);
	ok(p.is_leader && !p.proven && p.last_renewal_ms == 100000,
	   "take: the take alone proves nothing (the keeper adds the keepalive that preceded it)");
	p.failsafe_confirmed_ms = 99500;
	pgha_proof_renewed(&p, 101000);
	ok(p.proven && p.last_renewal_ms == 101000 && p.failsafe_confirmed_ms == 0,
	   "take: with this iteration's keepalive, the window starts at its send, and a failsafe episode ends");

	/* failsafe_mode */
	proven_leader(&p);
	pgha_proof_vouched(&p, 104000, 10);
	ok(p.failsafe_confirmed_ms == 104000 && p.failsafe_ttl == 10 && p.last_renewal_ms == 100000,
	   "failsafe: the members' word is kept apart: it does not move the window");
	r = read_showing_me(105000);
	(void) pgha_proof_read(&p, &r);
	ok(p.failsafe_confirmed_ms == 0, "failsafe: a renewal ends the episode");

	/* losing it */
	proven_leader(&p);
	pgha_proof_withdraw(&p);
	ok(p.is_leader && !p.proven, "withdraw: a fence or an unknown release shuts the gate, the key still ours");
	proven_leader(&p);
	pgha_proof_let_go(&p);
	ok(!p.is_leader && !p.proven, "let go: neither leader nor proven");

	/* a standby, each iteration */
	pgha_proof_start(&p, 100000, true, NULL, false);
	ok(pgha_proof_standby(&p, true, false, false, 150000, 0) == PGHA_PROOF_KEEP &&
	   p.last_renewal_ms == 150000, "standby: a standby cannot write: its window starts now");
	pgha_proof_start(&p, 100000, true, NULL, false);
	(void) pgha_proof_standby(&p, true, true, false, 150000, 0);
	ok(p.last_renewal_ms == 100000,
	   "standby: not with a promotion on record: a slow promotion must not stretch the window");
	p.proven = true;
	ok(pgha_proof_standby(&p, true, true, false, 150000, 0) == PGHA_PROOF_SAVE && !p.proven,
	   "standby: a standby that does not lead holds no proof (inherited from a worker that asked for a promotion)");
	proven_leader(&p);
	ok(pgha_proof_standby(&p, true, true, false, 107999, 108000) == PGHA_PROOF_KEEP &&
	   p.last_renewal_ms == 100000, "standby: the leader's promotion under way keeps its window, before the deadline");
	ok(pgha_proof_standby(&p, true, true, false, 108000, 108000) == PGHA_PROOF_LET_GO,
	   "standby: at its deadline, with no renewal proven since, it lets go of the key");
	ok(pgha_proof_standby(&p, true, false, false, 107000, 108000) == PGHA_PROOF_KEEP &&
	   p.last_renewal_ms == 100000,
	   "standby: a standby holding the key keeps its window even with no promotion on record (it must reach its deadline)");
	ok(pgha_proof_standby(&p, true, true, true, 200000, 108000) == PGHA_PROOF_KEEP,
	   "standby: paused, it keeps it (nothing fences while paused)");
	ok(pgha_proof_standby(&p, false, true, false, 200000, 108000) == PGHA_PROOF_KEEP &&
	   p.last_renewal_ms == 100000 && p.proven, "standby: a primary: nothing here (its fence is a rule)");
}
