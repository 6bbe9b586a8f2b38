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
		if (!pgha_etcd_read_password_file(pgha_etcd_password_file, password, sizeof(password),
										  errbuf, errlen))
			return NULL;
		cfg.user = pgha_etcd_user;
		cfg.password = password;
	}
	etcd = pgha_etcd_create(&cfg, errbuf, errlen);
	explicit_bzero(password, sizeof(password));
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
