/*-------------------------------------------------------------------------
 *
 * main.c
 *		pghactl: the companion CLI of pgha.
 *
 * Node commands need this node's PostgreSQL stopped (run, reinit); cluster
 * commands work from any host that reaches etcd (ctl.c).  See usage().
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
#include "getopt_long.h"
#include "pghactl.h"

static void
usage(void)
{
	printf("pghactl: companion of the pgha extension\n\n"
		   "Usage:\n"
		   "  pghactl COMMAND -c FILE [OPTION]...\n\n"
		   "This node (PostgreSQL stopped):\n"
		   "  run                 set up (initdb, clone, rewind) and supervise PostgreSQL\n"
		   "  reinit [--force]    wipe this node's data directory and clone it from the leader\n"
		   "  reinit MEMBER [--force]\n"
		   "                      the same for a member run by pghactl run, from anywhere\n"
		   "  detach              remove what pgha wrote into the data directory (leaving pgha)\n\n"
		   "The cluster (from any host that reaches etcd):\n"
		   "  list [-f json]      members, roles, states, lag (like patronictl list)\n"
		   "  topology            the leader and who streams from it\n"
		   "  history             the timeline history\n"
		   "  switchover [--candidate MEMBER] [--scheduled TIME] [--wait SECONDS] [--force]\n"
		   "  failover --candidate MEMBER [--wait SECONDS] [--force]\n"
		   "  show-config         the dynamic configuration (the config key)\n"
		   "  edit-config [-s KEY=VALUE]... [-p PARAMETER=VALUE]... [--force]\n"
		   "                      change it: with no -s/-p, opens $EDITOR on the JSON\n"
		   "  pause, resume       maintenance mode on and off\n"
		   "  restart MEMBER [--pending] [--scheduled TIME] [--wait SECONDS] [--force]\n"
		   "                      restart a member run by pghactl run (--pending: only if needed)\n"
		   "  flush switchover | flush restart [MEMBER] [--force]\n"
		   "                      cancel a switchover request, withdraw restart requests\n"
		   "  dsn [MEMBER]        libpq keywords to connect to the leader (or MEMBER)\n"
		   "  query [MEMBER] --command SQL [--dbname DB] [--username USER] [-f tsv|json]\n"
		   "                      run SQL on the leader (or MEMBER), print the rows\n"
		   "  reload [MEMBER]     reload every member's configuration (POST /reload), or MEMBER's\n"
		   "  remove              delete the cluster's keys in etcd (asks you to type what\n"
		   "                      patronictl remove asks)\n"
		   "  version [MEMBER]    pghactl's version and each member's agent\n\n"
		   "Without a node:\n"
		   "  etcd-config --nodes NAME=ADDRESS,... [--failures F] [--token T] [--data-dir DIR]\n"
		   "              [--tls-dir DIR | --insecure]\n"
		   "                      each etcd member's YAML config; warns when too few members\n\n"
		   "FILE is the node's pgha.conf (postgresql.conf syntax, included by postgresql.conf).\n"
		   "Exit codes: 0 done, 1 refused or failed, 2 usage error, 3 etcd unreachable.\n");
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
		if (c->etcd_password_file == NULL)
			pg_fatal("pgha.etcd_user is set but pgha.etcd_password_file is not");
		if (!pgha_read_password_file(c->etcd_password_file, password, sizeof(password),
										  err, sizeof(err)))
			pg_fatal("%s", err);
		cfg.user = c->etcd_user;
		cfg.password = password;
	}
	e = pgha_etcd_create(&cfg, err, sizeof(err));
	explicit_bzero(password, sizeof(password));
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

PghaMember *
pghactl_member_or_leader(PghaCluster *c, const char *member, const char *usage)
{
	const char *name = member ? member : (c->has_leader ? c->leader : NULL);
	PghaMember *m;

	if (name == NULL)
	{
		pg_log_error("the cluster has no leader");
		pg_log_error_hint("Name a member: %s.", usage);
		return NULL;
	}
	m = pgha_cluster_member(c, name);
	if (m == NULL || m->host[0] == '\0')
	{
		pg_log_error("member \"%s\" does not exist or publishes no address", name);
		return NULL;
	}
	return m;
}

int
main(int argc, char **argv)
{
	static struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, 'f'},
		{"set", required_argument, NULL, 's'},
		{"parameter", required_argument, NULL, 'p'},
		{"force", no_argument, NULL, 1},
		{"candidate", required_argument, NULL, 2},
		{"scheduled", required_argument, NULL, 3},
		{"wait", required_argument, NULL, 4},
		{"nodes", required_argument, NULL, 5},
		{"failures", required_argument, NULL, 6},
		{"token", required_argument, NULL, 7},
		{"pending", no_argument, NULL, 8},
		{"data-dir", required_argument, NULL, 9},
		{"tls-dir", required_argument, NULL, 10},
		{"insecure", no_argument, NULL, 11},
		{"command", required_argument, NULL, 12},
		{"dbname", required_argument, NULL, 'd'},
		{"username", required_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *file = NULL;
	const char *cmd;
	PghactlConf conf;
	PghactlOptions o;
	int			c;
	char	   *end;

	pg_logging_init(argv[0]);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		usage();
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	memset(&o, 0, sizeof(o));
	o.wait_s = 60;
	o.set = pg_malloc0(sizeof(char *) * argc);
	o.set_is_param = pg_malloc0(sizeof(bool) * argc);
	/* options follow the command */
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "c:f:s:p:d:U:h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'c':
				file = optarg;
				break;
			case 'f':
				o.format = optarg;
				break;
			case 's':
			case 'p':
				o.set_is_param[o.nset] = (c == 'p');
				o.set[o.nset++] = optarg;
				break;
			case 1:
				o.force = true;
				break;
			case 2:
				o.candidate = optarg;
				break;
			case 3:
				o.scheduled = optarg;
				break;
			case 4:
				o.wait_s = (int) strtol(optarg, &end, 10);
				if (*end != '\0' || o.wait_s < 0 || o.wait_s > 86400)
				{
					pg_log_error("invalid --wait \"%s\": give seconds (0 to 86400)", optarg);
					return 2;
				}
				break;
			case 5:
				o.nodes = optarg;
				break;
			case 6:
				o.failures = (int) strtol(optarg, &end, 10);
				if (*end != '\0' || o.failures < 0 || o.failures > 15)
				{
					pg_log_error("invalid --failures \"%s\": give 0 to 15", optarg);
					return 2;
				}
				break;
			case 7:
				o.token = optarg;
				break;
			case 8:
				o.pending = true;
				break;
			case 9:
				o.data_dir = optarg;
				break;
			case 10:
				o.tls_dir = optarg;
				break;
			case 11:
				o.insecure = true;
				break;
			case 12:
				o.command = optarg;
				break;
			case 'd':
				o.dbname = optarg;
				break;
			case 'U':
				o.username = optarg;
				break;
			case 'h':
				usage();
				return 0;
			default:
				pg_log_error_hint("Try \"pghactl --help\" for more information.");
				return 2;
		}
	}
	/* restart MEMBER, reinit, dsn, version, query, reload [MEMBER]: one positional argument */
	if ((strcmp(cmd, "restart") == 0 || strcmp(cmd, "reinit") == 0 || strcmp(cmd, "dsn") == 0 ||
		 strcmp(cmd, "version") == 0 || strcmp(cmd, "query") == 0 || strcmp(cmd, "reload") == 0) &&
		optind < argc)
		o.member = argv[optind++];
	/* flush switchover | flush restart [MEMBER] */
	if (strcmp(cmd, "flush") == 0 && optind < argc)
	{
		o.target = argv[optind++];
		if (optind < argc)
			o.member = argv[optind++];
	}
	if (optind < argc)
	{
		pg_log_error("unexpected argument \"%s\"", argv[optind]);
		pg_log_error_hint("Try \"pghactl --help\" for more information.");
		return 2;
	}
	if (strcmp(cmd, "etcd-config") == 0)
		return pghactl_etcd_config(&o);
	if (strstr(" run reinit detach version dsn flush list topology history switchover failover show-config edit-config pause resume restart query reload remove ",
			   psprintf(" %s ", cmd)) == NULL)
	{
		pg_log_error("unknown command \"%s\"", cmd);
		pg_log_error_hint("Try \"pghactl --help\" for more information.");
		return 2;
	}
	if (file == NULL)
	{
		pg_log_error("no configuration file given (-c FILE)");
		pg_log_error_hint("Give the node's pgha.conf; cluster commands read its etcd settings.");
		return 2;
	}
	if (!pghactl_conf_read(file, &conf))
		return 2;
	if (strcmp(cmd, "run") == 0)
		return pghactl_run(&conf);
	if (strcmp(cmd, "reinit") == 0)
		return pghactl_reinit(&conf, &o);
	if (strcmp(cmd, "detach") == 0)
		return pghactl_detach(&conf);
	if (strcmp(cmd, "version") == 0)
		return pghactl_version(&conf, &o);
	if (strcmp(cmd, "dsn") == 0)
		return pghactl_dsn(&conf, &o);
	if (strcmp(cmd, "flush") == 0)
		return pghactl_flush(&conf, &o);
	if (strcmp(cmd, "list") == 0)
		return pghactl_list(&conf, &o);
	if (strcmp(cmd, "topology") == 0)
		return pghactl_topology(&conf, &o);
	if (strcmp(cmd, "history") == 0)
		return pghactl_history(&conf, &o);
	if (strcmp(cmd, "switchover") == 0)
		return pghactl_switchover(&conf, &o);
	if (strcmp(cmd, "failover") == 0)
		return pghactl_failover(&conf, &o);
	if (strcmp(cmd, "show-config") == 0)
		return pghactl_show_config(&conf, &o);
	if (strcmp(cmd, "edit-config") == 0)
		return pghactl_edit_config(&conf, &o);
	if (strcmp(cmd, "pause") == 0)
		return pghactl_pause(&conf, &o);
	if (strcmp(cmd, "resume") == 0)
		return pghactl_resume(&conf, &o);
	if (strcmp(cmd, "restart") == 0)
		return pghactl_restart(&conf, &o);
	if (strcmp(cmd, "query") == 0)
		return pghactl_query(&conf, &o);
	if (strcmp(cmd, "reload") == 0)
		return pghactl_reload(&conf, &o);
	if (strcmp(cmd, "remove") == 0)
		return pghactl_remove(&conf, &o);
	pg_log_error("unknown command \"%s\"", cmd);
	pg_log_error_hint("Try \"pghactl --help\" for more information.");
	return 2;
}
