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
 *	  src/shared/switchover.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SWITCHOVER_H
#define PGHA_SWITCHOVER_H

#include "shared/cluster.h"

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
	PGHA_SW_NOT_SYNC,			/* synchronous_mode, and the sync key does not name it */
	PGHA_SW_STANDBY_CLUSTER		/* a standby cluster: its standby leader hands over to nobody */
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
 * When a switchover request (the failover key) a node reads is due, and
 * when it is stale: a request nobody acted on for max(60 s, 3 ttl) is
 * cancelled (rule switchover_stale), counted from its schedule, or from
 * when it says it was asked, or else from when this node first saw it.
 */
typedef struct PghaSwitchoverSeen
{
	int64		seen_ms;		/* this node first saw the request then (0: none) */
	int64		revision;		/* ... at this revision */
} PghaSwitchoverSeen;

/* the request's times, as the keeper parsed them (TimestampTz: microseconds since 2000) */
typedef struct PghaSwitchoverTimes
{
	bool		scheduled;		/* it names a time (scheduled_at) */
	bool		scheduled_ok;	/* ... a readable one */
	int64		scheduled_at;	/* ... as a TimestampTz */
	int64		requested_at;	/* when it was asked (Patroni 4's); 0 unknown */
} PghaSwitchoverTimes;

typedef struct PghaSwitchoverTiming
{
	bool		due;			/* a request whose time has come */
	bool		stale;			/* too old to act on (or not yet due) */
	bool		unreadable;		/* its schedule cannot be read: rule switchover_unreadable cancels it */
} PghaSwitchoverTiming;

/*
 * For the request read (has_request; its mod revision; its times), at
 * now_ms (this node's monotonic clock) and now (the wall clock, a
 * TimestampTz), with the cluster's ttl.  seen: updated.
 */
extern void pgha_switchover_timing(PghaSwitchoverSeen *seen, bool has_request, int64 revision,
								   const PghaSwitchoverTimes *t, int ttl, int64 now_ms, int64 now,
								   PghaSwitchoverTiming *out);

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
	PGHA_MR_SYNC_LEADER,		/* ... or commits only the sync key's leader has */
	PGHA_MR_DOWN,				/* no server runs to take the request */
	PGHA_MR_NOT_SUPERVISED		/* nothing would start the server again */
} PghaMemberRequestCheck;

extern PghaMemberRequestCheck pgha_member_request_check(const PghaCluster *c, const PghaMember *m,
														bool reinit, bool pending_only);

/*
 * A restart request's conditions, as Patroni's POST /restart takes them:
 * not before schedule (ISO 8601), only if pending, only in role
 * ("primary", "replica"; "master" and "standby_leader" are read as
 * "primary"), only below postgres_version ("15.2").  NULL or "": any.
 */
typedef struct PghaRestartRequest
{
	const char *schedule;
	bool		pending_only;
	const char *role;
	const char *postgres_version;
} PghaRestartRequest;

/*
 * The request's value (malloc'd): {"requested_at", "pending_only"}, and
 * for a restart the conditions that are set.  r NULL: none (a reinit).
 */
extern char *pgha_member_request_json(const char *requested_at, const PghaRestartRequest *r);

/* "15", "15.2", "9.6.24" -> 150000, 150002, 90624; -1 if it is none of these */
extern int	pgha_postgres_version_number(const char *version);

/*
 * Does a restart limited to role and postgres_version (NULL or "": any)
 * apply to a server that leads or not, running server_version?
 */
extern bool pgha_restart_applies(const char *role, const char *postgres_version, bool is_leader,
								 int server_version);

#endif							/* PGHA_SWITCHOVER_H */
