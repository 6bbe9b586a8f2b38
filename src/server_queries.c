/*-------------------------------------------------------------------------
 *
 * server_queries.c
 *		What the worker asks its own server with SPI, each in a transaction
 *		of its own: replication slots (create, read, advance, drop), the
 *		walsenders and a standby's stream, the timeline history.
 *
 * Side effects on this server's slots are here too; the decisions about
 * them are the keeper's (keeper/member_slots.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/server_queries.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/timeline.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
#include "actions.h"

/*
 * A query of the worker's own, in a transaction of its own; spi_end()
 * commits and returns to cxt (a commit leaves TopMemoryContext current).
 */
static void
spi_begin(void)
{
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
spi_end(MemoryContext cxt)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

int
pgha_action_ensure_slots(char **slots, int nslots)
{
	Datum	   *elems;
	ArrayType  *arr;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			i;
	int			created = 0;
	MemoryContext cxt;

	if (nslots == 0)
		return 0;
	elems = palloc(sizeof(Datum) * nslots);
	for (i = 0; i < nslots; i++)
		elems[i] = CStringGetTextDatum(slots[i]);
	arr = construct_array(elems, nslots, TEXTOID, -1, false, TYPALIGN_INT);
	args[0] = PointerGetDatum(arr);

	cxt = CurrentMemoryContext;
	spi_begin();
	if (SPI_execute_with_args(
							  "SELECT pg_catalog.pg_create_physical_replication_slot(s, true) "
							  "FROM pg_catalog.unnest($1) AS s "
							  "WHERE s::pg_catalog.name NOT IN "
							  "(SELECT slot_name FROM pg_catalog.pg_replication_slots)",
							  1, argtypes, args, NULL, false, 0) == SPI_OK_SELECT)
		created = (int) SPI_processed;
	spi_end(cxt);
	return created;
}

void
pgha_action_slot_states(char **names, int n, PghaSlotState *states)
{
	Oid			argtypes[1] = {TEXTOID};
	MemoryContext cxt = CurrentMemoryContext;

	memset(states, 0, sizeof(PghaSlotState) * n);
	if (n == 0)
		return;
	spi_begin();
	for (int i = 0; i < n; i++)
	{
		Datum		args[1];

		args[0] = CStringGetTextDatum(names[i]);
		if (SPI_execute_with_args("SELECT active, xmin IS NOT NULL, "
								  "coalesce(restart_lsn OPERATOR(pg_catalog.-) '0/0', 0)::pg_catalog.int8 "
								  "FROM pg_catalog.pg_replication_slots "
								  "WHERE slot_name = $1 AND slot_type = 'physical' AND NOT temporary",
								  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			bool		isnull;

			states[i].exists = true;
			states[i].active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			states[i].has_xmin = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
			states[i].restart_lsn = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
																		   SPI_tuptable->tupdesc, 3, &isnull));
		}
	}
	spi_end(cxt);
}

uint64
pgha_action_advance_slot(const char *name, uint64 lsn)
{
	Oid			argtypes[2] = {TEXTOID, PG_LSNOID};
	Datum		args[2];
	uint64		now = 0;
	MemoryContext cxt = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(name);
	args[1] = LSNGetDatum((XLogRecPtr) lsn);
	spi_begin();
	/*
	 * On a standby pg_replication_slot_advance() goes no further than
	 * replay, and refuses a target behind the slot (replay restarts at a
	 * checkpoint after a restart): ask only for what is ahead of both.
	 */
	if (SPI_execute_with_args("WITH s AS (SELECT restart_lsn, "
							  "  CASE WHEN pg_catalog.pg_is_in_recovery() "
							  "  THEN LEAST($2, pg_catalog.pg_last_wal_replay_lsn()) ELSE $2 END AS target "
							  "  FROM pg_catalog.pg_replication_slots "
							  "  WHERE slot_name = $1 AND slot_type = 'physical' AND NOT active) "
							  "SELECT coalesce(CASE WHEN s.target OPERATOR(pg_catalog.>) s.restart_lsn "
							  "  THEN (SELECT end_lsn FROM pg_catalog.pg_replication_slot_advance($1, s.target)) "
							  "  ELSE s.restart_lsn END OPERATOR(pg_catalog.-) '0/0', 0)::pg_catalog.int8 FROM s",
							  2, argtypes, args, NULL, false, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		now = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	spi_end(cxt);
	return now;
}

void
pgha_action_recreate_slot(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext cxt = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(name);
	spi_begin();
	(void) SPI_execute_with_args("SELECT pg_catalog.pg_drop_replication_slot(slot_name) "
								 "FROM pg_catalog.pg_replication_slots "
								 "WHERE slot_name = $1 AND slot_type = 'physical' AND NOT active",
								 1, argtypes, args, NULL, false, 0);
	(void) SPI_execute_with_args("SELECT pg_catalog.pg_create_physical_replication_slot($1, true) "
								 "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)",
								 1, argtypes, args, NULL, false, 0);
	spi_end(cxt);
}

/*
 * Drop a departed member's slot: only a physical slot that nothing streams
 * from.  Returns 1 when dropped (restart_lsn: the WAL it had retained), 0
 * when there is no such slot, -1 when it is in use (kept).
 */
int
pgha_action_drop_member_slot(const char *slot, uint64 *restart_lsn)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			result = 0;
	MemoryContext cxt = CurrentMemoryContext;

	*restart_lsn = 0;
	args[0] = CStringGetTextDatum(slot);
	spi_begin();
	if (SPI_execute_with_args("SELECT active, coalesce(restart_lsn OPERATOR(pg_catalog.-) '0/0', 0)::pg_catalog.int8 "
							  "FROM pg_catalog.pg_replication_slots "
							  "WHERE slot_name = $1 AND slot_type = 'physical' AND NOT temporary",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		bool		active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 1, &isnull));

		*restart_lsn = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 2, &isnull));
		if (active)
			result = -1;
		else if (SPI_execute_with_args("SELECT pg_catalog.pg_drop_replication_slot($1)",
									   1, argtypes, args, NULL, false, 0) == SPI_OK_SELECT)
			result = 1;
	}
	spi_end(cxt);
	return result;
}

int
pgha_timeline_switches(PghaTimelineSwitch *out, int max)
{
	TimeLineID	tli = GetWALInsertionTimeLine();
	List	   *history;
	int			n = 0;
	int			i;

	if (tli <= 1)
		return 0;
	history = readTimeLineHistory(tli);
	/*
	 * Newest first, the current timeline at the head: the others ended.
	 * Past max, the oldest are left out, never the newest.
	 */
	n = Min(list_length(history) - 1, max);
	for (i = 0; i < n; i++)
	{
		TimeLineHistoryEntry *e = (TimeLineHistoryEntry *) list_nth(history, n - i);

		out[i].timeline = (int) e->tli;
		out[i].lsn = e->end;
	}
	return n;
}

bool
pgha_action_startup_waits_for_wal(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool		waits = false;

	spi_begin();
	if (SPI_execute("SELECT 1 FROM pg_catalog.pg_stat_activity WHERE backend_type = 'startup' "
					"AND wait_event IN ('RecoveryWalStream', 'RecoveryRetrieveRetryInterval')",
					true, 1) == SPI_OK_SELECT)
		waits = SPI_processed > 0;
	spi_end(cxt);
	return waits;
}

int
pgha_action_read_walsenders(PghaWalsender **out)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			n = 0;

	*out = NULL;
	spi_begin();
	if (SPI_execute("SELECT r.application_name, r.state = 'streaming', "
					"r.sync_state IN ('sync', 'quorum'), "
					"COALESCE(r.flush_lsn OPERATOR(pg_catalog.-) '0/0', 0)::pg_catalog.int8, "
					"s.slot_name, r.pid "
					"FROM pg_catalog.pg_stat_replication r "
					"LEFT JOIN pg_catalog.pg_replication_slots s ON s.active_pid = r.pid "
					"WHERE r.application_name <> '' ORDER BY r.application_name",
					true, 64) == SPI_OK_SELECT && SPI_processed > 0)
	{
		PghaWalsender *w = MemoryContextAllocZero(cxt, sizeof(PghaWalsender) * SPI_processed);
		uint64		i;

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;
			char	   *name = SPI_getvalue(t, d, 1);
			char	   *slot = SPI_getvalue(t, d, 5);

			if (name == NULL)
				continue;
			strlcpy(w[n].name, name, PGHA_NAME_LEN);
			if (slot != NULL)
				strlcpy(w[n].slot, slot, PGHA_NAME_LEN);
			w[n].has_slot = slot != NULL;
			w[n].streaming = DatumGetBool(SPI_getbinval(t, d, 2, &isnull)) && !isnull;
			w[n].sync = DatumGetBool(SPI_getbinval(t, d, 3, &isnull)) && !isnull;
			w[n].flush_lsn = (uint64) DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));
			w[n].pid = DatumGetInt32(SPI_getbinval(t, d, 6, &isnull));
			n++;
		}
		*out = w;
	}
	spi_end(cxt);
	return n;
}

void
pgha_action_terminate(int pid)
{
	(void) DirectFunctionCall2(pg_terminate_backend, Int32GetDatum(pid), Int64GetDatum(0));
}

bool
pgha_standby_streaming(const char *application_name, const char *slot, uint64 *flush)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	bool		streaming = false;

	*flush = 0;
	args[0] = CStringGetTextDatum(application_name);
	args[1] = CStringGetTextDatum(slot);
	spi_begin();
	/* the slot's active_pid ties the stream to the member, not just a name */
	if (SPI_execute_with_args("SELECT (r.flush_lsn OPERATOR(pg_catalog.-) '0/0')::pg_catalog.int8 "
							  "FROM pg_catalog.pg_stat_replication r "
							  "JOIN pg_catalog.pg_replication_slots s ON s.active_pid = r.pid "
							  "WHERE r.application_name = $1 AND s.slot_name = $2 "
							  "AND r.state = 'streaming' AND r.flush_lsn IS NOT NULL",
							  2, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			streaming = true;
			*flush = (uint64) DatumGetInt64(d);
		}
	}
	spi_end(cxt);
	return streaming;
}
