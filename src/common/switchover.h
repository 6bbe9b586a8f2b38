/*-------------------------------------------------------------------------
 *
 * switchover.h
 *		Who may take over in a requested switchover or failover, and the
 *		request (Patroni's "failover" key) that asks for it; whether a
 *		member may be asked to restart or reinitialize.
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

/*
 * A restart or reinit of member m ("restart/<name>", "reinit/<name>"
 * requests, taken by the member's own worker): may it be asked for?
 * pghactl restart/reinit and the REST API's POST /restart and
 * /reinitialize check the same way and word the refusal their own way.
 */
typedef enum PghaMemberRequestCheck
{
	PGHA_MR_OK,
	PGHA_MR_NOT_PENDING,		/* pending_only, and no restart is pending: nothing to do */
	PGHA_MR_LEADER,				/* a reinit would destroy the primary */
	PGHA_MR_DOWN,				/* no server runs to take the request */
	PGHA_MR_NOT_SUPERVISED		/* nothing would start the server again */
} PghaMemberRequestCheck;

extern PghaMemberRequestCheck pgha_member_request_check(const PghaCluster *c, const PghaMember *m,
														bool reinit, bool pending_only);

/*
 * The request's value (malloc'd): {"requested_at", "pending_only"}, and
 * "schedule" (ISO 8601) for a restart that waits until then.
 */
extern char *pgha_member_request_json(const char *requested_at, bool pending_only,
									  const char *schedule);

#endif							/* PGHA_SWITCHOVER_H */
