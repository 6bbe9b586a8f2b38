/*-------------------------------------------------------------------------
 *
 * syncrep.c
 *		Synchronous mode, the I/O side (the decisions: src/shared/sync.c).
 *
 * The leader reads pg_stat_replication, asks pgha_sync_plan() for the next
 * step and carries it out: the sync key by compare-and-swap, or
 * synchronous_standby_names by ALTER SYSTEM and a reload.  Up to a few
 * steps per iteration, each planned from what the previous one left, so a
 * new synchronous standby is confirmed within an iteration or two.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/syncrep.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "lib/stringinfo.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "actions.h"
#include "shared/clock.h"
#include "shared/keys.h"
#include "shared/sync.h"
#include "compat.h"
#include "guc.h"
#include "recover.h"
#include "syncrep.h"

/*
 * Each standby's last reported flush position and when it last moved.  A
 * standby behind the primary whose position has not moved for longer than
 * retry_timeout is silent (sync.c): a partition does not end its walsender
 * (that takes wal_sender_timeout, 60 s by default), so pg_stat_replication
 * alone would keep commits waiting.  A standby that is behind but moving
 * (a bulk load, catching up) is not silent.
 */
#define TRACKED_STANDBYS 64

#define SSN_SETTLE_MS 1000
#define LSN_PENDING PG_UINT64_MAX
/* no relay this long after asking (signals coalesce): ask again */
#define RELOAD_RETRY_MS 2000

static struct
{
	/*
	 * The value this worker last set, and the primary's flush LSN once it
	 * had taken effect, so that no commit a walsender acknowledged under
	 * the old value lies beyond it.  It took effect when the postmaster
	 * relayed a reload signalled after the value was written: the relay
	 * reaches every process at once, this worker (reload_target) as the
	 * walsenders, and a walsender applies it before it handles its next
	 * standby reply.  SSN_SETTLE_MS after that relay the LSN is read (a
	 * walsender caught in the middle of a reply has finished it).
	 * LSN_PENDING until then: no standby counts as confirmed.  A postmaster
	 * that is frozen or slow relays nothing, and nothing is confirmed.
	 */
	char	   *ssn_applied;
	uint64		ssn_set_lsn;
	uint64		reload_target;	/* relayed reloads that prove it */
	int64		signalled_ms;	/* when the postmaster was last asked */
	int64		relayed_ms;		/* when the proof came; 0 not yet */

	/*
	 * A key write whose outcome is unknown (it timed out) may still land on
	 * the revision it was read at; also after a restart of this worker.
	 * The planner rewrites the key as read first (shared/sync.h).
	 */
	bool		key_in_doubt;

	struct
	{
		char		name[PGHA_NAME_LEN];
		uint64		flush_lsn;
		int64		moved_ms;
	}			progress[TRACKED_STANDBYS];
	int			nprogress;
}			S;

/* this file's memory as bytes, for the simulator (as pgha_keeper_memory()) */
void *
pgha_syncrep_memory(size_t *size)
{
	*size = sizeof(S);
	return &S;
}

static uint64
flush_lsn(void)
{
	TimeLineID	tli;

	return (uint64) GetFlushRecPtr(&tli);
}

/*
 * Wait for the postmaster to relay a reload signalled from now on.  One
 * already queued here may have been signalled before the value was
 * written: then it takes the next one.
 */
static void
await_relay(void)
{
	S.ssn_set_lsn = LSN_PENDING;
	S.reload_target = pgha_action_reloads_relayed() + (pgha_action_reload_queued() ? 2 : 1);
	S.signalled_ms = pgha_now_us() / 1000;
	S.relayed_ms = 0;
}

/* the LSN that standbys must pass to be confirmed, once the value took effect */
static void
settle_ssn(void)
{
	int64		now = pgha_now_us() / 1000;

	if (S.ssn_set_lsn != LSN_PENDING)
		return;
	/*
	 * Committing backends wait for no standby until the checkpointer has
	 * applied the reload too (its flag): until then a list does not count.
	 */
	if (S.ssn_applied[0] != '\0' && !pgha_action_sync_standbys_defined())
		return;
	if (S.relayed_ms == 0 && pgha_action_reloads_relayed() >= S.reload_target)
		S.relayed_ms = now;
	else if (S.relayed_ms == 0 && (S.signalled_ms == 0 || now - S.signalled_ms >= RELOAD_RETRY_MS) &&
			 !pgha_action_reload_queued())
	{
		pgha_action_signal_reload();
		S.reload_target = pgha_action_reloads_relayed() + 1;
		S.signalled_ms = now;
	}
	if (S.relayed_ms != 0 && now - S.relayed_ms >= SSN_SETTLE_MS)
		S.ssn_set_lsn = flush_lsn();
}

/* the value this process reads (the one in force once a reload applied it) */
static const char *
ssn_in_force(void)
{
	const char *cur = GetConfigOption("synchronous_standby_names", false, false);

	return cur ? cur : "";
}

/* plan from what is in force, confirmed anew */
static void
adopt_ssn(void)
{
	if (S.ssn_applied)
		pfree(S.ssn_applied);
	S.ssn_applied = MemoryContextStrdup(TopMemoryContext, ssn_in_force());
	await_relay();
}

static void
set_ssn(const char *value)
{
	/*
	 * Written, then the count of relays taken (one queued now may have been
	 * signalled before the write: it needs the next), then the signal.
	 */
	pgha_alter_system("synchronous_standby_names", value);
	adopt_ssn();
	pgha_action_signal_reload();
	pgha_action_reload_self();

	/*
	 * A reload applies nothing while postgresql.conf has an error, and a
	 * value from the command line outranks ALTER SYSTEM: plan from what is
	 * in force.
	 */
	if (strcmp(ssn_in_force(), value) != 0)
		ereport(WARNING,
				(errmsg("pgha could not set synchronous_standby_names to '%s': it stays '%s'",
						value, ssn_in_force()),
				 errhint("Check the server log for configuration file errors, and that the setting is not given on the command line.")));
	pfree(S.ssn_applied);
	S.ssn_applied = MemoryContextStrdup(TopMemoryContext, ssn_in_force());
}

void
pgha_syncrep_before_promote(const PghaConfig *config)
{
	const char *v = pgha_sync_ssn_at_promotion(config);
	const char *cur = GetConfigOption("synchronous_standby_names", false, false);

	/* a copied auto.conf may name the old primary: commits would hang */
	if (v != NULL && (cur == NULL || strcmp(cur, v) != 0))
	{
		set_ssn(v);
		ereport(LOG,
				(errmsg("pgha: synchronous_standby_names is '%s' for the promotion", v),
				 errdetail("%s", config->synchronous_mode_strict ?
						   "synchronous_mode_strict: no commit is acknowledged until a standby confirms it." :
						   "Commits are asynchronous until a standby is confirmed synchronous.")));
	}
}

/*
 * Delete the sync key in transaction t only while the config is still the
 * one read with it: a delete decided when synchronous_mode was off must
 * not land after it came back on, when this leader's backends acknowledge
 * commits under the key again.
 */
static void
delete_if_still_off(PghaEtcdTxn *t, const char *prefix, const char *sync_key,
					const PghaCluster *cluster)
{
	pgha_etcd_txn_equal(t, pgha_key(prefix, PGHA_KEY_CONFIG), PGHA_CMP_MOD,
						cluster->config.mod_revision, NULL);
	pgha_etcd_txn_delete(t, sync_key);
}

/*
 * Before a new leader opens its gate or promotes, the sync key must say
 * what its commits will be worth.  In synchronous mode it becomes {leader:
 * this node, no standby}, guarded by the revision the read found: until
 * then it names the old leader's synchronous standbys, and one of them
 * could be promoted after this node acknowledged commits it never had
 * (this node promotes with no synchronous standby confirmed).  Outside
 * synchronous mode a key left over goes: it would otherwise keep naming a
 * leader whose standbys lack this node's commits, or one left behind on an
 * older timeline, once the mode is on again.  So a key that names a leader
 * says that no other leader opened its gate since it was written
 * (rules_failover.c relies on it).  False: not done (etcd failed, or
 * somebody wrote the key since the read): not yet.
 */
bool
pgha_syncrep_take_key(PghaEtcd *etcd, const char *prefix, const PghaCluster *cluster,
					  const PghaConfig *config, int64 lease, bool promoting)
{
	char	   *json = NULL;
	char	   *sync_key = pgha_key(prefix, PGHA_KEY_SYNC);
	char	   *leader_key = pgha_key(prefix, PGHA_KEY_LEADER);
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	bool		ok;

	/*
	 * Ours already: a leader's own key (its synchronous_standby_names still
	 * covers the standbys it names), or one taken in an earlier iteration.
	 * A promotion starts with no synchronous standby (before_promote()): a
	 * key of ours from an earlier term that still names standbys is
	 * rewritten, or they would count as confirmed without having been.
	 */
	if (config->synchronous_mode && cluster->has_sync &&
		strcmp(cluster->sync_leader, pgha_node_name()) == 0 &&
		(!promoting || (cluster->nsync == 0 && cluster->sync_quorum == 0)))
		return true;
	if (!config->synchronous_mode && !cluster->has_sync)
		return true;

	/*
	 * One transaction: the sync key unchanged since the read, and the
	 * leader key still ours by value and lease, so that a node that lost
	 * its key meanwhile changes nothing.
	 */
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, sync_key, PGHA_CMP_MOD, cluster->has_sync ? cluster->sync_mod_revision : 0, NULL);
	pgha_etcd_txn_equal(&t, leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
	pgha_etcd_txn_equal(&t, leader_key, PGHA_CMP_LEASE, lease, NULL);
	if (config->synchronous_mode)
	{
		json = pgha_sync_to_json(pgha_node_name(), 0, 0, NULL);
		pgha_etcd_txn_put(&t, sync_key, json, 0);
	}
	else
		delete_if_still_off(&t, prefix, sync_key, cluster);
	ok = pgha_etcd_txn(etcd, &t, &r);
	free(json);
	if (!ok)
		S.key_in_doubt = true;
	if (!ok || !r.succeeded)
	{
		ereport(LOG,
				(errmsg("pgha could not %s the sync key before leading",
						config->synchronous_mode ? "take over" : "remove"),
				 errdetail_internal("%s", ok ? "The key changed since it was read." : etcd->errmsg)));
		return false;
	}
	if (config->synchronous_mode)
		ereport(LOG,
				(errmsg("pgha: sync key names no standby"),
				 errdetail("This node takes it over before it leads; only the standbys it confirms from now on may be promoted.")));
	else
		ereport(LOG,
				(errmsg("pgha: removed the sync key"),
				 errdetail("synchronous_mode is off; the key of \"%s\" goes before this node leads.",
						   cluster->sync_leader)));
	return true;
}

static int64
stalled_ms(const char *name, uint64 standby_flush, uint64 primary_flush)
{
	int64		now = pgha_now_us() / 1000;
	int			i;

	for (i = 0; i < S.nprogress; i++)
		if (strcmp(S.progress[i].name, name) == 0)
			break;
	if (i == S.nprogress)
	{
		if (S.nprogress == TRACKED_STANDBYS)
			return 0;
		strlcpy(S.progress[i].name, name, PGHA_NAME_LEN);
		S.progress[i].flush_lsn = standby_flush;
		S.progress[i].moved_ms = now;
		S.nprogress++;
	}
	else if (S.progress[i].flush_lsn != standby_flush)
	{
		S.progress[i].flush_lsn = standby_flush;
		S.progress[i].moved_ms = now;
	}
	/* caught up: nothing to wait for, however long it has been */
	if (standby_flush >= primary_flush)
	{
		S.progress[i].moved_ms = now;
		return 0;
	}
	return now - S.progress[i].moved_ms;
}

/*
 * A walsender that calls itself after a member (application_name, which
 * is all synchronous_standby_names matches on) but does not stream on that
 * member's slot is somebody else: pg_receivewal --synchronous, a copy of a
 * standby.  It could confirm commits the member never got.  Returns true
 * when it was asked to end (pg_terminate_backend()).
 */
static bool
end_impostor(const PghaCluster *cluster, const char *name, const char *slot, int pid,
			 bool streaming)
{
	char		want[PGHA_NAME_LEN];
	PghaMember *m = pgha_cluster_member((PghaCluster *) cluster, name);

	/* synchronous_standby_names matches names without regard to case */
	for (int i = 0; i < cluster->nmembers && m == NULL; i++)
		if (pg_strcasecmp(cluster->members[i].name, name) == 0)
			m = &cluster->members[i];
	/* not yet streaming: a walsender acquires its slot on START_REPLICATION */
	if (!streaming || m == NULL || m->foreign || pg_strcasecmp(name, pgha_node_name()) == 0)
		return false;
	pgha_slot_name(m->name, want, sizeof(want));
	if (slot != NULL && strcmp(slot, want) == 0 && strcmp(name, m->name) == 0)
		return false;
	ereport(WARNING,
			(errmsg("pgha: ending a replication connection that calls itself \"%s\" but does not stream on its slot", name),
			 errdetail("Process %d streams %s; member \"%s\" streams on slot \"%s\". Only the member may count as its synchronous standby.",
					   pid, slot ? psprintf("on slot \"%s\"", slot) : "without a slot", name, want)));
	pgha_action_terminate(pid);
	return true;
}

/* pg_stat_replication, as the planner needs it: members on their own slots */
static int
read_standbys(const PghaCluster *cluster, PghaStandby **out)
{
	/* read first: a standby's position is compared with an older one, never a newer */
	uint64		primary_flush = flush_lsn();
	PghaWalsender *w;
	int			nw = pgha_action_read_walsenders(&w);
	PghaStandby *s = palloc0(sizeof(PghaStandby) * Max(nw, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < nw; i++)
	{
		if (end_impostor(cluster, w[i].name, w[i].has_slot ? w[i].slot : NULL, w[i].pid,
						 w[i].streaming))
			continue;
		strlcpy(s[n].name, w[i].name, PGHA_NAME_LEN);
		s[n].streaming = w[i].streaming;
		s[n].sync = w[i].sync;
		s[n].flush_lsn = w[i].flush_lsn;
		s[n].stalled_ms = stalled_ms(s[n].name, s[n].flush_lsn, primary_flush);
		n++;
	}
	*out = s;
	return n;
}

static void
log_step(const PghaSyncPlan *p)
{
	StringInfoData names;
	int			i;

	initStringInfo(&names);
	for (i = 0; i < p->nsync; i++)
		appendStringInfo(&names, "%s\"%s\"", i ? ", " : "", p->sync[i]);
	if (p->step == PGHA_SYNC_WRITE_KEY && p->quorum > 0)
		ereport(LOG,
				(errmsg("pgha: sync key names %s, quorum %d", names.data, p->quorum),
				 errdetail("%s; a candidate must see %d of them and the leader at or behind its position.",
						   p->reason, p->quorum + 1)));
	else if (p->step == PGHA_SYNC_SET_SSN)
		ereport(LOG,
				(errmsg("pgha: synchronous_standby_names = '%s'", p->ssn),
				 errdetail("%s.", p->reason)));
	else if (p->step == PGHA_SYNC_WRITE_KEY)
		ereport(LOG,
				(errmsg("pgha: sync key names %s", p->nsync ? names.data : "no standby"),
				 errdetail("%s; only the standbys it names may be promoted.", p->reason)));
	else if (p->step == PGHA_SYNC_DELETE_KEY)
		ereport(LOG,
				(errmsg("pgha: removed the sync key"),
				 errdetail("%s.", p->reason)));
}

void
pgha_syncrep_leader(PghaEtcd *etcd, const char *prefix, const PghaCluster *cluster,
					const PghaConfig *config)
{
	MemoryContext cxt = CurrentMemoryContext;
	PghaCluster c = *cluster;	/* the sync fields follow our own writes */
	char	   *key = pgha_key(prefix, PGHA_KEY_SYNC);
	int			steps;

	if (S.ssn_applied == NULL)
	{
		/*
		 * After a restart of the worker: confirm anew, once a reload of our
		 * own asking was relayed (settle_ssn() asks, in synchronous mode);
		 * and a key write of the last worker may still land.
		 */
		adopt_ssn();
		S.signalled_ms = 0;		/* not asked yet */
		S.key_in_doubt = true;
	}
	else if (config->synchronous_mode && strcmp(ssn_in_force(), S.ssn_applied) != 0)
	{
		/*
		 * Somebody else set it (ALTER SYSTEM by hand): plan from what is in
		 * force.  Outside synchronous mode the setting is the DBA's.
		 */
		ereport(LOG,
				(errmsg("pgha: synchronous_standby_names is '%s', not the '%s' pgha set",
						ssn_in_force(), S.ssn_applied)));
		adopt_ssn();
	}
	/* not in synchronous mode and nothing of ours to undo: the common case */
	if (!config->synchronous_mode && !c.has_sync && S.ssn_applied[0] == '\0')
		return;
	settle_ssn();

	for (steps = 0; steps < 4; steps++)
	{
		PghaSyncInput in;
		PghaSyncPlan p;
		PghaStandby *standbys = NULL;
		volatile bool failed = false;

		in.primary_flush_lsn = flush_lsn();
		PG_TRY();
		{
			in.nstandbys = read_standbys(&c, &standbys);
		}
		PG_CATCH();
		{
			ErrorData  *edata = pgha_recover_error(cxt);

			ereport(WARNING,
					(errmsg("pgha could not read pg_stat_replication: %s", edata->message)));
			failed = true;
		}
		PG_END_TRY();
		if (failed)
			return;
		in.me = pgha_node_name();
		in.config = config;
		in.cluster = &c;
		in.standbys = standbys;
		in.current_ssn = S.ssn_applied;
		in.ssn_set_lsn = S.ssn_set_lsn;
		in.key_in_doubt = S.key_in_doubt;
		pgha_sync_plan(&in, &p);
		if (p.step == PGHA_SYNC_NOTHING)
			return;

		if (p.step == PGHA_SYNC_WRITE_KEY)
		{
			char	   *json = pgha_sync_to_json(pgha_node_name(), p.quorum, p.nsync,
												 (const char (*)[PGHA_NAME_LEN]) p.sync);
			bool		swapped = false;
			int64		rev = 0;
			bool		ok = pgha_etcd_put_if_unchanged(etcd, key, json,
													   c.has_sync ? c.sync_mod_revision : 0,
													   &swapped, &rev);

			free(json);
			/*
			 * Not written: it may still be, late (unknown outcome); or the
			 * revision moved on, and then no earlier write of ours can land.
			 */
			S.key_in_doubt = !ok;
			if (!ok || !swapped)
			{
				/* someone else wrote it: the next iteration reads it again */
				if (!ok)
					ereport(LOG,
							(errmsg("pgha could not write the sync key: %s", etcd->errmsg)));
				return;
			}
			log_step(&p);
			c.has_sync = true;
			strlcpy(c.sync_leader, pgha_node_name(), sizeof(c.sync_leader));
			c.nsync = p.nsync;
			memcpy(c.sync_standby, p.sync, sizeof(p.sync));
			c.sync_quorum = p.quorum;
			c.sync_mod_revision = rev;
		}
		else if (p.step == PGHA_SYNC_DELETE_KEY)
		{
			PghaEtcdTxn t;
			PghaEtcdTxnResult r;

			/*
			 * Only the key as read: a delete that lands late (this worker
			 * froze on its way) must not take a later leader's key with it
			 * after synchronous_mode came back on, nor this leader's own,
			 * under which its backends acknowledge again by then
			 */
			memset(&t, 0, sizeof(t));
			pgha_etcd_txn_equal(&t, key, PGHA_CMP_MOD, c.sync_mod_revision, NULL);
			delete_if_still_off(&t, prefix, key, &c);
			if (!pgha_etcd_txn(etcd, &t, &r))
			{
				S.key_in_doubt = true;
				return;
			}
			if (!r.succeeded)
				return;			/* someone else wrote it: read it again */
			log_step(&p);
			c.has_sync = false;
			c.nsync = 0;
		}
		else if (p.step == PGHA_SYNC_SET_SSN)
		{
			PG_TRY();
			{
				set_ssn(p.ssn);
			}
			PG_CATCH();
			{
				ErrorData  *edata = pgha_recover_error(cxt);

				ereport(WARNING,
						(errmsg("pgha could not set synchronous_standby_names: %s", edata->message)));
				failed = true;
			}
			PG_END_TRY();
			if (failed)
				return;
			log_step(&p);
			/* PostgreSQL needs a moment to re-evaluate: confirm next time */
			return;
		}
	}
}
