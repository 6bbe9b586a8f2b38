/*-------------------------------------------------------------------------
 *
 * sql_slots.c
 *		pgha.slots(): the config's permanent slots as this node keeps them,
 *		and whether a copy here would serve its consumer after a failover.
 *
 * A replica's copy reserves WAL from its own restart_lsn on.  It is in
 * step when that is not beyond the position the leader published for the
 * slot (its consumer's): after a failover, the consumer finds every WAL
 * record it still needs.  A copy made after the consumer's position (a
 * new slot, or a consumer far behind) is usable only once the consumer
 * has passed the copy's restart_lsn.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/sql_slots.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"

#include "shared/cluster.h"
#include "shared/keys.h"
#include "shared/slots.h"
#include "etcd_backend.h"
#include "guc.h"
#include "logical_slots.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(pgha_slots);

/* the cluster (members, leader, status key) as etcd holds it now */
static void
read_cluster_now(PghaCluster *c)
{
	PghaEtcd   *etcd = pgha_etcd_session();

	memset(c, 0, sizeof(*c));
	PG_TRY();
	{
		pgha_etcd_read_cluster(etcd, c);
	}
	PG_CATCH();
	{
		pgha_etcd_session_end(etcd, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgha_etcd_session_end(etcd, false);
}

/*
 * A permanent logical slot's row: on the leader the slot itself, on a
 * replica its copy and whether it would serve the consumer after a
 * failover (the keeper's readiness, keeper/logical_copies.c).
 */
static void
logical_row(ReturnSetInfo *rsinfo, const PghaPermanentSlot *ps, const PghaConfig *cfg,
			const PghaCluster *c, bool leading, int timeline,
			const PghaCopyReadiness *copies, int ncopies)
{
	PghaLogicalLocal l;
	PghaLogicalRemote remote;
	const PghaCopyReadiness *r = NULL;
	Datum		values[7];
	bool		nulls[7] = {0};
	const char *state;

	pgha_logical_local(ps, &l);
	pgha_slot_leader_logical(c, ps->name, timeline, &remote);
	for (int i = 0; i < ncopies; i++)
		if (strcmp(copies[i].name, ps->name) == 0)
			r = &copies[i];
	if (pgha_slot_ignored(cfg, ps->name, "logical", ps->database, ps->plugin))
		state = "ignored (ignore_slots)";
	else if (l.exists && (!l.logical || !l.matches))
		state = "not the slot the config describes (left alone)";
	else if (leading)
		state = l.exists ? "kept" : "missing (being created)";
	else if (pgha_nofailover)
		state = "none: this node is tagged nofailover";
	else if (r == NULL)
		state = "copy, not looked at yet";
	else if (!l.exists)
		state = strncmp(r->note, "no copy", 7) == 0 ? pstrdup(r->note) :
			psprintf("no copy: %s", r->note[0] ? r->note : "not made yet");
	else if (r->ready)
		state = "copy, ready";
	else
		state = psprintf("copy, not yet safe to use: %s", r->note);

	values[0] = CStringGetTextDatum(ps->name);
	values[1] = CStringGetTextDatum("logical");
	values[2] = BoolGetDatum(l.exists);
	values[3] = BoolGetDatum(l.active);
	values[4] = LSNGetDatum((XLogRecPtr) l.restart_lsn);
	nulls[4] = !l.exists || l.restart_lsn == 0;
	values[5] = LSNGetDatum((XLogRecPtr) remote.confirmed_flush);
	nulls[5] = !remote.known;
	values[6] = CStringGetTextDatum(state);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
pgha_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PghaConfig *cfg = palloc(sizeof(PghaConfig));
	bool		known;
	bool		leading;
	int			timeline;
	PghaCluster c;
	char	   *kept[PGHA_MAX_PERMANENT_SLOTS];
	int			nkept;
	PghaCopyReadiness *copies = palloc(sizeof(PghaCopyReadiness) * PGHA_MAX_PERMANENT_SLOTS);
	int			ncopies;

	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	known = pgha_shared->keeper.config_known;
	memcpy(cfg, &pgha_shared->keeper.config, sizeof(PghaConfig));
	leading = pgha_shared->state.is_leader;
	timeline = pgha_shared->state.timeline;
	LWLockRelease(pgha_shared->lock);
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the pgha worker has not read the cluster configuration yet")));
	read_cluster_now(&c);
	nkept = pgha_permanent_physical(cfg, &c, pgha_node_name(), kept, PGHA_MAX_PERMANENT_SLOTS);

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	ncopies = pgha_shared->keeper.ncopies;
	memcpy(copies, pgha_shared->keeper.copies, sizeof(PghaCopyReadiness) * ncopies);
	LWLockRelease(pgha_shared->lock);

	SPI_connect();
	for (int i = 0; i < cfg->nslots; i++)
	{
		const PghaPermanentSlot *ps = &cfg->slots[i];
		Datum		values[7];
		bool		nulls[7] = {0};
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		bool		here = false;
		bool		active = false;
		uint64		restart = 0;
		uint64		leader_lsn = pgha_slot_leader_position(&c, ps->name, timeline);
		bool		is_kept = false;
		const char *state;

		if (ps->logical)
		{
			logical_row(rsinfo, ps, cfg, &c, leading, timeline, copies, ncopies);
			continue;
		}
		for (int k = 0; k < nkept; k++)
			is_kept |= strcmp(kept[k], ps->name) == 0;

		args[0] = CStringGetTextDatum(ps->name);
		if (SPI_execute_with_args("SELECT active, coalesce(restart_lsn OPERATOR(pg_catalog.-) '0/0', 0)::pg_catalog.int8 "
								  "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND slot_type = 'physical' AND NOT temporary",
								  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		{
			bool		isnull;

			here = true;
			active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			restart = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		}
		if (pgha_slot_ignored(cfg, ps->name, "physical", "", ""))
			state = "ignored (ignore_slots)";
		else if (!is_kept)
			state = "a member's slot (the member's, not kept as permanent)";
		else if (!here)
			state = pgha_nofailover && !leading ? "none: this node is tagged nofailover" : "missing";
		else if (restart == 0)
			state = "invalid: reserves no WAL (made anew at the next loop)";
		else if (leading)
			state = "kept";
		else if (active)
			state = "copy, consumed here: the leader's slot does not move (consume from the leader)";
		else if (leader_lsn == 0)
			state = "copy, no position from the current leader on this timeline yet";
		else if (restart <= leader_lsn)
			state = "copy, in step";
		else
			state = "copy, beyond the consumer's position (usable once it passes restart_lsn)";

		values[0] = CStringGetTextDatum(ps->name);
		values[1] = CStringGetTextDatum("physical");
		values[2] = BoolGetDatum(here);
		values[3] = BoolGetDatum(active);
		values[4] = LSNGetDatum((XLogRecPtr) restart);
		nulls[4] = restart == 0;
		values[5] = LSNGetDatum((XLogRecPtr) leader_lsn);
		nulls[5] = leader_lsn == 0;
		values[6] = CStringGetTextDatum(state);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
