/*-------------------------------------------------------------------------
 *
 * sync.h
 *		Synchronous mode on the leader: which standbys are synchronous, the
 *		synchronous_standby_names that says so, and the sync key that lets
 *		exactly those standbys be promoted.
 *
 * The order of the steps is what keeps acknowledged commits safe (as in
 * Patroni): a standby leaves the sync key before it leaves
 * synchronous_standby_names, and enters the key only after PostgreSQL
 * reports it synchronous and it has flushed everything the primary had
 * flushed when synchronous_standby_names last changed.  So every member the
 * key names has every commit PostgreSQL acknowledged.
 *
 * Pure: the keeper feeds pg_stat_replication and the cluster in, carries
 * out the one step that comes out, and asks again next iteration.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/sync.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SYNC_H
#define PGHA_SYNC_H

#include "shared/cluster.h"

/* one row of pg_stat_replication */
typedef struct PghaStandby
{
	char		name[PGHA_NAME_LEN];	/* application_name */
	bool		streaming;		/* state = 'streaming' */
	bool		sync;			/* sync_state = 'sync' or 'quorum' */
	uint64		flush_lsn;
	/*
	 * How long this standby has been behind the primary's flush position
	 * without its own moving (ms; 0: caught up or moving).  A partition
	 * leaves a walsender "streaming" until wal_sender_timeout.
	 */
	int64		stalled_ms;
} PghaStandby;

typedef struct PghaSyncInput
{
	const char *me;
	const PghaConfig *config;
	const PghaCluster *cluster;
	int			nstandbys;
	const PghaStandby *standbys;
	const char *current_ssn;	/* synchronous_standby_names in force */
	/*
	 * The primary's flush LSN once the setting in force had taken effect
	 * (an iteration after it was set): every commit acknowledged under an
	 * earlier setting is at or below it.
	 */
	uint64		ssn_set_lsn;
	uint64		primary_flush_lsn;	/* now, read before the standbys */
	/*
	 * A key write of this leader's whose outcome is unknown (it timed out;
	 * or the worker restarted) may still land, on the revision it read:
	 * after any step since, it would describe a state that no longer
	 * holds.  The first step rewrites the key as read, which moves the
	 * revision so that the late write cannot land.
	 */
	bool		key_in_doubt;
} PghaSyncInput;

typedef enum PghaSyncStep
{
	PGHA_SYNC_NOTHING,
	PGHA_SYNC_WRITE_KEY,		/* put the sync key (CAS on its revision) */
	PGHA_SYNC_DELETE_KEY,		/* synchronous mode is off: remove the key */
	PGHA_SYNC_SET_SSN			/* ALTER SYSTEM synchronous_standby_names */
} PghaSyncStep;

typedef struct PghaSyncPlan
{
	PghaSyncStep step;
	char		ssn[PGHA_MAX_SYNC * (PGHA_NAME_LEN + 3) + 32];	/* SET_SSN */
	int			nsync;			/* WRITE_KEY: the standbys the key names */
	char		sync[PGHA_MAX_SYNC][PGHA_NAME_LEN];
	int			quorum;			/* WRITE_KEY: quorum mode's "quorum" */
	char		reason[256];
} PghaSyncPlan;

extern void pgha_sync_plan(const PghaSyncInput *in, PghaSyncPlan *out);

/*
 * May this standby be synchronous at all: a streaming member of this
 * cluster, not tagged nosync, not silent for longer than retry_timeout
 * (strict mode aside), within maximum_lag_on_syncnode.
 */
extern bool pgha_sync_eligible(const PghaSyncInput *in, const PghaStandby *s);

/* synchronous_standby_names for these standbys: 'FIRST n ("a","b")' */
extern void pgha_sync_ssn(int n, const char (*names)[PGHA_NAME_LEN], int count,
						  char *out, size_t outlen);

/* strict mode's value when no standby is eligible: '*' or 'ANY n (*)' */
extern const char *pgha_sync_strict_ssn(const PghaConfig *config);

/* the value a newly promoted primary starts with, before its first plan */
extern const char *pgha_sync_ssn_at_promotion(const PghaConfig *config);

#endif							/* PGHA_SYNC_H */
