/*-------------------------------------------------------------------------
 *
 * guc.c
 *		Definitions and syntax checks of pgha's local settings.
 *
 * These are the per-node settings (docs/configuration.md).  Node identity
 * is PGC_POSTMASTER: a node cannot change its name or cluster under a
 * running worker.  Endpoints, credentials and tags are PGC_SIGHUP.  No
 * HA-safety knob is USERSET or SUSET, and every credential or path to a
 * credential is GUC_SUPERUSER_ONLY.  Check hooks validate syntax only and
 * never touch the network; cluster-wide timing (ttl, loop_wait, ...) is not
 * a GUC but lives in etcd's "config" key.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "utils/guc.h"

#include "compat.h"
#include "guc.h"
#include "shared/keys.h"

char	   *pgha_etcd_hosts = NULL;
int			pgha_debug_config_delay = 0;
char	   *pgha_etcd_protocol = NULL;
char	   *pgha_etcd_cacert = NULL;
char	   *pgha_etcd_cert = NULL;
char	   *pgha_etcd_key = NULL;
char	   *pgha_etcd_user = NULL;
char	   *pgha_etcd_password_file = NULL;
int			pgha_etcd_timeout = 1000;
int			pgha_etcd_health_interval = 30;

char	   *pgha_namespace = NULL;
char	   *pgha_scope = NULL;
char	   *pgha_name = NULL;
char	   *pgha_connect_address = NULL;
char	   *pgha_database = NULL;
char	   *pgha_replication_user = NULL;
char	   *pgha_passfile = NULL;
char	   *pgha_peer_options = NULL;
char	   *pgha_api_listen = NULL;
char	   *pgha_api_connect_address = NULL;
char	   *pgha_api_user = NULL;
char	   *pgha_api_password_file = NULL;
char	   *pgha_api_certfile = NULL;
char	   *pgha_api_keyfile = NULL;
char	   *pgha_api_cafile = NULL;
int			pgha_api_verify_client = PGHA_VERIFY_CLIENT_NONE;

static const struct config_enum_entry verify_client_options[] = {
	{"none", PGHA_VERIFY_CLIENT_NONE, false},
	{"optional", PGHA_VERIFY_CLIENT_OPTIONAL, false},
	{"required", PGHA_VERIFY_CLIENT_REQUIRED, false},
	{NULL, 0, false}
};

bool		pgha_nofailover = false;
int			pgha_failover_priority = 1;
bool		pgha_noloadbalance = false;
bool		pgha_clonefrom = false;
bool		pgha_nosync = false;
int			pgha_sync_priority = 1;
char	   *pgha_replicatefrom = NULL;
bool		pgha_nostream = false;
int			pgha_patroni_compat = 4;

static bool
check_etcd_hosts(char **newval, void **extra, GucSource source)
{
	char		errbuf[256];

	if (!pgha_etcd_hosts_valid(*newval, errbuf, sizeof(errbuf)))
	{
		GUC_check_errdetail("%s", errbuf);
		return false;
	}
	return true;
}

static bool
check_peer_options(char **newval, void **extra, GucSource source)
{
	char		errbuf[256];

	if (!pgha_peer_options_valid(*newval, errbuf, sizeof(errbuf)))
	{
		GUC_check_errdetail("%s", errbuf);
		return false;
	}
	return true;
}

static bool
check_protocol(char **newval, void **extra, GucSource source)
{
	if (strcmp(*newval, "http") != 0 && strcmp(*newval, "https") != 0)
	{
		GUC_check_errdetail("Valid values are \"http\" and \"https\".");
		return false;
	}
	return true;
}

static bool
check_namespace(char **newval, void **extra, GucSource source)
{
	char		errbuf[256];

	if (!pgha_namespace_valid(*newval, errbuf, sizeof(errbuf)))
	{
		GUC_check_errdetail("%s", errbuf);
		return false;
	}
	return true;
}

static bool
check_member_name(char **newval, void **extra, GucSource source)
{
	char		errbuf[256];

	/* empty means "derive it": see pgha_node_name() */
	if (**newval != '\0' && !pgha_name_valid(*newval, errbuf, sizeof(errbuf)))
	{
		GUC_check_errdetail("%s", errbuf);
		return false;
	}
	return true;
}

static bool
check_connect_address(char **newval, void **extra, GucSource source)
{
	char		errbuf[256];

	if (**newval != '\0' &&
		!pgha_hostport_valid(*newval, errbuf, sizeof(errbuf)))
	{
		GUC_check_errdetail("%s", errbuf);
		return false;
	}
	return true;
}

/*
 * pgha_guc_define
 *		Define every pgha.* setting and reserve the prefix.
 *
 * Called once from _PG_init in the postmaster.
 */
void
pgha_guc_define(void)
{
	DefineCustomStringVariable("pgha.etcd_hosts",
							   "Sets the etcd endpoints pgha talks to.",
							   "A comma-separated list of host:port pairs or "
							   "http(s):// URLs.  pgha tries them in turn and "
							   "remembers the one that answered.",
							   &pgha_etcd_hosts,
							   "127.0.0.1:2379",
							   PGC_SIGHUP, 0,
							   check_etcd_hosts, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_protocol",
							   "Sets the protocol used for etcd endpoints given without a scheme.",
							   "\"http\" or \"https\".",
							   &pgha_etcd_protocol,
							   "http",
							   PGC_SIGHUP, 0,
							   check_protocol, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_cacert",
							   "Sets the CA certificate file that verifies etcd's server certificate.",
							   "Empty uses the system's trusted CAs.  Verification is always on.",
							   &pgha_etcd_cacert,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_cert",
							   "Sets the client certificate file presented to etcd.",
							   NULL,
							   &pgha_etcd_cert,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_key",
							   "Sets the private key file of the etcd client certificate.",
							   NULL,
							   &pgha_etcd_key,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_user",
							   "Sets the etcd user name for authentication.",
							   "Empty disables etcd authentication.",
							   &pgha_etcd_user,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.etcd_password_file",
							   "Sets the file holding the etcd user's password.",
							   "The password itself is never a setting, so it "
							   "cannot leak through SHOW or pg_settings.",
							   &pgha_etcd_password_file,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("pgha.etcd_timeout",
							"Sets the time limit of one etcd request.",
							"Connect and transfer together; on timeout the next "
							"endpoint is tried.",
							&pgha_etcd_timeout,
							1000, 100, 60000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgha.etcd_health_interval",
							"Sets how often the worker checks how many etcd members answer.",
							"Each check asks every etcd member for its status and for the "
							"member list.  0 turns the check off (thousands of clusters on "
							"one etcd: its own monitoring watches it once, not every node).",
							&pgha_etcd_health_interval,
							30, 0, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.namespace",
							   "Sets the etcd key prefix shared by all clusters (Patroni's namespace).",
							   NULL,
							   &pgha_namespace,
							   "/service",
							   PGC_POSTMASTER, 0,
							   check_namespace, NULL, NULL);

	DefineCustomStringVariable("pgha.scope",
							   "Sets the name of the cluster this node belongs to (Patroni's scope).",
							   NULL,
							   &pgha_scope,
							   "pgha",
							   PGC_POSTMASTER, 0,
							   check_member_name, NULL, NULL);

	DefineCustomStringVariable("pgha.name",
							   "Sets this node's member name, unique within the cluster.",
							   "Empty uses cluster_name, or else the host name.",
							   &pgha_name,
							   "",
							   PGC_POSTMASTER, 0,
							   check_member_name, NULL, NULL);

	DefineCustomStringVariable("pgha.connect_address",
							   "Sets the host:port other members and clients use to reach this node.",
							   "Empty uses 127.0.0.1 and this server's port.",
							   &pgha_connect_address,
							   "",
							   PGC_SIGHUP, 0,
							   check_connect_address, NULL, NULL);

	DefineCustomStringVariable("pgha.api_listen",
							   "Sets the host:port the REST API (Patroni's health endpoints) listens on.",
							   "Empty turns the API off.",
							   &pgha_api_listen,
							   "127.0.0.1:8008",
							   PGC_POSTMASTER, 0,
							   check_connect_address, NULL, NULL);

	DefineCustomStringVariable("pgha.api_connect_address",
							   "Sets the host:port others use to reach the REST API (the member's api_url).",
							   "Empty uses the host of pgha.connect_address and the port of pgha.api_listen.",
							   &pgha_api_connect_address,
							   "",
							   PGC_SIGHUP, 0,
							   check_connect_address, NULL, NULL);

	DefineCustomStringVariable("pgha.api_user",
							   "Sets the user name REST API actions (switchover, restart, PATCH /config, ...) authenticate with.",
							   "HTTP basic authentication; with pgha.api_password_file.  Empty turns the actions off.",
							   &pgha_api_user,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.api_password_file",
							   "Sets the file holding the password of pgha.api_user.",
							   "The first line of a file only its owner may read.  Empty turns the actions off.",
							   &pgha_api_password_file,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.api_certfile",
							   "Sets the certificate file (PEM) the REST API serves HTTPS with.",
							   "Empty serves plain HTTP.  With pgha.api_keyfile.",
							   &pgha_api_certfile,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.api_keyfile",
							   "Sets the private key file (PEM) of pgha.api_certfile.",
							   "Only its owner may read it (or root's group, with mode 0640).",
							   &pgha_api_keyfile,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.api_cafile",
							   "Sets the CA certificates (PEM) client certificates of the REST API are checked against.",
							   NULL,
							   &pgha_api_cafile,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomEnumVariable("pgha.api_verify_client",
							 "Sets which REST API requests need a client certificate signed by pgha.api_cafile.",
							 "none; optional: actions need one, and one sent must be valid; required: every request.",
							 &pgha_api_verify_client,
							 PGHA_VERIFY_CLIENT_NONE,
							 verify_client_options,
							 PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.database",
							   "Sets the database the pgha worker connects to.",
							   "CREATE EXTENSION pgha goes in this database.",
							   &pgha_database,
							   "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.replication_user",
							   "Sets the role standbys replicate as.",
							   "Its password, if any, comes from pgha.passfile.",
							   &pgha_replication_user,
							   "replicator",
							   PGC_SIGHUP, 0,
							   check_member_name, NULL, NULL);

	DefineCustomStringVariable("pgha.passfile",
							   "Sets the libpq password file used for replication and peer connections.",
							   "Empty uses libpq's default (~/.pgpass).  Passwords are never settings.",
							   &pgha_passfile,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.peer_options",
							   "Sets libpq options for every connection to a peer (sslmode, channel_binding, ...).",
							   "Streaming, probes, failsafe pings, and pghactl's pg_basebackup and pg_rewind use them.",
							   &pgha_peer_options,
							   "",
							   PGC_SIGHUP, 0,
							   check_peer_options, NULL, NULL);

	DefineCustomBoolVariable("pgha.nofailover",
							 "Prevents this node from ever becoming the leader.",
							 NULL,
							 &pgha_nofailover,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("pgha.failover_priority",
							"Sets this node's priority when several replicas are equally good candidates.",
							"Higher wins.  0 means never promote, like nofailover.",
							&pgha_failover_priority,
							1, 0, 1000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("pgha.noloadbalance",
							 "Marks this node as not to be used for read load balancing.",
							 NULL,
							 &pgha_noloadbalance,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("pgha.clonefrom",
							 "Marks this node as a preferred source for cloning new replicas.",
							 NULL,
							 &pgha_clonefrom,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("pgha.nosync",
							 "Prevents this node from being chosen as a synchronous standby.",
							 NULL,
							 &pgha_nosync,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("pgha.sync_priority",
							"Sets this node's priority as a synchronous standby.",
							"Higher is chosen first.  0 means never synchronous, like nosync.",
							&pgha_sync_priority,
							1, 0, 1000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("pgha.replicatefrom",
							   "Sets the member this standby streams from (cascading replication).",
							   "Empty: the leader.  While that member cannot serve (down, a primary, on another timeline), the leader.",
							   &pgha_replicatefrom,
							   "",
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("pgha.nostream",
							 "Makes this standby replay WAL from the archive only, streaming from nobody.",
							 "Its restore_command reads the archive; no member keeps a replication slot for it.",
							 &pgha_nostream,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("pgha.patroni_compat",
							"Sets which Patroni major version's vocabulary this node writes.",
							"4 (Patroni 4, the default): a primary's role is \"primary\" in its member key and in GET /patroni; "
							"3: \"master\", as Patroni 3 writes it.  pgha reads both.",
							&pgha_patroni_compat,
							4, 3, 4,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	/*
	 * A developer option like post_auth_delay: a pause between reading
	 * the config key and writing it back, so that a test can change the
	 * key in between and see the compare-and-swap refuse (SQLSTATE 40001).
	 */
	DefineCustomIntVariable("pgha.debug_config_delay",
							"Waits this long between reading and writing back the cluster configuration.",
							"A developer option, for testing concurrent changes.",
							&pgha_debug_config_delay,
							0, 0, 60000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("pgha");
}

/*
 * pgha_node_name
 *		This node's member name: pgha.name, else cluster_name, else the host
 *		name.  The result is valid until the next call.
 */
const char *
pgha_node_name(void)
{
	static char hostname[256];
	const char *cluster_name = GetConfigOption("cluster_name", true, false);

	if (pgha_name && pgha_name[0] != '\0')
		return pgha_name;
	if (cluster_name && cluster_name[0] != '\0')
		return cluster_name;
	if (gethostname(hostname, sizeof(hostname) - 1) != 0)
		strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	return hostname;
}

/* a primary's role as the Patroni version pgha.patroni_compat names writes it */
const char *
pgha_primary_role(void)
{
	return pgha_patroni_compat == 3 ? "master" : "primary";
}
