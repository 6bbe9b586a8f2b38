/*-------------------------------------------------------------------------
 *
 * conf.c
 *		Read a node's pgha.conf (postgresql.conf syntax).
 *
 * One file per node holds the pgha.* settings; postgresql.conf includes it,
 * so PostgreSQL and pghactl read the same values.  pghactl's own keys
 * (pghactl.data_directory, pghactl.bin_dir, pghactl.superuser) live in the
 * same file; PostgreSQL keeps them as placeholders.  (pghactl.initdb_options,
 * pghactl.bootstrap_sql, the methods' pghactl.METHOD_OPTION: see
 * docs/pghactl.md.)
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/conf.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/keys.h"
#include "common/logging.h"
#include "conf.h"

static char *
unquote(char *v)
{
	size_t		len;
	char	   *out;
	char	   *o;

	while (isspace((unsigned char) *v))
		v++;
	len = strlen(v);
	while (len > 0 && isspace((unsigned char) v[len - 1]))
		v[--len] = '\0';
	if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'')
	{
		v[len - 1] = '\0';
		v++;
		out = o = pg_strdup(v);
		for (; *v; v++)
		{
			if (*v == '\'' && v[1] == '\'')
				v++;
			*o++ = *v;
		}
		*o = '\0';
		return out;
	}
	return pg_strdup(v);
}

bool
pghactl_conf_bool(const char *value)
{
	return pg_strcasecmp(value, "on") == 0 || pg_strcasecmp(value, "true") == 0 ||
		pg_strcasecmp(value, "yes") == 0 || strcmp(value, "1") == 0;
}

bool
pghactl_conf_read(const char *path, PghactlConf *c)
{
	FILE	   *f;
	char		line[4096];
	char	   *abspath;

	memset(c, 0, sizeof(*c));
	c->etcd_hosts = pg_strdup("127.0.0.1:2379");
	c->etcd_protocol = pg_strdup("http");
	c->namespace = pg_strdup("/service");
	c->scope = pg_strdup("pgha");
	c->replication_user = pg_strdup("replicator");
	c->bin_dir = pg_strdup(PGHA_BINDIR);
	c->superuser = pg_strdup("postgres");
	c->failover_priority = 1;
	/* no trust by default: the superuser's own OS account locally, passwords over TCP */
	c->initdb_options = pg_strdup("--auth-local=peer --auth-host=scram-sha-256");

	f = fopen(path, "r");
	if (f == NULL)
	{
		pg_log_error("could not open file \"%s\": %m", path);
		return false;
	}
	abspath = realpath(path, NULL);
	c->path = pg_strdup(abspath ? abspath : path);
	free(abspath);

	while (fgets(line, sizeof(line), f))
	{
		char	   *p = line;
		char	   *eq;
		char	   *key;
		char	   *hash;
		char	  **dst = NULL;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		/* a comment outside quotes ends the line */
		hash = NULL;
		{
			bool		q = false;
			char	   *s;

			for (s = p; *s; s++)
			{
				if (*s == '\'')
					q = !q;
				else if (*s == '#' && !q)
				{
					hash = s;
					break;
				}
			}
		}
		if (hash)
			*hash = '\0';
		eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		key = p;
		{
			size_t		kl = strlen(key);

			while (kl > 0 && isspace((unsigned char) key[kl - 1]))
				key[--kl] = '\0';
		}
		if (strcmp(key, "pgha.etcd_hosts") == 0)
			dst = &c->etcd_hosts;
		else if (strcmp(key, "pgha.etcd_protocol") == 0)
			dst = &c->etcd_protocol;
		else if (strcmp(key, "pgha.etcd_cacert") == 0)
			dst = &c->etcd_cacert;
		else if (strcmp(key, "pgha.etcd_cert") == 0)
			dst = &c->etcd_cert;
		else if (strcmp(key, "pgha.etcd_key") == 0)
			dst = &c->etcd_key;
		else if (strcmp(key, "pgha.etcd_user") == 0)
			dst = &c->etcd_user;
		else if (strcmp(key, "pgha.etcd_password_file") == 0)
			dst = &c->etcd_password_file;
		else if (strcmp(key, "pgha.namespace") == 0)
			dst = &c->namespace;
		else if (strcmp(key, "pgha.scope") == 0)
			dst = &c->scope;
		else if (strcmp(key, "pgha.name") == 0)
			dst = &c->name;
		else if (strcmp(key, "pgha.connect_address") == 0)
			dst = &c->connect_address;
		else if (strcmp(key, "pgha.replication_user") == 0)
			dst = &c->replication_user;
		else if (strcmp(key, "pgha.passfile") == 0)
			dst = &c->passfile;
		else if (strcmp(key, "pgha.peer_options") == 0)
			dst = &c->peer_options;
		else if (strcmp(key, "pghactl.data_directory") == 0)
			dst = &c->data_directory;
		else if (strcmp(key, "pghactl.bin_dir") == 0)
			dst = &c->bin_dir;
		else if (strcmp(key, "pghactl.superuser") == 0)
			dst = &c->superuser;
		else if (strcmp(key, "pghactl.initdb_options") == 0)
			dst = &c->initdb_options;
		else if (strcmp(key, "pghactl.bootstrap_sql") == 0)
			dst = &c->bootstrap_sql;
		else if (strcmp(key, "pghactl.on_start") == 0)
			dst = &c->on_start;
		else if (strcmp(key, "pghactl.on_stop") == 0)
			dst = &c->on_stop;
		else if (strcmp(key, "pghactl.on_restart") == 0)
			dst = &c->on_restart;
		else if (strcmp(key, "pghactl.on_role_change") == 0)
			dst = &c->on_role_change;
		else if (strcmp(key, "pghactl.on_reload") == 0)
			dst = &c->on_reload;
		else if (strcmp(key, "pgha.api_user") == 0)
			dst = &c->api_user;
		else if (strcmp(key, "pgha.api_password_file") == 0)
			dst = &c->api_password_file;
		else if (strcmp(key, "pgha.api_cafile") == 0)
			dst = &c->api_cafile;
		else if (strcmp(key, "pghactl.api_certfile") == 0)
			dst = &c->api_client_cert;
		else if (strcmp(key, "pghactl.api_keyfile") == 0)
			dst = &c->api_client_key;
		else if (strcmp(key, "pgha.patroni_compat") == 0)
			c->patroni_compat = atoi(unquote(eq + 1));
		else if (strcmp(key, "pgha.nofailover") == 0)
			c->nofailover = pghactl_conf_bool(unquote(eq + 1));
		else if (strcmp(key, "pgha.failover_priority") == 0)
			c->failover_priority = atoi(unquote(eq + 1));
		else if (strcmp(key, "pghactl.create_replica_methods") == 0)
			dst = &c->create_replica_methods;
		else if (strcmp(key, "pghactl.bootstrap_method") == 0)
			dst = &c->bootstrap_method;
		else if (strcmp(key, "pghactl.remove_data_directory_on_rewind_failure") == 0)
			c->remove_data_directory_on_rewind_failure = pghactl_conf_bool(unquote(eq + 1));
		else if (strcmp(key, "pghactl.remove_data_directory_on_diverged_timelines") == 0)
			c->remove_data_directory_on_diverged_timelines = pghactl_conf_bool(unquote(eq + 1));
		/* any other pghactl.*: a method's option, METHOD_OPTION (methods.c) */
		else if (strncmp(key, "pghactl.", 8) == 0)
		{
			int			i;

			for (i = 0; i < c->nmethod_options; i++)
				if (strcmp(c->method_option_keys[i], key) == 0)
					break;
			if (i == c->nmethod_options)
			{
				c->method_option_keys = pg_realloc(c->method_option_keys, (i + 1) * sizeof(char *));
				c->method_option_values = pg_realloc(c->method_option_values, (i + 1) * sizeof(char *));
				c->method_option_keys[i] = pg_strdup(key);
				c->nmethod_options++;
			}
			c->method_option_values[i] = unquote(eq + 1);
		}
		if (dst)
			*dst = unquote(eq + 1);
	}
	fclose(f);
	if (c->name == NULL || c->name[0] == '\0')
	{
		pg_log_error("%s does not set pgha.name", path);
		return false;
	}
	if (c->peer_options)
	{
		char		err[256];

		if (!pgha_peer_options_valid(c->peer_options, err, sizeof(err)))
		{
			pg_log_error("invalid pgha.peer_options in %s: %s", path, err);
			return false;
		}
	}
	return true;
}
