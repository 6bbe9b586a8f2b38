/*-------------------------------------------------------------------------
 *
 * act.c
 *		Carrying out a decision (follow, fence, switchover, promote, ...)
 *		and the inputs decide() gets from peers and switchover requests.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/act.c
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
probe_peers(const PghaCluster *cluster, PghaInput *in, PghaPeer *peers)
{
	int			i;
	int			n = 0;

	pgstat_report_activity(STATE_RUNNING, "asking the other members for their WAL position");
	for (i = 0; i < cluster->nmembers; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (strcmp(m->name, pgha_node_name()) == 0 || m->foreign)
			continue;
		pgha_probe_member(m, &peers[n]);
		ereport(DEBUG1,
				(errmsg("pgha probed \"%s\": %s, %X/%X", m->name,
						peers[n].reachable ? (peers[n].in_recovery ? "standby" : "primary") : "unreachable",
						(unsigned) (peers[n].lsn >> 32), (unsigned) peers[n].lsn)));
		n++;
	}
	in->peers = peers;
	in->npeers = n;
	in->peers_probed = true;
}

/*
 * What this node's primary_conninfo says to stream from member m (connect
 * timeout 2 s), and its own slot name there: following, fencing and a
 * switchover all point the node the same way.
 */
static char *
conninfo_toward(const PghaMember *m, char *slot)
{
	pgha_slot_name(pgha_node_name(), slot, PGHA_NAME_LEN);
	return pgha_conninfo(m, false, 2);
}

/*
 * primary_conninfo toward the remote primary of the config's
 * standby_cluster section; "" for a section of the archive alone (no
 * stream: the node's own restore_command)
 */
static char *
remote_conninfo(void)
{
	PghaMember	remote;

	if (K.config.standby_host[0] == '\0')
		return "";
	memset(&remote, 0, sizeof(remote));
	strlcpy(remote.host, K.config.standby_host, sizeof(remote.host));
	remote.port = K.config.standby_port;
	return pgha_conninfo(&remote, false, 2);
}

/* a standby leader: stream from the remote primary the config names */
static void
follow_remote(void)
{
	if (pgha_action_follow(remote_conninfo(), K.config.standby_slot))
		ereport(LOG,
				(errmsg("pgha: standby leader replicating from %s", pgha_config_standby_source(&K.config)),
				 errdetail("The config's standby_cluster section names it; primary_slot_name is \"%s\".",
						   K.config.standby_slot)));
	if (pgha_action_apply_delay(K.config.standby_apply_delay) && K.config.standby_apply_delay[0])
		ereport(LOG,
				(errmsg("pgha: standby leader replaying with recovery_min_apply_delay = %s",
						K.config.standby_apply_delay),
				 errdetail("The config's standby_cluster section sets it.")));
}

/*
 * Patroni's demote-cluster: the config made this cluster a standby cluster
 * while this node runs as its primary.  The gate shuts (nothing is
 * acknowledged from here on), its next start is a standby of the remote
 * (primary_conninfo, the section's slot, standby.signal), and a fast
 * shutdown lets the walsenders send everything first.  No handover at the
 * shutdown: the leader key stays on this node, which renews it back as a
 * standby (rule standby_leader), as Patroni's demoted leader keeps its
 * lock; if the restart outlasts the ttl, another member becomes the
 * standby leader.
 */
static long
do_demote_cluster(void)
{
	/* no commit from here on, whatever the steps below take */
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	pg_memory_barrier();
	/*
	 * Not the leader of a primary cluster any more: no leader chores on the
	 * way down (the sync key stays as it was), no handover at the
	 * shutdown.  Back as a standby, the worker re-attaches to the key by
	 * its value (rule standby_leader).
	 */
	pgha_proof_let_go(&K.proof);
	save_keeper_state();
	pgha_action_prepare_switchover(remote_conninfo(), K.config.standby_slot);
	ereport(LOG,
			(errmsg("pgha: the config makes this cluster a standby cluster: this primary stops (fast shutdown)"),
			 errdetail("It starts again as a standby of %s (primary_slot_name \"%s\"), the standby leader if it still holds the leader key.",
					   pgha_config_standby_source(&K.config), K.config.standby_slot)));
	pgha_action_shutdown_fast();
	return 1000;
}

/*
 * Stream from the leader, or from the member replicatefrom names
 * (d->target); "" (nostream): from nobody.
 */
static void
do_follow(const PghaCluster *cluster, const PghaDecision *d)
{
	const PghaMember *upstream = pgha_cluster_member((PghaCluster *) cluster, d->target);
	bool		leader = strcmp(d->target, cluster->leader) == 0;
	char		slot[PGHA_NAME_LEN];
	char	   *conninfo;

	/* the standby_cluster section's delay is the standby leader's only */
	(void) pgha_action_apply_delay(NULL);
	if (d->target[0] == '\0')
	{
		/* set empty, not reset: postgresql.conf may name an upstream */
		if (pgha_action_follow("", ""))
			ereport(LOG,
					(errmsg("pgha: streaming from nobody (nostream)"),
					 errdetail("This standby replays WAL from the archive through its restore_command.")));
		return;
	}

	if (upstream == NULL || upstream->host[0] == '\0')
		return;					/* its member key is not published yet */
	conninfo = conninfo_toward(upstream, slot);
	if (pgha_action_follow(conninfo, slot))
		ereport(LOG,
				(errmsg(leader ? "pgha: following leader \"%s\"" :
						"pgha: streaming from \"%s\" (replicatefrom)", d->target),
				 errdetail("primary_conninfo points at %s:%d, primary_slot_name is \"%s\".",
						   upstream->host, upstream->port, slot)));
}

void
do_fence(const PghaCluster *cluster, const PghaDecision *d)
{
	const PghaMember *leader = NULL;

	/*
	 * No commit from here on, whatever the steps below take; and nothing
	 * proven any more, or the end of this iteration would publish the old
	 * deadline again.
	 */
	pgha_proof_withdraw(&K.proof);
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	/* a successor of a worker that dies below must not reopen it either */
	save_keeper_state();

	/*
	 * The signal before anything that may block on the disk, the log
	 * included (a log directory on a stalled volume blocks ereport()).
	 */
	pgha_action_fence_signal();
	log_decision(d);
	ereport(LOG,
			(errmsg("pgha: fencing this primary: immediate shutdown"),
			 errdetail_internal("%s", d->reason),
			 errhint("The node restarts as a standby with \"pghactl run\"; with pg_ctl: "
					 "rm $PGDATA/standby.signal, pg_rewind -D $PGDATA -R --source-server=<the new leader>, then pg_ctl start.")));
	/* another member leads (not: our lease ran out): follow it next time */
	if (cluster && cluster->has_leader && strcmp(cluster->leader, pgha_node_name()) != 0)
		leader = pgha_cluster_member((PghaCluster *) cluster, cluster->leader);
	if (leader && leader->host[0] != '\0')
	{
		char		slot[PGHA_NAME_LEN];

		pgha_action_fence_finish(conninfo_toward(leader, slot), slot, !K.has_led);
	}
	else
		pgha_action_fence_finish(NULL, NULL, !K.has_led);
	pgha_proof_let_go(&K.proof);
}

/*
 * The leader's half of a switchover: prepare to come back as the
 * candidate's standby, release the key (guarded by its value) with the
 * position it had flushed, then a fast shutdown.
 */
/*
 * After a release that did not say it succeeded: etcd may have applied it
 * and lost the answer (the retry on another endpoint then found the key
 * gone).  Only this leader's release writes this exact failover value (it
 * carries the release position), in the transaction that deletes the key:
 * if the value is there, the release happened.  The release's own error,
 * if any, stays in etcd for the caller to log.
 */
static bool
release_happened(PghaEtcd *etcd, const char *failover_value)
{
	PghaEtcdRange r;
	PghaEtcdKV *kv;
	PghaEtcdErr err = etcd->err;
	char		msg[sizeof(etcd->errmsg)];
	bool		happened;

	strlcpy(msg, etcd->errmsg, sizeof(msg));
	happened = pgha_etcd_range(etcd, K.failover_key, false, &r) &&
		(kv = pgha_etcd_range_get(&r, K.failover_key)) != NULL &&
		strcmp(kv->value, failover_value) == 0;
	etcd->err = err;
	strlcpy(etcd->errmsg, msg, sizeof(etcd->errmsg));
	return happened;
}

static long
do_switchover(PghaEtcd *etcd, const PghaCluster *cluster, const PghaDecision *d,
			  bool shut_down)
{
	const PghaMember *cand = pgha_cluster_member((PghaCluster *) cluster, d->target);
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		slot[PGHA_NAME_LEN];
	char	   *conninfo;
	StringInfoData fo;
	uint64		lsn;

	if (cand == NULL || cand->host[0] == '\0')
	{
		ereport(LOG,
				(errmsg("pgha refused the switchover to \"%s\"", d->target),
				 errdetail("The candidate has no member record.")));
		delete_failover_key(etcd, cluster);
		return -1;
	}
	ereport(LOG,
			(errmsg("pgha: switching over to \"%s\"", d->target),
			 errdetail_internal("%s", d->reason)));

	/* 1. while still leading: the next start is a standby of the candidate */
	conninfo = conninfo_toward(cand, slot);
	pgha_action_prepare_switchover(conninfo, slot);

	/*
	 * 2. let go of the key (guarded by its value) and record how far this
	 * leader had written: the candidate must get at least that far.  The
	 * gate shuts first: a commit acknowledged after this read of the flush
	 * position would lie beyond it (write_gate.c reads the gate again
	 * after the commit's flush, before the client hears of it).
	 */
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	pg_memory_barrier();
	/* where the WAL ends, not only what is flushed: synchronous_commit = off acknowledges before */
	lsn = GetXLogInsertRecPtr();
	XLogFlush(lsn);
	initStringInfo(&fo);
	appendStringInfoString(&fo, "{\"leader\":");
	escape_json(&fo, pgha_node_name());
	appendStringInfoString(&fo, ",\"member\":");
	escape_json(&fo, cand->name);
	/*
	 * The request's time, or now for one without (patronictl writes none):
	 * each member would otherwise time it from when it first saw it, and a
	 * member that restarted meanwhile would wait for the candidate after
	 * the others gave up on it (the simulator's seed 1796900423).
	 */
	appendStringInfoString(&fo, ",\"pgha_requested_at\":");
	escape_json(&fo, cluster->failover_requested_at[0] ? cluster->failover_requested_at :
				pgha_etcd_time(GetCurrentTimestamp()));
	appendStringInfo(&fo, ",\"pgha_release_lsn\":" UINT64_FORMAT "}", lsn);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
	pgha_etcd_txn_delete(&t, K.leader_key);
	pgha_etcd_txn_put(&t, K.failover_key, fo.data, 0);
	if ((!pgha_etcd_txn(etcd, &t, &r) || !r.succeeded) && !release_happened(etcd, fo.data))
	{
		if (etcd->err != PGHA_ETCD_OK)
			log_etcd_problem(etcd, "release the leader key");
		pgha_action_unprepare_switchover();

		/*
		 * Not released, or not known to be: the gate stays shut until the
		 * next iteration proves the lease again (a quorum read showing the
		 * key on our lease), never reopened on the old proof.
		 */
		pgha_proof_withdraw(&K.proof);
		save_keeper_state();
		return 200;
	}

	/* 3. from here on this node must stop: it no longer holds the key */
	pgha_proof_let_go(&K.proof);
	K.switching = true;
	save_keeper_state();
	ereport(LOG,
			(errmsg("pgha: released the leader key for the switchover; fast shutdown"),
			 errdetail("Flushed up to %X/%X; this node restarts as a standby of \"%s\" (%s:%d) without pg_rewind.",
					   LSN_FORMAT_ARGS(lsn), d->target, cand->host, cand->port)));
	/* a planned stop is under way already: a smart one stays smart */
	if (shut_down)
		pgha_action_shutdown_fast();
	return 1000;
}

/*
 * A planned stop of the leader: the postmaster is shutting down (pg_ctl
 * stop, systemctl stop, SIGTERM to pghactl run) and sent this worker its
 * SIGTERM.  Left alone, the key would outlive the server by up to a ttl
 * with no primary.  So the leader hands over as for a switchover, to the
 * standby a switchover without a named candidate would get (streaming,
 * not nofailover, a synchronous one in synchronous_mode, the furthest
 * ahead).  The candidate takes the key only once the old primary's
 * stream has ended, and a shutdown ends it only after the walsenders sent
 * the shutdown checkpoint: nothing acknowledged is lost, and this node
 * restarts as the candidate's standby without pg_rewind.  No handover when
 * paused (Patroni keeps the key too), or without a standby streaming now:
 * the last node of a cluster stopped member by member keeps the key and
 * comes back as the leader (rule startup_wait on the others), nor for a
 * restart this worker asked for (pghactl restart: the leader stays).  The
 * postmaster waits for this worker before its shutdown checkpoint, so all
 * of this runs on the iteration's etcd budget.
 */
void
pgha_keeper_planned_stop(PghaEtcd *etcd)
{
	PghaLocalDetail local;
	PghaCluster cluster;
	PghaDecision d;
	const PghaMember *cand = NULL;
	PghaSwitchoverCheck check;
	uint64		flush;
	char		slot[PGHA_NAME_LEN];

	pgha_local_snapshot(&local);
	if (!K.initialized || !K.proof.is_leader || K.switching || K.restarting || K.foreign ||
		local.base.in_recovery)
		return;
	memset(&cluster, 0, sizeof(cluster));
	set_call_budget(etcd);
	if (!read_cluster(etcd, &cluster))
	{
		log_etcd_problem(etcd, "read the cluster to hand the leader key over at shutdown");
		return;
	}
	if (!cluster.has_leader || strcmp(cluster.leader, pgha_node_name()) != 0)
		return;
	check = pgha_switchover_check(&cluster, NULL, true, &cand);
	if (check == PGHA_SW_OK)
	{
		pgha_slot_name(cand->name, slot, sizeof(slot));
		/* as for a switchover: streaming now, within maximum_lag_on_failover */
		if (!pgha_standby_streaming(cand->name, slot, &flush) ||
			local.base.lsn - Min(flush, local.base.lsn) > (uint64) K.config.maximum_lag_on_failover)
			check = PGHA_SW_NO_CANDIDATE;
	}
	if (check != PGHA_SW_OK)
	{
		ereport(LOG,
				(errmsg("pgha: the leader stops without handing over"),
				 errdetail("At shutdown: %s; the leader key expires within ttl (%d s).",
						   pgha_switchover_check_message(check), K.config.ttl)));
		return;
	}
	memset(&d, 0, sizeof(d));
	d.rule = "planned_stop";
	strlcpy(d.target, cand->name, sizeof(d.target));
	snprintf(d.reason, sizeof(d.reason),
			 "The server is shutting down (a planned stop) and \"%s\" streams from this leader.",
			 cand->name);
	/* the request goes stale counting from now, on every node alike */
	strlcpy(cluster.failover_requested_at, pgha_etcd_time(GetCurrentTimestamp()),
			sizeof(cluster.failover_requested_at));
	(void) do_switchover(etcd, &cluster, &d, false);
}

bool
pgha_keeper_leads(void)
{
	return K.proof.is_leader;
}

/* "pgha decision: rule (action)" when the deciding rule changed */
void
log_decision(const PghaDecision *d)
{
	if (strcmp(d->rule, K.last_rule) == 0)
		return;
	ereport(LOG,
			(errmsg("pgha decision: %s (%s)", d->rule, pgha_action_name(d->action)),
			 errdetail("%s", d->reason)));
	strlcpy(K.last_rule, d->rule, sizeof(K.last_rule));
}

/*
 * In synchronous mode, make the sync key ours before the gate opens or a
 * promotion is asked for (syncrep.h); false: not yet, try again.
 */
static bool
take_sync_key(PghaEtcd *etcd, const PghaCluster *cluster, bool promoting)
{
	return pgha_syncrep_take_key(etcd, K.prefix, cluster, &K.config, K.lease.id, promoting);
}

/*
 * The leader's guarded renewal.  false, with the wait before the next try,
 * when it did not prove the key: etcd failed (soon), or the key holds
 * another value (lost).
 */
static bool
renew_key(PghaEtcd *etcd, long *wait)
{
	bool		ok;

	/*
	 * This iteration's quorum read, sent after the keepalive, found the key
	 * ours on the live lease (observe()): that proves it as well as the
	 * guarded write, which would only rewrite the same value, a proposal
	 * etcd replicates and syncs to disk every loop of every cluster.  A key
	 * on another lease (after a ttl change) is written, to move it.  Past
	 * the fence deadline (the worker stood still after the read, longer
	 * than the lease may last) the read proves nothing any more: the
	 * guarded write decides.  (Past the deadline no call goes out at all,
	 * shared/etcd.c; the history and failsafe keys are written guarded
	 * anyway, leader_write().)
	 */
	if (K.leader_read_on_lease && now_ms() < pgha_keeper_fence_deadline_ms())
	{
		K.leader_on_current_lease = true;
		return true;
	}
	if (!leader_txn(etcd, false, &ok))
	{
		log_etcd_problem(etcd, "renew the leader key");
		*wait = 200;
		return false;
	}
	if (!ok)
	{
		lose_leadership("The guarded renewal found another value in the leader key.");
		*wait = 50;
		return false;
	}
	return true;
}

/* act on the decision; returns a wait override in ms (-1: none) */
long
act(PghaEtcd *etcd, const PghaInput *in, const PghaDecision *d,
	const PghaCluster *cluster, const PghaLocalDetail *local)
{
	bool		ok;
	long		wait;

	switch (d->action)
	{
		case PGHA_ACT_NONE:
		case PGHA_ACT_PROBE:
			if (K.proof.is_leader && in->etcd_ok && cluster &&
				(!cluster->has_leader || strcmp(cluster->leader, in->me) != 0))
				lose_leadership("The leader key no longer names this node.");
			return -1;

		case PGHA_ACT_BOOTSTRAP:
			if (!do_bootstrap(etcd, cluster, local))
				return 100;
			return -1;

		case PGHA_ACT_ACQUIRE:
			if (!leader_txn(etcd, true, &ok))
			{
				log_etcd_problem(etcd, "acquire the leader key");
				return 100;
			}
			if (!ok)
				return 100;
			/* the gate opens with become_leader(): the sync key is ours first */
			if (!take_sync_key(etcd, cluster, false))
				return 100;
			become_leader("Acquired the free leader key as the running primary", NULL);
			drop_old_failover_key(etcd, cluster, in);
			claim_initialize(etcd, cluster, local);
			return -1;

		case PGHA_ACT_RENEW:
			if (!renew_key(etcd, &wait))
				return wait;
			if (!take_sync_key(etcd, cluster, false))
				return 100;
			become_leader("Re-attached to the leader key", NULL);
			return -1;

		case PGHA_ACT_FENCE:
			do_fence(cluster, d);
			return 1000;

		case PGHA_ACT_FOLLOW:
			if (K.proof.is_leader)
				lose_leadership("This node runs as a standby.");
			do_follow(cluster, d);
			return -1;

		case PGHA_ACT_RACE:
			if (!leader_txn(etcd, true, &ok))
			{
				log_etcd_problem(etcd, "take the leader key");
				return 200;
			}
			if (!ok)
				return 50;		/* somebody else won: follow them next */
			/* one line for the role change: the reason goes into its DETAIL */
			become_leader("Won the leader race", d->reason);
			if (cluster->has_failover && strcmp(cluster->failover_member, in->me) == 0)
				K.clear_failover = true;
			else
				drop_old_failover_key(etcd, cluster, in);
			/* a standby cluster's new standby leader (rule standby_leader next) */
			if (pgha_config_standby_cluster(&in->config))
				return 50;
			/* not yet: promote_holder tries again next time */
			if (!take_sync_key(etcd, cluster, true))
				return 50;
			request_promotion(etcd, cluster, local);
			return 50;

		case PGHA_ACT_SWITCHOVER:
			return do_switchover(etcd, cluster, d, true);

		case PGHA_ACT_CANCEL_SWITCHOVER:
			ereport(LOG,
					(errmsg("pgha refused the switchover to \"%s\"", d->target),
					 errdetail_internal("%s", d->reason)));
			delete_failover_key(etcd, cluster);
			return -1;

		case PGHA_ACT_REJOIN:
			/*
			 * It cannot replay the leader's timeline, and what it serves
			 * includes transactions the cluster never kept: stop cleanly.
			 * pghactl run rewinds it and starts it as a standby.
			 */
			ereport(LOG,
					(errmsg("pgha: this standby diverged from the leader \"%s\"; fast shutdown for pg_rewind",
							d->target),
					 errdetail_internal("%s", d->reason),
					 errhint("pghactl run rewinds and restarts it; without pghactl: pg_rewind -D $PGDATA -R --source-server=<the leader>, then pg_ctl start.")));
			pgha_action_shutdown_fast();
			return 1000;

		case PGHA_ACT_DEMOTE_CLUSTER:
			return do_demote_cluster();

		case PGHA_ACT_STANDBY_LEADER:
			if (!renew_key(etcd, &wait))
				return wait;
			/*
			 * A promotion asked for before the section came (a failover
			 * race, a switchover) must not complete: a standby leader
			 * replicates, it never writes
			 */
			if (pgha_promotion_pending(&K.promotion) && withdraw_promotion())
				ereport(LOG,
						(errmsg("pgha: withdrew the promotion this node had asked for"),
						 errdetail("The config makes this cluster a standby cluster.")));
			become_leader("Holds the leader key of a standby cluster", NULL);
			follow_remote();
			return -1;

		case PGHA_ACT_PROMOTE:
			/* prove the key is ours, on our live lease, before promoting */
			if (!leader_txn(etcd, false, &ok))
			{
				log_etcd_problem(etcd, "renew the leader key");
				return 200;
			}
			if (!ok)
				return 50;
			become_leader("Holds the leader key as a standby", NULL);
			if (!take_sync_key(etcd, cluster, true))
				return 200;
			request_promotion(etcd, cluster, local);
			return 100;
	}
	return -1;
}

/*
 * The member key's state, in Patroni's vocabulary: PostgreSQL runs, as far
 * as the member key goes, whatever pgha itself is doing (paused, failsafe,
 * without etcd: pgha.status() says that); a node of another cluster says
 * so, and counts as unhealthy to every reader.
 */
const char *
member_state(const PghaDecision *d)
{
	return d->state == PGHA_STATE_SYSID_MISMATCH ? "sysid mismatch" : "running";
}

const char *
state_name(const PghaDecision *d)
{
	switch (d->state)
	{
		case PGHA_STATE_SYSID_MISMATCH:
			return "sysid mismatch";
		case PGHA_STATE_NO_ETCD:
			return "no etcd";
		case PGHA_STATE_PAUSED:
			return "paused";
		case PGHA_STATE_FAILSAFE:
			return "failsafe";
		case PGHA_STATE_DUPLICATE_NAME:
			return "duplicate name";
		default:
			return "running";
	}
}

void
switchover_inputs(const PghaCluster *cluster, const PghaLocalDetail *local, PghaInput *in)
{
	bool		leading = !local->base.in_recovery && cluster->has_leader &&
		strcmp(cluster->leader, pgha_node_name()) == 0;
	PghaSwitchoverTimes t;
	PghaSwitchoverTiming w;

	/* its times as PostgreSQL reads them; when it is due or stale: shared/switchover.c */
	memset(&t, 0, sizeof(t));
	if (cluster->has_failover && cluster->failover_scheduled_at[0])
	{
		TimestampTz at = 0;

		t.scheduled = true;
		t.scheduled_ok = pgha_etcd_parse_time(cluster->failover_scheduled_at, &at);
		t.scheduled_at = at;
	}
	else if (cluster->has_failover && cluster->failover_requested_at[0])
	{
		TimestampTz at = 0;

		/* unreadable: unknown (the parser may have written something) */
		if (pgha_etcd_parse_time(cluster->failover_requested_at, &at))
			t.requested_at = at;
	}
	pgha_switchover_timing(&K.switchover_seen, cluster->has_failover, cluster->failover_mod_revision,
						   &t, K.config.ttl, now_ms(), GetCurrentTimestamp(), &w);
	in->switchover_due = w.due;
	in->switchover_stale = w.stale;
	in->switchover_unreadable = w.unreadable;

	if (leading && in->switchover_due && !in->switchover_stale)
	{
		uint64		flush;
		char		slot[PGHA_NAME_LEN];

		pgha_slot_name(cluster->failover_member, slot, sizeof(slot));
		in->candidate_streaming =
			pgha_standby_streaming(cluster->failover_member, slot, &flush) &&
			local->base.lsn - Min(flush, local->base.lsn) <= (uint64) K.config.maximum_lag_on_failover;
	}
}

/*
 * The switchover request as read, and only that one: a newer request, or
 * a leader's handover record written since, stays (a delete of ours held
 * up on the way lands after them).  True: gone.
 */
bool
delete_failover_key(PghaEtcd *etcd, const PghaCluster *cluster)
{
	if (!cluster->has_failover)
		return true;
	if (pgha_etcd_delete_if_unchanged(etcd, pgha_key(K.prefix, PGHA_KEY_FAILOVER),
									  cluster->failover_mod_revision))
		return true;
	if (etcd->err != PGHA_ETCD_OK)
		log_etcd_problem(etcd, "delete the switchover request");
	return false;
}

/*
 * A new term begins: a switchover request from an earlier one (a handover
 * by a former leader, with its release position) would otherwise still
 * read as a fresh handover if this leader dies, and let its candidate take
 * over without the failover checks.  Deleted only as it was read.
 */
void
drop_old_failover_key(PghaEtcd *etcd, const PghaCluster *cluster, const PghaInput *in)
{
	char	   *key = pgha_key(K.prefix, PGHA_KEY_FAILOVER);
	PghaEtcdTxn t;
	PghaEtcdTxnResult res;

	if (!cluster->has_failover)
		return;

	/*
	 * A switchover scheduled for later, that this leader may carry out and
	 * no leader has begun (no release position), stays: the DBA asked for
	 * it, and it is no handover of an earlier term.
	 */
	if (cluster->failover_scheduled_at[0] != '\0' && !in->switchover_due &&
		!in->switchover_unreadable && cluster->failover_release_lsn == 0 &&
		(cluster->failover_leader[0] == '\0' || strcmp(cluster->failover_leader, in->me) == 0))
		return;
	ereport(LOG,
			(errmsg("pgha: deleting a switchover request to \"%s\" of an earlier term", cluster->failover_member),
			 errdetail("This node took the leader key%s%s.",
					   cluster->failover_scheduled_at[0] ? "; it was scheduled at " : "",
					   cluster->failover_scheduled_at)));
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, key, PGHA_CMP_MOD, cluster->failover_mod_revision, NULL);
	pgha_etcd_txn_delete(&t, key);
	if (!pgha_etcd_txn(etcd, &t, &res))
		log_etcd_problem(etcd, "delete a switchover request of an earlier term");
}
