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

#include "shared/keys.h"
#include "common/logging.h"
#include "getopt_long.h"
#include "pghactl.h"

/*
 * The commands, in the order of pghactl --help.  synopsis and summary are
 * those of the table in docs/pghactl.md (scripts/check-help.sh compares
 * them); "-c FILE" is left out where every command but etcd-config takes it.
 * A command with two forms (reinit, flush) has two entries.
 */
typedef struct PghactlCommand
{
	const char *group;			/* heading in --help, on a group's first entry */
	const char *name;
	const char *synopsis;		/* after "pghactl " */
	const char *summary;
	bool		needs_conf;		/* takes -c FILE */
} PghactlCommand;

static const PghactlCommand commands[] = {
	{"This node (PostgreSQL stopped)", "run", "run",
	"set up and supervise this node's PostgreSQL", true},
	{NULL, "reinit", "reinit [--force]",
	"delete this node's data directory and clone it again", true},
	{NULL, "reinit", "reinit MEMBER [--force]",
	"the same for a member run by pghactl run, from any host", true},
	{NULL, "detach", "detach",
	"remove what pgha wrote into this node's data directory", true},
	{"The cluster (from any host that reaches etcd)", "list", "list [-f json]",
	"members, roles, states, lag", true},
	{NULL, "topology", "topology",
	"the leader and the standbys that follow it", true},
	{NULL, "history", "history",
	"the timeline history", true},
	{NULL, "switchover", "switchover [--candidate MEMBER] [--scheduled TIME] [--wait SECONDS] [--force]",
	"planned handover", true},
	{NULL, "failover", "failover --candidate MEMBER [--wait SECONDS] [--force]",
	"handover, also without a leader", true},
	{NULL, "show-config", "show-config",
	"the dynamic configuration", true},
	{NULL, "edit-config", "edit-config [-s KEY=VALUE]... [-p NAME=VALUE]... [--force]",
	"change the dynamic configuration, everywhere", true},
	{NULL, "pause", "pause",
	"maintenance mode on", true},
	{NULL, "resume", "resume",
	"maintenance mode off", true},
	{NULL, "demote-cluster", "demote-cluster --host HOST [--port PORT] [--primary-slot-name SLOT] [--wait SECONDS] [--force]",
	"make the cluster a standby cluster of a remote primary", true},
	{NULL, "promote-cluster", "promote-cluster [--wait SECONDS] [--force]",
	"make a standby cluster a cluster of its own", true},
	{NULL, "restart", "restart MEMBER [--pending] [--scheduled TIME] [--wait SECONDS] [--force]",
	"restart a member run by pghactl run, now or at TIME", true},
	{NULL, "flush", "flush switchover [--force]",
	"cancel a switchover request (a scheduled one too)", true},
	{NULL, "flush", "flush restart [MEMBER] [--force]",
	"withdraw restart requests not taken yet", true},
	{NULL, "dsn", "dsn [MEMBER]",
	"libpq keywords to connect to the leader, or to MEMBER", true},
	{NULL, "version", "version [MEMBER]",
	"pghactl's version, and each member's agent", true},
	{NULL, "query", "query [MEMBER] --command SQL [-d DB] [-U USER] [-f tsv|json]",
	"run SQL on the leader, or on MEMBER", true},
	{NULL, "reload", "reload [MEMBER]",
	"reload every member's configuration, or MEMBER's", true},
	{NULL, "remove", "remove",
	"delete every key of the cluster in etcd", true},
	{"Without a node", "etcd-config",
		"etcd-config --nodes NAME=ADDRESS,... [--failures F] [--token TOKEN] [--data-dir DIR] [--tls-dir DIR | --insecure]",
	"each etcd member's YAML config", false},
};

/* Every option, described once; a command's help lists those its synopsis names. */
typedef struct PghactlOptionHelp
{
	const char *shortopt;		/* "-f", or NULL */
	const char *longopt;		/* "--format=FORMAT" */
	const char *help;
} PghactlOptionHelp;

static const PghactlOptionHelp option_help[] = {
	{"-c", "--config=FILE", "the node's pgha.conf"},
	{"-f", "--format=FORMAT", "json (list); tsv, the default, or json (query)"},
	{"-s", "--set=KEY=VALUE", "set a config key (JSON value; null deletes)"},
	{"-p", "--parameter=NAME=VALUE", "set postgresql.parameters.NAME"},
	{NULL, "--candidate=MEMBER", "the member to hand over to"},
	{NULL, "--scheduled=TIME", "at TIME (2026-11-26T05:00:00Z, or local)"},
	{NULL, "--wait=SECONDS", "how long to wait for it (default 60)"},
	{NULL, "--pending", "only if a restart is pending"},
	{NULL, "--host=HOST", "the remote primary (names or addresses, comma-separated)"},
	{NULL, "--port=PORT", "its port (default 5432)"},
	{NULL, "--primary-slot-name=SLOT", "its replication slot for this cluster"},
	{NULL, "--force", "do not ask for confirmation"},
	{NULL, "--command=SQL", "the SQL to run"},
	{"-d", "--dbname=DB", "database to connect to (default postgres)"},
	{"-U", "--username=USER", "role to connect as (pghactl.superuser)"},
	{NULL, "--nodes=NAME=ADDRESS,...", "the etcd members"},
	{NULL, "--failures=F", "failed members to survive"},
	{NULL, "--token=TOKEN", "the initial cluster token"},
	{NULL, "--data-dir=DIR", "each member's data directory"},
	{NULL, "--tls-dir=DIR", "certificates (default /etc/etcd/tls)"},
	{NULL, "--insecure", "plain http off this host (warned)"},
};

static const char *exit_codes =
"Exit codes: 0 done, 1 refused or failed, 2 usage error, 3 etcd unreachable;\n"
"run: 4 a bootstrap from a backup failed.\n";

/*
 * Print a line of --help, broken before a "[" at the outer level where it
 * would pass 79 columns; continuation lines are indented by "indent".
 */
static void
print_wrapped(const char *line, int indent)
{
	int			col = 0;
	int			depth = 0;
	const char *p;

	for (p = line; *p; p++)
	{
		if (*p == ' ' && depth == 0 && p[1] == '[')
		{
			const char *next = strchr(p + 1, ']');
			int			len = next ? next - p + 1 : strlen(p);

			if (col + len > 79)
			{
				printf("\n%*s", indent, "");
				col = indent;
				continue;
			}
		}
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		putchar(*p);
		col++;
	}
	putchar('\n');
}

static void
usage(void)
{
	const char *group = NULL;
	int			i;

	printf("pghactl runs a node of a pgha cluster and the cluster's commands.\n\n"
		   "Usage:\n"
		   "  pghactl COMMAND [OPTION]... -c FILE\n"
		   "  pghactl COMMAND --help\n"
		   "  pghactl --version\n");
	for (i = 0; i < lengthof(commands); i++)
	{
		const PghactlCommand *c = &commands[i];

		if (c->group && c->group != group)
			printf("\n%s:\n", group = c->group);
		if (strlen(c->synopsis) <= 18)
			printf("  %-20s%s\n", c->synopsis, c->summary);
		else
		{
			print_wrapped(psprintf("  %s", c->synopsis), 6);
			printf("  %-20s%s\n", "", c->summary);
		}
	}
	printf("\nFILE is the node's pgha.conf (postgresql.conf syntax, included by\n"
		   "postgresql.conf); every command but etcd-config needs it.\n");
	printf("%s", exit_codes);
}

/* does the synopsis name this option ("--wait" of "--wait=SECONDS") as a word? */
static bool
synopsis_has(const char *synopsis, const char *opt)
{
	char	   *name = pnstrdup(opt, strcspn(opt, "="));
	size_t		len = strlen(name);
	const char *p;
	bool		found = false;

	for (p = strstr(synopsis, name); p && !found; p = strstr(p + 1, name))
		found = (p == synopsis || p[-1] == ' ' || p[-1] == '[') &&
			(p[len] == '\0' || p[len] == ' ' || p[len] == ']');
	pfree(name);
	return found;
}

static const PghactlCommand *
find_command(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* pghactl COMMAND --help: its forms, and the options they name */
static void
command_help(const char *name)
{
	bool		found = false;
	int			i;

	for (i = 0; i < lengthof(commands); i++)
	{
		const PghactlCommand *c = &commands[i];

		if (strcmp(c->name, name) != 0)
			continue;
		if (!found)
			printf("Usage:\n");
		print_wrapped(psprintf("  pghactl %s%s", c->synopsis, c->needs_conf ? " -c FILE" : ""), 10);
		printf("      %s\n", c->summary);
		found = true;
	}
	printf("\nOptions:\n");
	for (i = 0; i < lengthof(option_help); i++)
	{
		const PghactlOptionHelp *h = &option_help[i];
		bool		named = false;
		int			j;

		for (j = 0; j < lengthof(commands); j++)
		{
			const PghactlCommand *c = &commands[j];

			if (strcmp(c->name, name) != 0)
				continue;
			if ((h->shortopt && synopsis_has(c->synopsis, h->shortopt)) ||
				synopsis_has(c->synopsis, h->longopt) ||
				(c->needs_conf && strcmp(h->longopt, "--config=FILE") == 0))
				named = true;
		}
		if (!named)
			continue;
		if (h->shortopt)
			printf("  %s, %-24s %s\n", h->shortopt, h->longopt, h->help);
		else
			printf("      %-24s %s\n", h->longopt, h->help);
	}
	printf("  -h, %-24s %s\n", "--help", "show this help, then exit");
	printf("\nSee pghactl(1) for what it does.\n%s", exit_codes);
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
		{"host", required_argument, NULL, 13},
		{"port", required_argument, NULL, 14},
		{"primary-slot-name", required_argument, NULL, 15},
		{"restore-command", required_argument, NULL, 16},
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
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
	{
		printf("pghactl (pgha) %s\n", PGHA_VERSION);
		return 0;
	}
	cmd = argv[1];
	if (find_command(cmd) == NULL)
	{
		pg_log_error("unknown command \"%s\"", cmd);
		pg_log_error_hint("Try \"pghactl --help\" for more information.");
		return 2;
	}
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
			case 13:
				o.host = optarg;
				break;
			case 14:
				o.port = (int) strtol(optarg, &end, 10);
				if (*end != '\0' || o.port < 1 || o.port > 65535)
				{
					pg_log_error("invalid --port \"%s\": give 1 to 65535", optarg);
					return 2;
				}
				break;
			case 15:
				o.primary_slot_name = optarg;
				break;
			case 16:
				o.restore_command = optarg;
				break;
			case 'd':
				o.dbname = optarg;
				break;
			case 'U':
				o.username = optarg;
				break;
			case 'h':
				command_help(cmd);
				return 0;
			default:
				pg_log_error_hint("Try \"pghactl %s --help\" for more information.", cmd);
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
		pg_log_error_hint("Try \"pghactl %s --help\" for more information.", cmd);
		return 2;
	}
	if (strcmp(cmd, "etcd-config") == 0)
		return pghactl_etcd_config(&o);
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
	if (strcmp(cmd, "demote-cluster") == 0)
		return pghactl_demote_cluster(&conf, &o);
	if (strcmp(cmd, "promote-cluster") == 0)
		return pghactl_promote_cluster(&conf, &o);
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
