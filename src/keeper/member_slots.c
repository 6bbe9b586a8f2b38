/*-------------------------------------------------------------------------
 *
 * member_slots.c
 *		Replication slots the keeper manages: the members' (kept by the
 *		leader, dropped when a member has gone for member_slots_ttl) and the
 *		config's permanent ones (shared/slots.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/member_slots.c
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
#include "shared/upstream.h"
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
#include "logical_slots.h"
#include "keeper_int.h"

/* is slot a permanent slot pgha keeps here (not a present member's own)? */
static bool
kept_permanent(const PghaCluster *cluster, const char *slot)
{
	char	   *names[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_physical(&K.config, cluster, pgha_node_name(), names,
											PGHA_MAX_PERMANENT_SLOTS);

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], slot) == 0)
			return true;
	return false;
}

/*
 * Drop one member slot (physical, inactive), with a LOG line that says why.
 * Returns pgha_action_drop_member_slot()'s answer; -1 on an error too.
 */
static int
drop_member_slot(const PghaCluster *cluster, const char *slot, const char *why)
{
	uint64		restart = 0;
	volatile int dropped = -1;
	MemoryContext cxt = CurrentMemoryContext;

	/* a permanent slot pgha keeps (a consumer's), or one ignore_slots names */
	if (kept_permanent(cluster, slot) || pgha_slot_ignored(&K.config, slot, "physical", "", ""))
		return 0;

	PG_TRY();
	{
		dropped = pgha_action_drop_member_slot(slot, &restart);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not drop the replication slot \"%s\": %s", slot, edata->message)));
	}
	PG_END_TRY();
	if (dropped == 1)
	{
		ereport(LOG,
				(errmsg("pgha dropped the replication slot \"%s\"", slot),
				 errdetail("%s It held WAL from %X/%X.", why, (unsigned) (restart >> 32), (unsigned) restart)));
		/* made again if a member comes to need it after all */
		pfree(K.slots_done);
		K.slots_done = MemoryContextStrdup(TopMemoryContext, "");
	}
	return dropped;
}

/* a slot this standby keeps for a member that streams, or streamed, from it */
static bool
downstream_slot(const char *slot)
{
	for (int i = 0; K.downstream != NULL && i < K.downstream->n; i++)
		if (strcmp(K.downstream->r[i].slot, slot) == 0)
			return true;
	return false;
}

/*
 * A standby keeps member slots only for the members that stream from it
 * (cascading, manage_downstream_slots()), but a former leader still has
 * the ones it kept then (a restart leaves pg_replslot alone; pg_rewind
 * empties it since PostgreSQL 14), and on a standby a slot holds WAL too:
 * drop every other inactive slot named after a member, now and then.
 * Slots with other names (a DBA's) are not touched.
 */
void
drop_standby_member_slots(const PghaCluster *cluster)
{
	int			i;
	char	   *why;

	if (now_ms() < K.next_standby_slots_ms)
		return;
	K.next_standby_slots_ms = now_ms() + 30000;
	why = pstrdup("A standby keeps slots only for the members that stream from it (replicatefrom).");
	for (i = 0; i < cluster->nmembers + cluster->nretain; i++)
	{
		const char *name = i < cluster->nmembers ? cluster->members[i].name
			: cluster->retain[i - cluster->nmembers];
		char		slot[PGHA_NAME_LEN];

		if (strcmp(name, pgha_node_name()) == 0)
			continue;
		pgha_slot_name(name, slot, sizeof(slot));
		if (downstream_slot(slot))
			continue;
		(void) drop_member_slot(cluster, slot, why);
	}
}

/*
 * A node keeps a slot (and the WAL it holds back) for another member of
 * this cluster that streams from it (shared/upstream.h: the leader for
 * most, a standby for those whose replicatefrom names it) and whose key
 * sits on a lease: a key written without one never expires, and would hold
 * WAL until the disk is full.  Nor does a node whose server is down
 * (pghactl run's record, renewed while it retries): the leader keeps its
 * slot for member_slots_ttl, as a departed one's.
 */
bool
member_gets_slot(const PghaCluster *cluster, const PghaMember *m)
{
	const char *upstream;

	if (m->foreign || m->down || m->lease == 0 || strcmp(m->name, pgha_node_name()) == 0)
		return false;
	upstream = pgha_upstream_of(cluster, m);
	return upstream != NULL && strcmp(upstream, pgha_node_name()) == 0;
}

/* the slots of the members that stream from this node, made if missing */
void
ensure_member_slots(const PghaCluster *cluster)
{
	StringInfoData names;
	char	  **slots = palloc(sizeof(char *) * Max(cluster->nmembers, 1));
	int			nslots = 0;
	MemoryContext cxt = CurrentMemoryContext;
	volatile int created = -1;

	initStringInfo(&names);
	for (int i = 0; i < cluster->nmembers; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (!member_gets_slot(cluster, m))
			continue;
		slots[nslots] = palloc(PGHA_NAME_LEN);
		pgha_slot_name(m->name, slots[nslots], PGHA_NAME_LEN);
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", slots[nslots]);
		nslots++;
	}
	if (strcmp(names.data, K.slots_done) == 0)
		return;

	/* a slot problem must not cost the iteration */
	PG_TRY();
	{
		created = pgha_action_ensure_slots(slots, nslots);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not create replication slots: %s", edata->message)));
	}
	PG_END_TRY();
	if (created > 0)
		ereport(LOG,
				(errmsg_plural("pgha created %d replication slot",
							   "pgha created %d replication slots",
							   created, created),
				 errdetail("Slots kept for members: %s.", names.data)));
	if (created >= 0)
	{
		pfree(K.slots_done);
		K.slots_done = MemoryContextStrdup(TopMemoryContext, names.data);
	}
}

/*
 * Departed members' slots (shared/slots.h): remember who is here, drop the
 * slot of a member gone for member_slots_ttl.  Paused: nothing is dropped
 * (an automatic action like any other), the clocks keep running.
 */
void
manage_member_slots(const PghaCluster *cluster)
{
	const char **present = palloc(sizeof(char *) * Max(cluster->nmembers, 1));
	PghaRetained *drop;
	char		my_slot[PGHA_NAME_LEN];
	int			npresent = 0;
	int			ndrop;
	int			i;
	int64		now = now_ms();

	if (K.retention == NULL)
		K.retention = MemoryContextAllocZero(TopMemoryContext, sizeof(PghaRetention));
	if (!K.retention_loaded)
	{
		/* a new leader keeps what its predecessor kept, for a full ttl */
		pgha_slot_name(pgha_node_name(), my_slot, sizeof(my_slot));
		K.retention->n = 0;
		for (i = 0; i < cluster->nretain; i++)
		{
			const char *name = cluster->retain[i];
			char		slot[PGHA_NAME_LEN];

			pgha_slot_name(name, slot, sizeof(slot));
			if (strcmp(slot, my_slot) != 0)
				pgha_retention_see(K.retention, &name, 1, now);
		}
		K.retention_loaded = true;
	}
	/*
	 * After a long gap without a look (etcd was away, failsafe_mode), the
	 * members may not have re-published their keys yet: start every clock
	 * afresh rather than drop on a stale picture.
	 */
	if (K.last_slot_look_ms != 0 &&
		now - K.last_slot_look_ms > Max(10000, 3000 * (int64) K.config.loop_wait))
		for (i = 0; i < K.retention->n; i++)
			K.retention->r[i].last_seen_ms = now;
	K.last_slot_look_ms = now;
	for (i = 0; i < cluster->nmembers; i++)
		if (member_gets_slot(cluster, &cluster->members[i]))
			present[npresent++] = cluster->members[i].name;
	pgha_retention_see(K.retention, present, npresent, now);
	if (K.config.pause)
		return;

	drop = palloc(sizeof(*drop) * PGHA_MAX_RETAINED);
	ndrop = pgha_retention_expired(K.retention, now, (int64) K.config.member_slots_ttl * 1000,
								   drop, PGHA_MAX_RETAINED);
	for (i = 0; i < ndrop; i++)
	{
		if (drop_member_slot(cluster, drop[i].slot, psprintf("Member \"%s\" left: its key has been gone for more than member_slots_ttl (%d s).",
													drop[i].member, K.config.member_slots_ttl)) < 0)
		{
			/* in use (or the drop failed): keep it, ask again after a ttl */
			const char *name = drop[i].member;

			pgha_retention_see(K.retention, &name, 1, now);
		}
	}
}

/*
 * A standby's slots for the members that stream from it (cascading): kept
 * for member_slots_ttl after a member last did, as the leader keeps its
 * members' (one that restarts, or streams from the leader for a while,
 * finds its WAL), then dropped.  Paused: nothing is dropped.
 */
void
manage_downstream_slots(const PghaCluster *cluster)
{
	const char **present = palloc(sizeof(char *) * Max(cluster->nmembers, 1));
	PghaRetained *drop = palloc(sizeof(*drop) * PGHA_MAX_RETAINED);
	int			npresent = 0;
	int			ndrop;
	int64		now = now_ms();

	if (K.downstream == NULL)
		K.downstream = MemoryContextAllocZero(TopMemoryContext, sizeof(PghaRetention));
	for (int i = 0; i < cluster->nmembers; i++)
		if (member_gets_slot(cluster, &cluster->members[i]))
			present[npresent++] = cluster->members[i].name;
	pgha_retention_see(K.downstream, present, npresent, now);
	if (K.config.pause)
		return;
	ndrop = pgha_retention_expired(K.downstream, now, (int64) K.config.member_slots_ttl * 1000,
								   drop, PGHA_MAX_RETAINED);
	for (int i = 0; i < ndrop; i++)
		if (drop_member_slot(cluster, drop[i].slot,
							 psprintf("Member \"%s\" has not streamed from this standby for more than member_slots_ttl (%d s).",
									  drop[i].member, K.config.member_slots_ttl)) < 0)
		{
			const char *name = drop[i].member;

			pgha_retention_see(K.downstream, &name, 1, now);
		}
}

/* run one slot call; a failure is a WARNING about that slot, never the iteration's */
static bool
slot_call(void (*call) (void *arg), void *arg, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		call(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not %s: %s", what, edata->message)));
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

typedef struct SlotCall
{
	char	  **names;
	int			n;
	PghaSlotState *states;
	uint64		target;
	int			created;
} SlotCall;

static void
call_ensure(void *arg)
{
	SlotCall   *c = arg;

	c->created = pgha_action_ensure_slots(c->names, c->n);
}

static void
call_states(void *arg)
{
	SlotCall   *c = arg;

	pgha_action_slot_states(c->names, c->n, c->states);
}

static void
call_recreate(void *arg)
{
	SlotCall   *c = arg;

	pgha_action_recreate_slot(c->names[0]);
}

static void
call_advance(void *arg)
{
	SlotCall   *c = arg;

	c->states[0].restart_lsn = pgha_action_advance_slot(c->names[0], c->target);
}

/*
 * The leader's status parts: the physical slots' positions, and the
 * logical slots' with the feedback that readiness is judged by
 * (logical_copies.c).
 */
static char *
logical_status(const PghaCluster *cluster, char **physical, const uint64 *restart, int nphysical)
{
	PghaLogicalState logical[PGHA_MAX_PERMANENT_SLOTS];
	PghaFeedback *feedback = palloc(sizeof(PghaFeedback) * PGHA_MAX_RETAINED);
	int			nlogical = 0;
	int			nfeedback = 0;
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		/*
		 * Feedback first: a logical slot's catalog_xmin only goes forward,
		 * so one read after it is at least what it was then, and a replica
		 * that finds remembered <= feedback is right (shared/slots.h).
		 */
		nfeedback = pgha_logical_feedback(feedback, PGHA_MAX_RETAINED);
		nlogical = keep_logical_slots_leader(cluster, logical, PGHA_MAX_PERMANENT_SLOTS);
		if (nlogical == 0)
			nfeedback = 0;
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not read the permanent logical slots: %s", edata->message)));
		nlogical = nfeedback = 0;
	}
	PG_END_TRY();
	return pgha_slot_status_json(physical, restart, nphysical, logical, nlogical, feedback, nfeedback);
}

/*
 * Permanent physical slots (shared/slots.h).  Their states are read first,
 * and the leader gets what it publishes (malloc'd JSON) even when making a
 * missing one fails (max_replication_slots).  On a replica an inactive copy
 * is advanced to the position the current leader published for this
 * timeline, never past what the replica replayed; a copy that reserves no
 * WAL (invalidated, or made by hand without reserving) or holds an xmin
 * (a feedback-sending consumer's, left from when this node led) is made
 * anew.  A replica that may never be promoted (nofailover) makes no copy.
 * Each slot's problem is a WARNING of its own.
 */
char *
keep_permanent_slots(const PghaCluster *cluster, bool leading, int timeline)
{
	char	   *names[PGHA_MAX_PERMANENT_SLOTS];
	PghaSlotState states[PGHA_MAX_PERMANENT_SLOTS];
	uint64		restart[PGHA_MAX_PERMANENT_SLOTS];
	SlotCall	c;
	int			n = pgha_permanent_physical(&K.config, cluster, pgha_node_name(), names,
											PGHA_MAX_PERMANENT_SLOTS);

	if (n == 0)
		return leading ? logical_status(cluster, names, restart, 0) : NULL;
	memset(&c, 0, sizeof(c));
	c.names = names;
	c.n = n;
	c.states = states;
	if (!slot_call(call_states, &c, "read the permanent replication slots"))
		return NULL;
	if (leading || !pgha_nofailover)
	{
		if (slot_call(call_ensure, &c, "create the permanent replication slots") && c.created > 0)
		{
			ereport(LOG,
					(errmsg_plural("pgha created %d permanent replication slot",
								   "pgha created %d permanent replication slots", c.created, c.created),
					 errdetail("The config's \"slots\" names them; they reserve WAL from now on.")));
			(void) slot_call(call_states, &c, "read the permanent replication slots");
		}
	}
	for (int i = 0; i < n; i++)
	{
		SlotCall	one = {.names = &names[i], .n = 1, .states = &states[i]};

		restart[i] = states[i].restart_lsn;
		if (leading || !states[i].exists || states[i].active)
			continue;
		if (states[i].restart_lsn == 0 || states[i].has_xmin)
		{
			if (slot_call(call_recreate, &one, psprintf("make the permanent slot \"%s\" anew", names[i])))
				ereport(LOG,
						(errmsg("pgha made the permanent replication slot \"%s\" anew", names[i]),
						 errdetail("%s", states[i].has_xmin ?
								   "The copy held an xmin from a consumer that sent feedback while this node led; it would hold back vacuum on the primary." :
								   "The copy reserved no WAL (invalidated, or made without reserving).")));
			continue;
		}
		one.target = pgha_slot_leader_position(cluster, names[i], timeline);
		if (one.target > states[i].restart_lsn)
			(void) slot_call(call_advance, &one, psprintf("advance the permanent slot \"%s\"", names[i]));
	}
	return leading ? logical_status(cluster, names, restart, n) : NULL;
}
