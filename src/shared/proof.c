/*-------------------------------------------------------------------------
 *
 * proof.c
 *		Whether this node's leadership is proven, and since when
 *		(proof.h).  Pure.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/proof.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/proof.h"

void
pgha_proof_start(PghaProof *p, int64 now_ms, bool in_recovery,
				 const int64 *inherited_renewal_ms, bool inherited_proven)
{
	memset(p, 0, sizeof(*p));
	/*
	 * A primary's window runs from the last renewal its predecessor
	 * proved, or from now: a worker restart never extends it.
	 */
	p->last_renewal_ms = inherited_renewal_ms ? *inherited_renewal_ms : now_ms;
	/* a standby carries no proof, whatever its predecessor had */
	p->proven = inherited_proven && !in_recovery;
}

void
pgha_proof_renewed(PghaProof *p, int64 sent_ms)
{
	p->last_renewal_ms = sent_ms;
	p->proven = true;
	/* a failsafe episode, if any, is over */
	p->failsafe_confirmed_ms = 0;
}

bool
pgha_proof_read(PghaProof *p, const PghaProofRead *r)
{
	/*
	 * A quorum read that shows the leader key on our live lease proves the
	 * leadership as well as the guarded write does.
	 */
	bool		proves = r->etcd_ok && r->keepalive_ok && r->leader_is_me && r->my_lease != 0 &&
		r->leader_lease == r->my_lease;

	if (proves && p->is_leader)
		pgha_proof_renewed(p, r->keepalive_sent_ms);
	return proves;
}

void
pgha_proof_took_key(PghaProof *p)
{
	p->is_leader = true;
}

void
pgha_proof_vouched(PghaProof *p, int64 asked_ms, int ttl)
{
	p->failsafe_confirmed_ms = asked_ms;
	p->failsafe_ttl = ttl;
}

void
pgha_proof_withdraw(PghaProof *p)
{
	p->proven = false;
}

void
pgha_proof_let_go(PghaProof *p)
{
	p->is_leader = false;
	p->proven = false;
}

PghaProofStep
pgha_proof_standby(PghaProof *p, bool in_recovery, bool promotion_asked,
				   bool paused, int64 now_ms, int64 fence_deadline_ms)
{
	if (!in_recovery)
		return PGHA_PROOF_KEEP;

	/*
	 * A standby cannot accept writes: its fence window starts when it stops
	 * being one.  Not for a node with a promotion under way, leader or not:
	 * its window runs from its last proven renewal, or a slow promotion
	 * would stretch it.  (The window opens the gate only while proven.)
	 */
	if (!p->is_leader && !promotion_asked)
		p->last_renewal_ms = now_ms;

	/*
	 * Nor a proof: a standby that does not hold the key (a successor of a
	 * worker that asked for a promotion, and inherited the proof from
	 * shared memory) must find the gate closed if a promotion completes.
	 */
	if (!p->is_leader && p->proven)
	{
		p->proven = false;
		return PGHA_PROOF_SAVE;
	}

	/*
	 * A standby that took the key and asked for a promotion, but proved
	 * nothing within its fence window, holds nothing any more: as far as it
	 * can know its lease ran out.  It lets go (the gate stays closed), so
	 * that its etcd calls get their usual time again instead of the nothing
	 * left before its deadline, and it follows whoever leads now.  Its
	 * promotion, if it completes, ends on a primary that fences.
	 */
	if (p->is_leader && !paused && now_ms >= fence_deadline_ms)
		return PGHA_PROOF_LET_GO;
	return PGHA_PROOF_KEEP;
}
