/*-------------------------------------------------------------------------
 *
 * probe.c
 *		Ask another member directly, over a replication connection, how far
 *		its WAL got.
 *
 * During a failover the member keys in etcd can be a loop old, so the
 * candidates ask each other (design.md section 5).  A replication
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
#include "pgstat.h"
#include "utils/wait_event.h"

#if defined(__has_include)
#if __has_include("libpq/libpq-be-fe-helpers.h")
#include "libpq/libpq-be-fe-helpers.h"
#define HAVE_LIBPQSRV 1
#endif
#endif

#include "actions.h"
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

#ifdef HAVE_LIBPQSRV
	res = libpqsrv_exec(conn, "IDENTIFY_SYSTEM", PG_WAIT_EXTENSION);
#else
	res = PQexec(conn, "IDENTIFY_SYSTEM");
#endif
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 3 &&
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
