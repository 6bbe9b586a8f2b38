/*-------------------------------------------------------------------------
 *
 * proof.h
 *		Whether this node's leadership is proven, and since when: the state
 *		the leader's clock (lease_clock.h) and the write gate run from, and
 *		the events that change it.
 *
 * The fence window starts only at the send time of a keepalive that a
 * quorum read or a guarded write then showed to hold the leader key on
 * this node's lease, or, on a standby (which cannot write), now.  Nothing
 * else moves it forward: not a worker restart, not a promotion, not the
 * members' word in failsafe_mode (which moves the deadline, in
 * lease_clock.c, not the window).  Whatever lets go of the key, or may
 * have lost it, withdraws the proof, and the write gate shuts with it.
 *
 * Pure: the keeper keeps a PghaProof between iterations (and, for a
 * successor worker, in shared memory) and acts on what these functions
 * return; unit cases feed canned events.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/proof.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_PROOF_H
#define PGHA_PROOF_H

typedef struct PghaProof
{
	bool		is_leader;		/* holds the leader key, as far as it knows */
	bool		proven;			/* ... proven since the instance started */
	int64		last_renewal_ms;	/* where the fence window starts */
	int64		failsafe_confirmed_ms;	/* every member vouched (failsafe
										 * mode), asked at this time; 0 not */
	int			failsafe_ttl;	/* the ttl they were told (s) */
} PghaProof;

/*
 * A worker starts.  inherited_renewal_ms: where its predecessor's window
 * started (shared memory), NULL if none; inherited_proven: its proof.  A
 * restart never extends the window, and a standby carries no proof.
 */
extern void pgha_proof_start(PghaProof *p, int64 now_ms, bool in_recovery,
							 const int64 *inherited_renewal_ms, bool inherited_proven);

/* what one iteration's keepalive and read showed */
typedef struct PghaProofRead
{
	bool		etcd_ok;		/* the keepalive and the read (or the cache) worked */
	bool		keepalive_ok;	/* this iteration's keepalive was answered */
	int64		keepalive_sent_ms;	/* ... sent at this time */
	bool		leader_is_me;	/* the leader key names this node */
	int64		leader_lease;	/* ... on this lease */
	int64		my_lease;		/* the lease the keepalive renewed (0 none) */
} PghaProofRead;

/*
 * The read of this iteration: true if it proves the leadership (the key
 * ours, on the lease the keepalive just renewed).  A node that knows it
 * leads then has its window start at that keepalive.
 */
extern bool pgha_proof_read(PghaProof *p, const PghaProofRead *r);

/* this node took the key; proven only with the keepalive before it (pgha_proof_renewed()) */
extern void pgha_proof_took_key(PghaProof *p);

/*
 * A keepalive sent at sent_ms, which a take of the key, a guarded write or
 * a quorum read then showed to hold it: the window starts there.
 */
extern void pgha_proof_renewed(PghaProof *p, int64 sent_ms);

/* every member vouched, asked at asked_ms with this ttl (failsafe_mode) */
extern void pgha_proof_vouched(PghaProof *p, int64 asked_ms, int ttl);

/* the key may be lost (a fence begins, a release whose outcome is unknown): shut */
extern void pgha_proof_withdraw(PghaProof *p);

/* the key let go or lost: neither leader nor proven */
extern void pgha_proof_let_go(PghaProof *p);

/* what pgha_proof_standby() asks of the keeper */
typedef enum PghaProofStep
{
	PGHA_PROOF_KEEP,			/* nothing to do */
	PGHA_PROOF_SAVE,			/* the proof changed: publish it for a successor */
	PGHA_PROOF_LET_GO			/* let go of the key (log it, withdraw the promotion) */
} PghaProofStep;

/*
 * Before etcd, each iteration (not in recovery: nothing to do).  A standby
 * that does not lead and has no promotion on record (promotion_asked:
 * asked for, maybe withdrawn, not yet over) cannot write: its window
 * starts now.  One that does not lead holds no proof (a successor of a
 * worker that asked for a promotion inherits one).  One that took the key
 * and asked for a promotion but proved nothing before its fence deadline
 * lets go, unless paused.
 */
extern PghaProofStep pgha_proof_standby(PghaProof *p, bool in_recovery, bool promotion_asked,
										bool paused, int64 now_ms, int64 fence_deadline_ms);

#endif							/* PGHA_PROOF_H */
