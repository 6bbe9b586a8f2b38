/*-------------------------------------------------------------------------
 *
 * failsafe.h
 *		failsafe_mode: a leader that lost etcd stays primary only while every
 *		member vouches that it sees no other leader.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/failsafe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_FAILSAFE_H
#define PGHA_FAILSAFE_H

#include "shared/cluster.h"
#include "shmem.h"

/*
 * application_name of a ping: the prefix, the leader's name, ":" and the
 * ttl its fence runs by (seconds).  A member promises for that ttl or its
 * own, whichever is longer: a ttl lowered while the leader was cut off from
 * etcd reaches the members only.  Names have no ":" (shared/keys.h).
 */
#define PGHA_FAILSAFE_APPNAME "pgha_failsafe:"

/* _PG_init: install the authentication hook that answers pings */
extern void pgha_failsafe_init(void);

/*
 * leader: ping one member, saying the ttl (s) its fence runs by; true if
 * it vouched (a standby, no other leader)
 */
extern bool pgha_failsafe_ping(const PghaMember *m, int ttl);

/*
 * member: who pinged last, and how many ms ago (-1: never); *promise_ms
 * the ttl that leader said (ms; 0 none)
 */
extern int64 pgha_failsafe_last_ping(char *leader, size_t len, int64 *promise_ms);

/*
 * Before this node takes the leader key.  A ping that came after the
 * decision to take it (rule failsafe_leader_alive looked before) would
 * vouch for a leader this node is about to replace: false if a ping within
 * promise_ms holds it back; else, atomically with that look, the node
 * vouches for nobody until pgha_failsafe_release().
 */
extern bool pgha_failsafe_claim(int64 promise_ms);
extern void pgha_failsafe_release(void);

/*
 * member, at the worker's start: how long a promise made before it runs
 * (ms, 0 none), as PGHA_FAILSAFE_PROMISE_FILE kept it
 */
extern int64 pgha_failsafe_kept_promise(void);

/*
 * A ping promising promise_ms at now_ms: must PGHA_FAILSAFE_PROMISE_FILE
 * change?  When the promise grows, or when the longer one it keeps ran
 * out.  A ping promising as much renews the kept one (under the lock).
 */
static inline bool
pgha_failsafe_rewrite(PghaSharedFailsafe *f, int64 promise_ms, int64 now_ms)
{
	if (promise_ms == f->kept_ms)
		f->kept_at_ms = now_ms;
	return promise_ms > f->kept_ms ||
		(promise_ms < f->kept_ms && now_ms - f->kept_at_ms > f->kept_ms);
}

#endif							/* PGHA_FAILSAFE_H */
