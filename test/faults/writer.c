/*-------------------------------------------------------------------------
 *
 * writer.c
 *		The fault suite's client: one INSERT every interval through a libpq
 *		connection string, each attempt logged with monotonic timestamps.
 *
 *	writer CONNINFO NAME INTERVAL_MS TIMEOUT_MS LOGFILE
 *
 * Each acknowledged row is tagged by the server that took it: system
 * identifier, the timeline it was inserted on (from the WAL file name of
 * the insert position) and pgha.name, so the checker can tell primaries
 * apart and prove that no two accepted writes at the same time.  A query
 * that does not answer within TIMEOUT_MS (a frozen or partitioned server)
 * is abandoned and the connection dropped: never acknowledged.  <lsn> is
 * the WAL insert position after the row, in bytes: how far past the fork
 * of a new timeline a lost write was.  Runs until
 * SIGTERM.  Log lines (times in CLOCK_MONOTONIC ms):
 *
 *	<sent> <done> <seq> ok <node> <timeline> <sysid> <lsn>
 *	<sent> <done> <seq> err <sqlstate> <message>
 *	<sent> <done> <seq> timeout
 *
 * Copyright (c) 2026, pgha developers
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static volatile sig_atomic_t stop = 0;

static void
on_term(int sig)
{
	stop = 1;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* one line, no newlines inside: messages may span lines */
static void
oneline(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int
main(int argc, char **argv)
{
	const char *conninfo, *name, *logpath;
	int			interval_ms, timeout_ms;
	PGconn	   *conn = NULL;
	FILE	   *log;
	long		seq = 0;

	if (argc != 6)
	{
		fprintf(stderr, "usage: writer CONNINFO NAME INTERVAL_MS TIMEOUT_MS LOGFILE\n");
		return 2;
	}
	conninfo = argv[1];
	name = argv[2];
	interval_ms = atoi(argv[3]);
	timeout_ms = atoi(argv[4]);
	logpath = argv[5];
	if ((log = fopen(logpath, "a")) == NULL)
	{
		perror(logpath);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);

	while (!stop)
	{
		double		t0 = mono_ms(),
					start = t0,
					t1;
		char		sql[512];
		PGresult   *res = NULL;
		int			timed_out = 0;
		int			ok;

		seq++;
		if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		{
			if (conn)
				PQfinish(conn);
			conn = PQconnectdb(conninfo);
			if (PQstatus(conn) != CONNECTION_OK)
			{
				char	   *m = strdup(PQerrorMessage(conn));

				oneline(m);
				fprintf(log, "%.1f %.1f %ld err connect %s\n", t0, mono_ms(), seq, m);
				fflush(log);
				free(m);
				PQfinish(conn);
				conn = NULL;
				goto next;
			}
		}
		/* "sent" is when the query goes out, not when connecting began */
		t0 = mono_ms();
		snprintf(sql, sizeof(sql),
				 "INSERT INTO faults_w (writer, seq) VALUES ('%s', %ld) "
				 "RETURNING node, substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8), "
				 "(SELECT system_identifier FROM pg_control_system()), "
				 "pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint",
				 name, seq);
		if (!PQsendQuery(conn, sql))
		{
			PQfinish(conn);
			conn = NULL;
			fprintf(log, "%.1f %.1f %ld err send connection lost\n", t0, mono_ms(), seq);
			fflush(log);
			goto next;
		}
		/* wait for the whole answer, no longer than timeout_ms */
		for (;;)
		{
			struct pollfd pfd = {PQsocket(conn), POLLIN, 0};
			int			left = timeout_ms - (int) (mono_ms() - t0);

			if (!PQisBusy(conn))
				break;
			if (left <= 0 || stop)
			{
				timed_out = 1;
				break;
			}
			if (poll(&pfd, 1, left) < 0 && errno != EINTR)
				break;
			if (!PQconsumeInput(conn))
				break;
		}
		if (timed_out)
		{
			fprintf(log, "%.1f %.1f %ld timeout\n", t0, mono_ms(), seq);
			fflush(log);
			PQfinish(conn);
			conn = NULL;
			goto next;
		}
		res = PQgetResult(conn);
		t1 = mono_ms();
		ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		if (ok)
			fprintf(log, "%.1f %.1f %ld ok %s %s %s %s\n", t0, t1, seq,
					PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
					PQgetvalue(res, 0, 3));
		else
		{
			const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
			char	   *m = strdup(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));

			oneline(m);
			fprintf(log, "%.1f %.1f %ld err %s %s\n", t0, t1, seq, state ? state : "-", m);
			free(m);
		}
		fflush(log);
		PQclear(res);
		while ((res = PQgetResult(conn)) != NULL)
			PQclear(res);
		/* after any error, connect again: target_session_attrs finds the primary */
		if (!ok || PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE)
		{
			PQfinish(conn);
			conn = NULL;
		}
next:
		{
			double		wait = interval_ms - (mono_ms() - start);

			if (wait > 0 && !stop)
				usleep((useconds_t) (wait * 1000));
		}
	}
	if (conn)
		PQfinish(conn);
	fclose(log);
	return 0;
}
