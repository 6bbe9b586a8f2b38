/*-------------------------------------------------------------------------
 *
 * iterate.c
 *		One iteration of the keeper: lease, snapshot, decide, act and
 *		publish (docs/architecture.md), run by the worker's main loop; the
 *		leader's chores after a good renewal; the watch and postmaster death.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/iterate.c
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

/*
 * The leader's chores: slots, status, history, failsafe key, synchronous
 * mode.  Every iteration it holds the key, renewed or not: its status,
 * history and failsafe writes are guarded by the leader key
 * (leader_write()), the sync key's by its revision (syncrep.c).
 */
static void
leader_housekeeping(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	ensure_member_slots(cluster);
	manage_member_slots(cluster);
	{
		char	   *permanent = keep_permanent_slots(cluster, true, local->base.timeline);
		char	   *retain_only = pgha_retention_json(K.retention);
		/* what besides the position the status says: compared as one string */
		char	   *retain = psprintf("%s,\"retain_slots\":%s",
									  permanent ? permanent : "\"slots\":{}", retain_only);

		free(permanent);
		free(retain_only);
		if (local->base.lsn != K.status_optime || now_ms() >= K.next_status_ms ||
			K.status_retain == NULL || strcmp(retain, K.status_retain) != 0)
		{
			/* pgha_leader, pgha_timeline: whose positions (a late write of an old leader is not taken) */
			char	   *status = psprintf("{\"optime\":" UINT64_FORMAT ",%s,\"pgha_leader\":\"%s\",\"pgha_timeline\":%d}",
										  local->base.lsn, retain, pgha_node_name(), local->base.timeline);

			bool		written;

			if (!leader_write(etcd, pgha_key(K.prefix, PGHA_KEY_STATUS), status, &written))
				log_etcd_problem(etcd, "write the status key");
			else if (written)
			{
				K.status_optime = local->base.lsn;
				/* unchanged positions are re-published only now and then */
				K.next_status_ms = now_ms() + 30000;
				if (K.status_retain)
					pfree(K.status_retain);
				K.status_retain = MemoryContextStrdup(TopMemoryContext, retain);
			}
		}
	}
	/*
	 * The history key says what this leader's lineage says, checked every
	 * time and written when it differs: after a promotion, after a worker
	 * restarted before its write, and when another branch wrote it (a
	 * standby left on a timeline of that branch can tell it must be rewound
	 * only from this key).
	 */
	record_history(etcd, cluster, local->base.timeline);
	if (!K.config.pause)
		keep_failsafe_key(etcd, (PghaCluster *) cluster);
	if (!K.config.pause)
		pgha_syncrep_leader(etcd, K.prefix, cluster, &K.config);
	keep_history_files(local->base.timeline);
}

/*
 * Before etcd: where a standby's fence window and proof stand (a standby
 * cannot accept writes), and a standby whose promotion outlived its
 * window lets go of the key.
 */
static void
standby_window(const PghaLocalDetail *local)
{
	switch (pgha_proof_standby(&K.proof, local->base.in_recovery, pgha_promotion_on_record(&K.promotion),
							   K.config.pause, now_ms(), pgha_keeper_fence_deadline_ms()))
	{
		case PGHA_PROOF_KEEP:
			break;
		case PGHA_PROOF_SAVE:
			save_keeper_state();
			break;
		case PGHA_PROOF_LET_GO:
			lose_leadership("Its fence window ran out before the promotion completed.");
			break;
	}
}

/*
 * Does the running watch continue the cache, on the endpoint the unary
 * calls reach?  Otherwise the cache may rest on an etcd member this node
 * no longer hears from, or have a gap (a watch ahead of it: revisions gone
 * back, as after a restore of etcd), and the watch starts again.
 */
static bool
watch_follows_cache(const PghaEtcd *etcd)
{
	return etcd->watching && etcd->watch_endpoint == etcd->current &&
		(!K.cache.loaded || K.watch_from <= K.cache.revision + 1);
}

/*
 * Whether the watch's cache may stand in for this iteration's read
 * (cluster_cache.h): a replica, whose keepalive just reached etcd through
 * the endpoint the watch runs on, the watch continuing the cache.  The
 * frames that arrived meanwhile are applied first.
 */
static bool
cache_serves(PghaEtcd *etcd, const PghaLocalDetail *local)
{
	PghaCacheUse u;

	(void) pgha_keeper_watch_wakeup(etcd);
	u.replica = local->base.in_recovery && !K.proof.is_leader && !pgha_promotion_on_record(&K.promotion);
	u.keepalive_ok = K.lease.keepalive_ok;
	u.watch_live = watch_follows_cache(etcd);
	u.age_ms = now_ms() - K.cache.read_ms;
	u.ttl = K.config.ttl;
	return pgha_cache_may_serve(&u, &K.cache);
}

/*
 * The lease and the cluster as etcd shows them (or, may_cache, the watch's
 * cache: *cached says); false when etcd could not
 * be asked (or a primary past its deadline did not ask).  Then what the
 * answer proves, a promotion of an earlier worker withdrawn, failsafe
 * pings without etcd, and the write gate as it now stands.
 */
static bool
observe(PghaEtcd *etcd, const PghaLocalDetail *local, PghaCluster *cluster, bool may_cache,
		bool *cached)
{
	bool		etcd_ok;

	*cached = false;
	/* a primary past its deadline fences without spending time on etcd */
	if (!local->base.in_recovery && !K.config.pause && !K.foreign &&
		now_ms() >= pgha_keeper_fence_deadline_ms())
		etcd_ok = false;
	else
	{
		set_call_budget(etcd);
		pgstat_report_activity(STATE_RUNNING, "renewing the lease and reading the cluster");
		etcd_ok = keeper_lease(etcd);
		/* the lease runs from the keepalive: so may the calls that prove it */
		if (etcd_ok && etcd->deadline_us != 0)
		{
			PghaLeaseClock lc = lease_clock();

			etcd->deadline_us = pgha_lease_call_deadline(&lc, K.lease.keepalive_sent_ms) * 1000;
		}
		if (etcd_ok && may_cache && cache_serves(etcd, local))
		{
			cluster_from_cache(cluster);
			*cached = pgha_cache_shows_status_quo(cluster, pgha_node_name());
		}
		etcd_ok = etcd_ok && (*cached || read_cluster(etcd, cluster));
		/* a replica's watch that fell behind starts again (after_act) */
		if (etcd_ok && !*cached && K.cache_was_behind && local->base.in_recovery && !K.proof.is_leader)
			pgha_etcd_watch_stop(etcd);
	}

	/* what the read proves (shared/proof.h) */
	{
		PghaProofRead r;

		r.etcd_ok = etcd_ok;
		r.keepalive_ok = K.lease.keepalive_ok;
		r.keepalive_sent_ms = K.lease.keepalive_sent_ms;
		r.leader_is_me = etcd_ok && cluster->has_leader && strcmp(cluster->leader, pgha_node_name()) == 0;
		r.leader_lease = cluster->leader_lease;
		r.my_lease = K.lease.id;
		K.leader_read_on_lease = pgha_proof_read(&K.proof, &r);
	}

	/*
	 * A promotion a worker before this one asked for (it was killed, or
	 * restarted, and this one does not know) and that the startup process
	 * has not taken yet is withdrawn when another node holds the key: its
	 * timeline id is reserved by the old request only.  Kept on record, in
	 * case the startup process took it an instant before.  One on record
	 * that never reached PostgreSQL (withdraw_promotion()) is over too.
	 */
	if (etcd_ok && local->base.in_recovery && !K.proof.is_leader && !K.config.pause &&
		cluster->has_leader && strcmp(cluster->leader, pgha_node_name()) != 0)
	{
		if (pgha_action_cancel_promotion())
		{
			ereport(LOG,
					(errmsg("pgha: withdrew a promotion asked for before this worker started"),
					 errdetail("\"%s\" holds the leader key.", cluster->leader)));
			withdrawn();
		}
		else if (pgha_promotion_pending(&K.promotion))
			(void) withdraw_promotion();
	}
	/* a standby leader's withdrawn promotion is over the same way */
	if (local->base.in_recovery && (!K.proof.is_leader || pgha_config_standby_cluster(&K.config)))
		promotion_over();

	/* the fence's marker matters only while etcd holds no cluster at all */
	if (etcd_ok && (cluster->has_initialize || cluster->has_leader))
	{
		if (K.fenced_without_leader)
			pgha_action_remove_marker(PGHA_FENCED_MARKER);
		K.fenced_without_leader = false;
		K.empty_since_ms = 0;
	}
	else if (etcd_ok && K.empty_since_ms == 0)
		K.empty_since_ms = now_ms();
	/* pghactl's copy has done its part once initialize names a system */
	if (etcd_ok && cluster->has_initialize && cluster->initialize[0] != '\0' && K.standby_copy)
	{
		pgha_action_remove_marker(PGHA_STANDBY_COPY_MARKER);
		K.standby_copy = false;
	}

	if (etcd_ok)
		remember_members(cluster);
	/*
	 * Not past the deadline: the key may have expired, and a member may have
	 * taken it before the first ping reached it.  Nor unproven (a handover
	 * whose answer was lost): its gate is shut, and the members it holds
	 * back could take over.
	 */
	else if (K.config.failsafe_mode && !K.config.pause && K.proof.is_leader && !local->base.in_recovery &&
			 K.proof.proven && now_ms() < pgha_keeper_fence_deadline_ms())
		failsafe_pings();
	publish_write_gate();
	return etcd_ok;
}

/* what decide() gets: this node, the cluster, the clock, and the requests */
static void
decide_inputs(PghaInput *in, const PghaLocalDetail *local, PghaCluster *cluster, bool etcd_ok,
			  char *pinger, size_t pingerlen)
{
	int64		now = now_ms();

	memset(in, 0, sizeof(*in));
	in->me = pgha_node_name();
	in->nofailover = pgha_nofailover;
	in->failover_priority = pgha_failover_priority;
	in->replicatefrom = pgha_replicatefrom;
	in->nostream = pgha_nostream;
	in->local = local->base;
	in->etcd_ok = etcd_ok;
	in->cluster = etcd_ok ? cluster : NULL;
	in->config = K.config;
	in->is_leader = K.proof.is_leader;
	in->now_ms = now;
	in->last_renewal_ms = K.proof.last_renewal_ms;
	in->lease_ttl = effective_lease_ttl();
	in->foreign = K.foreign;
	K.name_conflict = false;
	if (etcd_ok)
	{
		in->conflict_lease = name_conflict(cluster, &local->base);
		in->name_conflict = K.name_conflict = in->conflict_lease != 0;
	}
	if (K.name_conflict && K.conflict_warned_lease != in->conflict_lease)
	{
		PghaMember *other = pgha_cluster_member(cluster, pgha_node_name());

		ereport(WARNING,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("pgha: another running member is also named \"%s\"", pgha_node_name()),
				 errdetail("Its keys sit on lease %lld, which this instance (%s) does not hold; the member record was written by \"%s\". This node takes no part in the cluster while the other one runs.",
						   (long long) in->conflict_lease, K.instance,
						   other && other->instance[0] ? other->instance : "an older pgha"),
				 errhint("Give every member its own pgha.name (a copy of a data directory keeps postgresql.conf), then restart this server.")));
		K.conflict_warned_lease = in->conflict_lease;
	}
	if (etcd_ok && cluster->has_leader)
		K.seen_leader = true;
	in->started_ms = K.started_ms;
	in->seen_leader = K.seen_leader;
	in->fenced_without_leader = K.fenced_without_leader;
	in->standby_copy = K.standby_copy;
	in->empty_cluster_ms = K.empty_since_ms ? now - K.empty_since_ms : 0;
	in->last_leader = K.last_leader;
	in->failsafe_confirmed_ms = K.proof.failsafe_confirmed_ms;
	in->failsafe_ttl = K.proof.failsafe_ttl;
	in->failsafe_kept_ms = K.failsafe_kept_ms;
	in->failsafe_ping_age_ms = pgha_failsafe_last_ping(pinger, pingerlen, &in->failsafe_ping_ttl_ms);
	in->failsafe_pinger = pinger;

	if (etcd_ok)
		switchover_inputs(cluster, local, in);
}

/*
 * After acting: a promotion's follow-up, the member record, the leader's
 * or a standby's slot chores, restart requests, the config, the watch.
 */
static void
after_act(PghaEtcd *etcd, const PghaDecision *d, PghaCluster *cluster, PghaLocalDetail *local,
		  bool etcd_ok)
{
	/* the local state may have changed (promotion) */
	pgha_local_snapshot(local);
	check_promotion(local);
	forget_upstream(local);
	/* a promise to a failsafe leader kept in the data directory that ran out */
	pgha_failsafe_retire_promise(now_ms() - K.started_ms);
	/* the switchover is done: remove the request (retried until it goes) */
	if (etcd_ok && K.clear_failover && !local->base.in_recovery &&
		(!cluster->has_failover || strcmp(cluster->failover_member, pgha_node_name()) != 0 ||
		 delete_failover_key(etcd, cluster)))
		K.clear_failover = false;
	/* a duplicate of another member's name writes nothing under it */
	if (etcd_ok && !K.name_conflict)
	{
		bool		member_ok = publish_member(etcd, cluster, local, member_state(d));

		if (member_ok && (!K.proof.is_leader || K.leader_on_current_lease))
			retire_old_lease(etcd);
		if (K.proof.is_leader && !local->base.in_recovery)
			leader_housekeeping(etcd, cluster, local);
		/* a standby cluster's leader keeps its followers' slots */
		else if (K.proof.is_leader && pgha_config_standby_cluster(&K.config) && !K.config.pause)
		{
			ensure_member_slots(cluster);
			manage_member_slots(cluster);
			/* placeholders of a promotion it withdrew (act.c) */
			tidy_placeholders(cluster, local);
		}
		else if (local->base.in_recovery && !K.proof.is_leader && !K.foreign && !K.config.pause)
		{
			/* cascading: the standbys that stream from this one */
			ensure_member_slots(cluster);
			manage_downstream_slots(cluster);
			drop_standby_member_slots(cluster);
			tidy_placeholders(cluster, local);
		}
		/*
		 * Also paused: a copy left behind would hold WAL until the disk is
		 * full.  Not in a standby cluster: its leader publishes no
		 * positions to advance them to.
		 */
		if (local->base.in_recovery && !K.proof.is_leader && !K.foreign &&
			!pgha_config_standby_cluster(&K.config))
		{
			(void) keep_permanent_slots(cluster, false, local->base.timeline);
			keep_logical_copies(cluster, local->base.timeline, local->replay_lsn, true);
		}
		else if (local->base.in_recovery && !K.foreign && pgha_config_standby_cluster(&K.config))
			keep_logical_copies(cluster, local->base.timeline, local->replay_lsn, false);
		if (d->action != PGHA_ACT_FENCE && !K.switching)
			handle_restart_request(etcd, cluster);
		/* last: a config problem must not cost the HA work above */
		if (d->action != PGHA_ACT_FENCE && !K.switching && apply_config(cluster))
			publish_member(etcd, cluster, local, member_state(d));
		/* from where the cache stands, so that the watch continues it */
		if (!watch_follows_cache(etcd))
		{
			K.watch_from = (K.cache.loaded ? K.cache.revision : cluster->revision) + 1;
			if (!pgha_etcd_watch_start(etcd, K.prefix, K.watch_from))
				K.watch_from = 0;
		}
	}
}

/* this iteration in shared memory, for SQL and the REST API */
static void
publish_state(PghaSharedState *st, const PghaDecision *d, PghaCluster *cluster,
			  const PghaLocalDetail *local, bool etcd_ok, PghaEtcd *etcd)
{
	/* publish for SQL */
	strlcpy(st->role, local->base.in_recovery ? "replica" : "primary", sizeof(st->role));
	strlcpy(st->state, state_name(d), sizeof(st->state));
	if (etcd_ok)
		strlcpy(st->leader, cluster->has_leader ? cluster->leader : "", sizeof(st->leader));
	strlcpy(st->last_leader, K.last_leader, sizeof(st->last_leader));
	st->is_leader = K.proof.is_leader;
	st->lease_deadline = (K.proof.is_leader && !local->base.in_recovery) ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
									pgha_keeper_fence_deadline_ms() - now_ms()) : 0;
	st->timeline = local->base.timeline;
	st->lsn = local->base.lsn;
	strlcpy(st->last_action, pgha_action_name(d->action), sizeof(st->last_action));
	strlcpy(st->last_rule, d->rule, sizeof(st->last_rule));
	strlcpy(st->last_reason, d->reason, sizeof(st->last_reason));
	st->last_decision = GetCurrentTimestamp();
	st->config_revision = Max(K.applied_revision, 0);
	st->ttl = K.config.ttl;
	st->loop_wait = K.config.loop_wait;
	st->retry_timeout = K.config.retry_timeout;
	st->paused = K.config.pause;
	st->failsafe_mode = K.config.failsafe_mode;
	if (etcd_ok && cluster->has_config)
		strlcpy(st->config_warnings, cluster->config_notes.text, sizeof(st->config_warnings));
	else if (etcd_ok && cluster->config_error[0] != '\0')
		snprintf(st->config_warnings, sizeof(st->config_warnings), "the config key is invalid: %s; %s",
				 cluster->config_error, K.config_known ? "the last valid config stays in force" :
				 "no valid config since this server started: acting as paused");
	else if (etcd_ok)
		st->config_warnings[0] = '\0';

	if (etcd_ok)
	{
		publish_members(st, cluster);
		check_etcd_health(etcd, st);
	}
}

/* how long until the next iteration (ms) */
static long
next_wait(const PghaLocalDetail *local, const PghaDecision *d, bool etcd_ok, long override)
{
	PghaLeaseClock lc = lease_clock();

	return pgha_lease_next_wait(&lc, now_ms(), !local->base.in_recovery && !K.config.pause && !K.foreign,
								K.proof.is_leader, etcd_ok, override, d->poll_ms);
}

/* observe, then decide (the first decision; a probe decides again) */
static bool
look_and_decide(PghaEtcd *etcd, PghaLocalDetail *local, PghaCluster *cluster, PghaInput *in,
				PghaDecision *d, bool may_cache, char *pinger, size_t pingerlen)
{
	bool		etcd_ok = observe(etcd, local, cluster, may_cache, &K.from_cache);

	/*
	 * A node that tried to take the leader key and does not hold it may
	 * vouch again (failsafe_mode), once a read shows the key another's: a
	 * take whose answer was lost may have succeeded.
	 */
	if (etcd_ok && !K.proof.is_leader &&
		!(cluster->has_leader && strcmp(cluster->leader, pgha_node_name()) == 0))
		pgha_failsafe_release();
	decide_inputs(in, local, cluster, etcd_ok, pinger, pingerlen);
	pgha_decide(in, d);
	return etcd_ok;
}

long
pgha_keeper_iterate(PghaEtcd *etcd, PghaSharedState *st, bool *etcd_ok_out)
{
	PghaLocalDetail local;
	PghaCluster cluster;
	PghaInput	in;
	PghaDecision d;
	PghaPeer   *peers = NULL;
	bool		etcd_ok;
	long		override;
	char		pinger[64];

	if (!K.initialized)
		keeper_init();

	pgha_local_snapshot(&local);
	memset(&cluster, 0, sizeof(cluster));
	K.leader_on_current_lease = false;
	K.leader_read_on_lease = false;

	/* a leader that let go for a switchover only waits for its shutdown */
	if (K.switching && !local.base.in_recovery)
	{
		pgha_action_shutdown_fast();
		*etcd_ok_out = true;
		return 1000;
	}

	standby_window(&local);
	etcd_ok = look_and_decide(etcd, &local, &cluster, &in, &d, true, pinger, sizeof(pinger));
	/* the cache confirms the status quo only: anything else is read first */
	if (K.from_cache && !pgha_cache_decision_stands(d.action))
		etcd_ok = look_and_decide(etcd, &local, &cluster, &in, &d, false, pinger, sizeof(pinger));
	*etcd_ok_out = etcd_ok;
	if (d.action == PGHA_ACT_PROBE)
	{
		peers = palloc0(sizeof(PghaPeer) * Max(cluster.nmembers, 1));
		probe_peers(&cluster, &in, peers);
		pgha_decide(&in, &d);
	}

	/* a fence signals before it logs anything: do_fence() logs it */
	if (d.action != PGHA_ACT_FENCE)
		log_decision(&d);
	override = act(etcd, &in, &d, etcd_ok ? &cluster : NULL, &local);

	after_act(etcd, &d, &cluster, &local, etcd_ok);
	/* the caller's calls (status, the watch) are not the lease's business */
	etcd->deadline_us = 0;
	save_keeper_state();

	publish_state(st, &d, &cluster, &local, etcd_ok, etcd);
	return next_wait(&local, &d, etcd_ok, override);
}

/*
 * Wake only for what changes a decision: the leader key going away or
 * naming somebody else, or a newer config.  The leader's own renewals (a put
 * of the same value) and members' routine puts do not wake anybody.
 */
bool
pgha_keeper_watch_wakeup(PghaEtcd *etcd)
{
	PghaEtcdWatchFrame f;
	bool		wake = false;
	MemoryContext old;

	if (!K.initialized || !etcd->watching)
		return false;
	/* frames are parsed into a context of their own, emptied each time */
	old = MemoryContextSwitchTo(K.watch_cxt);
	while (pgha_etcd_watch_next(etcd, &f))
	{
		int			i;

		pgha_cache_apply(&K.cache, &f);
		for (i = 0; i < f.nevents; i++)
		{
			const PghaEtcdEvent *ev = &f.events[i];

			if (strcmp(ev->kv.key, K.leader_key) == 0)
			{
				const char *now = ev->type == PGHA_EVENT_DELETE ? "" : ev->kv.value;

				if (strcmp(now, K.leader_seen) != 0)
				{
					strlcpy(K.leader_seen, now, sizeof(K.leader_seen));
					wake = true;
				}
			}
			else if (strcmp(ev->kv.key, K.config_key) == 0 &&
					 ev->kv.mod_revision > K.config.mod_revision)
				wake = true;
			else if (strcmp(ev->kv.key, K.failover_key) == 0)
				wake = true;	/* a switchover request, or its end */
			else if (ev->type == PGHA_EVENT_PUT &&
					 strncmp(ev->kv.key, K.prefix, strlen(K.prefix)) == 0 &&
					 ((strncmp(ev->kv.key + strlen(K.prefix), PGHA_KEY_RESTART, strlen(PGHA_KEY_RESTART)) == 0 &&
					   strcmp(ev->kv.key + strlen(K.prefix) + strlen(PGHA_KEY_RESTART), pgha_node_name()) == 0) ||
					  (strncmp(ev->kv.key + strlen(K.prefix), PGHA_KEY_REINIT, strlen(PGHA_KEY_REINIT)) == 0 &&
					   strcmp(ev->kv.key + strlen(K.prefix) + strlen(PGHA_KEY_REINIT), pgha_node_name()) == 0)))
				wake = true;	/* pghactl restart or reinit, for this member */
		}
	}
	if (etcd->err != PGHA_ETCD_OK)
		ereport(DEBUG1,
				(errmsg("pgha watch stopped"), errdetail_internal("%s", etcd->errmsg)));
	MemoryContextSwitchTo(old);
	MemoryContextReset(K.watch_cxt);
	return wake;
}

/*
 * Leave without the exit callbacks: they take shared locks (our state's,
 * the proc array's) that a process killed here may have held, and would
 * wait for them for ever, keeping the dead instance's shared memory
 * attached: no postmaster could start on this data directory again ("pre-
 * existing shared memory block is still in use").  Nothing in shared
 * memory outlives the postmaster anyway.
 */
static void
pg_attribute_noreturn()
leave_dead_instance(void)
{
	_exit(1);
}

void
pgha_keeper_postmaster_died(PghaEtcd *etcd)
{
	int			nkilled = 0;
	bool		gone;
	bool		leader = K.initialized && K.proof.is_leader && !RecoveryInProgress();

	/*
	 * No backend left behind may commit from here on: the lease this
	 * instance held may be released (below) or run out while they live.
	 */
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	ereport(LOG,
			(errmsg("pgha: the postmaster died"),
			 errdetail("Stopping what is left of this instance%s.",
					   leader ? ", then releasing the leader key" : "")));
	gone = pgha_kill_orphans(2000, &nkilled);
	if (!gone)
	{
		ereport(LOG,
				(errmsg("pgha: processes of the dead instance survive; leaving the lease to expire"),
				 errdetail("%d processes were sent SIGKILL.", nkilled)));
		leave_dead_instance();
	}
	if (leader && etcd != NULL && K.lease.id != 0)
	{
		/*
		 * Revoking our own lease deletes exactly our keys (leader and
		 * member) in one step; the replicas' watch sees the leader key go.
		 */
		etcd->timeout_ms = 1000;
		etcd->deadline_us = 0;
		pgha_http_on_pmdeath(etcd->http, PGHA_PMDEATH_IGNORE);
		if (pgha_etcd_lease_revoke(etcd, K.lease.id))
			ereport(LOG,
					(errmsg("pgha: released the leader key after the postmaster died"),
					 errdetail("%d orphaned processes were stopped first; a replica can take over now.",
							   nkilled)));
		else
			ereport(LOG,
					(errmsg("pgha could not release the leader key; it expires with the lease"),
					 errdetail_internal("%s", etcd->errmsg)));
	}
	leave_dead_instance();
}
