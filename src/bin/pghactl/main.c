/*-------------------------------------------------------------------------
 *
 * main.c
 *		pghactl: the companion CLI of pgha.
 *
 *	 pghactl run  -c pgha.conf   initialize, clone or rewind this node as
 *								 needed, then run and supervise PostgreSQL
 *	 pghactl list -c pgha.conf   the cluster, like patronictl list
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/main.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/keys.h"
#include "common/logging.h"
#include "pghactl.h"

static void
usage(void)
{
	printf("pghactl: companion of the pgha extension\n\n"
		   "Usage:\n"
		   "  pghactl run  -c FILE   set up (initdb, clone, rewind) and supervise this node\n"
		   "  pghactl list -c FILE   show the cluster's members\n\n"
		   "FILE is the node's pgha.conf (postgresql.conf syntax, included by postgresql.conf).\n");
}

PghaEtcd *
pghactl_etcd(const PghactlConf *c)
{
	PghaEtcdConfig cfg;
	char		err[256];
	char		password[1024] = "";
	PghaEtcd   *e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts = c->etcd_hosts;
	cfg.default_scheme = c->etcd_protocol;
	cfg.timeout_ms = 2000;
	cfg.tls.cacert = c->etcd_cacert;
	cfg.tls.cert = c->etcd_cert;
	cfg.tls.key = c->etcd_key;
	if (c->etcd_user && c->etcd_user[0])
	{
		FILE	   *f = c->etcd_password_file ? fopen(c->etcd_password_file, "r") : NULL;

		if (f == NULL || fgets(password, sizeof(password), f) == NULL)
			pg_fatal("could not read the etcd password file \"%s\"",
					 c->etcd_password_file ? c->etcd_password_file : "");
		fclose(f);
		password[strcspn(password, "\r\n")] = '\0';
		cfg.user = c->etcd_user;
		cfg.password = password;
	}
	e = pgha_etcd_create(&cfg, err, sizeof(err));
	memset(password, 0, sizeof(password));
	if (e == NULL)
		pg_fatal("could not configure the etcd client: %s", err);
	return e;
}

bool
pghactl_snapshot(PghaEtcd *etcd, const PghactlConf *conf, PghaCluster *c)
{
	PghaEtcdRange r;
	char		err[256];
	char	   *prefix = pgha_key_prefix(conf->namespace, conf->scope);

	if (!pgha_etcd_range(etcd, prefix, true, &r))
	{
		pg_log_warning("could not read the cluster from etcd: %s", etcd->errmsg);
		return false;
	}
	pgha_cluster_from_range(prefix, &r, c, err, sizeof(err));
	return true;
}

static int
cmd_list(PghactlConf *conf)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	int			i;

	if (!pghactl_snapshot(etcd, conf, &c))
		return 1;
	printf("Cluster: %s (%s)%s\n", conf->scope,
		   c.has_initialize ? (c.initialize[0] ? c.initialize : "initializing") : "uninitialized",
		   c.config.pause ? "  Maintenance mode: on" : "");
	printf("%-16s %-22s %-8s %-16s %4s %12s\n", "Member", "Host", "Role", "State", "TL", "Lag (bytes)");
	for (i = 0; i < c.nmembers; i++)
	{
		const PghaMember *m = &c.members[i];
		bool		leader = c.has_leader && strcmp(c.leader, m->name) == 0;
		char		host[300];
		char		lag[32] = "";

		snprintf(host, sizeof(host), "%s:%d", m->host, m->port);
		if (!leader && c.has_status && m->xlog_location)
			snprintf(lag, sizeof(lag), "%llu", (unsigned long long)
					 (c.optime > m->xlog_location ? c.optime - m->xlog_location : 0));
		printf("%-16s %-22s %-8s %-16s %4d %12s\n", m->name, host,
			   leader ? "Leader" : "Replica", m->state, m->timeline, lag);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	const char *cmd;
	PghactlConf conf;
	int			i;

	pg_logging_init(argv[0]);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		usage();
		return argc < 2 ? 1 : 0;
	}
	cmd = argv[1];
	for (i = 2; i < argc; i++)
	{
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			file = argv[++i];
		else
		{
			pg_log_error("unexpected argument \"%s\"", argv[i]);
			usage();
			return 1;
		}
	}
	if (file == NULL)
	{
		pg_log_error("no configuration file given (-c FILE)");
		return 1;
	}
	if (!pghactl_conf_read(file, &conf))
		return 1;
	if (strcmp(cmd, "list") == 0)
		return cmd_list(&conf);
	if (strcmp(cmd, "run") == 0)
		return pghactl_run(&conf);
	pg_log_error("unknown command \"%s\"", cmd);
	usage();
	return 1;
}
