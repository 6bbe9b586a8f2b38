/*-------------------------------------------------------------------------
 *
 * etcd_backend.c
 *		Build the shared etcd client from this server's pgha.* settings, and
 *		turn its failures into PostgreSQL errors.
 *
 * The etcd password lives in a file (pgha.etcd_password_file), never in a
 * setting, so SHOW and pg_settings cannot leak it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/etcd_backend.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <sys/stat.h>

#include "pgtime.h"
#include "storage/fd.h"
#include "utils/fmgrprotos.h"

#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shared/cluster.h"
#include "shared/keys.h"
#include "etcd_backend.h"
#include "guc.h"

PghaEtcd *
pgha_etcd_from_settings(char *errbuf, size_t errlen)
{
	PghaEtcdConfig cfg;
	char		password[1024];
	PghaEtcd   *etcd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts = pgha_etcd_hosts;
	cfg.default_scheme = pgha_etcd_protocol;
	cfg.timeout_ms = pgha_etcd_timeout;
	cfg.tls.cacert = pgha_etcd_cacert;
	cfg.tls.cert = pgha_etcd_cert;
	cfg.tls.key = pgha_etcd_key;
	if (pgha_etcd_user[0] != '\0')
	{
		if (pgha_etcd_password_file[0] == '\0')
		{
			snprintf(errbuf, errlen, "pgha.etcd_user is set but pgha.etcd_password_file is not");
			return NULL;
		}
		if (!pgha_read_password_file(pgha_etcd_password_file, password, sizeof(password),
										  errbuf, errlen))
			return NULL;
		cfg.user = pgha_etcd_user;
		cfg.password = password;
	}
	etcd = pgha_etcd_create(&cfg, errbuf, errlen);
	explicit_bzero(password, sizeof(password));
	return etcd;
}

static void
report_unconfigurable(const char *errbuf)
{
	ereport(ERROR,
			(errcode(ERRCODE_CONFIG_FILE_ERROR),
			 errmsg("could not configure the etcd client"),
			 errdetail("%s", errbuf),
			 errhint("Check the pgha.etcd_* settings.")));
}

PghaEtcd *
pgha_etcd_from_settings_or_error(void)
{
	char		errbuf[512];
	PghaEtcd   *etcd = pgha_etcd_from_settings(errbuf, sizeof(errbuf));

	if (etcd == NULL)
		report_unconfigurable(errbuf);
	return etcd;
}

static PghaEtcd *session_etcd = NULL;
static char *session_key = NULL;

/* what the session client was built from: the settings and the password file's identity */
static char *
session_settings(void)
{
	struct stat st;
	long		mtime = 0;
	long		size = 0;

	if (pgha_etcd_password_file[0] != '\0' && stat(pgha_etcd_password_file, &st) == 0)
	{
		mtime = (long) st.st_mtime;
		size = (long) st.st_size;
	}
	return psprintf("%s|%s|%d|%s|%s|%s|%s|%s|%ld|%ld", pgha_etcd_hosts, pgha_etcd_protocol,
					pgha_etcd_timeout, pgha_etcd_cacert, pgha_etcd_cert, pgha_etcd_key,
					pgha_etcd_user, pgha_etcd_password_file, mtime, size);
}

PghaEtcd *
pgha_etcd_session(void)
{
	char	   *key = session_settings();

	if (session_etcd != NULL && strcmp(key, session_key) == 0)
	{
		pfree(key);
		session_etcd->timeout_ms = pgha_etcd_timeout;
		session_etcd->deadline_us = 0;
		return session_etcd;
	}
	pgha_etcd_session_end(session_etcd, true);
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		char		errbuf[512];

		session_etcd = pgha_etcd_from_settings(errbuf, sizeof(errbuf));
		session_key = session_etcd ? pstrdup(key) : NULL;
		MemoryContextSwitchTo(old);
		if (session_etcd == NULL)
			report_unconfigurable(errbuf);
	}
	pfree(key);
	return session_etcd;
}

void
pgha_etcd_session_end(PghaEtcd *etcd, bool failed)
{
	if (etcd == NULL)
		return;
	/* a watch ends with its call */
	pgha_etcd_watch_stop(etcd);
	if (!failed && etcd == session_etcd)
		return;
	if (etcd == session_etcd)
	{
		session_etcd = NULL;
		pfree(session_key);
		session_key = NULL;
	}
	pgha_etcd_destroy(etcd);
}

void
pgha_etcd_report_error(PghaEtcd *etcd, const char *what)
{
	int			sqlstate;

	switch (etcd->err)
	{
		case PGHA_ETCD_UNREACHABLE:
			sqlstate = ERRCODE_CONNECTION_FAILURE;
			break;
		case PGHA_ETCD_PROTOCOL:
			sqlstate = ERRCODE_PROTOCOL_VIOLATION;
			break;
		case PGHA_ETCD_AUTH_FAILED:
			sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
			break;
		default:
			sqlstate = ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
			break;
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("could not %s in etcd", what),
			 errdetail("%s", etcd->errmsg),
			 etcd->err == PGHA_ETCD_UNREACHABLE ?
			 errhint("Check that etcd is running and that pgha.etcd_hosts lists its client URLs.") : 0));
}

/* a time as ISO 8601 in UTC, as Patroni writes scheduled_at */
char *
pgha_etcd_time(TimestampTz ts)
{
	pg_time_t	t = timestamptz_to_time_t(ts);
	struct pg_tm *tm = pg_gmtime(&t);
	char		buf[64];
	int			usec = (int) (ts % USECS_PER_SEC);

	/* with its microseconds (as Patroni writes them): never earlier than asked */
	if (usec < 0)
		usec += USECS_PER_SEC;
	pg_strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", tm);
	if (usec != 0)
		return psprintf("%s.%06d+00:00", buf, usec);
	return psprintf("%s+00:00", buf);
}

bool
pgha_etcd_parse_time(const char *text, TimestampTz *out)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		*out = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													   CStringGetDatum(text),
													   ObjectIdGetDatum(InvalidOid),
													   Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	/* "now", "epoch" and the like are not times a request was made for */
	return ok && isalpha((unsigned char) text[0]) == 0;
}

void
pgha_etcd_read_cluster(PghaEtcd *etcd, PghaCluster *c)
{
	char	   *prefix = pgha_key_prefix(pgha_namespace, pgha_scope);
	PghaEtcdRange r;
	char		err[256];

	if (!pgha_etcd_range(etcd, prefix, true, &r))
		pgha_etcd_report_error(etcd, "read the cluster");
	pgha_cluster_from_range(prefix, &r, c, err, sizeof(err));
}
