/*-------------------------------------------------------------------------
 *
 * promote.c
 *		Becoming the primary: bootstrap, the initialize key, the timeline id
 *		reserved before a promotion, the promotion itself and what follows
 *		it (the history key, the upstream settings a primary drops).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/promote.c
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
 * A withdrawn promotion is over once the startup process, seen waiting for
 * WAL after the request was withdrawn, has not recorded that it took one:
 * either its last look found no request, or its next will.  Until then,
 * the placeholders that steer its timeline id stay.
 */
void
promotion_over(void)
{
	bool		waits;

	if (!pgha_promotion_on_record(&K.promotion) || !K.promotion.withdrawn)
		return;
	/*
	 * The wait first: a startup process that found the request records that
	 * it took it before it waits again, so the flag read after it is sure.
	 */
	waits = pgha_action_startup_waits_for_wal();
	if (!waits || !pgha_promotion_over(&K.promotion, waits, pgha_action_promotion_in_flight()))
		return;
	ereport(DEBUG1,
			(errmsg("pgha: the withdrawn promotion is over"),
			 errdetail("The startup process waits for WAL.")));
	save_keeper_state();
}

bool
do_bootstrap(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		sysid[32];
	char	   *config_json;
	char	   *sync_json = NULL;
	bool		ok;

	if (K.lease.id == 0)
		return false;
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, local->base.sysid);
	memset(&t, 0, sizeof(t));
	/* absent, or pghactl's lock while it made this copy (standby cluster) */
	if (cluster->has_initialize)
		pgha_etcd_txn_equal(&t, pgha_key(K.prefix, PGHA_KEY_INITIALIZE), PGHA_CMP_VALUE, 0, "");
	else
		pgha_etcd_txn_equal(&t, pgha_key(K.prefix, PGHA_KEY_INITIALIZE), PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, pgha_key(K.prefix, PGHA_KEY_INITIALIZE), sysid, 0);
	pgha_etcd_txn_put(&t, K.leader_key, pgha_node_name(), K.lease.id);
	/*
	 * The gate opens with become_leader(): as on every other way to lead,
	 * the sync key first says what this leader's commits are worth (ours,
	 * no standby; or none outside synchronous mode), whatever a cluster
	 * etcd lost left in it
	 */
	if (K.config.synchronous_mode)
	{
		sync_json = pgha_sync_to_json(pgha_node_name(), 0, 0, NULL);
		pgha_etcd_txn_put(&t, pgha_key(K.prefix, PGHA_KEY_SYNC), sync_json, 0);
	}
	else
		pgha_etcd_txn_delete(&t, pgha_key(K.prefix, PGHA_KEY_SYNC));
	ok = pgha_etcd_txn(etcd, &t, &r);
	free(sync_json);
	if (!ok)
	{
		log_etcd_problem(etcd, "bootstrap the cluster");
		return false;
	}
	if (!r.succeeded)
		return false;			/* somebody else was faster: decide again */

	ereport(LOG,
			(errmsg("pgha: bootstrapped cluster \"%s\"", pgha_scope),
			 errdetail("System identifier %s, key prefix \"%s\".", sysid, K.prefix)));
	become_leader("Bootstrapped a new cluster", NULL);
	/* the key is ours on this lease: the leader's guarded writes may follow */
	K.leader_on_current_lease = true;

	/* a config seeded by the DBA before bootstrap wins over the defaults */
	config_json = pgha_config_to_json(&K.config);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.config_key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, K.config_key, config_json, 0);
	if (!pgha_etcd_txn(etcd, &t, &r))
		log_etcd_problem(etcd, "write the initial config");
	free(config_json);
	return true;
}

/*
 * pghactl takes the initialize lock with an empty value before initdb (as
 * Patroni does); the first leader fills in its system identifier.
 */
void
claim_initialize(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		sysid[32];
	char	   *key;

	/* filled in already; or lost (a history shows the cluster existed): made again */
	if (cluster->has_initialize && cluster->initialize[0] != '\0')
		return;
	key = pgha_key(K.prefix, PGHA_KEY_INITIALIZE);
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, local->base.sysid);
	memset(&t, 0, sizeof(t));
	if (cluster->has_initialize)
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_VALUE, 0, "");
	else
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, key, sysid, 0);
	if (!pgha_etcd_txn(etcd, &t, &r))
		log_etcd_problem(etcd, "record the system identifier");
	else if (r.succeeded)
		ereport(LOG,
				(errmsg("pgha: initialized cluster \"%s\"", pgha_scope),
				 errdetail("System identifier %s, key prefix \"%s\".", sysid, K.prefix)));
}

/*
 * Before a promotion is asked for, the timeline id it will take is reserved
 * in etcd, past every id another member reserved (shared/timeline.h):
 * placeholders in pg_wal make PostgreSQL skip those.  The reservation is
 * written only while the leader key names this node on its lease.  Returns
 * the id, 0 when it could not be reserved: no promotion this time.
 */
static int
reserve_timeline(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	const char *me = pgha_node_name();
	int			current = local->base.timeline;
	int			next = pgha_action_next_timeline(current);
	int			target = pgha_timeline_target(cluster, me, next, pgha_promotion_on_record(&K.promotion));
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char	   *key;
	char	   *json;
	bool		ok;
	int			planted;

	if (target - next > PGHA_TIMELINE_MAX_SKIP)
	{
		ereport(WARNING,
				(errmsg("pgha: not promoting: timeline %d would skip more than %d ids", target,
						PGHA_TIMELINE_MAX_SKIP),
				 errdetail("This node would take timeline %d; the reservation, history and member keys show %d in use.",
						   next, target - 1)));
		return 0;
	}
	/* also fills a gap below (a placeholder removed since): PostgreSQL counts one id at a time */
	planted = pgha_action_plant_timelines(current, target);
	if (target > next)
	{
		ereport(LOG,
				(errmsg("pgha: this promotion skips timeline ids %d to %d", next, target - 1),
				 errdetail("%s; %d placeholder history files written to pg_wal.",
						   cluster->has_reservation && strcmp(cluster->reserved_by, me) != 0 ?
						   psprintf("Member \"%s\" reserved timeline %d for a promotion that may still complete",
									cluster->reserved_by, cluster->reserved_timeline) :
						   "The cluster already uses these ids",
						   planted)));
	}
	if (cluster->has_reservation && cluster->reserved_timeline == target &&
		strcmp(cluster->reserved_by, me) == 0)
		return target;

	key = pgha_key(K.prefix, PGHA_KEY_TIMELINE);
	json = pgha_reservation_to_json(target, me);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, me);
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_LEASE, K.lease.id, NULL);
	/* nobody reserved in between: this node's read is what it skipped past */
	pgha_reservation_guard(&t, key, cluster);
	pgha_etcd_txn_put(&t, key, json, 0);
	ok = pgha_etcd_txn(etcd, &t, &r);
	free(json);
	if (!ok)
	{
		log_etcd_problem(etcd, "reserve the timeline id of the promotion");
		return 0;
	}
	return r.succeeded ? target : 0;
}

/* request promotion; the loop keeps renewing while recovery finishes */
void
request_promotion(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	int			target;

	/* signal once, and again only if nothing happened for a while */
	if (!pgha_promotion_may_signal(&K.promotion, now_ms()))
		return;
	/* taken already: it ends on the id it was given, nothing to reserve or plant */
	if (pgha_action_promote_taken())
		return;
	target = reserve_timeline(etcd, cluster, local);
	if (target == 0)
		return;

	/*
	 * A worker stopped while the reservation was on its way (frozen, or
	 * swapped out) hears the answer late: the walreceiver may have fetched
	 * history files meanwhile, and PostgreSQL would pick another id.  Not
	 * this time, then; the next iteration looks again.
	 */
	if (pgha_action_next_timeline(local->base.timeline) != target)
	{
		ereport(LOG,
				(errmsg("pgha: not promoting: the timeline id changed after it was reserved"),
				 errdetail("Timeline %d was reserved; this node would take %d now.",
						   target, pgha_action_next_timeline(local->base.timeline))));
		return;
	}
	/*
	 * "this node is the leader" said it, and "promoted to primary" will
	 * close it: the first request is not a role change of its own.  A
	 * repeated one means the promotion hangs, and the DBA should know.
	 */
	ereport(pgha_promotion_on_record(&K.promotion) ? LOG : DEBUG1,
			(errmsg("pgha: promoting this standby"),
			 errdetail("This node holds the leader key%s.",
					   pgha_promotion_on_record(&K.promotion) ? "; the promotion requested before has not finished" : "")));
	pgstat_report_activity(STATE_RUNNING, "requesting promotion");
	pgha_syncrep_before_promote(&K.config);
	if (!pgha_promotion_on_record(&K.promotion))
		warn_unready_copies();
	/* on record first: a successor worker must know of the request */
	pgha_promotion_asked(&K.promotion, now_ms(), target);
	save_keeper_state();
	pgha_action_promote();
}

/*
 * A walreceiver asks its upstream for the history file of every id from
 * its own timeline up to the upstream's, and stops at one the upstream
 * lacks ("could not open file"), over and over: a standby below an id this
 * leader's lineage skipped (rewound off a timeline of another branch,
 * which took its history file with it) would never stream again (the
 * simulator's seed 604427525, --ttl-change).  A leader keeps a history
 * file for every id below its timeline: a placeholder where it has none.
 * Nothing reads one off its own lineage; a standby that must follow a real
 * timeline of that id drops the placeholder (tidy_placeholders).
 */
void
keep_history_files(int timeline)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (K.history_kept_timeline == timeline)
		return;
	PG_TRY();
	{
		int			planted = pgha_action_plant_timelines(1, timeline);

		if (planted > 0)
			ereport(LOG,
					(errmsg("pgha: wrote %d timeline placeholders below timeline %d", planted, timeline),
					 errdetail("A standby streaming from this leader asks for the history file of every id up to this timeline.")));
		K.history_kept_timeline = timeline;
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not write the timeline placeholders below timeline %d", timeline),
				 errdetail_internal("%s", edata->message)));
	}
	PG_END_TRY();
}

/*
 * Placeholders steer the id of this node's own promotion only; once none
 * is under way (nor a withdrawn one that may still complete), two kinds go:
 * one above every real history file and this node's timeline (a restart
 * would make it the target of recovery, which has no history: PostgreSQL
 * would replay nothing more), and, while not streaming, one of an id a leader ran on
 * after all (PostgreSQL would read it as that timeline's history, so this
 * standby could never follow it; the walreceiver fetches the real file).
 */
static bool
timeline_led(void *arg, int tli)
{
	return pgha_timeline_led((PghaCluster *) arg, tli);
}

void
tidy_placeholders(PghaCluster *cluster, const PghaLocalDetail *local)
{
	int			dropped;

	if (pgha_promotion_on_record(&K.promotion) || pgha_action_promotion_in_flight())
		return;
	dropped = pgha_action_drop_placeholders(local->base.timeline,
											local->base.streaming ? NULL : timeline_led, cluster);
	if (dropped > 0)
		ereport(LOG,
				(errmsg("pgha: removed %d timeline placeholders", dropped),
				 errdetail("No promotion of this node is under way, and they were above its timeline or of ids a leader ran on.")));
}

/* after a requested promotion: has recovery ended? */
void
check_promotion(const PghaLocalDetail *local)
{
	int			reserved;

	if (!pgha_promotion_on_record(&K.promotion) || local->base.in_recovery)
		return;
	ereport(LOG,
			(errmsg("pgha: promoted to primary"),
			 errdetail("New timeline %d, %lld ms after the request.", local->base.timeline,
					   (long long) (now_ms() - K.promotion.requested_ms))));
	reserved = K.promotion.reserved_timeline;
	/* one PostgreSQL picked other than the reserved one: the DBA should know */
	if (pgha_promotion_completed(&K.promotion, local->base.timeline))
		ereport(WARNING,
				(errmsg("pgha: the promotion took timeline %d, not the reserved %d",
						local->base.timeline, reserved),
				 errdetail("PostgreSQL found a newer timeline history file than pg_wal had when the id was reserved (restore_command reads the archive too).")));
	K.slots_done[0] = '\0';

	/*
	 * Until a checkpoint on the new timeline, pg_control still says the old
	 * one, and pg_rewind run against this node finds "no rewind required"
	 * for a node that forked off: ask for an immediate checkpoint (without
	 * waiting for it here, the lease comes first).
	 */
	RequestCheckpoint(CHECKPOINT_IMMEDIATE | CHECKPOINT_FORCE);
	K.upstream_stale = true;
}

/*
 * A primary drops its primary_conninfo and primary_slot_name (actions.c
 * says why), after a promotion; retried until it could.  Not while a
 * switchover is under way: that wrote the next upstream.
 */
void
forget_upstream(const PghaLocalDetail *local)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (!K.upstream_stale || local->base.in_recovery || K.switching)
		return;
	PG_TRY();
	{
		pgha_action_forget_upstream();
		K.upstream_stale = false;
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not reset primary_conninfo and primary_slot_name after the promotion"),
				 errdetail_internal("%s", edata->message)));
	}
	PG_END_TRY();
}

/*
 * The history key as this leader's timeline history file says it: every
 * switch of its lineage (a leader cut off or killed right after its
 * promotion never wrote its own) and every id it skipped; a standby left on
 * a timeline that ended, or on one of another branch, can tell from it that
 * it must be rewound.
 */
void
record_history(PghaEtcd *etcd, const PghaCluster *cluster, int timeline)
{
	PghaTimelineSwitch sw[64];
	int			n = pgha_timeline_switches(sw, lengthof(sw));
	char	   *ts;
	char	   *json;
	char	   *p;
	bool		written;

	ts = pstrdup(timestamptz_to_str(GetCurrentTimestamp()));
	for (p = ts; *p; p++)
		if (*p == ' ')
			*p = 'T';
	json = n > 0 ? pgha_history_add(cluster->history, sw, n, timeline,
									 "no recovery target specified",
									 ts, pgha_node_name()) : NULL;
	if (json != NULL && !leader_write(etcd, pgha_key(K.prefix, PGHA_KEY_HISTORY), json, &written))
		log_etcd_problem(etcd, "write the history key");
	free(json);
}
