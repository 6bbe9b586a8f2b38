/*-------------------------------------------------------------------------
 *
 * api_docs.c
 *		The REST API's documents: GET /patroni, /metrics, /cluster, /history,
 *		and this node's facts the health endpoints answer from.
 *
 * Built from the shared state the HA worker publishes (never from etcd),
 * as Patroni shapes them.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_docs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "replication/walreceiver.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/timestamp.h"

#include "api.h"
#include "api_docs.h"
#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "guc.h"
#include "metrics.h"
#include "recover.h"
#include "shmem.h"
#include "write_gate.h"

/* this node's facts for the status rules, from the HA worker's state */
void
pgha_api_node_facts(const PghaSharedState *st, PghaApiNode *n, const PghaSharedMember **me)
{
	int			i;
	TimestampTz now = GetCurrentTimestamp();
	int			ttl = st->ttl > 0 ? st->ttl : 10;

	memset(n, 0, sizeof(*n));
	*me = NULL;
	for (i = 0; i < st->nmembers; i++)
		if (strcmp(st->members[i].name, pgha_node_name()) == 0)
			*me = &st->members[i];
	/* the HA worker starts once the server accepts connections */
	n->running = st->worker_pid != 0;
	n->worker_alive = st->worker_pid != 0 && st->last_decision != 0 &&
		!TimestampDifferenceExceeds(st->last_decision, now, ttl * 1000);
	/* live, not from the last iteration: /primary answers 200 the moment a promotion ends */
	n->in_recovery = RecoveryInProgress();
	n->is_leader = st->is_leader;
	n->lag = -1;
	n->tags = "{}";
	if (*me)
	{
		n->sync_standby = strcmp((*me)->role, "sync_standby") == 0;
		n->quorum_standby = strcmp((*me)->role, "quorum_standby") == 0;
		n->lag = (*me)->lag;
		n->tags = (*me)->tags;
	}
}

/* GET /patroni (and the body of every health endpoint) */
json_t *
pgha_api_patroni_doc(const PghaSharedState *st, const PghaApiNode *n, const PghaSharedMember *me)
{
	json_t	   *o = json_object();
	json_t	   *x = json_object();
	json_t	   *p = json_object();

	json_object_set_new(o, "state", json_string(n->running ? "running" : "starting"));
	json_object_set_new(o, "postmaster_start_time", json_string(timestamptz_to_str(PgStartTime)));
	json_object_set_new(o, "role", json_string(!n->in_recovery ? pgha_primary_role() :
											   me && strcmp(me->role, "standby_leader") == 0 ?
											   "standby_leader" : "replica"));
	json_object_set_new(o, "server_version", json_integer(PG_VERSION_NUM));
	if (n->in_recovery)
	{
		json_object_set_new(x, "received_location", json_integer(me ? (json_int_t) me->receive_lsn : 0));
		json_object_set_new(x, "replayed_location", json_integer(me ? (json_int_t) me->replay_lsn : 0));
		json_object_set_new(x, "paused", json_false());
	}
	else
		json_object_set_new(x, "location", json_integer((json_int_t) st->lsn));
	json_object_set_new(o, "xlog", x);
	json_object_set_new(o, "timeline", json_integer(st->timeline));
	json_object_set_new(o, "cluster_unlocked", json_boolean(st->leader[0] == '\0'));
	if (st->etcd_last_contact != 0)
		json_object_set_new(o, "dcs_last_seen",
							json_integer((json_int_t) timestamptz_to_time_t(st->etcd_last_contact)));
	json_object_set_new(o, "database_system_identifier",
						json_string(psprintf(UINT64_FORMAT, GetSystemIdentifier())));
	if (me && me->pending_restart)
		json_object_set_new(o, "pending_restart", json_true());
	if (n->sync_standby)
		json_object_set_new(o, "sync_standby", json_true());
	if (n->quorum_standby)
		json_object_set_new(o, "quorum_standby", json_true());
	if (st->paused)
		json_object_set_new(o, "pause", json_true());
	json_object_set_new(p, "version", json_string("pgha-" PGHA_API_VERSION));
	json_object_set_new(p, "scope", json_string(pgha_scope));
	json_object_set_new(p, "name", json_string(pgha_node_name()));
	json_object_set_new(o, "patroni", p);
	/* pgha's own: what the HA worker last decided, and why */
	json_object_set_new(o, "pgha", json_pack("{s:s, s:s, s:s}", "state", st->state,
											 "rule", st->last_rule, "reason", st->last_reason));
	return o;
}

static double
epoch_seconds(TimestampTz t)
{
	return t == 0 ? 0 : (double) (t - SetEpochTimestamp()) / USECS_PER_SEC;
}

/* GET /metrics: the same facts as /patroni, and the HA worker's */
char *
pgha_api_metrics_body(const PghaSharedState *st, const PghaApiNode *n, const PghaSharedMember *me)
{
	PghaMetricFacts f;
	uint64		deadline = pg_atomic_read_u64(&pgha_shared->write_deadline_ms);
	int64		now = pgha_now_us() / 1000;

	memset(&f, 0, sizeof(f));
	f.scope = pgha_scope;
	f.name = pgha_node_name();
	f.version = 10000;			/* 1.0.0, as Patroni pads 3.0.2 to 30002 */
	f.running = n->running;
	f.postmaster_start_time = epoch_seconds(PgStartTime);
	f.primary = !n->in_recovery;
	f.xlog_location = n->in_recovery ? 0 : st->lsn;
	f.replica = n->in_recovery;
	f.standby_leader = n->in_recovery && n->is_leader;
	f.sync_standby = n->sync_standby;
	f.quorum_standby = n->quorum_standby;
	if (n->in_recovery)
	{
		f.received_location = me ? me->receive_lsn : 0;
		f.replayed_location = me ? me->replay_lsn : 0;
		f.replayed_timestamp = epoch_seconds(GetLatestXTime());
		f.xlog_paused = GetRecoveryPauseState() != RECOVERY_NOT_PAUSED;
		/* live, as Patroni asks the server: the member record lags by a loop */
		f.streaming = WalRcvStreaming();
		f.in_archive_recovery = me && strcmp(me->state, "in archive recovery") == 0;
	}
	f.server_version = PG_VERSION_NUM;
	f.cluster_unlocked = st->leader[0] == '\0';
	f.failsafe_active = strcmp(st->state, "failsafe") == 0;
	f.failsafe_enabled = st->failsafe_mode;
	f.timeline = st->timeline;
	f.dcs_last_seen = epoch_seconds(st->etcd_last_contact);
	f.pending_restart = me && me->pending_restart;
	f.paused = st->paused;
	f.failover_priority = pgha_nofailover ? 0 : pgha_failover_priority;
	/* the gate as a commit would find it now (write_gate.c) */
	f.gate_open = !n->in_recovery && deadline != PGHA_GATE_UNPROVEN &&
		(deadline == 0 || now < (int64) deadline);
	f.fence_in_seconds = (st->is_leader && st->lease_deadline != 0) ?
		Max(0, (double) (st->lease_deadline - GetCurrentTimestamp()) / USECS_PER_SEC) : 0;
	f.worker_alive = n->worker_alive;
	f.iterations = st->iterations;
	f.last_decision = epoch_seconds(st->last_decision);
	f.rule = st->last_rule;
	f.action = st->last_action;
	f.config_revision = st->config_revision;
	f.etcd_reachable = st->etcd_reachable;
	f.etcd_members = st->etcd_members;
	f.etcd_members_answering = st->etcd_members_answered;
	f.etcd_failures_tolerated = st->etcd_failures_tolerated;
	return pgha_metrics_text(&f);
}

/* GET /cluster: the members as the HA worker last read them */
json_t *
pgha_api_cluster_doc(const PghaSharedState *st)
{
	json_t	   *o = json_object();
	json_t	   *arr = json_array();
	int			i;

	for (i = 0; i < st->nmembers; i++)
	{
		const PghaSharedMember *m = &st->members[i];
		json_error_t jerr;
		json_t	   *tags = json_loads(m->tags, 0, &jerr);
		json_t	   *row = json_object();

		json_object_set_new(row, "name", json_string(m->name));
		json_object_set_new(row, "role", json_string(m->role));
		json_object_set_new(row, "state", json_string(m->state));
		json_object_set_new(row, "host", json_string(m->host));
		json_object_set_new(row, "port", json_integer(m->port));
		json_object_set_new(row, "timeline", json_integer(m->timeline));
		if (strcmp(m->role, "leader") != 0 && strcmp(m->role, "standby_leader") != 0 && m->lag >= 0)
			json_object_set_new(row, "lag", json_integer(m->lag));
		if (m->pending_restart)
			json_object_set_new(row, "pending_restart", json_true());
		if (tags && json_object_size(tags) > 0)
			json_object_set_new(row, "tags", tags);
		else if (tags)
			json_decref(tags);
		json_array_append_new(arr, row);
	}
	json_object_set_new(o, "members", arr);
	json_object_set_new(o, "scope", json_string(pgha_scope));
	if (st->paused)
		json_object_set_new(o, "pause", json_true());
	return o;
}

/*
 * GET /history: the history key as the keeper last read it, from shared
 * memory.  Asking etcd here would let any HTTP client make this process
 * (and etcd: a TLS handshake and an authentication each time) do work per
 * request.  503 until the keeper has read the cluster once.
 */
json_t *
pgha_api_history_doc(int *status)
{
	char	   *doc = pgha_shmem_get_history();
	json_error_t jerr;
	json_t	   *h;

	*status = 503;
	if (doc == NULL)
		return NULL;
	h = json_loads(doc, 0, &jerr);
	pfree(doc);
	if (h == NULL || !json_is_array(h))
	{
		if (h)
			json_decref(h);
		h = json_array();
	}
	*status = 200;
	return h;
}
