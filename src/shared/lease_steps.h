/*-------------------------------------------------------------------------
 *
 * lease_steps.h
 *		This node's etcd lease, one call at a time: which call the keeper
 *		sends next in an iteration, and what each answer changes.
 *
 * One lease per node, of the config's ttl, carrying its member key and, on
 * the leader, the leader key.  Each iteration keeps it alive; a lease
 * etcd no longer knows is replaced by a new grant; a ttl change takes a
 * new lease, but the old one, which our keys still sit on, is kept alive
 * too until they have moved (pgha_lease_retired()): a key must never sit
 * on a lease nobody renews.
 *
 * Pure: the keeper (src/keeper/lease.c) sends the call pgha_lease_next()
 * names, passes the answer to pgha_lease_answer(), and goes on until it
 * says the iteration's calls are done; unit cases feed canned answers.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/lease_steps.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_LEASE_STEPS_H
#define PGHA_LEASE_STEPS_H

/* what to send next */
typedef enum PghaLeaseCall
{
	PGHA_LEASE_DONE,			/* nothing: keepalive_ok says how it went */
	PGHA_LEASE_KEEPALIVE_OLD,	/* a keepalive of old_id */
	PGHA_LEASE_GRANT,			/* a new lease of the config's ttl */
	PGHA_LEASE_KEEPALIVE		/* a keepalive of id */
} PghaLeaseCall;

/* how etcd answered it */
typedef enum PghaLeaseAnswer
{
	PGHA_LEASE_ANSWERED,		/* done (a grant: the new id and ttl come with it) */
	PGHA_LEASE_NOT_FOUND,		/* etcd no longer knows the lease */
	PGHA_LEASE_FAILED			/* no answer, or another error */
} PghaLeaseAnswer;

typedef struct PghaLease
{
	int64		id;				/* 0: none */
	int			requested_ttl;	/* what we asked etcd for */
	int64		ttl;			/* as granted */
	int64		old_id;			/* during a ttl change: the lease our keys
								 * still sit on, kept alive until they move */
	int64		old_ttl;
	bool		keepalive_ok;	/* this iteration's keepalive (or grant) was answered */
	int64		keepalive_sent_ms;	/* ... and the calls that got it began then */
	/* the iteration's calls under way */
	PghaLeaseCall next;
	int64		try_ms;			/* when this try began */
} PghaLease;

/*
 * An iteration's lease calls begin at now_ms, with the config's ttl.  A
 * ttl other than the lease's puts the lease aside as the old one (unless
 * one is aside already) and takes a new one.
 */
extern void pgha_lease_begin(PghaLease *l, int config_ttl, int64 now_ms);

/* the call to send now */
extern PghaLeaseCall pgha_lease_next(const PghaLease *l);

/*
 * Its answer, at now_ms; granted_id, granted_ttl: a grant's.  A keepalive
 * of a lease etcd lost tries again from the start, at now_ms: the old
 * lease set aside, if any, kept alive again, then a new grant.  An old
 * lease etcd lost needs no keepalive any more; any other failure ends the
 * iteration's calls, keepalive_ok false.
 */
extern void pgha_lease_answer(PghaLease *l, PghaLeaseAnswer a, int64 granted_id, int64 granted_ttl,
							  int config_ttl, int64 now_ms);

/* etcd said, to another call, that it no longer knows the lease: a new one next time */
extern void pgha_lease_lost(PghaLease *l);

/* our keys left the old lease (it was revoked, or etcd no longer knows it) */
extern void pgha_lease_retired(PghaLease *l);

#endif							/* PGHA_LEASE_STEPS_H */
