/*-------------------------------------------------------------------------
 *
 * lease.c
 *		The lease protocol: keepalives, the leader key, the cluster read,
 *		and etcd's health as this node sees it.
 *
 * - One lease per node, TTL = ttl, carrying its member key and, on the
 *   leader, the leader key.  Every put of those keys names the lease (a
 *   put without it would detach the key and make it permanent).
 * - Each iteration sends a keepalive.  A keepalive alone proves nothing
 *   about quorum, so the leader's renewal is keepalive + a transaction
 *   that rewrites "leader" only if it still names this node (a raft
 *   write), or a linearizable read that shows the key with our lease
 *   (docs/reference/etcd-v3-json.md).
 * - The leader's etcd calls get no more time than it has left before its
 *   fence deadline, so a hung etcd cannot hold it past it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/lease.c
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

void
pgha_keeper_reset_connection(void)
{
	/* the watch belonged to the old client; the lease belongs to etcd */
}

/*
 * Give etcd calls no more time than the leader has before it must fence:
 * each try of an endpoint gets a share, and all the calls of the
 * iteration together end by the deadline.
 */
void
set_call_budget(PghaEtcd *etcd)
{
	PghaLeaseClock lc = lease_clock();
	int64		deadline_ms;

	etcd->timeout_ms = pgha_lease_call_timeout(&lc, K.proof.is_leader, now_ms(), etcd->nurls,
											   pgha_etcd_timeout, &deadline_ms);
	etcd->deadline_us = deadline_ms * 1000;
}

void
log_etcd_problem(PghaEtcd *etcd, const char *what)
{
	ereport(LOG,
			(errmsg("pgha could not %s in etcd", what),
			 errdetail_internal("%s: %s", pgha_etcd_err_name(etcd->err), etcd->errmsg)));
}

/*
 * Make sure we have a lease with the configured TTL and send its
 * keepalive, the calls one at a time as shared/lease_steps.c says.  False:
 * etcd failed.
 */
bool
keeper_lease(PghaEtcd *etcd)
{
	pgha_lease_begin(&K.lease, K.config.ttl, now_ms());
	for (;;)
	{
		int64		id = 0;
		int64		ttl = 0;
		bool		ok = false;

		switch (pgha_lease_next(&K.lease))
		{
			case PGHA_LEASE_DONE:
				return K.lease.keepalive_ok;
			case PGHA_LEASE_KEEPALIVE_OLD:
				ok = pgha_etcd_lease_keepalive(etcd, K.lease.old_id, &ttl);
				break;
			case PGHA_LEASE_GRANT:
				ok = pgha_etcd_lease_grant(etcd, K.config.ttl, &id, &ttl);
				break;
			case PGHA_LEASE_KEEPALIVE:
				ok = pgha_etcd_lease_keepalive(etcd, K.lease.id, &ttl);
				if (!ok && etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
					ereport(LOG,
							(errmsg("pgha lease %lld expired, taking a new one", (long long) K.lease.id)));
				break;
		}
		pgha_lease_answer(&K.lease, ok ? PGHA_LEASE_ANSWERED :
						  etcd->err == PGHA_ETCD_LEASE_NOT_FOUND ? PGHA_LEASE_NOT_FOUND : PGHA_LEASE_FAILED,
						  id, ttl, K.config.ttl, now_ms());
	}
}

/* our keys now sit on the new lease: let the old one go */
void
retire_old_lease(PghaEtcd *etcd)
{
	if (K.lease.old_id == 0)
		return;
	if (pgha_etcd_lease_revoke(etcd, K.lease.old_id) || etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
		pgha_lease_retired(&K.lease);
}

static void take_cluster(const PghaEtcdRange *r, PghaCluster *cluster);

/* a quorum read of the prefix, which the watch's cache then continues */
bool
read_cluster(PghaEtcd *etcd, PghaCluster *cluster)
{
	PghaEtcdRange r;
	int64		sent = now_ms();

	if (!pgha_etcd_range(etcd, K.prefix, true, &r))
		return false;
	K.cache_was_behind = pgha_cache_behind(&K.cache, &r);
	pgha_cache_load(&K.cache, &r, sent);
	take_cluster(&r, cluster);
	return true;
}

/* the cluster as the watch's cache holds it (cluster_cache.h: when) */
void
cluster_from_cache(PghaCluster *cluster)
{
	PghaEtcdRange r;

	pgha_cache_as_range(&K.cache, &r);
	take_cluster(&r, cluster);
}

/* the cluster a read (or the cache) shows, and what the keeper keeps of it */
static void
take_cluster(const PghaEtcdRange *r, PghaCluster *cluster)
{
	char		err[256];

	pgha_cluster_from_range(K.prefix, r, cluster, err, sizeof(err));

	if (cluster->has_config)
	{
		K.config = cluster->config;
		K.config_known = true;
		save_config(cluster);
		/* read as Patroni reads it, but said: once per revision */
		if (cluster->config_notes.text[0] != '\0' &&
			K.config_noted_revision != cluster->config.mod_revision)
			ereport(cluster->config.pause && cluster->config.standby_cluster ?
					WARNING : LOG,
					(errmsg("pgha: the cluster config has values pgha coerced or adjusted, or settings it does not implement"),
					 errdetail("%s.", cluster->config_notes.text),
					 errhint("pgha.status() shows this in config_warnings.")));
		K.config_noted_revision = cluster->config.mod_revision;
	}
	else if (cluster->config_error[0] != '\0')
	{
		/*
		 * Keep the last valid config; with none since this server started,
		 * act as paused: a config pgha cannot read may well be a paused one,
		 * and the defaults would lift the pause.
		 */
		if (!K.config_known)
		{
			pgha_config_defaults(&K.config);
			K.config.pause = true;
		}
		if (K.config_warned_revision != cluster->config.mod_revision)
		{
			ereport(WARNING,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pgha ignores the invalid config in etcd"),
					 errdetail("%s", cluster->config_error),
					 K.config_known ?
					 errhint("Fix the \"%s\" key; the last valid config stays in force.",
							 K.config_key) :
					 errhint("Fix the \"%s\" key. No valid config was read since this server started: pgha acts as paused (no failover, no fencing) until then.",
							 K.config_key)));
			K.config_warned_revision = cluster->config.mod_revision;
		}
	}
	/*
	 * No config key: the defaults, but a standby cluster stays one (a
	 * deleted key must not promote it beside its remote primary; Patroni
	 * keeps the last config too).  Remove the section to promote it.
	 */
	else if (!(K.config_known && K.config.standby_cluster))
	{
		pgha_config_defaults(&K.config);
		K.config_known = true;
		save_config(cluster);
	}

	K.foreign = cluster->has_initialize && cluster->initialize[0] != '\0' &&
		strtoull(cluster->initialize, NULL, 10) != GetSystemIdentifier();
	strlcpy(K.leader_seen, cluster->has_leader ? cluster->leader : "", sizeof(K.leader_seen));
	K.leader_lease_seen = cluster->has_leader ? cluster->leader_lease : 0;
	if (cluster->has_leader)
		strlcpy(K.last_leader, cluster->leader, sizeof(K.last_leader));

	if (cluster->nbad_members > 0)
		ereport(DEBUG1, (errmsg("pgha ignores %d invalid member keys", cluster->nbad_members),
						 errdetail("%s", cluster->member_error)));
}

/* leader key: create if absent (acquire, race) or rewrite if mine (renew) */
bool
leader_txn(PghaEtcd *etcd, bool create, bool *succeeded)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;

	/* a leader key without a lease would never expire */
	if (K.lease.id == 0)
		return false;
	/* a leader's failsafe ping since the decision holds this node back */
	if (create && !pgha_failsafe_claim((int64) K.config.ttl * 1000))
	{
		ereport(LOG,
				(errmsg("pgha: not taking the leader key: a leader asked this node to vouch for it"),
				 errdetail("The ping came after the decision (failsafe_mode); this node keeps its promise for a ttl, its own (%d s) or the leader's, the longer.",
						   K.config.ttl)));
		*succeeded = false;
		return true;
	}
	memset(&t, 0, sizeof(t));
	if (create)
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_CREATE, 0, NULL);
	else
	{
		/* ours by value and by the lease the read found it on (name_conflict) */
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_LEASE, K.leader_lease_seen, NULL);
	}
	pgha_etcd_txn_put(&t, K.leader_key, pgha_node_name(), K.lease.id);
	/*
	 * A failed take stays claimed until the next iteration: it may have been
	 * applied, its answer lost
	 */
	if (!pgha_etcd_txn(etcd, &t, &r))
	{
		if (etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
			pgha_lease_lost(&K.lease);
		return false;
	}
	*succeeded = r.succeeded;
	if (r.succeeded)
		K.leader_on_current_lease = true;
	return true;
}

/*
 * A key only the leader writes (status, history, failsafe), put (value) or deleted
 * (NULL) in one transaction with "the leader key is still ours, on the
 * lease this iteration proved it on": a write that lands late (held up in
 * a frozen etcd member, or sent by a worker that stood still past its
 * fence deadline) after another member took the key changes nothing.
 * *written: the key was written; false: etcd failed (the outcome unknown).
 */
bool
leader_write(PghaEtcd *etcd, const char *key, const char *value, bool *written)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;

	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_LEASE,
						K.leader_on_current_lease ? K.lease.id : K.leader_lease_seen, NULL);
	if (value != NULL)
		pgha_etcd_txn_put(&t, key, value, 0);
	else
		pgha_etcd_txn_delete(&t, key);
	*written = false;
	if (!pgha_etcd_txn(etcd, &t, &r))
		return false;
	*written = r.succeeded;
	return true;
}

/* how: what happened; why: the decision's reason, or NULL */
void
become_leader(const char *how, const char *why)
{
	bool		was = K.proof.is_leader;

	pgha_proof_took_key(&K.proof);
	/* the previous leader's list of retained slots is read again */
	if (!was)
		K.retention_loaded = false;
	/*
	 * Before the gate first opens: a later fence of this data directory
	 * must not leave the marker of one that never led (actions.h).  If it
	 * cannot be written, this worker still knows.
	 */
	if (K.lease.keepalive_ok && !K.has_led)
	{
		(void) pgha_action_leave_marker_durably(PGHA_LED_MARKER);
		K.has_led = true;
	}
	/* this iteration's keepalive, then the key taken or shown ours: proven, after the marker */
	if (K.lease.keepalive_ok)
		pgha_proof_renewed(&K.proof, K.lease.keepalive_sent_ms);
	/* before pg_promote() can open the node for writes */
	publish_write_gate();
	if (!was)
		ereport(LOG,
				(errmsg("pgha: this node is the leader"),
				 errdetail("%s; lease %lld, ttl %d s.%s%s", how, (long long) K.lease.id,
						   effective_lease_ttl(), why ? " " : "", why ? why : "")));
}

/*
 * Without the key nothing is proven any more: the write gate closes at
 * once and stays closed until the worker holds the key again.  A promotion
 * this node asked for may still complete (pg_promote() cannot be taken
 * back); it must end on a primary that refuses commits.
 */
void
lose_leadership(const char *why)
{
	if (K.proof.is_leader)
		ereport(LOG,
				(errmsg("pgha: this node lost the leader key"),
				 errdetail("%s", why)));
	pgha_proof_let_go(&K.proof);
	save_keeper_state();

	/*
	 * A promotion asked for while holding the key is withdrawn if the
	 * startup process has not acted on it: completed, it would end on a
	 * second timeline with the id the new leader's promotion takes.
	 */
	if (pgha_promotion_pending(&K.promotion) && RecoveryInProgress() &&
		withdraw_promotion())
		ereport(LOG,
				(errmsg("pgha: withdrew the promotion this node had asked for"),
				 errdetail("The startup process had not taken the request (if it ever reached PostgreSQL) when the key was lost.")));
}

/*
 * Every pgha.etcd_health_interval: how many etcd members may still fail
 * before quorum is lost (N = 2F + 1).  At 0 the next etcd failure stops
 * every automatic action, and a leader would fence: say so loudly.  Off,
 * the numbers are unknown rather than old.  The leader asks, for the
 * cluster: every member asking cost etcd as many requests as all else
 * the replicas send (docs/benchmarks.md, "Scale").
 */
void
check_etcd_health(PghaEtcd *etcd, PghaSharedState *st)
{
	PghaEtcdMember *members;
	int			n;
	int			reachable = 0;
	int			tolerated;
	int			i;

	if (pgha_etcd_health_interval == 0 || !K.proof.is_leader)
	{
		st->etcd_members = 0;
		st->etcd_members_answered = 0;
		st->etcd_failures_tolerated = -1;
		K.etcd_tolerated = -1;
		K.next_etcd_health_ms = 0;
		return;
	}
	if (now_ms() < K.next_etcd_health_ms)
		return;
	K.next_etcd_health_ms = now_ms() + (int64) pgha_etcd_health_interval * 1000;
	if (!pgha_etcd_member_list(etcd, &members, &n) || n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		PghaEtcdStatus es;

		if (members[i].client_url && pgha_etcd_status(etcd, members[i].client_url, &es))
			reachable++;
	}
	tolerated = reachable - pgha_etcd_quorum(n);
	if (tolerated <= 0 && (K.etcd_tolerated != tolerated))
		ereport(WARNING,
				(errmsg("pgha: the etcd cluster tolerates no further member failure"),
				 errdetail("%d of %d etcd members answer; quorum needs %d.", reachable, n, pgha_etcd_quorum(n)),
				 errhint("Bring the failed etcd members back: with one more failure no failover "
						 "can happen and the leader fences itself.")));
	else if (tolerated > 0 && K.etcd_tolerated >= 0 && K.etcd_tolerated <= 0)
		ereport(LOG,
				(errmsg("pgha: the etcd cluster tolerates %d member failures again", tolerated)));
	K.etcd_tolerated = tolerated;
	st->etcd_members = n;
	st->etcd_members_answered = reachable;
	st->etcd_failures_tolerated = tolerated;
}
