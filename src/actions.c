/*-------------------------------------------------------------------------
 *
 * actions.c
 *		Side effects of HA decisions on this server.
 *
 * - follow: ALTER SYSTEM primary_conninfo + primary_slot_name, then
 *   SIGHUP; both are reloadable since PostgreSQL 13, so no restart.
 * - promote: pg_promote(wait => false) through DirectFunctionCall (no SQL
 *   privilege check): it only asks; the keeper sees the promotion end in a
 *   later iteration (keeper/promote.c).
 * - fence: SIGQUIT to the postmaster first (an immediate shutdown ends
 *   every client connection at once, whatever the disk does), then
 *   standby.signal, so that a restart comes back read-only.  That is the
 *   fence: never two writable primaries.
 * - slots: server_queries.c (a node keeps a physical slot for every member
 *   that streams from it: the leader's members; a standby's, with
 *   replicatefrom).
 *
 * Everything runs in the worker, which is connected to a database as the
 * bootstrap superuser.  Functions may ERROR; the caller's iteration
 * boundary recovers.  pgha_action_fence_signal() holds interrupts and never
 * throws before the shutdown signal is sent.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/actions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xlog_internal.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "replication/walsender_private.h"
#include "storage/lwlock.h"
#include "utils/fmgrprotos.h"

#include "actions.h"
#include "shared/timeline.h"
#include "recover.h"
#include "compat.h"
#include "guc.h"

/* append key='value' to buf, quoting as libpq wants */
static void
conninfo_add(StringInfo buf, const char *key, const char *value)
{
	const char *p;

	appendStringInfo(buf, "%s%s='", buf->len > 0 ? " " : "", key);
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

char *
pgha_conninfo(const PghaMember *m, bool replication, int connect_timeout)
{
	StringInfoData buf;
	char		port[16];
	char		timeout[16];

	initStringInfo(&buf);
	snprintf(port, sizeof(port), "%d", m->port);
	snprintf(timeout, sizeof(timeout), "%d", connect_timeout);
	conninfo_add(&buf, "host", m->host);
	conninfo_add(&buf, "port", port);
	conninfo_add(&buf, "user", pgha_replication_user);
	/* as Patroni does: standbys show up under their member name */
	conninfo_add(&buf, "application_name", pgha_node_name());
	if (pgha_passfile[0] != '\0')
		conninfo_add(&buf, "passfile", pgha_passfile);
	conninfo_add(&buf, "connect_timeout", timeout);
	conninfo_add(&buf, "keepalives", "1");
	conninfo_add(&buf, "keepalives_idle", "5");
	conninfo_add(&buf, "keepalives_interval", "2");
	conninfo_add(&buf, "keepalives_count", "3");
	/* a peer that vanishes mid-answer must not hold us for minutes */
	conninfo_add(&buf, "tcp_user_timeout", replication ? "2000" : "10000");
	if (replication)
	{
		conninfo_add(&buf, "replication", "true");
		conninfo_add(&buf, "dbname", "replication");
	}
	/* how to secure it (checked: only ssl*, channel_binding, gss*, ...) */
	if (pgha_peer_options[0] != '\0')
		appendStringInfo(&buf, " %s", pgha_peer_options);
	return buf.data;
}

/*
 * ALTER SYSTEM SET name = 'value' (value NULL: RESET), in its own
 * transaction.  The worker's one way to change postgresql.auto.conf: the
 * upstream settings here, the cluster-wide parameters in apply.c.
 */
void
pgha_alter_system(const char *name, const char *value)
{
	AlterSystemStmt stmt;
	VariableSetStmt setstmt;
	/* a commit leaves CurrentMemoryContext at TopMemoryContext */
	MemoryContext cxt = CurrentMemoryContext;

	memset(&setstmt, 0, sizeof(setstmt));
	setstmt.type = T_VariableSetStmt;
	setstmt.name = (char *) name;
	if (value)
	{
		A_Const    *arg = makeNode(A_Const);

		PGHA_A_CONST_SET_STRING(arg, pstrdup(value));
		arg->location = -1;
		setstmt.kind = VAR_SET_VALUE;
		setstmt.args = list_make1(arg);
	}
	else
		setstmt.kind = VAR_RESET;
	memset(&stmt, 0, sizeof(stmt));
	stmt.type = T_AlterSystemStmt;
	stmt.setstmt = &setstmt;

	StartTransactionCommand();
	AlterSystemSetConfigFile(&stmt);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

/* the next start streams from conninfo on slot (no reload: for a restart) */
static void
set_upstream(const char *conninfo, const char *slot)
{
	pgha_alter_system("primary_conninfo", conninfo);
	pgha_alter_system("primary_slot_name", slot);
}

static uint64 reloads_relayed = 0;

void
pgha_action_note_reload(void)
{
	reloads_relayed++;
}

uint64
pgha_action_reloads_relayed(void)
{
	return reloads_relayed;
}

bool
pgha_action_reload_queued(void)
{
	return ConfigReloadPending;
}

void
pgha_action_signal_reload(void)
{
	if (kill(PostmasterPid, SIGHUP) != 0)
		ereport(WARNING,
				(errmsg("could not signal the postmaster to reload: %m")));
}

void
pgha_action_reload_self(void)
{
	ProcessConfigFile(PGC_SIGHUP);
}

bool
pgha_action_sync_standbys_defined(void)
{
	bool		defined;

	LWLockAcquire(SyncRepLock, LW_SHARED);
	/* a bit field since the minor releases of 2025 (the flag and "initialized") */
#ifdef SYNC_STANDBY_DEFINED
	defined = (WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED) != 0;
#else
	defined = WalSndCtl->sync_standbys_defined;
#endif
	LWLockRelease(SyncRepLock);
	return defined;
}

/*
 * A primary streams from nobody: after a promotion its primary_conninfo and
 * primary_slot_name go.  pg_rewind copies postgresql.auto.conf to the node
 * it rewinds; left here, they would point that node at this primary's
 * former upstream (often the rewound node itself) and at a slot that exists
 * nowhere, and a standby that never reaches a consistent state has no
 * worker to re-point it.
 */
void
pgha_action_forget_upstream(void)
{
	const char *cur_conninfo = GetConfigOption("primary_conninfo", false, false);
	const char *cur_slot = GetConfigOption("primary_slot_name", false, false);

	if ((cur_conninfo == NULL || cur_conninfo[0] == '\0') &&
		(cur_slot == NULL || cur_slot[0] == '\0'))
		return;
	pgha_alter_system("primary_conninfo", NULL);
	pgha_alter_system("primary_slot_name", NULL);
	pgha_action_signal_reload();
	pgha_action_reload_self();
}

/*
 * A standby leader replays its remote's WAL with the standby_cluster
 * section's delay; when it stops being one, the delay it set goes.  Only
 * what pgha set: a delayed standby the DBA made with
 * recovery_min_apply_delay in postgresql.conf keeps it.  What pgha set is
 * in PGHA_APPLY_DELAY_FILE (PostgreSQL shows the setting in its own units,
 * "300000" reads back as "5min", and a worker restart, at every change of
 * role, must still know it).
 */
bool
pgha_action_apply_delay(const char *value)
{
	static char applied[32] = "";
	static bool loaded = false;
	char	   *path = psprintf("%s/%s", DataDir, PGHA_APPLY_DELAY_FILE);

	if (!loaded)
	{
		FILE	   *f = AllocateFile(path, "r");

		if (f != NULL)
		{
			if (fgets(applied, sizeof(applied), f) == NULL)
				applied[0] = '\0';
			applied[strcspn(applied, "\n")] = '\0';
			FreeFile(f);
		}
		loaded = true;
	}
	if (value == NULL || value[0] == '\0')
	{
		if (applied[0] == '\0')
			return false;
		pgha_alter_system("recovery_min_apply_delay", NULL);
		applied[0] = '\0';
		if (unlink(path) != 0 && errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", path)));
	}
	else
	{
		if (strcmp(applied, value) == 0)
			return false;
		/* first the record of it: a delay pgha set is never left unknown */
		pgha_write_durably(path, value);
		pgha_alter_system("recovery_min_apply_delay", value);
		strlcpy(applied, value, sizeof(applied));
	}
	pgha_action_signal_reload();
	pgha_action_reload_self();
	return true;
}

bool
pgha_action_follow(const char *conninfo, const char *slot)
{
	const char *cur_conninfo = GetConfigOption("primary_conninfo", false, false);
	const char *cur_slot = GetConfigOption("primary_slot_name", false, false);
	bool		changed = false;

	if (cur_conninfo == NULL || strcmp(cur_conninfo, conninfo) != 0)
	{
		pgha_alter_system("primary_conninfo", conninfo);
		changed = true;
	}
	if (cur_slot == NULL || strcmp(cur_slot, slot) != 0)
	{
		pgha_alter_system("primary_slot_name", slot);
		changed = true;
	}
	if (changed)
	{
		/* the reload also applies it to this process's GetConfigOption */
		pgha_action_signal_reload();
		pgha_action_reload_self();
	}
	return changed;
}

/*
 * Ask for promotion without waiting for it: the keeper goes on renewing its
 * lease while the startup process finishes recovery (with a replay backlog
 * that can take longer than the ttl), and notices the end of recovery in a
 * later iteration.
 */
void
pgha_action_promote(void)
{
	bool		ok;

	if (!RecoveryInProgress())
		return;
	ok = DatumGetBool(DirectFunctionCall2(pg_promote, BoolGetDatum(false),
										  Int32GetDatum(60)));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha could not request the promotion of this server"),
				 errdetail("pg_promote() could not signal the postmaster.")));
}

/*
 * pg_promote() leaves the file "promote" in the data directory, and the
 * startup process ends recovery only if it still finds it there.  Removing
 * it withdraws a promotion the startup process has not acted on yet (it is
 * frozen, or busy replaying).  True if the file was there; the startup
 * process may still have seen it an instant before, so the caller treats
 * the promotion as possible either way (the write gate stays closed).
 */
bool
pgha_action_cancel_promotion(void)
{
	return unlink(PROMOTE_SIGNAL_FILE) == 0;
}

/*
 * Is a promotion asked for and not withdrawn, or taken by the startup
 * process (which then ends recovery whatever the file says)?  A startup
 * process stopped between finding the file and recording that it took it
 * reads as neither; that window is a few instructions long.
 */
bool
pgha_action_promote_taken(void)
{
	return PromoteIsTriggered();
}

bool
pgha_action_promotion_in_flight(void)
{
	struct stat st;

	return PromoteIsTriggered() || stat(PROMOTE_SIGNAL_FILE, &st) == 0;
}

/*
 * Fencing, before the shutdown: point this data directory at the leader
 * that took over, so that a restart (by hand, or pghactl run after its
 * rewind) comes back following it.  Best effort: an error here (a full
 * disk) is a WARNING, never a reason to skip the fence that follows.
 */
bool
pgha_action_point_at_leader(const char *conninfo, const char *slot)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool done = true;

	PG_TRY();
	{
		set_upstream(conninfo, slot);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not point primary_conninfo at the new leader while fencing"),
				 errdetail("%s", edata->message)));
		FreeErrorData(edata);
		done = false;
	}
	PG_END_TRY();
	return done;
}

/*
 * The fence, in two steps.  The signal goes first: an immediate shutdown
 * ends every backend now, whatever the disk does (a stalled data volume
 * would otherwise hold the fence in an fsync while commits that passed the
 * gate complete when I/O resumes).  SIGQUIT stays blocked in this process
 * until pgha_action_fence_finish() has written, best effort, while the
 * postmaster waits for it (it sends SIGKILL to a child that takes more than
 * a few seconds): standby.signal, so that a restart comes back read-only,
 * and primary_conninfo toward the leader that took over (conninfo NULL: no
 * leader known; PGHA_FENCED_MARKER says so if this node never led).  Nothing between the gate's closing and the signal can be
 * interrupted.
 */
static sigset_t fence_old_mask;

void
pgha_action_fence_signal(void)
{
	sigset_t	quit;

	sigemptyset(&quit);
	sigaddset(&quit, SIGQUIT);
	HOLD_INTERRUPTS();
	sigprocmask(SIG_BLOCK, &quit, &fence_old_mask);
	if (kill(PostmasterPid, SIGQUIT) != 0)
		ereport(WARNING,
				(errmsg("could not signal the postmaster to shut down: %m")));
	RESUME_INTERRUPTS();
}

/* an empty file in the data directory, synced (WARNING if it cannot be) */
static bool
synced_file(const char *name)
{
	int			fd = OpenTransientFile(name, O_WRONLY | O_CREAT | PG_BINARY);
	bool		ok = fd >= 0 && pg_fsync(fd) == 0;

	if (!ok)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", name)));
	if (fd >= 0)
		CloseTransientFile(fd);
	return ok;
}

bool
pgha_action_leave_marker_durably(const char *name)
{
	if (!synced_file(name))
		return false;
	fsync_fname(".", true);
	return true;
}

void
pgha_action_fence_finish(const char *conninfo, const char *slot, bool never_led)
{
	/* before standby.signal: a node that restarts read-only has it */
	if (conninfo == NULL && never_led)
		(void) synced_file(PGHA_FENCED_MARKER);
	(void) synced_file(STANDBY_SIGNAL_FILE);
	fsync_fname(".", true);
	/* an ERROR in here is caught: it never keeps SIGQUIT blocked */
	if (conninfo != NULL)
		(void) pgha_action_point_at_leader(conninfo, slot);
	sigprocmask(SIG_SETMASK, &fence_old_mask, NULL);
}

/*
 * The leader's switchover, step 1, while it still holds the key: make the
 * next start of this data directory a standby of the candidate.  If the
 * key cannot be released, pgha_action_unprepare_switchover() undoes it.
 */
void
pgha_action_prepare_switchover(const char *conninfo, const char *slot)
{
	int			fd;

	set_upstream(conninfo, slot);
	fd = OpenTransientFile(STANDBY_SIGNAL_FILE, O_WRONLY | O_CREAT | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", STANDBY_SIGNAL_FILE)));
	if (pg_fsync(fd) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", STANDBY_SIGNAL_FILE)));
	}
	CloseTransientFile(fd);
	fsync_fname(".", true);
}

void
pgha_action_unprepare_switchover(void)
{
	if (unlink(STANDBY_SIGNAL_FILE) != 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", STANDBY_SIGNAL_FILE)));
	else
		fsync_fname(".", true);
}

/*
 * Leave pghactl run a marker (PGHA_REINIT_MARKER: at the next start it
 * replaces the data directory with a copy of the leader).
 */
bool
pgha_action_leave_marker(const char *name)
{
	char	   *path = psprintf("%s/%s", DataDir, name);
	FILE	   *f = AllocateFile(path, "w");

	if (f == NULL || FreeFile(f) != 0)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not create \"%s\": %m", path)));
		return false;
	}
	return true;
}

bool
pgha_action_has_marker(const char *name)
{
	return access(psprintf("%s/%s", DataDir, name), F_OK) == 0;
}

void
pgha_action_remove_marker(const char *name)
{
	char	   *path = psprintf("%s/%s", DataDir, name);

	if (unlink(path) != 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", path)));
}

/*
 * The leader's switchover, step 3, after it let go of the key: a fast
 * shutdown ends the sessions, writes the shutdown checkpoint and lets the
 * walsenders ship every WAL record to the connected standbys before the
 * postmaster exits.  A primary without the key must stop: if the fast
 * shutdown cannot be requested, an immediate one is.
 */
void
pgha_action_shutdown_fast(void)
{
	HOLD_INTERRUPTS();
	if (kill(PostmasterPid, SIGINT) != 0 && kill(PostmasterPid, SIGQUIT) != 0)
		ereport(WARNING,
				(errmsg("could not ask the postmaster to shut down: %m")));
	RESUME_INTERRUPTS();
}

/*
 * Write a file whole or not at all: a temporary file, synced, renamed over
 * path, the directory synced (a crash leaves the old file or the new one).
 */
/* content into tmp, synced; ERROR (tmp removed) if it cannot be */
static void
write_synced(const char *tmp, const char *content)
{
	int			fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	size_t		len = strlen(content);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	if (write(fd, content, len) != (ssize_t) len || pg_fsync(fd) != 0)
	{
		CloseTransientFile(fd);
		unlink(tmp);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	}
	CloseTransientFile(fd);
}

void
pgha_write_durably(const char *path, const char *content)
{
	char	   *tmp = psprintf("%s.tmp", path);

	write_synced(tmp, content);
	durable_rename(tmp, path, ERROR);
	pfree(tmp);
}

/* is pg_wal's history file of timeline tli one of pgha's placeholders? */
static bool
is_placeholder(int tli)
{
	char		path[MAXPGPATH];
	char		head[sizeof(PGHA_TIMELINE_PLACEHOLDER)];
	int			fd;
	ssize_t		n;

	snprintf(path, sizeof(path), XLOGDIR "/%08X.history", (unsigned) tli);
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head) - 1);
	CloseTransientFile(fd);
	return n == (ssize_t) sizeof(head) - 1 &&
		memcmp(head, PGHA_TIMELINE_PLACEHOLDER, n) == 0;
}

int
pgha_action_next_timeline(int current)
{
	DIR		   *dir = AllocateDir(XLOGDIR);
	struct dirent *de;
	int			newest = current;

	while ((de = ReadDir(dir, XLOGDIR)) != NULL)
		newest = Max(newest, pgha_history_file_timeline(de->d_name));
	FreeDir(dir);
	return newest + 1;
}

/*
 * Never over a file that exists: the startup process may write the real
 * history file of that id between the stat() above and here (a promotion
 * of this node taken long ago).  The placeholder is written and synced
 * under a temporary name, then linked into place, which fails if the name
 * exists; false then.
 */
static bool
plant_placeholder(const char *path, int tli)
{
	char	   *tmp = psprintf("%s.pgha", path);
	char	   *content = psprintf("%s: timeline %d was reserved by another member's promotion; "
								   "this file makes PostgreSQL number its next timeline past it.\n",
								   PGHA_TIMELINE_PLACEHOLDER, tli);
	bool		linked;

	write_synced(tmp, content);
	linked = link(tmp, path) == 0;
	if (!linked && errno != EEXIST)
	{
		unlink(tmp);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not link \"%s\" to \"%s\": %m", tmp, path)));
	}
	unlink(tmp);
	fsync_fname(XLOGDIR, true);
	return linked;
}

int
pgha_action_plant_timelines(int current, int target)
{
	int			planted = 0;
	int			tli;

	for (tli = Max(current + 1, 2); tli < target; tli++)
	{
		char		path[MAXPGPATH];
		struct stat st;

		snprintf(path, sizeof(path), XLOGDIR "/%08X.history", (unsigned) tli);
		if (stat(path, &st) == 0)
			continue;
		if (plant_placeholder(path, tli))
			planted++;
	}
	return planted;
}

int
pgha_action_drop_placeholders(int current, bool (*led) (void *arg, int tli), void *arg)
{
	DIR		   *dir;
	struct dirent *de;
	int			top = current;
	int			dropped = 0;

	/* the newest real history file */
	dir = AllocateDir(XLOGDIR);
	while ((de = ReadDir(dir, XLOGDIR)) != NULL)
	{
		int			tli = pgha_history_file_timeline(de->d_name);

		if (tli > top && !is_placeholder(tli))
			top = tli;
	}
	FreeDir(dir);

	dir = AllocateDir(XLOGDIR);
	while ((de = ReadDir(dir, XLOGDIR)) != NULL)
	{
		int			tli = pgha_history_file_timeline(de->d_name);
		char		path[MAXPGPATH];

		if (tli == 0 || !is_placeholder(tli) || (tli < top && (led == NULL || !led(arg, tli))))
			continue;
		snprintf(path, sizeof(path), XLOGDIR "/%s", de->d_name);
		if (unlink(path) == 0)
			dropped++;
	}
	FreeDir(dir);
	return dropped;
}
