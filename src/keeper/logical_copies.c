/*-------------------------------------------------------------------------
 *
 * logical_copies.c
 *		Permanent logical slots (shared/slots.h): the leader makes them and
 *		says where they stand; each replica keeps a copy in step, and knows
 *		when that copy would serve its consumer after a failover.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/logical_copies.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "utils/guc.h"

#include "shared/cluster.h"
#include "shared/slots.h"
#include "guc.h"
#include "logical_slots.h"
#include "recover.h"
#include "shmem.h"
#include "keeper_int.h"

/*
 * Has this slot's problem been said already?  Each kind once, until
 * another comes; "" (all is well) forgets it.
 */
static bool
warned(const char *name, const char *message)
{
	static char names[PGHA_MAX_PERMANENT_SLOTS][PGHA_NAME_LEN];
	static char last[PGHA_MAX_PERMANENT_SLOTS][160];
	int			i;

	for (i = 0; i < PGHA_MAX_PERMANENT_SLOTS; i++)
		if (names[i][0] == '\0' || strcmp(names[i], name) == 0)
			break;
	if (i == PGHA_MAX_PERMANENT_SLOTS)
		return false;
	if (names[i][0] != '\0' && strncmp(last[i], message, sizeof(last[i]) - 1) == 0)
		return true;
	strlcpy(names[i], name, sizeof(names[i]));
	strlcpy(last[i], message, sizeof(last[i]));
	return false;
}

/*
 * The worker, for the first database in want of one after the last one
 * served: one database whose work keeps failing does not starve the
 * others.
 */
static void
start_worker(const char **databases, int n)
{
	static char last[PGHA_NAME_LEN];
	int			first = 0;

	if (n == 0 || pgha_logical_worker_busy())
		return;
	for (int i = 0; i < n; i++)
		if (strcmp(databases[i], last) == 0)
			first = (i + 1) % n;
	if (pgha_logical_worker_start(databases[first]))
		strlcpy(last, databases[first], sizeof(last));
}

/* a database, once, in a list of them */
static int
add_database(const char **databases, int n, const char *database)
{
	for (int i = 0; i < n; i++)
		if (strcmp(databases[i], database) == 0)
			return n;
	databases[n] = database;
	return n + 1;
}

/*
 * The list of slots pgha made here (pgha.logical_copies), read once per
 * loop and written back at each change, so that a copy made is listed
 * before anything else can fail.
 */
typedef struct MadeList
{
	char		names[PGHA_MAX_PERMANENT_SLOTS * 2][PGHA_NAME_LEN];
	int			n;
} MadeList;

static void
made_load(MadeList *m)
{
	m->n = pgha_logical_made(m->names, lengthof(m->names));
}

static bool
made_has(const MadeList *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return true;
	return false;
}

/*
 * Note in the list these ones (a copy pgha made, or a slot it keeps as the
 * leader: after a demotion that is a copy too).
 */
static void
made_add(MadeList *m, const char **names, int nnames)
{
	bool		changed = false;

	for (int k = 0; k < nnames; k++)
		if (!made_has(m, names[k]) && m->n < lengthof(m->names))
		{
			strlcpy(m->names[m->n++], names[k], PGHA_NAME_LEN);
			changed = true;
		}
	if (changed)
		pgha_logical_set_made(m->names, m->n);
}

/* take name off the list */
static void
made_remove(MadeList *m, const char *name)
{
	int			kept = 0;

	for (int i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) != 0)
			strlcpy(m->names[kept++], m->names[i], PGHA_NAME_LEN);
	if (kept != m->n)
	{
		m->n = kept;
		pgha_logical_set_made(m->names, m->n);
	}
}

static int64 next_creation_ms = 0;

/*
 * The leader: each permanent logical slot as it is here (out: those that
 * exist as the config says), and the worker started for a database that
 * lacks one.  Nothing on a standby leader (a standby cluster keeps no
 * logical slots: PostgreSQL 15 cannot create one in recovery).
 */
int
keep_logical_slots_leader(const PghaCluster *cluster, PghaLogicalState *out, int max)
{
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	const char *missing[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_logical(&K.config, slots, PGHA_MAX_PERMANENT_SLOTS);
	int			nout = 0;
	int			nmissing = 0;

	if (n == 0 || RecoveryInProgress())
		return 0;
	for (int i = 0; i < n && nout < max; i++)
	{
		const PghaPermanentSlot *ps = slots[i];
		PghaLogicalLocal l;

		pgha_logical_local(ps, &l);
		if (!l.exists)
		{
			/* the previous leader had it, this node no copy: the consumer's gap is lost */
			bool		was = false;

			if (cluster->status_leader[0] != '\0' && strcmp(cluster->status_leader, pgha_node_name()) != 0)
				for (int k = 0; k < cluster->nslot_positions; k++)
					was |= strcmp(cluster->slot_positions[k].name, ps->name) == 0 &&
						cluster->slot_positions[k].restart != 0;
			if (was && !warned(ps->name, "created anew"))
				ereport(WARNING,
						(errmsg("pgha creates the permanent logical slot \"%s\" anew: this new primary had no copy of it",
								ps->name),
						 errdetail("Leader \"%s\" had it; its consumer misses the changes from its last position up to the new slot's.",
								   cluster->status_leader)));
			nmissing = add_database(missing, nmissing, ps->database);
			continue;
		}
		if (!l.persistent)
			continue;			/* being created */
		if (!l.logical || !l.matches)
		{
			if (!warned(ps->name, "mismatch"))
				ereport(WARNING,
						(errmsg("pgha leaves the replication slot \"%s\" alone: it is not the permanent slot the config describes",
								ps->name),
						 errdetail("The config says a logical slot in database \"%s\" with plugin \"%s\".",
								   ps->database, ps->plugin),
						 errhint("Drop it, and pgha creates the one the config describes; or rename the config's entry.")));
			continue;
		}
		(void) warned(ps->name, "");
		out[nout].name = ps->name;
		out[nout].restart_lsn = l.restart_lsn;
		out[nout].confirmed_flush = l.confirmed_flush;
		out[nout].catalog_xmin = l.catalog_xmin;
		out[nout].two_phase = l.two_phase;
		out[nout].invalid = l.invalid;
		nout++;
	}
	/* after a demotion these are copies: pgha's, to drop when no longer wanted */
	{
		const char *names[PGHA_MAX_PERMANENT_SLOTS];
		MadeList	made;

		for (int i = 0; i < nout; i++)
			names[i] = out[i].name;
		made_load(&made);
		made_add(&made, names, nout);
	}

	/*
	 * The worker reads the config from shared memory: the one read this
	 * loop goes there first.  A creation that fails (wal_level, the
	 * plugin) is tried again every 30 s, not every loop.
	 */
	if (nmissing > 0 && now_ms() >= next_creation_ms && !pgha_logical_worker_busy())
	{
		save_keeper_state();
		start_worker(missing, nmissing);
		next_creation_ms = now_ms() + 30000;
	}
	return nout;
}

/* read and write the copies' list in shared memory */
static int
load_copies(PghaCopyReadiness *r)
{
	int			n;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	n = pgha_shared->keeper.ncopies;
	memcpy(r, pgha_shared->keeper.copies, sizeof(PghaCopyReadiness) * n);
	LWLockRelease(pgha_shared->lock);
	return n;
}

/*
 * The worker writes each copy's outcome (error) meanwhile: an outcome for
 * the generation the keeper still has is kept, not overwritten with what
 * the keeper loaded before it came.
 */
static void
save_copies(PghaCopyReadiness *r, int n)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < pgha_shared->keeper.ncopies; j++)
		{
			const PghaCopyReadiness *was = &pgha_shared->keeper.copies[j];

			if (strcmp(was->name, r[i].name) == 0 && was->generation == r[i].generation)
			{
				strlcpy(r[i].error, was->error, sizeof(r[i].error));
				r[i].error_code = was->error_code;
			}
		}
	pgha_shared->keeper.ncopies = n;
	memcpy(pgha_shared->keeper.copies, r, sizeof(PghaCopyReadiness) * n);
	LWLockRelease(pgha_shared->lock);
}

/* drop a copy in a transaction of its own; false (a WARNING) if it could not be */
static bool
drop_copy(const char *name, const char *why)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool dropped = false;

	PG_TRY();
	{
		StartTransactionCommand();
		pgha_logical_drop(name);
		CommitTransactionCommand();
		ereport(LOG,
				(errmsg("pgha dropped its copy of the logical slot \"%s\"", name),
				 errdetail("%s", why)));
		dropped = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		pgha_logical_release();
		ereport(WARNING,
				(errmsg("pgha could not drop its copy of the logical slot \"%s\": %s", name, edata->message)));
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return dropped;
}

/*
 * The copies pgha made that are no longer wanted here (the config no
 * longer names the slot, this node is tagged nofailover, or its cluster
 * is a standby cluster): dropped when nothing uses them, as Patroni drops
 * them.  A copy left would hold WAL here until the disk is full and,
 * through hot_standby_feedback, catalog rows on the primary.  ignore_slots
 * still protects a slot; paused, nothing is dropped.
 */
static void
drop_unwanted_copies(MadeList *made, const PghaPermanentSlot **wanted, int nwanted, const char *why)
{
	int			kept = 0;

	if (made->n == 0 || K.config.pause)
		return;
	for (int i = 0; i < made->n; i++)
	{
		PghaPermanentSlot ps;
		PghaLogicalLocal l;
		bool		want = false;

		for (int j = 0; j < nwanted && !want; j++)
			want = strcmp(wanted[j]->name, made->names[i]) == 0;
		memset(&ps, 0, sizeof(ps));
		strlcpy(ps.name, made->names[i], sizeof(ps.name));
		pgha_logical_local(&ps, &l);
		want |= l.exists && pgha_slot_ignored(&K.config, made->names[i], "logical", l.database, l.plugin);
		if (!want && l.exists && l.logical && l.persistent && !l.active && drop_copy(made->names[i], why))
			l.exists = false;
		/* kept in the list while it exists and may be dropped later (in use now) */
		if (want || l.exists)
			strlcpy(made->names[kept++], made->names[i], PGHA_NAME_LEN);
	}
	if (kept != made->n)
	{
		made->n = kept;
		pgha_logical_set_made(made->names, made->n);
	}
}

/*
 * Make (or make anew) a copy, in a transaction of its own: an ERROR from
 * the slot code (all slots in use, a full disk) aborts it, which releases
 * the locks it held, and the slot is let go.  True if a copy was made.
 */
static bool
make_copy(MadeList *list, const PghaPermanentSlot *ps, PghaCopyStep step,
		  const PghaLogicalRemote *remote, PghaCopyReadiness *r)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool made = false;
	char		why[128] = "";

	PG_TRY();
	{
		StartTransactionCommand();
		if (step == PGHA_COPY_RECREATE)
		{
			pgha_logical_drop(ps->name);
			ereport(LOG,
					(errmsg("pgha dropped its copy of the logical slot \"%s\" to make it anew", ps->name),
					 errdetail("%s", r->note)));
		}
		made = pgha_logical_copy_create(ps, remote, why, sizeof(why));
		CommitTransactionCommand();
		if (made)
		{
			const char *name = ps->name;

			made_add(list, &name, 1);
		}
		if (!made)
			snprintf(r->note, sizeof(r->note), "no copy: %s", why);
		else
			ereport(LOG,
					(errmsg("pgha made a copy of the permanent logical slot \"%s\"", ps->name),
					 errdetail("At the leader's position: confirmed_flush %X/%X, restart_lsn %X/%X, catalog_xmin %u.",
							   LSN_FORMAT_ARGS(remote->confirmed_flush), LSN_FORMAT_ARGS(remote->restart_lsn),
							   remote->catalog_xmin)));
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		pgha_logical_release();
		snprintf(r->note, sizeof(r->note), "%s", edata->message);
		if (!warned(ps->name, edata->message))
			ereport(WARNING,
					(errmsg("pgha could not make its copy of the logical slot \"%s\": %s", ps->name, edata->message)));
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return made;
}

/* why a copy that exists is not ready yet ("" when it is) */
static void
explain(PghaCopyReadiness *r, const PghaLogicalLocal *local, uint32 feedback, const char *why)
{
	if (why[0] != '\0')
		snprintf(r->note, sizeof(r->note), "%s", why);
	else if (r->error[0] != '\0')
		snprintf(r->note, sizeof(r->note), "its decoding failed: %s", r->error);
	else if (local->invalid)
		snprintf(r->note, sizeof(r->note), "the copy reserves no WAL (invalidated)");
	else if (!local->has_snapshot)
		snprintf(r->note, sizeof(r->note),
				 "its own decoding has no snapshot at restart_lsn %X/%X yet (a transaction still running there?)",
				 LSN_FORMAT_ARGS(local->restart_lsn));
	else if (feedback == 0)
		snprintf(r->note, sizeof(r->note),
				 "the leader's slot for this member holds no catalog_xmin (hot_standby_feedback is %s here)",
				 GetConfigOption("hot_standby_feedback", false, false));
	else if (!r->xmin_ready)
		snprintf(r->note, sizeof(r->note),
				 "waiting for this member's feedback to hold catalog_xmin %u on the leader", r->remembered);
	else
		r->note[0] = '\0';
	r->ready = r->note[0] == '\0';
}

/* the most one run of the worker decodes of a copy: bounded work, progress kept */
#define ADVANCE_STEP ((uint64) 1024 * 1024 * 1024)

/*
 * A replica: each copy made, decoded forward to what the current leader
 * published on this timeline (never past what this replica replayed), and
 * its readiness worked out (shared/slots.h).  Also paused: the copies only
 * follow the leader's slots.  keep false (a standby cluster): pgha's copies
 * go, as no leader publishes positions to follow.
 */
void
keep_logical_copies(const PghaCluster *cluster, int timeline, uint64 replayed, bool keep)
{
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	PghaCopyReadiness old[PGHA_MAX_PERMANENT_SLOTS];
	PghaCopyReadiness now[PGHA_MAX_PERMANENT_SLOTS];
	const char *databases[PGHA_MAX_PERMANENT_SLOTS];
	int			ndatabases = 0;
	int			nold = load_copies(old);
	MadeList	made;
	int			n = pgha_nofailover || !keep ? 0 :
		pgha_permanent_logical(&K.config, slots, PGHA_MAX_PERMANENT_SLOTS);
	uint32		feedback = pgha_slot_leader_feedback(cluster, pgha_node_name(), timeline);

	/*
	 * Not on a config key that is gone (deleted, etcd restored without
	 * it): the config in force is then the defaults, which name no slot.
	 */
	made_load(&made);
	if (cluster->has_config)
		drop_unwanted_copies(&made, slots, n, !keep ? "A standby cluster keeps no logical slots." :
							 pgha_nofailover ? "This node is tagged nofailover: it keeps no copies." :
							 "The config's \"slots\" no longer names it.");
	memset(now, 0, sizeof(now));
	for (int i = 0; i < n; i++)
	{
		const PghaPermanentSlot *ps = slots[i];
		PghaCopyReadiness *r = &now[i];
		PghaLogicalRemote remote;
		PghaLogicalLocal local;
		PghaCopyStep step;
		const char *why;
		uint64		target;
		bool		fresh = true;

		for (int j = 0; j < nold; j++)
			if (strcmp(old[j].name, ps->name) == 0)
			{
				*r = old[j];
				fresh = false;
			}
		strlcpy(r->name, ps->name, sizeof(r->name));
		strlcpy(r->database, ps->database, sizeof(r->database));
		pgha_slot_leader_logical(cluster, ps->name, timeline, &remote);
		pgha_logical_local(ps, &local);
		local.ours = local.exists && made_has(&made, ps->name);
		local.wal_gone = r->error_code == ERRCODE_UNDEFINED_FILE;
		step = pgha_logical_copy_step(&remote, &local, replayed, &target, &why);
		/* PostgreSQL would not start with a logical slot and less */
		if (wal_level < WAL_LEVEL_LOGICAL && (step == PGHA_COPY_CREATE || step == PGHA_COPY_RECREATE))
		{
			step = PGHA_COPY_WAIT;
			why = "wal_level is below logical here: no copy";
		}
		/* paused, or a slot ignore_slots names by its own database and plugin: nothing is dropped */
		if ((step == PGHA_COPY_DROP || step == PGHA_COPY_RECREATE) &&
			(K.config.pause || pgha_slot_ignored(&K.config, ps->name, "logical", local.database, local.plugin)))
		{
			step = PGHA_COPY_NONE;
			why = K.config.pause ? "paused: not dropped" : "ignore_slots names it: not dropped";
		}
		if (step == PGHA_COPY_DROP)
		{
			if (drop_copy(ps->name, why))
				made_remove(&made, ps->name);
			pgha_logical_local(ps, &local);
		}
		else if (step == PGHA_COPY_CREATE || step == PGHA_COPY_RECREATE)
		{
			r->generation++;
			r->error[0] = '\0';
			r->error_code = 0;
			r->target = 0;
			strlcpy(r->note, why, sizeof(r->note));
			fresh = make_copy(&made, ps, step, &remote, r);
			why = r->note[0] ? pstrdup(r->note) : "";
			pgha_logical_local(ps, &local);
		}
		else if (step == PGHA_COPY_ADVANCE)
		{
			target = Min(target, local.confirmed_flush + ADVANCE_STEP);
			if (target != r->target)
			{
				r->target = target;
				r->generation++;
			}
			ndatabases = add_database(databases, ndatabases, ps->database);
		}
		else
			r->target = 0;
		if (!local.exists || !local.logical || !local.matches || !local.persistent)
		{
			r->ready = r->xmin_ready = false;
			r->remembered = 0;
			snprintf(r->note, sizeof(r->note), "%s", why[0] ? why : "no copy yet");
			continue;
		}
		/*
		 * No status of the current leader (it is gone, or its successor has
		 * not written one yet): the last verdict stands, as evidence of a
		 * change can only come from one.
		 */
		if (!remote.known && !fresh)
		{
			/* ... as far as the leader's part goes: what changed here counts */
			explain(r, &local, r->last_feedback, "");
			if (!r->ready && r->note[0] == '\0')
				snprintf(r->note, sizeof(r->note), "%s", why);
			continue;
		}
		pgha_copy_readiness_step(r, cluster->leader, timeline, fresh,
								 K.from_cache ? 0 : cluster->revision,
								 cluster->status_mod_revision, remote.catalog_xmin,
								 feedback, local.catalog_xmin);
		explain(r, &local, feedback, why);
		/* a new copy waits for a read of etcd: the next iteration makes one */
		if (r->made_revision == PGHA_REVISION_LATER)
			pgha_cache_expire(&K.cache);
	}
	/* the worker reads the targets from shared memory */
	save_copies(now, n);
	start_worker(databases, ndatabases);
}

/*
 * At a promotion: the copies that are not known to be safe, said in the
 * log (they are kept: the consumer may still find what it needs).
 */
void
warn_unready_copies(void)
{
	PghaCopyReadiness r[PGHA_MAX_PERMANENT_SLOTS];
	int			n = load_copies(r);

	/* a copy it decodes would be "in use" for the consumer */
	pgha_logical_worker_stop();
	for (int i = 0; i < n; i++)
		if (!r[i].ready)
			ereport(WARNING,
					(errmsg("pgha promotes with a copy of the logical slot \"%s\" that may be unsafe to use", r[i].name),
					 errdetail("%s", r[i].note[0] ? r[i].note : "Its readiness was not established."),
					 errhint("A consumer of it may miss changes or fail; check what it received, or drop and re-create the slot.")));
	save_copies(r, 0);
}
