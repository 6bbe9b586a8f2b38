/*-------------------------------------------------------------------------
 *
 * metrics.h
 *		GET /metrics in Prometheus' text format (Patroni's metrics, then
 *		pgha's own).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_METRICS_H
#define PGHA_METRICS_H

/* what /metrics reports; times are epoch seconds, 0 unknown */
typedef struct PghaMetricFacts
{
	const char *scope;
	const char *name;
	int			version;		/* pgha's, as Patroni's: 1.0.0 -> 10000 */
	bool		running;		/* the HA worker runs (the server accepts connections) */
	double		postmaster_start_time;
	bool		primary;		/* runs as a primary */
	uint64		xlog_location;	/* primary: its flush position */
	bool		replica;
	bool		standby_leader; /* a standby cluster's leader */
	bool		sync_standby;
	bool		quorum_standby;
	uint64		received_location;	/* replica */
	uint64		replayed_location;
	double		replayed_timestamp;
	bool		xlog_paused;
	bool		streaming;
	bool		in_archive_recovery;
	int			server_version;
	bool		cluster_unlocked;
	bool		failsafe_active;
	bool		failsafe_enabled;
	int			timeline;
	double		dcs_last_seen;
	bool		pending_restart;
	bool		paused;
	int			failover_priority;	/* 0 with nofailover */
	/* pgha's own */
	bool		gate_open;
	double		fence_in_seconds;
	bool		worker_alive;
	uint64		iterations;
	double		last_decision;
	const char *rule;
	const char *action;
	int64		config_revision;
	bool		etcd_reachable;
	int			etcd_members;
	int			etcd_members_answering;
	int			etcd_failures_tolerated;
} PghaMetricFacts;

/* the response body (palloc'd) */
extern char *pgha_metrics_text(const PghaMetricFacts *f);

#endif							/* PGHA_METRICS_H */
