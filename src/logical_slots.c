/*-------------------------------------------------------------------------
 *
 * logical_slots.c
 *		Permanent logical slots on this server (the decisions:
 *		common/slots.h, keeper/logical_copies.c): read straight from the
 *		slots' shared memory, a replica's copy written the same way, and on
 *		the primary a short-lived worker that creates the missing ones.
 *
 * A copy on a replica is not made by decoding (PostgreSQL 15 cannot
 * decode on a standby): it is a slot whose restart_lsn, catalog_xmin and
 * confirmed_flush are the primary's, written as the slot machinery writes
 * its own (under the slot's spinlock, saved to disk before catalog_xmin
 * counts), so that after a promotion it is an ordinary logical slot.
 *
 * Creating a logical slot needs a session in the slot's database, and can
 * wait for every transaction running at the time: the keeper does not
 * wait, it starts a worker connected to that database.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/logical_slots.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "common/slots.h"
#include "logical_slots.h"
#include "recover.h"
#include "shmem.h"

PGDLLEXPORT void pgha_logical_create_main(Datum arg);

/* the oid of database, InvalidOid if there is none (a transaction of its own when needed) */
static pg_noinline Oid
database_oid(const char *database)
{
	bool		own = !IsTransactionState();
	Oid			oid;

	if (own)
		StartTransactionCommand();
	oid = get_database_oid(database, true);
	if (own)
		CommitTransactionCommand();
	return oid;
}

/* the slot named name, with ReplicationSlotControlLock held by the caller */
static ReplicationSlot *
find_slot(const char *name)
{
	for (int i = 0; i < max_replication_slots; i++)
	{
		ReplicationSlot *s = &ReplicationSlotCtl->replication_slots[i];

		if (s->in_use && strcmp(NameStr(s->data.name), name) == 0)
			return s;
	}
	return NULL;
}

void
pgha_logical_local(const PghaPermanentSlot *ps, PghaLogicalLocal *out)
{
	Oid			db = database_oid(ps->database);
	ReplicationSlot *s;

	memset(out, 0, sizeof(*out));
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = find_slot(ps->name);
	if (s != NULL)
	{
		SpinLockAcquire(&s->mutex);
		out->exists = true;
		out->logical = SlotIsLogical(s) && s->data.persistency == RS_PERSISTENT;
		out->matches = OidIsValid(db) && s->data.database == db &&
			strcmp(NameStr(s->data.plugin), ps->plugin) == 0;
		out->active = s->active_pid != 0;
		out->restart_lsn = s->data.restart_lsn;
		out->confirmed_flush = s->data.confirmed_flush;
		out->catalog_xmin = s->data.catalog_xmin;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
}

int
pgha_logical_feedback(PghaFeedback *out, int max)
{
	int			n = 0;

	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (int i = 0; i < max_replication_slots && n < max; i++)
	{
		ReplicationSlot *s = &ReplicationSlotCtl->replication_slots[i];

		if (!s->in_use)
			continue;
		SpinLockAcquire(&s->mutex);
		if (SlotIsPhysical(s) && TransactionIdIsNormal(s->data.catalog_xmin))
		{
			strlcpy(out[n].slot, NameStr(s->data.name), sizeof(out[n].slot));
			out[n++].catalog_xmin = s->data.catalog_xmin;
		}
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return n;
}

/*
 * The copy's values, only forward; catalog_xmin counts (effective) once
 * the slot is on disk with it, as for a slot that decodes.
 */
static void
write_values(const PghaLogicalRemote *r)
{
	ReplicationSlot *slot = MyReplicationSlot;

	SpinLockAcquire(&slot->mutex);
	slot->data.restart_lsn = r->restart_lsn;
	slot->data.confirmed_flush = r->confirmed_flush;
	slot->data.catalog_xmin = r->catalog_xmin;
	SpinLockRelease(&slot->mutex);
	ReplicationSlotMarkDirty();
	ReplicationSlotSave();
	SpinLockAcquire(&slot->mutex);
	slot->effective_catalog_xmin = r->catalog_xmin;
	SpinLockRelease(&slot->mutex);
	ReplicationSlotsComputeRequiredXmin(false);
	ReplicationSlotsComputeRequiredLSN();
}

/*
 * Is WAL from lsn on still here?  Not removed, and not older than the last
 * restart point's redo (a copy of a cluster never had what came before).
 */
static bool
wal_here(XLogRecPtr lsn, XLogRecPtr redo)
{
	XLogSegNo	segno;

	XLByteToSeg(lsn, segno, wal_segment_size);
	return lsn >= redo && XLogGetLastRemovedSegno() < segno;
}

bool
pgha_logical_copy_create(const PghaPermanentSlot *ps, const PghaLogicalRemote *r, char *why, size_t len)
{
	Oid			db = database_oid(ps->database);
	XLogRecPtr	redo = GetRedoRecPtr();
	ReplicationSlot *slot;

	if (!OidIsValid(db))
	{
		snprintf(why, len, "database \"%s\" does not exist", ps->database);
		return false;
	}
	if (!wal_here(r->restart_lsn, redo))
	{
		snprintf(why, len, "this replica no longer has the WAL from the slot's restart_lsn %X/%X on",
				 LSN_FORMAT_ARGS(r->restart_lsn));
		return false;
	}

	/*
	 * Ephemeral until every value is in: a crash before leaves nothing (an
	 * ephemeral slot is dropped at release, and at startup).
	 */
	ReplicationSlotCreate(ps->name, true, RS_EPHEMERAL, false);
	slot = MyReplicationSlot;
	PG_TRY();
	{
		SpinLockAcquire(&slot->mutex);
		slot->data.database = db;
		namestrcpy(&slot->data.plugin, ps->plugin);
		slot->data.restart_lsn = r->restart_lsn;
		slot->data.confirmed_flush = r->confirmed_flush;
		slot->data.catalog_xmin = r->catalog_xmin;
		slot->effective_catalog_xmin = r->catalog_xmin;
		SpinLockRelease(&slot->mutex);
		ReplicationSlotsComputeRequiredXmin(false);
		ReplicationSlotsComputeRequiredLSN();
		/* a restart point may have removed it while the slot did not hold it yet */
		if (!wal_here(r->restart_lsn, redo))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("this replica no longer has the WAL from %X/%X on",
							LSN_FORMAT_ARGS(r->restart_lsn))));
		ReplicationSlotPersist();
	}
	PG_CATCH();
	{
		ReplicationSlotRelease();
		PG_RE_THROW();
	}
	PG_END_TRY();
	ReplicationSlotRelease();
	return true;
}

void
pgha_logical_copy_sync(const PghaPermanentSlot *ps, const PghaLogicalRemote *r)
{
	ReplicationSlotAcquire(ps->name, true);
	PG_TRY();
	{
		write_values(r);
	}
	PG_CATCH();
	{
		ReplicationSlotRelease();
		PG_RE_THROW();
	}
	PG_END_TRY();
	ReplicationSlotRelease();
}

void
pgha_logical_drop(const char *name)
{
	ReplicationSlotDrop(name, true);
}

/*
 * The leader's creation worker, one database at a time: the generation
 * it was started for lets the keeper tell its end from an older one's.
 */
static BackgroundWorkerHandle *create_handle = NULL;

bool
pgha_logical_create_busy(void)
{
	pid_t		pid;

	return create_handle != NULL &&
		GetBackgroundWorkerPid(create_handle, &pid) != BGWH_STOPPED;
}

bool
pgha_logical_create_start(const char *database)
{
	BackgroundWorker worker;
	MemoryContext old;
	bool		ok;

	if (pgha_logical_create_busy())
		return false;
	if (create_handle != NULL)
	{
		pfree(create_handle);
		create_handle = NULL;
	}
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgha");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgha_logical_create_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgha slot creation in %s", database);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgha slot creation");
	strlcpy(worker.bgw_extra, database, BGW_EXTRALEN);
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&worker, &create_handle);
	MemoryContextSwitchTo(old);
	if (!ok)
		create_handle = NULL;
	return ok;
}

/* create one slot in its own transaction; a failure is a WARNING */
static void
create_one(const PghaPermanentSlot *ps)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];

	args[0] = CStringGetTextDatum(ps->name);
	args[1] = CStringGetTextDatum(ps->plugin);
	PG_TRY();
	{
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_execute_with_args("SELECT pg_catalog.pg_create_logical_replication_slot($1::pg_catalog.name, $2::pg_catalog.name) "
								  "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)",
								  2, argtypes, args, NULL, false, 0) == SPI_OK_SELECT && SPI_processed == 1)
			ereport(LOG,
					(errmsg("pgha created the permanent logical replication slot \"%s\"", ps->name),
					 errdetail("Database \"%s\", plugin \"%s\": the config's \"slots\" names it.",
							   ps->database, ps->plugin)));
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pgha could not create the permanent logical replication slot \"%s\": %s",
						ps->name, edata->message),
				 edata->hint ? errhint("%s", edata->hint) : 0));
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

void
pgha_logical_create_main(Datum arg)
{
	char		database[NAMEDATALEN];
	PghaConfig *cfg = palloc(sizeof(PghaConfig));
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	int			n;

	BackgroundWorkerUnblockSignals();
	strlcpy(database, MyBgworkerEntry->bgw_extra, sizeof(database));
	BackgroundWorkerInitializeConnection(database, NULL, 0);
	/* the config the keeper works with; a standby makes no logical slot */
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	memcpy(cfg, &pgha_shared->keeper.config, sizeof(PghaConfig));
	LWLockRelease(pgha_shared->lock);
	if (RecoveryInProgress())
		proc_exit(0);
	n = pgha_permanent_logical(cfg, slots, PGHA_MAX_PERMANENT_SLOTS);
	for (int i = 0; i < n; i++)
		if (strcmp(slots[i]->database, database) == 0)
			create_one(slots[i]);
	proc_exit(0);
}
