/*-------------------------------------------------------------------------
 *
 * replica.c
 *		A new replica's data directory, by Patroni's create_replica_methods:
 *		an ordered list of methods (pghactl.create_replica_methods, default
 *		"basebackup"), tried in turn until one succeeds.
 *
 * "basebackup" is pg_basebackup from the clone source: a running,
 * streaming member tagged clonefrom, else the leader.  Any other name is a
 * method of methods.c, typically a backup tool's restore (pgBackRest:
 * "pgbackrest --stanza=main --delta restore"), which reads the backups and
 * the WAL archive rather than copying terabytes from the primary.  Its
 * options:
 *	- keep_data: do not empty the data directory first (a delta restore
 *	  reuses what is there), nor after a failure;
 *	- no_params: do not pass --scope, --role, --datadir, --connstring;
 *	- no_leader: the method works without a clone source, so a replica can
 *	  be created while the cluster has no leader (methods without it are
 *	  skipped then, basebackup always).
 * Whatever the method, the node then starts as a standby with no slot; its
 * worker points primary_conninfo at the leader.  The first member of a new
 * standby cluster is made the same way from the remote primary, by the
 * methods the standby_cluster section names.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/replica.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <unistd.h>

#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "common/logging.h"
#include "libpq-fe.h"
#include "pghactl.h"

/*
 * After a copy: the files came from another member, whose
 * postgresql.auto.conf may name a slot of its own (when it was a standby).
 * Start without a slot: the node streams, reaches a consistent state, its
 * worker publishes it, the leader creates its slot and the worker points
 * primary_slot_name at it.
 */
bool
pghactl_clear_slot(const PghactlConf *c)
{
	char	   *path = psprintf("%s/postgresql.auto.conf", c->data_directory);
	FILE	   *f = fopen(path, "a");

	if (f == NULL)
	{
		pg_log_error("could not open \"%s\": %m", path);
		return false;
	}
	fprintf(f, "primary_slot_name = ''\n");
	return fclose(f) == 0;
}

/*
 * Where a new replica copies its data from: a running, streaming member
 * tagged clonefrom (keeps the load of a base backup off the primary), else
 * the leader.  NULL while no other member leads.
 */
static const PghaMember *
clone_source(PghaCluster *cl, const PghactlConf *c)
{
	const PghaMember *leader = pghactl_leader_member(cl);
	int			i;

	if (leader == NULL || leader->host[0] == '\0' || strcmp(leader->name, c->name) == 0)
		return NULL;
	for (i = 0; i < cl->nmembers; i++)
	{
		const PghaMember *m = &cl->members[i];

		/* a member key on a lease: written by a running member, not by hand */
		if (m->clonefrom && !m->foreign && m->lease != 0 && strcmp(m->name, c->name) != 0 &&
			strcmp(m->state, "running") == 0 && m->host[0] != '\0' &&
			(strcmp(m->role, "primary") == 0 || strcmp(m->replication_state, "streaming") == 0))
			return m;
	}
	return leader;
}

/*
 * A copy is of this cluster, a replica-to-be: the markers of the data
 * directory it came from go (a primary's fresh bootstrap, a fence without
 * a leader, a reinit or restart request), it starts as a standby, with
 * pgha.conf included and no slot of its source's.
 */
static bool
finish_copy(const PghactlConf *c)
{
	static const char *const markers[] = {PGHA_BOOTSTRAP_MARKER, PGHA_FENCED_MARKER,
	PGHA_STANDBY_COPY_MARKER,
	PGHA_REINIT_MARKER, PGHA_RESTART_MARKER, "recovery.signal"};

	for (int i = 0; i < lengthof(markers); i++)
		(void) unlink(psprintf("%s/%s", c->data_directory, markers[i]));
	/* the delay a standby leader replays with (pgha's, src/actions.h) is its own */
	if (unlink(psprintf("%s/pgha.apply_delay", c->data_directory)) == 0 &&
		!pghactl_drop_auto_settings(c, "recovery_min_apply_delay"))
		return false;
	if (!pghactl_touch(psprintf("%s/standby.signal", c->data_directory)))
	{
		pg_log_error("could not create \"%s/standby.signal\": %m", c->data_directory);
		return false;
	}
	/* a restore tool's recovery target would stop the standby there */
	return pghactl_drop_recovery_targets(c) && pghactl_write_include(c, true) &&
		pghactl_clear_slot(c);
}

static bool
basebackup(const PghactlConf *c, const PghaMember *source)
{
	char	   *ci = pghactl_conninfo(c, source, c->replication_user, NULL,
									 psprintf("pghactl_clone_%s", c->name));
	char	   *argv[] = {pghactl_bin(c, "pg_basebackup"), "-D", c->data_directory, "-d", ci,
	"-X", "stream", "-c", "fast", "-R", NULL};

	/* what a failed method with keep_data left: pg_basebackup wants it empty */
	if (!pghactl_empty_data_directory(c))
		return false;
	pg_log_info("cloning from \"%s\" (%s:%d)", source->name, source->host, source->port);
	if (pghactl_run_cmd(argv) != 0)
	{
		pg_log_error("pg_basebackup from \"%s\" failed", source->name);
		pghactl_down_because("pg_basebackup from \"%s\" failed (pghactl's log has its output)",
							 source->name);
		return false;
	}
	return true;
}

/*
 * The system identifier of source, over a replication connection
 * (IDENTIFY_SYSTEM); "" if it cannot be asked.
 */
char *
pghactl_sysid_of(const PghactlConf *c, const PghaMember *source)
{
	PGconn	   *pg = PQconnectdb(psprintf("%s replication=true",
										  pghactl_conninfo(c, source, c->replication_user, NULL,
														   psprintf("pghactl_clone_%s", c->name))));
	PGresult   *res = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, "IDENTIFY_SYSTEM") : NULL;
	char	   *sysid = pstrdup(res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ?
								PQgetvalue(res, 0, 0) : "");

	PQclear(res);
	PQfinish(pg);
	return sysid;
}

/*
 * Does the restored data directory belong to this cluster, as etcd says
 * now (a restore may take hours)?  Its system identifier must be the
 * initialize key's; an empty or absent key will do only for the node that
 * holds the lock itself (lock_held: the standby leader of a new standby
 * cluster), whose copy must then be of the remote primary when it answers,
 * as a restore from the wrong stanza must never start.
 */
static bool
same_cluster(const PghactlConf *c, PghaEtcd *etcd, const char *method, bool lock_held,
			 const PghaMember *source)
{
	PghaCluster now;
	bool		crc_ok;
	ControlFileData *cf;
	char		sysid[32];
	bool		same;

	if (!pghactl_has_control(c->data_directory))
	{
		pg_log_error("method \"%s\" left no global/pg_control in %s", method, c->data_directory);
		return false;
	}
	if (!pghactl_snapshot(etcd, c, &now))
		return false;
	cf = get_controlfile(c->data_directory, &crc_ok);
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, cf->system_identifier);
	pfree(cf);
	if (now.has_initialize && now.initialize[0] != '\0')
		same = crc_ok && strcmp(sysid, now.initialize) == 0;
	else if (lock_held && source != NULL)
	{
		char	   *remote = pghactl_sysid_of(c, source);

		same = crc_ok && (remote[0] == '\0' || strcmp(sysid, remote) == 0);
		if (!same)
			pg_log_error("method \"%s\" restored a data directory with system identifier %s; the remote primary has %s",
						 method, sysid, remote);
		else if (remote[0] == '\0')
			pg_log_warning("could not ask the remote primary for its system identifier; the copy is taken as it is (%s)",
						   sysid);
	}
	else
		same = crc_ok && lock_held;
	if (!same)
	{
		pg_log_error("method \"%s\" restored a data directory with system identifier %s; cluster \"%s\" has %s",
					 method, sysid, c->scope, now.has_initialize && now.initialize[0] ? now.initialize : "none yet");
		pg_log_error_hint("Check its command (which backup, which stanza) in %s.", c->path);
	}
	return same;
}

static bool
by_method(const PghactlConf *c, PghaEtcd *etcd, const char *method, const PghaMember *source,
		  bool lock_held)
{
	bool		keep = pghactl_method_flag(c, method, "keep_data");
	char	   *params[4];
	int			n = 0;
	int			rc;

	if (!keep && !pghactl_empty_data_directory(c))
		return false;
	if (!pghactl_method_flag(c, method, "no_params"))
	{
		params[n++] = psprintf("--scope=%s", c->scope);
		params[n++] = "--role=replica";
		params[n++] = psprintf("--datadir=%s", c->data_directory);
		params[n++] = psprintf("--connstring=%s", source ?
							   pghactl_conninfo(c, source, c->replication_user, NULL,
												psprintf("pghactl_clone_%s", c->name)) : "");
	}
	pg_log_info("creating this replica with method \"%s\"", method);
	rc = pghactl_method_run(c, method, params, n, false);
	if (rc == 0 && pghactl_has_pg_version(c->data_directory) &&
		same_cluster(c, etcd, method, lock_held, source))
	{
		pg_log_info("replica created with method \"%s\"", method);
		return true;
	}
	if (rc != 0)
		pg_log_error("creating this replica with method \"%s\" failed (exit status %d)", method, rc);
	else if (!pghactl_has_pg_version(c->data_directory))
		pg_log_error("method \"%s\" left no data directory in %s", method, c->data_directory);
	pghactl_down_because("creating this replica with method \"%s\" failed (pghactl's log says why)",
						 method);
	if (!keep)
		(void) pghactl_empty_data_directory(c);
	return false;
}

/*
 * Fill the data directory by the first method of the list (names
 * separated by commas or spaces) that succeeds; basebackup copies source.
 * A list from etcd (from_etcd) names methods, it never runs a name as a
 * command: one without a command in pgha.conf is skipped.
 * false: none did, or none could run (no source, and no method that works
 * without one); down_because says why.
 */
static bool
create_copy(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl, const char *list,
			const PghaMember *source, bool from_etcd)
{
	char	   *methods = pg_strdup(list && list[0] ? list : "basebackup");
	char	   *save;
	char	   *method;
	bool		tried = false;
	/* before any method touches the directory (one with keep_data too) */
	char	   *promise = pghactl_read_promise(c);

	/*
	 * An empty initialize key: another node bootstraps the cluster (a
	 * restore to a point in time may take hours).  A copy made from the
	 * backups meanwhile could be newer than what it restores, and promote.
	 */
	if (source == NULL && !from_etcd && cl->has_initialize && cl->initialize[0] == '\0')
	{
		pg_log_info("another node bootstraps cluster \"%s\" (its initialize key is empty): waiting", c->scope);
		pghactl_down_because("another node bootstraps the cluster (its initialize key is empty); waiting for its leader");
		return false;
	}
	for (method = strtok_r(methods, ", \t", &save); method && !pghactl_stopping();
		 method = strtok_r(NULL, ", \t", &save))
	{
		bool		built_in = strcmp(method, "basebackup") == 0;

		if (source == NULL && (built_in || !pghactl_method_flag(c, method, "no_leader")))
			continue;
		/* a name from etcd runs only what this node's own file says */
		if (from_etcd && !built_in && pghactl_method_option(c, method, "command") == NULL)
		{
			pg_log_warning("method \"%s\" of the standby_cluster section has no pghactl.%s_command in %s: skipped",
						   method, method, c->path);
			continue;
		}
		tried = true;
		if (built_in ? basebackup(c, source) : by_method(c, etcd, method, source, from_etcd))
			return finish_copy(c) && pghactl_restore_promise(c, promise);
	}
	if (!tried)
	{
		pg_log_info("waiting for a leader to clone from");
		pghactl_down_because("waiting for a leader to clone from");
	}
	return false;
}

bool
pghactl_create_replica(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl)
{
	return create_copy(c, etcd, cl, c->create_replica_methods, clone_source(cl, c), false);
}

/*
 * The first member of a new standby cluster: a copy of the remote primary
 * (standby_cluster's host and port), by the section's
 * create_replica_methods (Patroni's bootstrap_standby_leader).  Its worker
 * then claims the cluster as its standby leader.
 */
bool
pghactl_create_standby_leader(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl,
							  const PghaConfig *config)
{
	PghaMember	remote = pghactl_standby_remote(config);

	pg_log_info("cluster \"%s\" is a new standby cluster: copying %s", c->scope,
				remote.host[0] ? psprintf("the remote primary %s:%d", remote.host, remote.port) :
				"from the backups (it follows the archive: methods with no_leader)");
	/* the archive only: no source, methods that need none */
	if (!create_copy(c, etcd, cl, config->standby_methods, remote.host[0] ? &remote : NULL, true))
		return false;
	/* its worker claims the cluster over the lock (rule standby_bootstrap) */
	if (!pghactl_touch_durably(psprintf("%s/%s", c->data_directory, PGHA_STANDBY_COPY_MARKER)))
	{
		pg_log_error("could not create \"%s/%s\": %m", c->data_directory, PGHA_STANDBY_COPY_MARKER);
		return false;
	}
	return true;
}

/* a reinit of the sync key's leader would lose what only it has */
void
pghactl_refuse_sync_leader(const char *member)
{
	pg_log_error("the sync key names \"%s\" as its leader: its WAL may hold commits no other member has",
				 member);
	pg_log_error_hint("Wait until a new leader has taken the sync key over (pghactl list), or turn synchronous_mode off first.");
}

/*
 * pghactl reinit: this node's data directory is replaced by a fresh copy
 * of the leader.  Destroys the node's data, so: never on the leader, never
 * while PostgreSQL runs, and only when confirmed.
 */
int
pghactl_reinit(PghactlConf *c, const PghactlOptions *o)
{
	PghaEtcd   *etcd;
	PghaCluster cl;
	const PghaMember *leader;
	pid_t		pm;

	/* another member: its worker and its pghactl run do it (ctl.c) */
	if (o->member && strcmp(o->member, c->name) != 0)
		return pghactl_reinit_remote(c, o);
	if (c->data_directory == NULL)
		pg_fatal("%s does not set pghactl.data_directory", c->path);
	etcd = pghactl_etcd(c);
	if (!pghactl_snapshot(etcd, c, &cl))
		return 3;
	leader = pghactl_leader_member(&cl);
	if (cl.has_leader && strcmp(cl.leader, c->name) == 0)
	{
		pg_log_error("\"%s\" is the leader: reinit would destroy the primary", c->name);
		pg_log_error_hint("Switch over to another member first (pghactl switchover).");
		return 1;
	}
	if (pgha_cluster_sync_leads(&cl, cl.config.synchronous_mode, c->name))
	{
		pghactl_refuse_sync_leader(c->name);
		return 1;
	}
	if (leader == NULL || leader->host[0] == '\0')
	{
		pg_log_error("the cluster has no leader to clone from");
		return 1;
	}
	if (pghactl_lock_data_directory(c) < 0)
	{
		pg_log_error_hint("Stop it first, then run pghactl reinit again.");
		return 1;
	}
	pm = pghactl_running_postmaster(c->data_directory);
	if (pm > 0)
	{
		pg_log_error("PostgreSQL (pid %d) is running on %s", (int) pm, c->data_directory);
		pg_log_error_hint("Stop it first (stop pghactl run, or pg_ctl stop), then run reinit again.");
		return 1;
	}
	if (!pghactl_confirm(o, psprintf("Delete %s and clone \"%s\" from the leader \"%s\"?",
									 c->data_directory, c->name, leader->name)))
	{
		pg_log_info("nothing was changed");
		return 1;
	}
	if (!pghactl_record_timeline(c, etcd, &cl) || !pghactl_create_replica(c, etcd, &cl))
		return 1;
	pg_log_info("%s is a copy of cluster \"%s\"; start it with pghactl run", c->data_directory, c->scope);
	return 0;
}
