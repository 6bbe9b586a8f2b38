/*-------------------------------------------------------------------------
 *
 * members.c
 *		This node's member record (what it publishes, and whether another
 *		instance runs under its name), and the restart and reinit requests
 *		addressed to it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/members.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>
#include "access/xact.h"
#include "access/xlog.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgwriter.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "datatype/timestamp.h"
#include "actions.h"
#include "apply.h"
#include "hba.h"
#include "compat.h"
#include "recover.h"
#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/decide.h"
#include "shared/keys.h"
#include "shared/hot_standby.h"
#include "shared/slots.h"
#include "shared/switchover.h"
#include "shared/timeline.h"
#include "guc.h"
#include "keeper.h"
#include "write_gate.h"
#include "local.h"
#include "orphans.h"
#include "probe.h"
#include "etcd_backend.h"
#include "failsafe.h"
#include "syncrep.h"
#include "keeper_int.h"

/* where the other nodes connect to this one */
static void
own_conn_url(char *buf, size_t len)
{
	if (pgha_connect_address[0] != '\0')
		snprintf(buf, len, "postgres://%s/%s", pgha_connect_address, pgha_database);
	else
		snprintf(buf, len, "postgres://127.0.0.1:%d/%s", PostPortNumber, pgha_database);
}

static void
fill_member(PghaMember *m, const PghaLocalDetail *local, const char *state)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->name, pgha_node_name(), sizeof(m->name));
	own_conn_url(m->conn_url, sizeof(m->conn_url));
	if (pgha_api_listen[0] != '\0')
	{
		/* Patroni's api_url: where HAProxy and friends find the REST API */
		const char *scheme = pgha_api_certfile[0] != '\0' ? "https" : "http";

		if (pgha_api_connect_address[0] != '\0')
			snprintf(m->api_url, sizeof(m->api_url), "%s://%s/patroni", scheme, pgha_api_connect_address);
		else
		{
			char		host[PGHA_HOST_LEN] = "127.0.0.1";
			const char *api_port = strrchr(pgha_api_listen, ':');

			if (pgha_connect_address[0] != '\0')
			{
				strlcpy(host, pgha_connect_address, sizeof(host));
				if (strrchr(host, ':'))
					*strrchr(host, ':') = '\0';
			}
			snprintf(m->api_url, sizeof(m->api_url), "%s://%s%s/patroni", scheme, host,
					 api_port ? api_port : ":8008");
		}
	}
	strlcpy(m->state, state, sizeof(m->state));
	/* Patroni's roles; a standby cluster's leader is its standby_leader */
	strlcpy(m->role, !local->base.in_recovery ? pgha_primary_role() :
			K.proof.is_leader && pgha_config_standby_cluster(&K.config) ? "standby_leader" : "replica", sizeof(m->role));
	if (local->base.in_recovery)
		strlcpy(m->replication_state, local->replication_state, sizeof(m->replication_state));
	m->timeline = local->base.timeline;
	m->xlog_location = local->base.lsn;
	m->receive_lsn = local->receive_lsn;
	m->replay_lsn = local->replay_lsn;
	m->nofailover = pgha_nofailover;
	m->failover_priority = pgha_failover_priority;
	m->noloadbalance = pgha_noloadbalance;
	m->clonefrom = pgha_clonefrom;
	m->nosync = pgha_nosync;
	m->sync_priority = pgha_sync_priority;
	strlcpy(m->replicatefrom, pgha_replicatefrom ? pgha_replicatefrom : "", sizeof(m->replicatefrom));
	m->nostream = pgha_nostream;
	snprintf(m->sysid, sizeof(m->sysid), UINT64_FORMAT, local->base.sysid);
	m->config_revision = Max(K.applied_revision, 0);
	m->pending_restart = K.pending_restart;
	strlcpy(m->pending_restart_reason, K.pending_reason, sizeof(m->pending_restart_reason));
	/* pghactl restart waits for a new start time, and restarts only supervised nodes */
	m->started_ms = PgStartTime / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
	m->supervised = getenv(PGHA_SUPERVISED_ENV) != NULL;
	strlcpy(m->instance, K.instance, sizeof(m->instance));
}

/* another running instance under our name: its lease, else 0 */
int64
name_conflict(const PghaCluster *cluster, const PghaLocal *local)
{
	char		conn_url[PGHA_HOST_LEN + 32];
	PghaSelf	self;

	own_conn_url(conn_url, sizeof(conn_url));
	self.name = pgha_node_name();
	self.instance = K.instance;
	self.conn_url = conn_url;
	self.lease = K.lease.id;
	self.old_lease = K.lease.old_id;
	self.adopt_unmarked = !K.member_put.published;
	self.timeline = local->timeline;
	self.lsn = local->lsn;
	return pgha_name_conflict(cluster, &self);
}

/*
 * pghactl restart / reinit: a "restart/<me>" or "reinit/<me>" request.
 * Taken by deleting it (guarded by its revision, so a newer request
 * survives), then a fast shutdown that pghactl run, the supervisor, follows
 * with a start (after replacing the data directory, for a reinit).  A
 * leader keeps its key over a restart: the restarted worker re-attaches to
 * it well within the ttl.  A leader is never reinitialized.
 */
/* take a request key of ours by deleting it, guarded by its revision */
static bool
take_request(PghaEtcd *etcd, const char *kind, int64 mod_revision)
{
	return pgha_etcd_delete_if_unchanged(etcd, psprintf("%s%s%s", K.prefix, kind, pgha_node_name()),
										 mod_revision);
}

void
handle_restart_request(PghaEtcd *etcd, PghaCluster *cluster)
{
	PghaMember *me = pgha_cluster_member(cluster, pgha_node_name());
	PghaRequestInput in;
	PghaRequestDecision d;

	if (me == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.reinit_requested = me->reinit_requested;
	in.restart_requested = me->restart_requested;
	in.restart_pending_only = me->restart_pending_only;
	if (me->restart_schedule[0] != '\0')
	{
		TimestampTz at;

		/* one that cannot be read is due: taken, and done now */
		in.restart_not_due = pgha_etcd_parse_time(me->restart_schedule, &at) &&
			GetCurrentTimestamp() < at;
	}
	in.restart_not_applicable = !pgha_restart_applies(me->restart_role, me->restart_postgres_version,
													  K.proof.is_leader, PG_VERSION_NUM);
	in.pending_restart = K.pending_restart;
	in.is_leader = K.proof.is_leader;
	in.sync_leader = pgha_cluster_sync_leads(cluster, K.config.synchronous_mode, pgha_node_name());
	in.supervised = getenv(PGHA_SUPERVISED_ENV) != NULL;
	pgha_decide_request(&in, &d);
	if (d.action == PGHA_REQ_NONE ||
		!take_request(etcd, d.reinit ? PGHA_KEY_REINIT : PGHA_KEY_RESTART,
					  d.reinit ? me->reinit_mod_revision : me->restart_mod_revision))
		return;

	switch (d.action)
	{
		case PGHA_REQ_NONE:
			break;
		case PGHA_REQ_REFUSE:
			ereport(WARNING,
					(errmsg("pgha refused a %s request: %s", d.reinit ? "reinit" : "restart", d.reason),
					 errhint("%s", d.hint)));
			break;
		case PGHA_REQ_SKIP:
			ereport(LOG, (errmsg("pgha: %s", d.reason)));
			break;
		case PGHA_REQ_REINIT:
			/* pghactl run finds the marker, empties the directory and clones */
			if (!pgha_action_leave_marker(PGHA_REINIT_MARKER))
				return;
			ereport(LOG,
					(errmsg("pgha: reinitializing on request (pghactl reinit): fast shutdown"),
					 errdetail("pghactl run replaces the data directory with a copy of the leader.")));
			pgha_action_shutdown_fast();
			break;
		case PGHA_REQ_RESTART:
			ereport(LOG,
					(errmsg("pgha: restarting on request (pghactl restart): fast shutdown"),
					 errdetail("pghactl run starts PostgreSQL again%s.",
							   K.proof.is_leader ? "; this leader keeps its key" : "")));
			K.restarting = true;
			/* for the on_restart callback; a restart without it is still a restart */
			(void) pgha_action_leave_marker(PGHA_RESTART_MARKER);
			pgha_action_shutdown_fast();
			break;
	}
}

bool
publish_member(PghaEtcd *etcd, PghaCluster *cluster, const PghaLocalDetail *local,
			   const char *state)
{
	PghaMember	m;
	const PghaMember *was = pgha_cluster_member(cluster, pgha_node_name());
	char	   *json;
	bool		ok;

	if (K.lease.id == 0)
		return false;
	fill_member(&m, local, state);
	/* a scheduled restart of ours, shown as Patroni shows it */
	if (was && was->restart_requested && was->restart_schedule[0] != '\0')
	{
		strlcpy(m.restart_schedule, was->restart_schedule, sizeof(m.restart_schedule));
		strlcpy(m.restart_postgres_version, was->restart_postgres_version,
				sizeof(m.restart_postgres_version));
	}
	json = pgha_member_to_json(&m);
	if (json == NULL)
		return false;

	/* only when something changed, or the key is gone (shared/member.c) */
	if (!pgha_member_put_due(&K.member_put, json, K.lease.id, was, now_ms()))
	{
		free(json);
		return true;
	}
	ok = pgha_etcd_put(etcd, K.member_key, json, K.lease.id, NULL);
	if (!ok)
	{
		if (etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
			pgha_lease_lost(&K.lease);
		log_etcd_problem(etcd, "publish this member");
		free(json);
		return false;
	}
	pgha_member_put_done(&K.member_put, json, K.lease.id, now_ms());
	return true;
}
