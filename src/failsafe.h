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
 * member, every iteration: remove PGHA_FAILSAFE_PROMISE_FILE once every
 * promise it covers ran out (run_ms: since the worker started)
 */
extern void pgha_failsafe_retire_promise(int64 run_ms);

/*
 * PGHA_FAILSAFE_PROMISE_FILE keeps the longest promise made since it was
 * last removed: a ping promising more rewrites it.  Every promise it
 * covers is that long or shorter and came with a ping no later than the
 * last, so all ran out once the last ping is that long ago; and one made
 * before the worker started, once it has run that long.  Then it goes, and
 * later restarts no longer wait for it.
 */
static inline bool
pgha_failsafe_keep_longer(int64 kept_ms, int64 promise_ms)
{
	return promise_ms > kept_ms;
}

static inline bool
pgha_failsafe_may_retire(int64 kept_ms, int64 ping_age_ms, int64 run_ms)
{
	return kept_ms > 0 && run_ms >= kept_ms && (ping_age_ms < 0 || ping_age_ms >= kept_ms);
}

#endif							/* PGHA_FAILSAFE_H */
