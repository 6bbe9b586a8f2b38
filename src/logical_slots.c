/*-------------------------------------------------------------------------
 *
 * logical_slots.c
 *		Permanent logical slots on this server (the decisions:
 *		shared/slots.h, keeper/logical_copies.c): read straight from the
 *		slots' shared memory, a replica's copy made the same way, and a
 *		short-lived worker in a slot's database that creates the missing
 *		ones on the primary and moves the copies on by decoding on a
 *		replica.
 *
 * A new copy on a replica is a slot whose restart_lsn, catalog_xmin and
 * confirmed_flush are the primary's, written as the slot machinery writes
 * its own (ephemeral until every value is in, then persisted), so that
 * after a promotion it is an ordinary logical slot.  From then on it
 * moves only by its own decoding, pg_replication_slot_advance() (shared/
 * slots.h says why).
 *
 * Creating a logical slot, and decoding, need a session in the slot's
 * database, and creating can wait for every transaction running at the
 * time: the keeper does not wait, it starts a worker connected there.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/logical_slots.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <sys/stat.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "replication/slot.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "tcop/tcopprot.h"
#include "utils/timeout.h"
#include "utils/pg_lsn.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "actions.h"
#include "shared/slots.h"
#include "lib/stringinfo.h"
#include "logical_slots.h"
#include "recover.h"
#include "shmem.h"

PGDLLEXPORT void pgha_logical_worker_main(Datum arg);

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

/* did this server's own decoding write a snapshot at lsn? (snapbuild.c's file name) */
static bool
snapshot_at(XLogRecPtr lsn)
{
	char		path[MAXPGPATH];
	struct stat st;

	snprintf(path, sizeof(path), "pg_logical/snapshots/%X-%X.snap", LSN_FORMAT_ARGS(lsn));
	return lsn != InvalidXLogRecPtr && stat(path, &st) == 0;
}

/* the name of database oid, "" if there is none (a transaction of its own when needed) */
static pg_noinline void
database_name(Oid oid, char *out, size_t len)
{
	bool		own = !IsTransactionState();
	char	   *name;

	if (own)
		StartTransactionCommand();
	name = get_database_name(oid);
	strlcpy(out, name ? name : "", len);
	if (own)
		CommitTransactionCommand();
}

void
pgha_logical_local(const PghaPermanentSlot *ps, PghaLogicalLocal *out)
{
	Oid			db = database_oid(ps->database);
	Oid			slot_db = InvalidOid;
	ReplicationSlot *s;

	memset(out, 0, sizeof(*out));
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = find_slot(ps->name);
	if (s != NULL)
	{
		SpinLockAcquire(&s->mutex);
		out->exists = true;
		out->logical = SlotIsLogical(s);
		out->persistent = s->data.persistency == RS_PERSISTENT;
		out->matches = OidIsValid(db) && s->data.database == db &&
			strcmp(NameStr(s->data.plugin), ps->plugin) == 0;
		out->active = s->active_pid != 0;
		out->invalid = s->data.restart_lsn == InvalidXLogRecPtr;
		out->restart_lsn = s->data.restart_lsn;
		out->confirmed_flush = s->data.confirmed_flush;
		out->catalog_xmin = s->data.catalog_xmin;
		out->two_phase = s->data.two_phase;
		strlcpy(out->plugin, NameStr(s->data.plugin), sizeof(out->plugin));
		slot_db = s->data.database;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	out->has_snapshot = out->exists && snapshot_at(out->restart_lsn);
	if (OidIsValid(slot_db))
		database_name(slot_db, out->database, sizeof(out->database));
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
 * Is WAL from lsn on still here?  Not removed, and either not older than
 * the last restart point's redo or its segment is in pg_wal under some
 * timeline (a node that pg_rewind brought back has its own older WAL; a
 * fresh copy of the cluster never had what came before its redo).  Should
 * it go anyway (a restart point that decided what to remove before the
 * slot held it), the copy's first decoding fails, it is made anew, and it
 * is never ready in between (keeper/logical_copies.c).
 */
static bool
wal_here(XLogRecPtr lsn)
{
	XLogSegNo	segno;
	char		suffix[17];
	DIR		   *dir;
	struct dirent *de;
	bool		found = false;

	XLByteToSeg(lsn, segno, wal_segment_size);
	if (XLogGetLastRemovedSegno() >= segno)
		return false;
	if (lsn >= GetRedoRecPtr())
		return true;
	/* XLogFileName() without the timeline */
	snprintf(suffix, sizeof(suffix), "%08X%08X",
			 (uint32) (segno / XLogSegmentsPerXLogId(wal_segment_size)),
			 (uint32) (segno % XLogSegmentsPerXLogId(wal_segment_size)));
	dir = AllocateDir(XLOGDIR);
	while (!found && (de = ReadDir(dir, XLOGDIR)) != NULL)
		found = strlen(de->d_name) == 24 && strcmp(de->d_name + 8, suffix) == 0;
	FreeDir(dir);
	return found;
}

bool
pgha_logical_copy_create(const PghaPermanentSlot *ps, const PghaLogicalRemote *r, char *why, size_t len)
{
	Oid			db = database_oid(ps->database);
	ReplicationSlot *slot;

	if (!OidIsValid(db))
	{
		snprintf(why, len, "database \"%s\" does not exist", ps->database);
		return false;
	}
	if (!wal_here(r->restart_lsn))
	{
		snprintf(why, len, "this replica no longer has the WAL from the slot's restart_lsn %X/%X on",
				 LSN_FORMAT_ARGS(r->restart_lsn));
		return false;
	}

	/*
	 * Ephemeral until every value is in: a crash before leaves nothing (an
	 * ephemeral slot is dropped at release, and at startup).  The caller
	 * releases it on an error.
	 */
	ReplicationSlotCreate(ps->name, true, RS_EPHEMERAL, false);
	slot = MyReplicationSlot;
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
	if (!wal_here(r->restart_lsn))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this replica no longer has the WAL from %X/%X on",
						LSN_FORMAT_ARGS(r->restart_lsn))));
	ReplicationSlotPersist();
	ReplicationSlotRelease();
	return true;
}

void
pgha_logical_drop(const char *name)
{
	ReplicationSlotDrop(name, true);
}

/*
 * The copies pgha made here, one name a line in the data directory (a
 * restart, a promotion and a demotion keep it: they are pgha's slots).
 */
int
pgha_logical_made(char (*names)[PGHA_NAME_LEN], int max)
{
	FILE	   *f = AllocateFile(PGHA_LOGICAL_COPIES_FILE, "r");
	char		line[PGHA_NAME_LEN + 2];
	int			n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL)
	{
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			strlcpy(names[n++], line, PGHA_NAME_LEN);
	}
	FreeFile(f);
	return n;
}

void
pgha_logical_set_made(char (*names)[PGHA_NAME_LEN], int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s\n", names[i]);
	pgha_write_durably(PGHA_LOGICAL_COPIES_FILE, buf.data);
	pfree(buf.data);
}

void
pgha_logical_release(void)
{
	if (MyReplicationSlot != NULL)
		ReplicationSlotRelease();
}

/* the worker, one database at a time */
static BackgroundWorkerHandle *worker_handle = NULL;

bool
pgha_logical_worker_busy(void)
{
	pid_t		pid;
	int			shared;

	if (worker_handle != NULL && GetBackgroundWorkerPid(worker_handle, &pid) != BGWH_STOPPED)
		return true;
	/* one a previous keeper started (the handle went with it) */
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	shared = pgha_shared->keeper.logical_worker_pid;
	LWLockRelease(pgha_shared->lock);
	return shared != 0 && kill(shared, 0) == 0;
}

void
pgha_logical_worker_stop(void)
{
	int			shared;

	if (worker_handle != NULL)
		TerminateBackgroundWorker(worker_handle);
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	shared = pgha_shared->keeper.logical_worker_pid;
	LWLockRelease(pgha_shared->lock);
	if (shared != 0)
		(void) kill(shared, SIGTERM);
}

bool
pgha_logical_worker_start(const char *database)
{
	BackgroundWorker worker;
	MemoryContext old;
	bool		ok;

	if (pgha_logical_worker_busy())
		return false;
	if (worker_handle != NULL)
	{
		pfree(worker_handle);
		worker_handle = NULL;
	}
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgha");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgha_logical_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgha logical slots in %s", database);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgha logical slots");
	strlcpy(worker.bgw_extra, database, BGW_EXTRALEN);
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&worker, &worker_handle);
	MemoryContextSwitchTo(old);
	if (!ok)
		worker_handle = NULL;
	return ok;
}

/*
 * Run one slot statement in a transaction of its own; a failure is given
 * back (malloc'd message, for the keeper to show) and the slot the
 * statement had acquired is released (an abort does not).
 */
static char *
slot_statement(const char *sql, int nargs, Oid *argtypes, Datum *args, uint64 *processed, int *code)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *volatile failed = NULL;

	*processed = 0;
	*code = 0;
	PG_TRY();
	{
		/*
		 * A creation waits for the transactions running at the time,
		 * decoding on a standby for those running at the copy's restart
		 * point: bounded (SPI arms no statement_timeout), so that one long
		 * transaction does not hold every other slot back.  The keeper
		 * starts it again, and shows the error meanwhile.
		 */
		enable_timeout_after(STATEMENT_TIMEOUT, 300 * 1000);
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0) == SPI_OK_SELECT)
			*processed = SPI_processed;
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		disable_timeout(STATEMENT_TIMEOUT, false);
		edata = pgha_recover_error(cxt);
		pgha_logical_release();
		failed = strdup(edata->message);
		*code = edata->sqlerrcode;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return failed;
}

/* on the primary: the missing permanent slots of this database */
static void
create_missing(const PghaConfig *cfg, const char *database)
{
	const PghaPermanentSlot *slots[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_logical(cfg, slots, PGHA_MAX_PERMANENT_SLOTS);

	for (int i = 0; i < n; i++)
	{
		const PghaPermanentSlot *ps = slots[i];
		Oid			argtypes[2] = {TEXTOID, TEXTOID};
		Datum		args[2];
		uint64		made;
		int			code;
		char	   *failed;

		if (strcmp(ps->database, database) != 0)
			continue;
		args[0] = CStringGetTextDatum(ps->name);
		args[1] = CStringGetTextDatum(ps->plugin);
		failed = slot_statement("SELECT pg_catalog.pg_create_logical_replication_slot($1::pg_catalog.name, $2::pg_catalog.name) "
								"WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)",
								2, argtypes, args, &made, &code);
		if (failed)
			ereport(WARNING,
					(errmsg("pgha could not create the permanent logical replication slot \"%s\": %s",
							ps->name, failed)));
		else if (made == 1)
			ereport(LOG,
					(errmsg("pgha created the permanent logical replication slot \"%s\"", ps->name),
					 errdetail("Database \"%s\", plugin \"%s\": the config's \"slots\" names it.",
							   ps->database, ps->plugin)));
		free(failed);
	}
}

/*
 * On a replica: each copy of this database decoded forward to the target
 * the keeper set (fast-forward: no output, no catalog access); the outcome
 * goes back to the keeper in the copy's error, unless the keeper set
 * another target or made the copy anew meanwhile (the generation).  Not
 * once this server is a primary: its consumer would find the slot in use.
 */
static void
advance_copies(const char *database)
{
	PghaCopyReadiness *copies = palloc(sizeof(PghaCopyReadiness) * PGHA_MAX_PERMANENT_SLOTS);
	int			n;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	n = pgha_shared->keeper.ncopies;
	memcpy(copies, pgha_shared->keeper.copies, sizeof(PghaCopyReadiness) * n);
	LWLockRelease(pgha_shared->lock);
	for (int i = 0; i < n && RecoveryInProgress(); i++)
	{
		Oid			argtypes[2] = {TEXTOID, PG_LSNOID};
		Datum		args[2];
		uint64		processed;
		int			code;
		char	   *failed;

		if (copies[i].target == 0 || strcmp(copies[i].database, database) != 0)
			continue;
		args[0] = CStringGetTextDatum(copies[i].name);
		args[1] = LSNGetDatum((XLogRecPtr) copies[i].target);
		failed = slot_statement("SELECT pg_catalog.pg_replication_slot_advance($1::pg_catalog.name, $2)",
								2, argtypes, args, &processed, &code);
		LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
		for (int j = 0; j < pgha_shared->keeper.ncopies; j++)
		{
			PghaCopyReadiness *r = &pgha_shared->keeper.copies[j];

			if (strcmp(r->name, copies[i].name) == 0 && r->generation == copies[i].generation)
			{
				strlcpy(r->error, failed ? failed : "", sizeof(r->error));
				r->error_code = code;
			}
		}
		LWLockRelease(pgha_shared->lock);
		free(failed);
	}
}

/* the worker's pid in shared memory, for a keeper that lost its handle */
static void
forget_worker(int code, Datum arg)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	if (pgha_shared->keeper.logical_worker_pid == MyProcPid)
		pgha_shared->keeper.logical_worker_pid = 0;
	LWLockRelease(pgha_shared->lock);
}

void
pgha_logical_worker_main(Datum arg)
{
	char		database[NAMEDATALEN];
	PghaConfig *cfg = palloc(sizeof(PghaConfig));

	/*
	 * SIGTERM (a promotion, a shutdown) ends it at the next interrupt
	 * check, as a backend, not inside the handler: it may hold a slot's
	 * spinlock while decoding, or pgha's lock.
	 */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	strlcpy(database, MyBgworkerEntry->bgw_extra, sizeof(database));
	BackgroundWorkerInitializeConnection(database, NULL, 0);
	/* the config the keeper works with */
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	memcpy(cfg, &pgha_shared->keeper.config, sizeof(PghaConfig));
	pgha_shared->keeper.logical_worker_pid = MyProcPid;
	LWLockRelease(pgha_shared->lock);
	before_shmem_exit(forget_worker, 0);


	if (RecoveryInProgress())
		advance_copies(database);
	else
		create_missing(cfg, database);
	proc_exit(0);
}
