/*-------------------------------------------------------------------------
 *
 * member_slots.c
 *		Replication slots the keeper manages: the members' (kept by the
 *		leader, dropped when a member has gone for member_slots_ttl) and the
 *		config's permanent ones (common/slots.h).
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
#include "common/clock.h"
#include "common/cluster.h"
#include "common/decide.h"
#include "common/keys.h"
#include "common/hot_standby.h"
#include "common/slots.h"
#include "common/switchover.h"
#include "common/timeline.h"
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
 * Drop one member slot (physical, inactive), with a LOG line that says why.
 * Returns pgha_action_drop_member_slot()'s answer; -1 on an error too.
 */
static int
drop_member_slot(const char *slot, const char *why)
{
	uint64		restart = 0;
	volatile int dropped = -1;
	MemoryContext cxt = CurrentMemoryContext;

	/* the config names it: a consumer's, whatever a member was called */
	if (pgha_slot_permanent(&K.config, slot) || pgha_slot_ignored(&K.config, slot, "physical", "", ""))
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
		ereport(LOG,
				(errmsg("pgha dropped the replication slot \"%s\"", slot),
				 errdetail("%s It held WAL from %X/%X.", why, (unsigned) (restart >> 32), (unsigned) restart)));
	return dropped;
}

/*
 * A standby keeps no member slots, but a former leader still has the ones
 * it kept then (pg_rewind and a restart leave pg_replslot alone), and on a
 * standby a slot holds WAL too: drop every inactive slot named after a
 * member, now and then.  Slots with other names (a DBA's) are not touched.
 */
void
drop_standby_member_slots(const PghaCluster *cluster)
{
	int			i;
	char	   *why;

	if (now_ms() < K.next_standby_slots_ms)
		return;
	K.next_standby_slots_ms = now_ms() + 30000;
	why = psprintf("A standby keeps no member slots; \"%s\" is left from when this node led.",
				   pgha_node_name());
	for (i = 0; i < cluster->nmembers + cluster->nretain; i++)
	{
		const char *name = i < cluster->nmembers ? cluster->members[i].name
			: cluster->retain[i - cluster->nmembers];
		char		slot[PGHA_NAME_LEN];

		if (strcmp(name, pgha_node_name()) == 0)
			continue;
		pgha_slot_name(name, slot, sizeof(slot));
		(void) drop_member_slot(slot, why);
	}
}

/*
 * The leader keeps a slot (and the WAL it holds back) for another member
 * of this cluster whose key sits on a lease: a key written without one
 * never expires, and would hold WAL until the disk is full.  Nor does a
 * node whose server is down (pghactl run's record, renewed while it
 * retries): its slot is kept for member_slots_ttl, as a departed one's.
 */
bool
member_gets_slot(const PghaMember *m)
{
	return !m->foreign && !m->down && m->lease != 0 && strcmp(m->name, pgha_node_name()) != 0;
}

/*
 * Departed members' slots (common/slots.h): remember who is here, drop the
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
		if (member_gets_slot(&cluster->members[i]))
			present[npresent++] = cluster->members[i].name;
	pgha_retention_see(K.retention, present, npresent, now);
	if (K.config.pause)
		return;

	drop = palloc(sizeof(*drop) * PGHA_MAX_RETAINED);
	ndrop = pgha_retention_expired(K.retention, now, (int64) K.config.member_slots_ttl * 1000,
								   drop, PGHA_MAX_RETAINED);
	for (i = 0; i < ndrop; i++)
	{
		if (drop_member_slot(drop[i].slot, psprintf("Member \"%s\" left: its key has been gone for more than member_slots_ttl (%d s).",
													drop[i].member, K.config.member_slots_ttl)) < 0)
		{
			/* in use (or the drop failed): keep it, ask again after a ttl */
			const char *name = drop[i].member;

			pgha_retention_see(K.retention, &name, 1, now);
		}
	}
}

/*
 * Permanent physical slots (common/slots.h): made where missing; on a
 * replica, an inactive copy is advanced to the leader's published
 * position.  The leader gets the positions to publish (malloc'd JSON);
 * a replica NULL.  A slot problem costs a WARNING, never the iteration.
 */
char *
keep_permanent_slots(const PghaCluster *cluster, bool leading)
{
	char	   *names[PGHA_MAX_PERMANENT_SLOTS];
	bool		exists[PGHA_MAX_PERMANENT_SLOTS];
	bool		active[PGHA_MAX_PERMANENT_SLOTS];
	uint64		restart[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_physical(&K.config, cluster, pgha_node_name(), names,
											PGHA_MAX_PERMANENT_SLOTS);
	char	   *volatile positions = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	if (n == 0)
		return leading ? strdup("{}") : NULL;
	PG_TRY();
	{
		int			created = pgha_action_ensure_slots(names, n);

		if (created > 0)
			ereport(LOG,
					(errmsg_plural("pgha created %d permanent replication slot",
								   "pgha created %d permanent replication slots", created, created),
					 errdetail("The config's \"slots\" names them; they reserve WAL from now on.")));
		pgha_action_slot_states(names, n, exists, active, restart);
		for (int i = 0; i < n && !leading; i++)
		{
			uint64		target = pgha_slot_leader_position(cluster, names[i]);

			/* a consumer reading from this replica moves it itself */
			if (exists[i] && !active[i] && target > restart[i])
				restart[i] = pgha_action_advance_slot(names[i], target);
		}
		if (leading)
			positions = pgha_slot_positions_json(names, restart, n);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not keep the permanent replication slots: %s", edata->message)));
	}
	PG_END_TRY();
	return positions;
}
