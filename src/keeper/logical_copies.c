/*-------------------------------------------------------------------------
 *
 * logical_copies.c
 *		Permanent logical slots (common/slots.h): the leader makes them and
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

#include "access/xlog.h"
#include "utils/guc.h"

#include "common/cluster.h"
#include "common/slots.h"
#include "guc.h"
#include "logical_slots.h"
#include "recover.h"
#include "shmem.h"
#include "keeper_int.h"

/* has this slot's problem been said already? (each kind once, until another comes) */
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
 * The leader: each permanent logical slot as it is here (out: those that
 * exist as the config says), and a creation worker started for the first
 * database that lacks one.  Nothing on a standby leader (a standby cluster
 * keeps no logical slots: PostgreSQL 15 cannot create one in recovery).
 */
static int64 next_creation_ms = 0;

int
keep_logical_slots_leader(PghaLogicalState *out, int max)
{
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_logical(&K.config, slots, PGHA_MAX_PERMANENT_SLOTS);
	int			nout = 0;
	const char *missing = NULL;

	if (n == 0 || RecoveryInProgress())
		return 0;
	for (int i = 0; i < n && nout < max; i++)
	{
		PghaLogicalLocal l;

		pgha_logical_local(slots[i], &l);
		if (!l.exists)
		{
			if (missing == NULL)
				missing = slots[i]->database;
			continue;
		}
		if (!l.logical || !l.matches)
		{
			if (!warned(slots[i]->name, "mismatch"))
				ereport(WARNING,
						(errmsg("pgha leaves the replication slot \"%s\" alone: it is not the permanent slot the config describes",
								slots[i]->name),
						 errdetail("The config says a logical slot in database \"%s\" with plugin \"%s\".",
								   slots[i]->database, slots[i]->plugin),
						 errhint("Drop it, and pgha creates the one the config describes; or rename the config's entry.")));
			continue;
		}
		out[nout].name = slots[i]->name;
		out[nout].restart_lsn = l.restart_lsn;
		out[nout].confirmed_flush = l.confirmed_flush;
		out[nout].catalog_xmin = l.catalog_xmin;
		nout++;
	}
	/*
	 * The worker reads the config from shared memory: the one read this
	 * loop goes there first.  A creation that fails (wal_level, the
	 * plugin) is tried again every 30 s, not every loop.
	 */
	if (missing != NULL && now_ms() >= next_creation_ms && !pgha_logical_create_busy())
	{
		save_keeper_state();
		if (pgha_logical_create_start(missing))
			next_creation_ms = now_ms() + 30000;
	}
	return nout;
}

/* read and write the readiness list in shared memory */
static int
load_readiness(PghaCopyReadiness *r)
{
	int			n;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	n = pgha_shared->keeper.ncopies;
	memcpy(r, pgha_shared->keeper.copies, sizeof(PghaCopyReadiness) * n);
	LWLockRelease(pgha_shared->lock);
	return n;
}

static void
save_readiness(const PghaCopyReadiness *r, int n)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	pgha_shared->keeper.ncopies = n;
	memcpy(pgha_shared->keeper.copies, r, sizeof(PghaCopyReadiness) * n);
	LWLockRelease(pgha_shared->lock);
}

/* carry out one step on one copy; true if the copy is new (readiness starts over) */
static bool
copy_step(const PghaPermanentSlot *ps, PghaCopyStep step, const PghaLogicalRemote *remote,
		  PghaCopyReadiness *r)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool fresh = false;
	char		why[128] = "";

	PG_TRY();
	{
		if (step == PGHA_COPY_RECREATE)
		{
			pgha_logical_drop(ps->name);
			ereport(LOG,
					(errmsg("pgha dropped its copy of the logical slot \"%s\" to make it anew", ps->name),
					 errdetail("%s", r->note)));
		}
		if (step == PGHA_COPY_SYNC)
			pgha_logical_copy_sync(ps, remote);
		else if (!pgha_logical_copy_create(ps, remote, why, sizeof(why)))
			snprintf(r->note, sizeof(r->note), "no copy: %s", why);
		else
		{
			fresh = true;
			ereport(LOG,
					(errmsg("pgha made a copy of the permanent logical slot \"%s\"", ps->name),
					 errdetail("At the leader's position: confirmed_flush %X/%X, restart_lsn %X/%X, catalog_xmin %u.",
							   LSN_FORMAT_ARGS(remote->confirmed_flush), LSN_FORMAT_ARGS(remote->restart_lsn),
							   remote->catalog_xmin)));
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		snprintf(r->note, sizeof(r->note), "%s", edata->message);
		if (!warned(ps->name, edata->message))
			ereport(WARNING,
					(errmsg("pgha could not keep its copy of the logical slot \"%s\": %s", ps->name, edata->message)));
	}
	PG_END_TRY();
	return fresh;
}

/*
 * A replica: each copy made, kept in step with what the current leader
 * published on this timeline, never past what this replica replayed, and
 * its readiness worked out (common/slots.h).  Also paused: the copies only
 * follow the leader's slots.
 */
void
keep_logical_copies(const PghaCluster *cluster, int timeline, uint64 replayed)
{
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	PghaCopyReadiness old[PGHA_MAX_PERMANENT_SLOTS];
	PghaCopyReadiness now[PGHA_MAX_PERMANENT_SLOTS];
	int			nold = load_readiness(old);
	int			n = pgha_nofailover ? 0 : pgha_permanent_logical(&K.config, slots, PGHA_MAX_PERMANENT_SLOTS);
	uint32		feedback = pgha_slot_leader_feedback(cluster, pgha_node_name(), timeline);

	memset(now, 0, sizeof(now));
	for (int i = 0; i < n; i++)
	{
		const PghaPermanentSlot *ps = slots[i];
		PghaCopyReadiness *r = &now[i];
		PghaLogicalRemote remote;
		PghaLogicalLocal local;
		PghaCopyStep step;
		const char *why;
		bool		fresh = false;

		for (int j = 0; j < nold; j++)
			if (strcmp(old[j].name, ps->name) == 0)
				*r = old[j];
		strlcpy(r->name, ps->name, sizeof(r->name));
		r->note[0] = '\0';
		pgha_slot_leader_logical(cluster, ps->name, timeline, &remote);
		pgha_logical_local(ps, &local);
		step = pgha_logical_copy_step(&remote, &local, replayed, &why);
		/* PostgreSQL would not start with a logical slot and less */
		if (wal_level < WAL_LEVEL_LOGICAL && (step == PGHA_COPY_CREATE || step == PGHA_COPY_RECREATE))
		{
			step = PGHA_COPY_WAIT;
			why = "wal_level is below logical here: no copy";
		}
		strlcpy(r->note, why, sizeof(r->note));
		if (step == PGHA_COPY_CREATE || step == PGHA_COPY_SYNC || step == PGHA_COPY_RECREATE)
		{
			fresh = copy_step(ps, step, &remote, r);
			pgha_logical_local(ps, &local);
		}
		if (!local.exists || !local.logical || !local.matches)
		{
			r->ready = false;
			r->remembered = 0;
			continue;
		}
		pgha_copy_readiness_step(r, cluster->leader, timeline, fresh, remote.catalog_xmin,
								 feedback, local.catalog_xmin);
		if (r->ready || r->note[0] != '\0')
			continue;
		if (feedback == 0)
			snprintf(r->note, sizeof(r->note), "the leader's slot for this member holds no catalog_xmin (hot_standby_feedback is %s here)",
					 GetConfigOption("hot_standby_feedback", false, false));
		else
			snprintf(r->note, sizeof(r->note), "waiting for this member's feedback to hold catalog_xmin %u on the leader",
					 r->remembered);
	}
	save_readiness(now, n);
}

/*
 * At a promotion: the copies that are not yet known to be safe, said in
 * the log (they are kept: the consumer may still find what it needs).
 */
void
warn_unready_copies(void)
{
	PghaCopyReadiness r[PGHA_MAX_PERMANENT_SLOTS];
	int			n = load_readiness(r);

	for (int i = 0; i < n; i++)
		if (!r[i].ready)
			ereport(WARNING,
					(errmsg("pgha promotes with a copy of the logical slot \"%s\" that may be unsafe to use", r[i].name),
					 errdetail("%s", r[i].note[0] ? r[i].note : "Its readiness was not established."),
					 errhint("A consumer of it may get wrong results or errors; check it, or drop and re-create the slot.")));
	save_readiness(r, 0);
}
