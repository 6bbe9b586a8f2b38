/*-------------------------------------------------------------------------
 *
 * remote.c
 *		patronictl's commands that reach into running members: reload
 *		(POST /reload on each member's REST API, as patronictl does, so
 *		that pghactl run also runs on_reload) and query (SQL on a member,
 *		over libpq).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/remote.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/pgha_base64.h"
#include "shared/etcd_json.h"
#include "shared/http.h"
#include "common/logging.h"
#include "libpq-fe.h"
#include "pghactl.h"

/*
 * libpq keywords to reach member m as user (dbname NULL: a replication or
 * pg_basebackup connection, no database).  appname: the member's name, or
 * for a clone "pghactl_clone_<name>": the leader ends a stream that calls
 * itself after a member without streaming on its slot (it could pose as
 * that member's synchronous standby), and pg_basebackup's WAL stream uses
 * a temporary slot.
 */
char *
pghactl_conninfo(const PghactlConf *c, const PghaMember *m, const char *user, const char *dbname,
				 const char *appname)
{
	return psprintf("host=%s port=%d user=%s application_name=%s%s%s%s%s connect_timeout=5%s%s",
					m->host, m->port, user, appname,
					c->passfile ? " passfile=" : "", c->passfile ? c->passfile : "",
					dbname ? " dbname=" : "", dbname ? dbname : "",
					c->peer_options ? " " : "", c->peer_options ? c->peer_options : "");
}

/*
 * Does conninfo reach a server that answers as a primary?  Unreachable,
 * or in recovery: no.
 */
bool
pghactl_answers_as_primary(const char *conninfo)
{
	PGconn	   *pg = PQconnectdb(conninfo);
	PGresult   *res = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, "SELECT pg_is_in_recovery()") : NULL;
	bool		primary = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
		PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "f") == 0;

	PQclear(res);
	PQfinish(pg);
	return primary;
}

/* the remote primary a standby_cluster section names, as a member to reach */
PghaMember
pghactl_standby_remote(const PghaConfig *config)
{
	PghaMember	remote;

	memset(&remote, 0, sizeof(remote));
	strlcpy(remote.name, "the remote primary", sizeof(remote.name));
	strlcpy(remote.host, config->standby_host, sizeof(remote.host));
	remote.port = config->standby_port;
	return remote;
}

/* "Basic <base64 user:password>" from pgha.api_user and its password file; NULL (logged) */
static char *
api_authorization(const PghactlConf *conf)
{
	char		password[1024];
	char		err[256];
	char	   *pair;
	char	   *auth;

	if (conf->api_user == NULL || conf->api_user[0] == '\0' ||
		conf->api_password_file == NULL || conf->api_password_file[0] == '\0')
	{
		pg_log_error("%s sets no pgha.api_user and pgha.api_password_file", conf->path);
		pg_log_error_hint("The REST API takes actions only with them (HTTP basic authentication).");
		return NULL;
	}
	if (!pgha_read_password_file(conf->api_password_file, password, sizeof(password),
								 err, sizeof(err)))
	{
		pg_log_error("%s", err);
		return NULL;
	}
	pair = psprintf("%s:%s", conf->api_user, password);
	explicit_bzero(password, sizeof(password));
	auth = psprintf("Basic %s", pgha_b64_encode(pair, strlen(pair)));
	explicit_bzero(pair, strlen(pair));
	return auth;
}

/* the member's api_url with path in place of /patroni; NULL if it has none */
static char *
api_endpoint(const PghaMember *m, const char *path)
{
	char	   *base = pg_strdup(m->api_url);
	char	   *scheme_end = strstr(base, "://");
	char	   *slash = scheme_end ? strchr(scheme_end + 3, '/') : NULL;

	if (base[0] == '\0' || scheme_end == NULL)
		return NULL;
	if (slash)
		*slash = '\0';
	return psprintf("%s%s", base, path);
}

/*
 * pghactl reload [MEMBER]: POST /reload to every member (or MEMBER), as
 * patronictl reload; its pghactl run passes it on and runs on_reload.
 */
int
pghactl_reload(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	char	   *auth;
	PghaHttp   *http;
	PghaHttpTls tls;
	int			failed = 0;
	int			asked = 0;

	if (!pghactl_snapshot(etcd, conf, &c))
		return EXIT_ETCD;
	if (o->member && pgha_cluster_member(&c, o->member) == NULL)
	{
		pg_log_error("member \"%s\" does not exist", o->member);
		return 1;
	}
	if ((auth = api_authorization(conf)) == NULL)
		return 1;
	http = pgha_http_create();
	memset(&tls, 0, sizeof(tls));
	tls.cacert = conf->api_cafile;
	tls.cert = conf->api_client_cert;
	tls.key = conf->api_client_key;
	pgha_http_set_tls(http, &tls);
	for (int i = 0; i < c.nmembers; i++)
	{
		const PghaMember *m = &c.members[i];
		char	   *url;
		PghaHttpResponse r;

		if (m->foreign || (o->member && strcmp(o->member, m->name) != 0))
			continue;
		asked++;
		if ((url = api_endpoint(m, "/reload")) == NULL)
		{
			printf("Failed: member %s publishes no REST API (api_url)\n", m->name);
			failed++;
			continue;
		}
		/* an empty JSON object: the POST has a body, as patronictl's */
		if (!pgha_http_request(http, url, "{}", auth, 3000, 10000, &r))
		{
			printf("Failed: reload for member %s: %s\n", m->name, r.errmsg);
			failed++;
		}
		else if (r.status == 202 || r.status == 200)
			printf("Reload request received for member %s\n", m->name);
		else
		{
			printf("Failed: reload for member %s, status code=%ld, (%s)\n", m->name, r.status,
				   r.body ? r.body : "");
			failed++;
		}
		pgha_http_response_free(&r);
	}
	explicit_bzero(auth, strlen(auth));
	pgha_http_destroy(http);
	if (asked == 0)
		printf("No member to reload.\n");
	return failed > 0 ? 1 : 0;
}

/*
 * pghactl query [MEMBER] --command SQL [--dbname DB] [--username USER]
 * [-f tsv|json]: run SQL on MEMBER (default: the leader) and print the
 * rows, tab-separated with a header (as patronictl query) or as JSON.
 */
int
pghactl_query(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	const char *name;
	PghaMember *m;
	PGconn	   *pg;
	PGresult   *res;
	bool		json = o->format && strcmp(o->format, "json") == 0;
	int			rc = 0;

	if (o->command == NULL)
	{
		pg_log_error("no SQL given");
		pg_log_error_hint("Usage: pghactl query [MEMBER] --command SQL -c FILE.");
		return 2;
	}
	if (o->format && !json && strcmp(o->format, "tsv") != 0)
	{
		pg_log_error("invalid format \"%s\": tsv or json", o->format);
		return 2;
	}
	if (!pghactl_snapshot(etcd, conf, &c))
		return EXIT_ETCD;
	if ((m = pghactl_member_or_leader(&c, o->member, "pghactl query MEMBER --command SQL")) == NULL)
		return 1;
	name = m->name;
	pg = PQconnectdb(pghactl_conninfo(conf, m, o->username ? o->username : conf->superuser,
									  o->dbname ? o->dbname : "postgres", "pghactl_query"));
	if (PQstatus(pg) != CONNECTION_OK)
	{
		pg_log_error("could not connect to \"%s\": %s", name, PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	res = PQexec(pg, o->command);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		int			nf = PQnfields(res);

		if (json)
			printf("[");
		else
			for (int f = 0; f < nf; f++)
				printf("%s%s", f ? "\t" : "", PQfname(res, f));
		if (!json)
			printf("\n");
		for (int t = 0; t < PQntuples(res); t++)
		{
			if (json)
			{
				json_t	   *row = json_object();
				char	   *s;

				for (int f = 0; f < nf; f++)
					json_object_set_new(row, PQfname(res, f),
										PQgetisnull(res, t, f) ? json_null() :
										json_string(PQgetvalue(res, t, f)));
				s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
				printf("%s%s", t ? "," : "", s);
				free(s);
				json_decref(row);
				continue;
			}
			for (int f = 0; f < nf; f++)
				printf("%s%s", f ? "\t" : "", PQgetisnull(res, t, f) ? "" : PQgetvalue(res, t, f));
			printf("\n");
		}
		if (json)
			printf("]\n");
	}
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		pg_log_error("query failed on \"%s\": %s", name, PQresultErrorMessage(res));
		rc = 1;
	}
	PQclear(res);
	PQfinish(pg);
	return rc;
}
