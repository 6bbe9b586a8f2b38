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

#include "storage/fd.h"

#include "etcd_backend.h"
#include "guc.h"

/* First line of the password file, or NULL with errbuf set. */
static char *
read_password_file(const char *path, char *errbuf, size_t errlen)
{
	FILE	   *f;
	char		buf[1024];
	size_t		len;

	f = AllocateFile(path, "r");
	if (f == NULL)
	{
		snprintf(errbuf, errlen, "could not open etcd password file \"%s\": %m", path);
		return NULL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	FreeFile(f);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0)
	{
		snprintf(errbuf, errlen, "etcd password file \"%s\" is empty", path);
		return NULL;
	}
	return pstrdup(buf);
}

PghaEtcd *
pgha_etcd_from_settings(char *errbuf, size_t errlen)
{
	PghaEtcdConfig cfg;
	char	   *password = NULL;
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
		password = read_password_file(pgha_etcd_password_file, errbuf, errlen);
		if (password == NULL)
			return NULL;
		cfg.user = pgha_etcd_user;
		cfg.password = password;
	}
	etcd = pgha_etcd_create(&cfg, errbuf, errlen);
	if (password)
	{
		memset(password, 0, strlen(password));
		pfree(password);
	}
	return etcd;
}

PghaEtcd *
pgha_etcd_from_settings_or_error(void)
{
	char		errbuf[512];
	PghaEtcd   *etcd = pgha_etcd_from_settings(errbuf, sizeof(errbuf));

	if (etcd == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not configure the etcd client"),
				 errdetail("%s", errbuf),
				 errhint("Check the pgha.etcd_* settings.")));
	return etcd;
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
