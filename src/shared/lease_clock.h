/*-------------------------------------------------------------------------
 *
 * lease_clock.h
 *		The leader's clock: when it must fence, what the write gate says,
 *		how long its etcd calls may take, and when the keeper looks again.
 *
 * Every number comes from the last proven renewal: the keepalive that a
 * guarded write or a quorum read showed to hold the leader key on this
 * node's lease.  etcd frees the key ttl after the last keepalive it
 * received, which is after the one this node sent, so the fence falls
 * before etcd can let the key go, by the margin of the fence window
 * (pgha_fence_after_ms()).  Without etcd, failsafe_mode lets all members'
 * word stand in for a renewal.
 *
 * Pure: the keeper (src/keeper/) passes what it keeps and acts on the
 * answer; unit cases feed canned values.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/lease_clock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_LEASE_CLOCK_H
#define PGHA_LEASE_CLOCK_H

#include "shared/cluster.h"

/* the write gate's value until a renewal is proven: closed */
#define PGHA_GATE_UNPROVEN 1

typedef struct PghaLeaseClock
{
	const PghaConfig *config;
	int64		lease_ttl;		/* as etcd granted it; 0 none */
	int64		old_lease_ttl;	/* during a ttl change, the lease the keys
								 * still sit on; 0 none */
	int64		last_renewal_ms;	/* the keepalive of the last proven renewal */
	int64		failsafe_confirmed_ms;	/* every member vouched (failsafe
										 * mode); 0 not */
	int			failsafe_ttl;	/* the ttl they were told (s) */
	bool		asks_members;	/* failsafe_mode on a primary: it asks the
								 * members when etcd fails it */
} PghaLeaseClock;

/* the ttl that bounds this node's keys right now (seconds) */
extern int	pgha_lease_ttl_now(const PghaLeaseClock *lc);

/* how long after a proven renewal the leader fences (ms) */
extern int64 pgha_lease_fence_after(const PghaLeaseClock *lc);

/* when the leader fences, unless it proves a renewal first */
extern int64 pgha_lease_fence_deadline(const PghaLeaseClock *lc);

/*
 * The write gate (write_gate.h): 0 open, PGHA_GATE_UNPROVEN closed, else
 * the deadline past which backends refuse to commit.  Open on a node of
 * another cluster (it leads nothing); closed until a renewal is proven and
 * in a standby cluster, which acknowledges nothing.
 */
extern int64 pgha_lease_gate(const PghaLeaseClock *lc, bool foreign, bool proven);

/*
 * The time each etcd call of an iteration may take: a leader's calls get
 * no more than it has left before its fence, a share per endpoint, and
 * all of them end by the deadline (*deadline_ms, 0: none).  A leader
 * that asks the members (asks_members) ends them earlier, by a quarter of
 * the fence window (1 s at most), so that the members can still be asked.
 */
/*
 * ... and the deadline of the calls that follow a keepalive sent at
 * renewal_ms, which they may prove: no later than the calls' deadline now
 */
extern int64 pgha_lease_call_deadline(const PghaLeaseClock *lc, int64 renewal_ms);
extern int	pgha_lease_call_timeout(const PghaLeaseClock *lc, bool leading, int64 now_ms,
									int nurls, int timeout_ms, int64 *deadline_ms);

/*
 * How long until the next iteration (ms).  primary: runs as a primary that
 * renews (not paused, of this cluster): it looks again before its fence.
 * override >= 0: sooner (a request came); poll_ms > 0: the rule's closer
 * look.
 */
extern long pgha_lease_next_wait(const PghaLeaseClock *lc, int64 now_ms, bool primary,
								 bool is_leader, bool etcd_ok, long override, int poll_ms);

#endif							/* PGHA_LEASE_CLOCK_H */
