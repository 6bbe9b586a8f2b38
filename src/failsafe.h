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

#define PGHA_FAILSAFE_APPNAME "pgha_failsafe:"

/* _PG_init: install the authentication hook that answers pings */
extern void pgha_failsafe_init(void);

/* leader: ping one member; true if it vouched (a standby, no other leader) */
extern bool pgha_failsafe_ping(const PghaMember *m);

/* member: who pinged last, and how many ms ago (-1: never) */
extern int64 pgha_failsafe_last_ping(char *leader, size_t len);

/*
 * Before this node takes the leader key.  A ping that came after the
 * decision to take it (rule failsafe_leader_alive looked before) would
 * vouch for a leader this node is about to replace: false if a ping within
 * promise_ms holds it back; else, atomically with that look, the node
 * vouches for nobody until pgha_failsafe_release().
 */
extern bool pgha_failsafe_claim(int64 promise_ms);
extern void pgha_failsafe_release(void);

#endif							/* PGHA_FAILSAFE_H */
