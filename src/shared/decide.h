/*-------------------------------------------------------------------------
 *
 * decide.h
 *		The pure HA state machine: everything the worker knows in, one
 *		decision and its reason out.
 *
 * No I/O, no clock reads, no GUC reads: every input sits in PghaInput
 * (pg_auto_failover's habit), so the unit tests can feed any situation.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/decide.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_DECIDE_H
#define PGHA_DECIDE_H

#include "shared/cluster.h"

typedef struct PghaLocal
{
	bool		in_recovery;	/* a standby (or still promoting) */
	uint64		sysid;
	int			timeline;
	uint64		lsn;			/* primary: flush; standby: as IDENTIFY_SYSTEM reports it */
	uint64		replay_lsn;		/* standby: replayed (what a timeline fork is checked against) */
	bool		streaming;		/* standby: WAL receiver is streaming */
} PghaLocal;

/* what a direct libpq probe of another member found */
typedef struct PghaPeer
{
	char		name[PGHA_NAME_LEN];
	bool		reachable;
	bool		in_recovery;
	uint64		lsn;			/* its max(receive, replay) */
	int			timeline;
	uint64		sysid;
	bool		nofailover;		/* from its member key */
	int			failover_priority;
	bool		shutting_down;	/* refused us: "the database system is shutting down" */
} PghaPeer;

typedef struct PghaInput
{
	const char *me;
	bool		nofailover;
	int			failover_priority;
	const char *replicatefrom;	/* its tag: "" or NULL none (shared/upstream.h) */
	bool		nostream;		/* its tag: it streams from nobody */
	PghaLocal	local;

	bool		etcd_ok;		/* the snapshot below is fresh */
	const PghaCluster *cluster; /* NULL when !etcd_ok */
	PghaConfig	config;			/* effective config */

	/*
	 * Leadership as this node knows it.  last_renewal_ms is the send time of
	 * the last keepalive that was part of a proven renewal, or the worker's
	 * start: a primary that cannot prove its leadership within the fence
	 * window stops, whether or not it believes it leads.
	 */
	bool		is_leader;		/* we hold the leader key (last renewal ok) */
	int64		now_ms;			/* monotonic */
	int64		last_renewal_ms;
	int			lease_ttl;		/* seconds: TTL of the lease holding our keys
								 * (may be below config.ttl during a change) */
	bool		foreign;		/* last known: our sysid is not the cluster's */

	/*
	 * A key named after this node (leader or member) sits on a lease this
	 * worker does not hold, written by another instance: two running
	 * members share one name.  Ownership is value AND lease.
	 */
	bool		name_conflict;
	int64		conflict_lease;

	/*
	 * When this node's worker started (monotonic ms; 0: unknown) and whether
	 * it has seen a leader key since: a cluster restart (rule startup_wait).
	 */
	int64		started_ms;
	bool		seen_leader;
	const char *last_leader;	/* the last leader key value seen ("" or NULL: none) */

	/*
	 * This node, which never led, fenced itself as a primary with no leader
	 * to follow, and has not seen a cluster in etcd since; for how long etcd
	 * has held no cluster, as this worker saw it (rule bootstrap_fenced).
	 */
	bool		fenced_without_leader;
	int64		empty_cluster_ms;
	/* pghactl made this copy under the initialize lock (standby cluster) */
	bool		standby_copy;

	bool		peers_probed;
	int			npeers;
	const PghaPeer *peers;

	/* a requested switchover (cluster->has_failover), as the keeper sees it */
	bool		switchover_due;		/* scheduled time reached (or none) */
	bool		switchover_stale;	/* pending too long: ignore it */
	bool		switchover_unreadable;	/* its scheduled_at is no time */
	bool		candidate_streaming;	/* leader: the candidate streams from us */

	/* failsafe_mode */
	int64		failsafe_confirmed_ms;	/* leader: every member vouched (monotonic); 0 never */
	int			failsafe_ttl;	/* leader: the ttl they were told (s) */
	int64		failsafe_ping_age_ms;	/* member: since a leader's failsafe ping; -1 never */
	int64		failsafe_ping_ttl_ms;	/* member: the ttl that leader's fence runs
										 * by, as its ping said; 0 unsaid */
	int64		failsafe_kept_ms;	/* member: how long a promise made before
									 * the worker started runs; 0 none */
	const char *failsafe_pinger;	/* member: that leader */
} PghaInput;

typedef enum PghaAction
{
	PGHA_ACT_NONE,				/* publish state, nothing else */
	PGHA_ACT_BOOTSTRAP,			/* claim initialize + leader for a new cluster */
	PGHA_ACT_ACQUIRE,			/* running primary takes the free leader key */
	PGHA_ACT_RENEW,				/* leader: keep the lease and the key */
	PGHA_ACT_FENCE,				/* primary: stop accepting writes now */
	PGHA_ACT_FOLLOW,			/* standby: replicate from target */
	PGHA_ACT_PROBE,				/* standby: ask the peers, then decide again */
	PGHA_ACT_RACE,				/* standby: try to take the leader key, promote */
	PGHA_ACT_PROMOTE,			/* standby holding the leader key: promote */
	PGHA_ACT_SWITCHOVER,		/* leader: hand over to target, shut down cleanly */
	PGHA_ACT_CANCEL_SWITCHOVER,	/* leader: refuse the requested switchover */
	PGHA_ACT_REJOIN,			/* standby past the fork: stop for pg_rewind */
	PGHA_ACT_STANDBY_LEADER,	/* standby cluster: keep the key, follow the remote */
	PGHA_ACT_DEMOTE_CLUSTER		/* primary of a cluster made a standby cluster: stop cleanly */
} PghaAction;

typedef enum PghaState
{
	PGHA_STATE_RUNNING,
	PGHA_STATE_SYSID_MISMATCH,
	PGHA_STATE_NO_ETCD,
	PGHA_STATE_PAUSED,
	PGHA_STATE_FAILSAFE,
	PGHA_STATE_DUPLICATE_NAME
} PghaState;

typedef struct PghaDecision
{
	PghaAction	action;
	PghaState	state;
	const char *rule;			/* the table row that fired */
	char		target[PGHA_NAME_LEN];	/* leader to follow */
	char		reason[256];
	int			poll_ms;		/* > 0: look again within this many ms */
} PghaDecision;

extern void pgha_decide(const PghaInput *in, PghaDecision *out);

/*
 * The fence window (ms after a renewal): from the shorter of the config's
 * ttl and the TTL of the lease our keys sit on (0: none granted yet).  The
 * one function decide() and the keeper's write gate both use.
 */
extern int64 pgha_fence_window_ms(const PghaConfig *config, int64 lease_ttl);

/*
 * failsafe_mode: how long after every member vouched the leader may run on
 * their word (ms): the fence window of the ttl it told them, or of its own
 * lease if shorter (lease_ttl 0: none); 0 when their word counts for nothing
 */
extern int64 pgha_failsafe_window_ms(const PghaConfig *config, int64 lease_ttl, int failsafe_ttl);
extern const char *pgha_action_name(PghaAction a);

/* for the decision table dump: rule name, role, action, description */
typedef struct PghaRuleInfo
{
	const char *name;
	const char *role;
	PghaAction	action;
	const char *when;
} PghaRuleInfo;
extern int	pgha_decide_rules(const PghaRuleInfo **rules);

/* is this member (by probe) a better failover candidate than we are? */
extern bool pgha_peer_is_better(const PghaInput *in, const PghaPeer *p);

/*
 * pghactl restart / reinit, for this member ("restart/<name>",
 * "reinit/<name>"): what to do with the request once it is taken.  A
 * restart or reinit needs pghactl run to start PostgreSQL again; a leader
 * is never reinitialized.
 */
typedef enum PghaRequestAction
{
	PGHA_REQ_NONE,				/* no request */
	PGHA_REQ_REFUSE,			/* refused: WARNING with reason and hint */
	PGHA_REQ_SKIP,				/* nothing to do (its conditions do not hold): LOG reason */
	PGHA_REQ_REINIT,			/* marker for pghactl run, fast shutdown */
	PGHA_REQ_RESTART			/* fast shutdown */
} PghaRequestAction;

typedef struct PghaRequestInput
{
	bool		reinit_requested;
	bool		restart_requested;
	bool		restart_pending_only;	/* pghactl restart --pending */
	bool		restart_not_due;	/* scheduled, and not yet */
	bool		restart_not_applicable; /* only in another role, or below the running version */
	bool		pending_restart;	/* a changed parameter needs a restart */
	bool		is_leader;
	bool		sync_leader;	/* pgha_cluster_sync_leads() for this node */
	bool		supervised;		/* runs under pghactl run */
} PghaRequestInput;

typedef struct PghaRequestDecision
{
	PghaRequestAction action;
	bool		reinit;			/* the request taken is the reinit one */
	char		reason[128];
	char		hint[128];
} PghaRequestDecision;

extern void pgha_decide_request(const PghaRequestInput *in, PghaRequestDecision *d);

#endif							/* PGHA_DECIDE_H */
