/*-------------------------------------------------------------------------
 *
 * failsafe.c
 *		failsafe_mode (Patroni's name and promise): when etcd is down, the
 *		leader keeps running as primary only while every member it knows
 *		confirms, directly, that it sees no other leader.
 *
 * The ping is an authenticated replication connection whose
 * application_name is "pgha_failsafe:<leader>:<ttl>": the member's HBA
 * rules and password checks apply as to any standby.  On the member, an
 * authentication hook answers it: it refuses (FATAL) when this node runs as
 * a primary or its worker's fresh etcd view names another leader, and
 * otherwise records the ping; a member pinged within the ttl (its own or
 * the leader's, the longer) never races for the leader key (rule
 * failsafe_leader_alive), so the leader's confirmation also holds for the
 * next ttl.  A member that cannot be reached vouches for nothing, and the
 * leader fences as without failsafe.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/failsafe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "libpq-fe.h"
#include "access/xlog.h"
#include "libpq/auth.h"
#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "common/file_perm.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "replication/walsender.h"
#include "storage/fd.h"
#include "storage/lwlock.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "actions.h"
#include "shared/datadir_files.h"
#include "shared/clock.h"
#include "failsafe.h"
#include "guc.h"
#include "probe.h"
#include "shmem.h"

static ClientAuthentication_hook_type prev_client_auth = NULL;

/*
 * A promise outlives this server: after a restart, the member takes no
 * free leader key for as long as the last one it made runs, whatever ttl
 * (or failsafe_mode) it reads by then (the simulator's seed 1796663030,
 * --failsafe --ttl-change: a member vouched for a leader on ttl 10,
 * restarted, read ttl 3, and took the key beside it).  Synced before the
 * leader hears the answer, under file_lock (one writer at a time, and
 * never beside a removal); a file that cannot be written: no promise
 * (FATAL).  failsafe.h says what it keeps.
 */
/*
 * The file written and synced under a temporary name, renamed into place;
 * no ERROR under the lock (LOG and false instead).
 */
static bool
write_promise_file(int64 promise_ms)
{
	const char *tmp = PGHA_FAILSAFE_PROMISE_FILE ".tmp";
	char		text[32];
	int			len = snprintf(text, sizeof(text), INT64_FORMAT "\n", promise_ms);
	int			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY, pg_file_create_mode);
	bool		ok = fd >= 0 && write(fd, text, len) == len && pg_fsync(fd) == 0;

	if (!ok)
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	if (fd >= 0)
		close(fd);
	return ok && durable_rename(tmp, PGHA_FAILSAFE_PROMISE_FILE, LOG) == 0;
}

static void
keep_promise(int64 promise_ms)
{
	bool		ok = true;

	LWLockAcquire(pgha_shared->file_lock, LW_EXCLUSIVE);
	if (pgha_failsafe_keep_longer(pgha_shared->failsafe.kept_ms, promise_ms) &&
		(ok = write_promise_file(promise_ms)))
		pgha_shared->failsafe.kept_ms = promise_ms;
	LWLockRelease(pgha_shared->file_lock);
	if (!ok)
		ereport(FATAL,
				(errcode(ERRCODE_IO_ERROR),
				 errmsg("pgha failsafe: could not keep the promise in \"%s\"", PGHA_FAILSAFE_PROMISE_FILE)));
}

int64
pgha_failsafe_kept_promise(void)
{
	FILE	   *f;
	long long	ms = 0;

	LWLockAcquire(pgha_shared->file_lock, LW_EXCLUSIVE);
	if ((f = AllocateFile(PGHA_FAILSAFE_PROMISE_FILE, "r")) != NULL)
	{
		if (fscanf(f, "%lld", &ms) != 1 || ms < 0)
			ms = 0;
		FreeFile(f);
	}
	/* no ping promises longer (an older file may say more) */
	ms = Min(ms, (long long) PGHA_MAX_TTL * 1000);
	/* after a restart of the server: what the file says */
	pgha_shared->failsafe.kept_ms = Max(pgha_shared->failsafe.kept_ms, ms);
	LWLockRelease(pgha_shared->file_lock);
	return (int64) ms;
}

void
pgha_failsafe_retire_promise(int64 run_ms)
{
	char		leader[64];
	int64		promise_ms;
	int64		age;

	LWLockAcquire(pgha_shared->file_lock, LW_EXCLUSIVE);
	age = pgha_failsafe_last_ping(leader, sizeof(leader), &promise_ms);
	if (pgha_failsafe_may_retire(pgha_shared->failsafe.kept_ms, age, run_ms))
	{
		if (unlink(PGHA_FAILSAFE_PROMISE_FILE) != 0 && errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", PGHA_FAILSAFE_PROMISE_FILE)));
		else
			pgha_shared->failsafe.kept_ms = 0;
	}
	LWLockRelease(pgha_shared->file_lock);
}

/* may this role stream WAL (the only kind of role a ping may come from)? */
static bool
role_may_replicate(const char *user)
{
	HeapTuple	tup;
	bool		ok = false;

	if (user == NULL)
		return false;
	tup = SearchSysCache1(AUTHNAME, CStringGetDatum(user));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_authid a = (Form_pg_authid) GETSTRUCT(tup);

		ok = a->rolsuper || a->rolreplication;
		ReleaseSysCache(tup);
	}
	return ok;
}

static void
failsafe_client_auth(Port *port, int status)
{
	char		leader[64 + 16];	/* a name, ":" and the ttl */
	int64		promise_ms = 0;
	int64		own_ms;
	char	   *colon;
	PghaSharedState *st;
	char		seen[64] = "";
	char		last[64] = "";

	if (prev_client_auth)
		prev_client_auth(port, status);
	if (status != STATUS_OK || !am_walsender || port->application_name == NULL ||
		strncmp(port->application_name, PGHA_FAILSAFE_APPNAME, strlen(PGHA_FAILSAFE_APPNAME)) != 0 ||
		pgha_shared == NULL)
		return;
	strlcpy(leader, port->application_name + strlen(PGHA_FAILSAFE_APPNAME), sizeof(leader));
	/* the leader's ttl; an older pgha's ping names the leader alone */
	if ((colon = strchr(leader, ':')) != NULL)
	{
		char	   *end;
		long		ttl = strtol(colon + 1, &end, 10);

		if (end == colon + 1 || *end != '\0' || ttl < PGHA_MIN_TTL || ttl > PGHA_MAX_TTL)
			ereport(FATAL,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("pgha failsafe: invalid ping \"%s\"", port->application_name),
					 errdetail("A ping names the leader, then \":\" and its ttl in seconds, %d to %d.",
							   PGHA_MIN_TTL, PGHA_MAX_TTL)));
		*colon = '\0';
		promise_ms = (int64) ttl * 1000;
	}

	/*
	 * A ping holds this member back from any failover for a ttl: only a
	 * role that may stream WAL may send one, over a physical replication
	 * connection, as the leaders do (PostgreSQL checks the role's
	 * REPLICATION only after this hook, and a database walsender is open to
	 * every login the HBA lets in).
	 */
	if (am_db_walsender)
		ereport(FATAL,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgha failsafe: a ping must use a physical replication connection"),
				 errdetail("application_name \"%s\" came over replication=database.", port->application_name)));
	if (!role_may_replicate(port->user_name))
		ereport(FATAL,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgha failsafe: role \"%s\" has no REPLICATION and cannot send a failsafe ping",
						port->user_name ? port->user_name : "?")));

	if (!RecoveryInProgress())
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: \"%s\" runs as a primary", pgha_node_name())));

	st = palloc(sizeof(PghaSharedState));
	pgha_shmem_read(st);
	/* as Patroni refuses one: nobody may count on a promise it does not make */
	if (!st->failsafe_mode)
	{
		pfree(st);
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: failsafe_mode is off on \"%s\"", pgha_node_name())));
	}
	strlcpy(last, st->last_leader, sizeof(last));
	/* our worker reached etcd lately and saw another member lead */
	if (st->etcd_reachable && st->leader[0] != '\0' && strcmp(st->leader, leader) != 0 &&
		TimestampDifferenceExceeds(st->etcd_last_contact, GetCurrentTimestamp(), 10000) == false)
		strlcpy(seen, st->leader, sizeof(seen));
	pfree(st);
	if (seen[0] != '\0')
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: etcd names \"%s\" the leader, not \"%s\"", seen, leader)));
	/* only the leader this member last saw in etcd can have lost it since */
	if (strcmp(last, leader) != 0)
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: \"%s\" is not the leader this member last saw%s%s%s",
						leader, last[0] ? " (\"" : "", last, last[0] ? "\")" : "")));

	/* under the lock that pgha_failsafe_claim() takes: one or the other */
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	if (pgha_shared->failsafe.claimed)
	{
		LWLockRelease(pgha_shared->lock);
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: \"%s\" takes or holds the leader key", pgha_node_name())));
	}
	strlcpy(pgha_shared->failsafe.leader, leader, sizeof(pgha_shared->failsafe.leader));
	pgha_shared->failsafe.at_ms = pgha_now_us() / 1000;
	pgha_shared->failsafe.promise_ms = promise_ms;
	own_ms = (int64) pgha_shared->keeper.config.ttl * 1000;
	LWLockRelease(pgha_shared->lock);
	keep_promise(Max(own_ms, promise_ms));
}

bool
pgha_failsafe_claim(int64 promise_ms)
{
	bool		held;

	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	held = pgha_shared->failsafe.at_ms != 0 &&
		pgha_now_us() / 1000 - pgha_shared->failsafe.at_ms <
		Max(promise_ms, pgha_shared->failsafe.promise_ms);
	if (!held)
		pgha_shared->failsafe.claimed = true;
	LWLockRelease(pgha_shared->lock);
	return !held;
}

void
pgha_failsafe_release(void)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	pgha_shared->failsafe.claimed = false;
	LWLockRelease(pgha_shared->lock);
}

void
pgha_failsafe_init(void)
{
	prev_client_auth = ClientAuthentication_hook;
	ClientAuthentication_hook = failsafe_client_auth;
}

int64
pgha_failsafe_last_ping(char *leader, size_t len, int64 *promise_ms)
{
	int64		at;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	strlcpy(leader, pgha_shared->failsafe.leader, len);
	at = pgha_shared->failsafe.at_ms;
	*promise_ms = pgha_shared->failsafe.promise_ms;
	LWLockRelease(pgha_shared->lock);
	if (at == 0)
		return -1;
	/* the monotonic clock: a wall-clock step neither ages nor renews a promise */
	return Max(0, pgha_now_us() / 1000 - at);
}

bool
pgha_failsafe_ping(const PghaMember *m, int ttl)
{
	char	   *conninfo;
	char	   *appname = psprintf("%s%s:%d", PGHA_FAILSAFE_APPNAME, pgha_node_name(), ttl);
	PGconn	   *conn;
	const char *hs;
	bool		ok;

	if (m->host[0] == '\0')
		return false;
	conninfo = psprintf("%s application_name='%s'", pgha_conninfo(m, true, 1), appname);
	conn = pgha_libpq_connect(conninfo);
	pfree(conninfo);
	ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
	hs = ok ? PQparameterStatus(conn, "in_hot_standby") : NULL;
	ok = ok && hs != NULL && strcmp(hs, "on") == 0;
	if (!ok)
		ereport(LOG,
				(errmsg("pgha failsafe: \"%s\" did not vouch for this leader", m->name),
				 errdetail_internal("%s", conn && PQstatus(conn) != CONNECTION_OK ?
									pchomp(PQerrorMessage(conn)) : "It does not run as a standby.")));
	pgha_libpq_disconnect(conn);
	return ok;
}
