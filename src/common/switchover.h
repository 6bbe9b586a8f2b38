/*-------------------------------------------------------------------------
 *
 * switchover.h
 *		Who may take over in a requested switchover or failover, and the
 *		request (Patroni's "failover" key) that asks for it.
 *
 * Pure: pgha.switchover()/pgha.failover() in SQL and pghactl switchover/
 * failover check a request the same way and report the outcome in their
 * own style.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/switchover.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SWITCHOVER_H
#define PGHA_SWITCHOVER_H

#include "common/cluster.h"

typedef enum PghaSwitchoverCheck
{
	PGHA_SW_OK,
	PGHA_SW_PAUSED,				/* maintenance mode: no HA actions */
	PGHA_SW_NO_LEADER,			/* a switchover needs a leader to hand over */
	PGHA_SW_UNKNOWN_MEMBER,		/* the named candidate has no member key */
	PGHA_SW_NO_CANDIDATE,		/* none named and none eligible */
	PGHA_SW_IS_LEADER,			/* the candidate already leads */
	PGHA_SW_NOT_REPLICA,		/* not a running replica of this cluster */
	PGHA_SW_NOFAILOVER,			/* tagged nofailover (or priority 0) */
	PGHA_SW_NOT_SYNC			/* synchronous_mode, and the sync key does not name it */
} PghaSwitchoverCheck;

/*
 * Check a request against the cluster as etcd shows it.  candidate NULL:
 * choose the best eligible replica (running, streaming, furthest ahead).
 * *chosen is set whenever a member was named or found, also on refusal,
 * so that the message can name it.
 */
extern PghaSwitchoverCheck pgha_switchover_check(const PghaCluster *c, const char *candidate,
												 bool need_leader,
												 const PghaMember **chosen);

/* a one-line English description of a refusal (no trailing period) */
extern const char *pgha_switchover_check_message(PghaSwitchoverCheck check);

/*
 * The failover key's JSON (malloc'd): {"leader", "member", "scheduled_at"
 * when scheduled, "pgha_requested_at"}.  Timestamps are ISO 8601 in UTC.
 */
extern char *pgha_failover_request_json(const char *leader, const char *member,
										const char *scheduled_at, const char *requested_at);

#endif							/* PGHA_SWITCHOVER_H */
