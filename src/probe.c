/*-------------------------------------------------------------------------
 *
 * probe.c
 *		Ask another member directly, over a replication connection, how far
 *		its WAL got.
 *
 * During a failover the member keys in etcd can be a loop old, so the
 * candidates ask each other (docs/ha.md, "Failover").  A replication
 * connection with the replication user works wherever streaming works,
 * without a login to any database: IDENTIFY_SYSTEM answers with the
 * system identifier, the timeline and, on a standby, max(received,
 * replayed) -- exactly the position that decides who is ahead.  The
 * in_hot_standby parameter (reported at connection start, 14+) says
 * whether the peer is a standby.
 *
 * The connection is bounded (connect_timeout 1 s, interrupt-aware through
 * libpq-be-fe-helpers.h when the server headers have it).  A peer that
 * does not answer is reported unreachable: a dead node is never better.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/probe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq-fe.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "utils/wait_event.h"

#if defined(__has_include)
#if __has_include("libpq/libpq-be-fe-helpers.h")
#include "libpq/libpq-be-fe-helpers.h"
#define HAVE_LIBPQSRV 1
#endif
#endif

#include "actions.h"
#include "shared/clock.h"
#include "compat.h"
#include "probe.h"

PGconn *
pgha_libpq_connect(const char *conninfo)
{
#ifdef HAVE_LIBPQSRV
	return libpqsrv_connect(conninfo, PG_WAIT_EXTENSION);
#else
	return PQconnectdb(conninfo);
#endif
}

void
pgha_libpq_disconnect(PGconn *conn)
{
	if (conn == NULL)
		return;
#ifdef HAVE_LIBPQSRV
	libpqsrv_disconnect(conn);
#else
	PQfinish(conn);
#endif
}

/*
 * A query with a time limit: a peer that answered the connection and then
 * froze (SIGSTOP, a stalled disk) still acknowledges TCP, so neither the
 * connect timeout nor tcp_user_timeout ends the wait.  NULL when the limit
 * passed or the connection broke; the caller disconnects.
 */
#define PROBE_QUERY_MS 2000

static PGresult *
exec_bounded(PGconn *conn, const char *query)
{
	int64		until = pgha_now_us() + (int64) PROBE_QUERY_MS * 1000;
	PGresult   *last = NULL;
	PGresult   *res;

	if (!PQsendQuery(conn, query))
		return NULL;
	for (;;)
	{
		while (PQisBusy(conn))
		{
			long		left = pgha_ms_until(until);
			int			rc;

			if (left <= 0)
			{
				PQclear(last);
				return NULL;
			}
			rc = WaitLatchOrSocket(MyLatch,
								   WL_LATCH_SET | WL_SOCKET_READABLE | WL_TIMEOUT | WL_POSTMASTER_DEATH,
								   PQsocket(conn), left, PG_WAIT_EXTENSION);
			/*
			 * No decision on a dead instance (a standby holds no key to
			 * release): a missing peer answer would let it race.
			 */
			if (rc & WL_POSTMASTER_DEATH)
				proc_exit(1);
			if (rc & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
			}
			if ((rc & WL_SOCKET_READABLE) && !PQconsumeInput(conn))
			{
				PQclear(last);
				return NULL;
			}
		}
		res = PQgetResult(conn);
		if (res == NULL)
			break;
		PQclear(last);
		last = res;
	}
	return last;
}

void
pgha_probe_member(const PghaMember *m, PghaPeer *out)
{
	char	   *conninfo = pgha_conninfo(m, true, 1);
	PGconn	   *conn;
	PGresult   *res;
	const char *hs;
	unsigned int hi,
				lo;

	memset(out, 0, sizeof(*out));
	strlcpy(out->name, m->name, sizeof(out->name));
	out->nofailover = m->nofailover;
	out->failover_priority = m->failover_priority;
	if (m->host[0] == '\0')
		return;

	conn = pgha_libpq_connect(conninfo);
	pfree(conninfo);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		/* a postmaster in shutdown still runs its walsenders: not gone yet */
		if (conn && strstr(PQerrorMessage(conn), "shutting down") != NULL)
			out->shutting_down = true;
		ereport(DEBUG1,
				(errmsg("pgha could not probe member \"%s\"", m->name),
				 errdetail_internal("%s", conn ? pchomp(PQerrorMessage(conn)) : "out of memory")));
		goto done;
	}
	hs = PQparameterStatus(conn, "in_hot_standby");
	out->in_recovery = (hs != NULL && strcmp(hs, "on") == 0);

	res = exec_bounded(conn, "IDENTIFY_SYSTEM");
	if (res == NULL)
		ereport(DEBUG1,
				(errmsg("pgha could not probe member \"%s\": no answer to IDENTIFY_SYSTEM within %d ms",
						m->name, PROBE_QUERY_MS)));
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 3 &&
		sscanf(PQgetvalue(res, 0, 2), "%X/%X", &hi, &lo) == 2)
	{
		out->sysid = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		/* a server of another cluster is no peer of ours */
		out->reachable = (out->sysid == GetSystemIdentifier());
		out->timeline = atoi(PQgetvalue(res, 0, 1));
		out->lsn = ((uint64) hi << 32) | lo;
	}
	PQclear(res);
done:
	pgha_libpq_disconnect(conn);
}
