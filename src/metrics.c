/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		GET /metrics: Prometheus' text format, with Patroni's metric names,
 *		help texts and labels, so that dashboards and alerts written for
 *		Patroni work unchanged; then pgha's own metrics (the write gate,
 *		the fence deadline, the last decision, etcd's health).
 *
 * Only formatting: api.c gathers the facts (PghaMetricFacts) from the
 * shared state the HA worker publishes and from the server itself.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "metrics.h"

/* a label value: backslash, double quote and newline escaped */
static void
append_label(StringInfo buf, const char *name, const char *value)
{
	appendStringInfo(buf, "%s=\"", name);
	for (; *value; value++)
	{
		if (*value == '\\' || *value == '"')
			appendStringInfoChar(buf, '\\');
		if (*value == '\n')
			appendStringInfoString(buf, "\\n");
		else
			appendStringInfoChar(buf, *value);
	}
	appendStringInfoChar(buf, '"');
}

static void
metric(StringInfo buf, const char *labels, const char *name, const char *type,
	   const char *help, double value)
{
	appendStringInfo(buf, "# HELP %s %s\n# TYPE %s %s\n%s%s %.17g\n",
					 name, help, name, type, name, labels, value);
}

char *
pgha_metrics_text(const PghaMetricFacts *f)
{
	StringInfoData buf;
	StringInfoData lb;
	StringInfoData rule;
	const char *l;

	initStringInfo(&lb);
	appendStringInfoChar(&lb, '{');
	append_label(&lb, "scope", f->scope);
	appendStringInfoChar(&lb, ',');
	append_label(&lb, "name", f->name);
	appendStringInfoChar(&lb, '}');
	l = lb.data;

	initStringInfo(&buf);
	/* Patroni's, in Patroni's order */
	metric(&buf, l, "patroni_version", "gauge", "Patroni semver without periods.", f->version);
	metric(&buf, l, "patroni_postgres_running", "gauge",
		   "Value is 1 if Postgres is running, 0 otherwise.", f->running);
	metric(&buf, l, "patroni_postmaster_start_time", "gauge",
		   "Epoch seconds since Postgres started.", f->postmaster_start_time);
	metric(&buf, l, "patroni_primary", "gauge",
		   "Value is 1 if this node is the leader, 0 otherwise.", f->primary);
	metric(&buf, l, "patroni_xlog_location", "counter",
		   "Current location of the Postgres transaction log, 0 if this node is not the leader.",
		   (double) f->xlog_location);
	metric(&buf, l, "patroni_standby_leader", "gauge",
		   "Value is 1 if this node is the standby_leader, 0 otherwise.", f->standby_leader);
	metric(&buf, l, "patroni_replica", "gauge",
		   "Value is 1 if this node is a replica, 0 otherwise.", f->replica);
	metric(&buf, l, "patroni_sync_standby", "gauge",
		   "Value is 1 if this node is a sync standby, 0 otherwise.", f->sync_standby);
	metric(&buf, l, "patroni_quorum_standby", "gauge",
		   "Value is 1 if this node is a quorum standby, 0 otherwise.", f->quorum_standby);
	metric(&buf, l, "patroni_xlog_received_location", "counter",
		   "Current location of the received Postgres transaction log, 0 if this node is not a replica.",
		   (double) f->received_location);
	metric(&buf, l, "patroni_xlog_replayed_location", "counter",
		   "Current location of the replayed Postgres transaction log, 0 if this node is not a replica.",
		   (double) f->replayed_location);
	metric(&buf, l, "patroni_xlog_replayed_timestamp", "gauge",
		   "Current timestamp of the replayed Postgres transaction log, 0 if null.",
		   f->replayed_timestamp);
	metric(&buf, l, "patroni_xlog_paused", "gauge",
		   "Value is 1 if the Postgres xlog is paused, 0 otherwise.", f->xlog_paused);
	metric(&buf, l, "patroni_postgres_streaming", "gauge",
		   "Value is 1 if Postgres is streaming, 0 otherwise.", f->streaming);
	metric(&buf, l, "patroni_postgres_in_archive_recovery", "gauge",
		   "Value is 1 if Postgres is replicating from archive, 0 otherwise.", f->in_archive_recovery);
	metric(&buf, l, "patroni_postgres_server_version", "gauge",
		   "Version of Postgres (if running), 0 otherwise.", f->server_version);
	metric(&buf, l, "patroni_cluster_unlocked", "gauge",
		   "Value is 1 if the cluster is unlocked, 0 if locked.", f->cluster_unlocked);
	metric(&buf, l, "patroni_failsafe_mode_is_active", "gauge",
		   "Value is 1 if failsafe mode is active, 0 if inactive.", f->failsafe_active);
	metric(&buf, l, "patroni_failsafe_mode_enabled", "gauge",
		   "Value is 1 if failsafe_mode is enabled, 0 otherwise.", f->failsafe_enabled);
	metric(&buf, l, "patroni_postgres_timeline", "gauge",
		   "Postgres timeline of this node (if running), 0 otherwise.", f->timeline);
	metric(&buf, l, "patroni_dcs_last_seen", "gauge",
		   "Epoch timestamp when DCS was last contacted successfully by Patroni.", f->dcs_last_seen);
	metric(&buf, l, "patroni_pending_restart", "gauge",
		   "Value is 1 if the node needs a restart, 0 otherwise.", f->pending_restart);
	metric(&buf, l, "patroni_is_paused", "gauge",
		   "Value is 1 if auto failover is disabled, 0 otherwise.", f->paused);
	/* Patroni 4.1's numbering: 5 running, 6 starting */
	metric(&buf, l, "patroni_postgres_state", "gauge",
		   "Numeric representation of Postgres state.", f->running ? 5 : 6);
	metric(&buf, l, "patroni_failover_priority", "gauge",
		   "Failover priority of this node.", f->failover_priority);

	/* pgha's own */
	metric(&buf, l, "pgha_write_gate_open", "gauge",
		   "Value is 1 if this primary may commit writes now (a proven lease, or a pause), 0 otherwise.",
		   f->gate_open);
	metric(&buf, l, "pgha_fence_deadline_seconds", "gauge",
		   "Seconds until this leader fences without a renewal, 0 if it is not the leader.",
		   f->fence_in_seconds);
	metric(&buf, l, "pgha_worker_running", "gauge",
		   "Value is 1 if the HA worker decided within the ttl, 0 otherwise.", f->worker_alive);
	metric(&buf, l, "pgha_worker_iterations_total", "counter",
		   "Loop iterations the HA worker completed.", (double) f->iterations);
	metric(&buf, l, "pgha_last_decision_timestamp", "gauge",
		   "Epoch timestamp of the HA worker's last decision.", f->last_decision);
	initStringInfo(&rule);
	appendStringInfo(&rule, "%.*s,", (int) strlen(l) - 1, l);
	append_label(&rule, "rule", f->rule);
	appendStringInfoChar(&rule, ',');
	append_label(&rule, "action", f->action);
	appendStringInfoChar(&rule, '}');
	metric(&buf, rule.data, "pgha_last_decision", "gauge",
		   "The HA worker's last decision: its rule and action as labels, value 1.", 1);
	metric(&buf, l, "pgha_config_revision", "gauge",
		   "The config key's revision this node applied.", (double) f->config_revision);
	metric(&buf, l, "pgha_etcd_reachable", "gauge",
		   "Value is 1 if etcd answered the HA worker's last iteration, 0 otherwise.", f->etcd_reachable);
	metric(&buf, l, "pgha_etcd_members", "gauge",
		   "Members of the etcd cluster, 0 if unknown.", f->etcd_members);
	metric(&buf, l, "pgha_etcd_members_answering", "gauge",
		   "etcd members that answered the last health check.", f->etcd_members_answering);
	metric(&buf, l, "pgha_etcd_failures_tolerated", "gauge",
		   "etcd members that may fail before etcd loses its quorum, -1 if unknown.",
		   f->etcd_failures_tolerated);
	return buf.data;
}
