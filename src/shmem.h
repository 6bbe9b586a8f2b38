/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		pgha's shared memory: what the worker publishes for SQL to read.
 *
 * Lock protocol: one LWLock (tranche "pgha") guards the whole struct.  The
 * worker is the only writer and takes it LW_EXCLUSIVE only to copy a
 * finished snapshot in.  Readers take LW_SHARED, memcpy the struct out,
 * release, and only then build tuples.  Nobody holds the lock across
 * network I/O or ereport-capable code.  worker_latch is read without the
 * lock (a pointer store is atomic) by SQL functions that want to wake the
 * worker.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SHMEM_H
#define PGHA_SHMEM_H

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "port/atomics.h"
#include "storage/lwlock.h"

#include "shared/cluster.h"
#include "shared/slots.h"

/* how many members pgha.members() can show */
#define PGHA_MAX_MEMBERS 32
/* the history document kept for /history: some 150 timeline switches */
#define PGHA_HISTORY_BYTES 16384
/* the config document kept for GET /config; a REST request body or answer */
#define PGHA_CONFIG_BYTES 65536
#define PGHA_API_BODY_BYTES 16384

/* one member as the last successful etcd read showed it */
typedef struct PghaSharedMember
{
	char		name[64];
	char		host[256];
	int			port;
	char		role[16];		/* leader, replica, primary */
	char		state[32];
	int			timeline;
	uint64		lsn;			/* xlog_location */
	uint64		receive_lsn;
	uint64		replay_lsn;
	int64		lag;			/* bytes behind the leader; -1 unknown */
	int64		receive_lag;	/* leader position - receive_lsn; -1 unknown */
	int64		replay_lag;		/* leader position - replay_lsn; -1 unknown */
	char		pending_reason[256];	/* JSON */
	char		tags[160];		/* JSON */
	bool		pending_restart;
	int64		config_revision;
	char		error[PGHA_ERROR_LEN];	/* why a node is down (pghactl run's record) */
} PghaSharedMember;

typedef struct PghaSharedState
{
	pid_t		worker_pid;		/* 0 when no worker runs */
	TimestampTz worker_started;
	uint64		iterations;		/* completed loop iterations */

	bool		etcd_reachable;
	char		etcd_endpoint[256]; /* the endpoint that last answered */
	char		etcd_error[512];	/* last etcd error, "" if none */
	TimestampTz etcd_last_contact;	/* last successful etcd call */
	char		etcd_version[32];
	uint64		etcd_cluster_id;
	int			etcd_members;	/* size of the etcd cluster; 0 unknown */
	int			etcd_members_answered;	/* of those, answering at the last check */
	int			etcd_failures_tolerated;	/* -1 unknown */

	/* the HA keeper's view (see keeper/publish.c) */
	char		role[16];		/* primary, replica */
	char		state[32];		/* running, sysid mismatch, no etcd, paused */
	char		leader[64];		/* who holds the leader key ("" none) */
	char		last_leader[64];	/* the last leader key value seen ("" never) */
	bool		is_leader;		/* this node holds it */
	TimestampTz lease_deadline; /* leader: when it fences without renewal */
	int			timeline;
	uint64		lsn;
	char		last_action[16];
	char		last_rule[32];
	char		last_reason[256];
	TimestampTz last_decision;
	int64		config_revision;
	int			ttl;
	int			loop_wait;
	int			retry_timeout;
	bool		paused;
	bool		failsafe_mode;	/* the config's failsafe_mode */
	/* how the config key was read: coerced, adjusted, not implemented ("" none) */
	char		config_warnings[1024];

	/* the cluster, as of cluster_read_at */
	TimestampTz cluster_read_at;
	int			nmembers;
	PghaSharedMember members[PGHA_MAX_MEMBERS];
} PghaSharedState;

/*
 * What a restarted worker inherits from its predecessor (same postmaster):
 * the lease and the time of the last proven renewal, so that a worker
 * restart never gives a primary a fresh fence window.  The clock
 * (shared/clock.h) is system-wide, so the value is meaningful across
 * processes.  A start of the instance (clean or after a crash) starts
 * shared memory afresh: then nothing is proven (write_gate.c keeps commits
 * closed until the worker holds the leader key).  Written by the worker
 * under the lock.
 */
typedef struct PghaSharedKeeper
{
	bool		valid;
	bool		proven;			/* a renewal was proven since shared memory began */
	/*
	 * The last valid cluster config (pause, ttl, ...): a restarted worker
	 * works with the cluster's ttl, not the default, until its first read
	 * (or it would swap leases and compute its fence window from 10 s).
	 */
	PghaConfig	config;
	bool		config_known;	/* config is one read from etcd (or its absence), not a stand-in */
	bool		seen_leader;	/* a leader key was seen since the instance started */
	int64		last_renewal_ms;
	int64		lease_id;
	int64		lease_ttl;
	int64		old_lease_id;	/* during a ttl change: the lease our keys may still sit on */
	int64		old_lease_ttl;
	/*
	 * A promotion this instance was asked for (0: none), whether the worker
	 * withdrew the request, and the timeline id it reserved: a successor
	 * must know, or it could take away the placeholders steering it.
	 */
	int64		promote_requested_ms;
	bool		promote_withdrawn;
	int			reserved_timeline;
	/* a replica's copies of permanent logical slots (keeper/logical_copies.c) */
	int			logical_worker_pid;	/* the logical slots' worker running now, 0 none */
	int			ncopies;
	PghaCopyReadiness copies[PGHA_MAX_PERMANENT_SLOTS];
} PghaSharedKeeper;

/*
 * failsafe_mode: the last authenticated failsafe ping from a leader that
 * lost etcd (failsafe.c).  Written by the pinged backend under the lock.
 */
typedef struct PghaSharedFailsafe
{
	char		leader[64];
	int64		at_ms;			/* shared/clock.h; 0: never */
	int64		promise_ms;		/* the ttl that leader's fence runs by
								 * (ms), 0: it did not say */
	int64		kept_ms;		/* what PGHA_FAILSAFE_PROMISE_FILE says, 0
								 * none (under file_lock) */
	bool		claimed;		/* this node takes or holds the leader key:
								 * it vouches for nobody */
} PghaSharedFailsafe;

/*
 * One REST API action at a time (api_action.c): the API worker fills in
 * the request and starts an action worker, which answers here.  Under the
 * lock; generation tells the action worker which request is its own.
 */
typedef enum PghaActionState
{
	PGHA_ACTION_FREE = 0,
	PGHA_ACTION_REQUESTED,
	PGHA_ACTION_ANSWERED
} PghaActionState;

typedef struct PghaSharedAction
{
	PghaActionState state;
	uint32		generation;
	pid_t		worker_pid;		/* the action worker running it; 0 none */
	char		method[8];
	char		path[32];
	char		body[PGHA_API_BODY_BYTES];
	int			status;			/* the HTTP answer */
	bool		json;			/* response is JSON, else text */
	char		response[PGHA_CONFIG_BYTES];
} PghaSharedAction;

typedef struct PghaShared
{
	LWLock	   *lock;
	LWLock	   *file_lock;		/* PGHA_FAILSAFE_PROMISE_FILE (failsafe.c) */
	Latch	   *worker_latch;
	PghaSharedKeeper keeper;
	PghaSharedFailsafe failsafe;
	PghaSharedState state;
	/*
	 * The history key as the keeper last read it, for the REST API's
	 * /history (which would otherwise ask etcd on every request).
	 */
	bool		history_known;
	char		history[PGHA_HISTORY_BYTES];
	/*
	 * The config key as the keeper last read it, for GET /config; unknown
	 * when absent or larger than PGHA_CONFIG_BYTES.
	 */
	bool		config_known;
	char		config[PGHA_CONFIG_BYTES];
	/* the REST action under way (api.c starts it, api_action.c runs it) */
	PghaSharedAction action;
	/*
	 * write_gate.c: no commit of a write at or after this (clock.h ms);
	 * 0 = no gate; PGHA_GATE_UNPROVEN = closed until a renewal is proven.
	 */
	pg_atomic_uint64 write_deadline_ms;
} PghaShared;

extern PghaShared *pgha_shared;

extern void pgha_shmem_init(void);

/* copy of the published state (takes the lock) */
extern void pgha_shmem_read(PghaSharedState *out);
/* replace the published state (takes the lock) */
extern void pgha_shmem_write(const PghaSharedState *in);
/* publish the history key's value ("[]" when absent) */
extern void pgha_shmem_set_history(const char *history);
/* a palloc'd copy of the published history, NULL before the keeper read it */
extern char *pgha_shmem_get_history(void);
/* publish the config key's value (NULL: absent) */
extern void pgha_shmem_set_config(const char *config);
/* a palloc'd copy of the published config, NULL when unknown */
extern char *pgha_shmem_get_config(void);

#endif							/* PGHA_SHMEM_H */
