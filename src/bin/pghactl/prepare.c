/*-------------------------------------------------------------------------
 *
 * prepare.c
 *		pghactl run: get this node's data directory ready for the next start
 *		of PostgreSQL, as the cluster in etcd needs it.
 *
 * Each time before PostgreSQL starts:
 *	- empty data directory, cluster not initialized: take the initialize
 *	  lock (create-if-absent, value "" while bootstrapping, as Patroni does),
 *	  then initdb with data checksums, the settings pgha needs and the
 *	  include of pgha.conf; or a bootstrap from a backup (bootstrap.c); or,
 *	  in a standby cluster, a copy of the remote primary (replica.c);
 *	- empty data directory, cluster initialized: a copy of the cluster by
 *	  create_replica_methods (replica.c), as a standby;
 *	- existing data directory while another member leads: this node must be
 *	  a standby (standby.signal), and pg_rewind runs against the leader.
 *	  pg_rewind itself finds out from the timelines whether anything has to
 *	  be rewound ("no rewind required") and completes crash recovery of a
 *	  node that was fenced with an immediate shutdown.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/prepare.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "shared/keys.h"
#include "shared/timeline.h"
#include "common/logging.h"
#include "libpq-fe.h"
#include "pghactl.h"

static bool
do_initdb(const PghactlConf *c)
{
	char	   *argv[64];
	int			n = 0;
	char	   *opts = pg_strdup(c->initdb_options ? c->initdb_options : "");
	char	   *tok;
	char	   *save;
	char	   *conf;
	FILE	   *f;

	argv[n++] = pghactl_bin(c, "initdb");
	argv[n++] = "-D";
	argv[n++] = c->data_directory;
	argv[n++] = "-U";
	argv[n++] = c->superuser;
	argv[n++] = "--data-checksums";
	/* pghactl.initdb_options: plain flags separated by spaces, no quoting */
	for (tok = strtok_r(opts, " \t", &save); tok && n < lengthof(argv) - 1;
		 tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (pghactl_run_cmd(argv) != 0)
	{
		pg_log_error("initdb failed");
		pg_log_error_hint("Check pghactl.initdb_options in %s.", c->path);
		return false;
	}
	/* the bootstrap SQL runs once, at the first start of this new cluster */
	if (c->bootstrap_sql && c->bootstrap_sql[0] &&
		!pghactl_touch(psprintf("%s/%s", c->data_directory, PGHA_BOOTSTRAP_MARKER)))
		return false;
	conf = psprintf("%s/postgresql.conf", c->data_directory);
	f = fopen(conf, "a");
	if (f == NULL)
		return false;
	/* what pgha needs; pgha.conf (included last) may override */
	fprintf(f, "\n# written by pghactl\n"
			"shared_preload_libraries = 'pgha'\n"
			"wal_level = replica\n"
			"hot_standby = on\n"
			"wal_log_hints = on\n"
			"wal_retrieve_retry_interval = '500ms'\n"
			"# pg_rewind of a demoted primary reads its WAL back to the last\n"
			"# checkpoint before the fork: keep enough of it\n"
			"wal_keep_size = '256MB'\n");
	fclose(f);
	return pghactl_write_include(c, true);
}

/*
 * The leader's member record, if it is the leader's: on the leader key's
 * lease, as every member writes its keys.  A record written by hand (no
 * lease) or left from elsewhere is never a source for pg_basebackup or
 * pg_rewind, whose source can run code here (restore_command and
 * archive_command come with the copy).
 */
const PghaMember *
pghactl_leader_member(PghaCluster *cl)
{
	const PghaMember *m = pgha_cluster_leader_record(cl);

	if (m == NULL && cl->has_leader && pgha_cluster_member(cl, cl->leader) != NULL)
		pg_log_warning("the member key of leader \"%s\" is not on the leader key's lease: not copying from it",
					   cl->leader);
	return m;
}

/* *failed: pg_rewind itself ran and failed (not the CHECKPOINT before it) */
static bool
do_rewind(const PghactlConf *c, const PghaMember *leader, bool *failed)
{
	char	   *ci = pghactl_conninfo(c, leader, c->superuser, "postgres", c->name);
	char	   *argv[] = {pghactl_bin(c, "pg_rewind"), "-D", c->data_directory, "--source-server", ci,
	"-R", NULL};
	char	   *signal = psprintf("%s/standby.signal", c->data_directory);
	char	   *promise = pghactl_read_promise(c);
	int			rc;

	/*
	 * pg_rewind completes the crash recovery of a node that was fenced with
	 * an immediate shutdown in single-user mode, which refuses to run with
	 * standby.signal present: take it away for the rewind only.  It is put
	 * back whatever happens: a node that does not lead never starts
	 * without it (when the leader then went away, the next start would
	 * otherwise open a primary on the old timeline).
	 */
	if (unlink(signal) != 0 && errno != ENOENT)
	{
		pg_log_error("could not remove \"%s\": %m", signal);
		return false;
	}
	pg_log_info("\"%s\" leads: rewinding this node against it if the timelines diverged",
				leader->name);

	/*
	 * pg_rewind reads the source's timeline from its pg_control, which
	 * shows the new timeline only after a checkpoint: right after a
	 * promotion it would find "no rewind required".  Checkpoint first.
	 */
	{
		PGconn	   *conn = PQconnectdb(ci);
		PGresult   *res = (PQstatus(conn) == CONNECTION_OK) ? PQexec(conn, "CHECKPOINT") : NULL;

		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			pg_log_warning("could not run CHECKPOINT on \"%s\": %s", leader->name, PQerrorMessage(conn));
			PQclear(res);
			PQfinish(conn);
			/* a standby stays one, whatever the next start finds */
			(void) pghactl_touch(signal);
			return false;
		}
		PQclear(res);
		PQfinish(conn);
	}
	/* not started when a stop came; not stopped once started */
	if (pghactl_stopping())
	{
		(void) pghactl_touch(signal);
		return false;
	}
	pghactl_run_to_end(true);
	rc = pghactl_run_cmd(argv);
	pghactl_run_to_end(false);
	/* pg_rewind copies the source's file, also when it fails midway */
	if (!pghactl_restore_promise(c, promise))
	{
		(void) pghactl_touch(signal);
		return false;
	}
	if (rc != 0)
	{
		pg_log_error("pg_rewind against \"%s\" failed", leader->name);
		/* it ran and said no; not killed, not unable to start */
		*failed = rc > 0 && rc != 127;
		(void) pghactl_touch(signal);
		pghactl_down_because("pg_rewind against \"%s\" failed (pghactl's log has its output)", leader->name);
		if (!c->remove_data_directory_on_rewind_failure && !c->remove_data_directory_on_diverged_timelines)
			pg_log_error_hint("To make this node a fresh copy of the leader: stop pghactl, then run "
							  "\"pghactl reinit -c %s\", or set pghactl.remove_data_directory_on_rewind_failure.",
							  c->path);
		return false;
	}
	/* a node that does not lead comes back as a standby */
	if (!pghactl_touch(signal))
	{
		pg_log_error("could not create \"%s\": %m", signal);
		return false;
	}
	return pghactl_write_include(c, true) && pghactl_clear_slot(c);
}

/*
 * Must pg_rewind be kept away from this data directory?  A fresh copy that
 * never started (backup_label) and a standby that crashed (in archive
 * recovery) would go through pg_rewind's crash recovery in single-user
 * mode, which ends recovery and writes WAL of their own on the leader's
 * timeline: the node could never stream again.  Neither can hold WAL the
 * leader lacks, except a standby that received WAL past a fork; the
 * worker shuts such a standby down cleanly (rule "diverged"), and a clean
 * standby shutdown is rewound as usual.
 */
static bool
skip_rewind(const PghactlConf *c)
{
	bool		crc_ok;
	ControlFileData *cf;
	bool		skip;

	if (access(psprintf("%s/backup_label", c->data_directory), F_OK) == 0)
		return true;
	cf = get_controlfile(c->data_directory, &crc_ok);
	skip = crc_ok && cf->state == DB_IN_ARCHIVE_RECOVERY;
	pfree(cf);
	return skip;
}

/* did this data directory last run as a primary (stopped cleanly or not)? */
static bool
was_primary(const PghactlConf *c)
{
	bool		crc_ok;
	ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);
	bool		primary = crc_ok && (cf->state == DB_SHUTDOWNED || cf->state == DB_SHUTDOWNING ||
									 cf->state == DB_IN_PRODUCTION);

	pfree(cf);
	return primary && access(psprintf("%s/backup_label", c->data_directory), F_OK) != 0;
}

/*
 * A standby cluster's leader, or the node that may become it, that last
 * ran as a primary (a site demoted after its standby cluster was promoted
 * without its last WAL, an old primary site coming back): its WAL may have
 * forked from the remote's.  pg_rewind against the remote, as Patroni does;
 * pg_rewind decides from the timelines whether anything must be rewound.
 * A remote that cannot be reached is no reason to stay down: the node
 * starts as it is (and follows once the timelines allow it).  Not for a
 * section of the archive alone: there is no server to rewind against.
 */
static bool
rewind_against_remote(const PghactlConf *c, const PghaConfig *config, bool *failed)
{
	PghaMember	remote = pghactl_standby_remote(config);

	if (remote.host[0] == '\0')
		return true;
	if (do_rewind(c, &remote, failed))
		return true;
	if (*failed)
		return false;
	pg_log_warning("could not reach the remote primary %s:%d to rewind against it: starting as it is",
				   remote.host, remote.port);
	return true;
}

/* is pg_wal/name one of the worker's timeline placeholders? */
static bool
is_placeholder(const char *wal, const char *name)
{
	char		head[sizeof(PGHA_TIMELINE_PLACEHOLDER)];
	char		path[MAXPGPATH];
	int			fd;
	ssize_t		n;

	snprintf(path, sizeof(path), "%s/%s", wal, name);
	fd = open(path, O_RDONLY | PG_BINARY, 0);
	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	return n == (ssize_t) sizeof(head) - 1 && memcmp(head, PGHA_TIMELINE_PLACEHOLDER, n) == 0;
}

/*
 * The newest timeline this data directory knows: pg_control's (when its
 * checksum holds), or a real history file's in pg_wal (not a placeholder),
 * whatever pg_control says: a damaged one is what pghactl reinit is for.
 */
static int
top_timeline(const PghactlConf *c)
{
	char	   *wal = psprintf("%s/pg_wal", c->data_directory);
	bool		crc_ok;
	ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);
	int			top = crc_ok ? (int) Max(cf->checkPointCopy.ThisTimeLineID, cf->minRecoveryPointTLI) : 0;
	DIR		   *dir;
	struct dirent *de;

	pfree(cf);
	if ((dir = opendir(wal)) == NULL)
		return top;
	while ((de = readdir(dir)) != NULL)
	{
		int			tli = pgha_history_file_timeline(de->d_name);

		if (tli > top && !is_placeholder(wal, de->d_name))
			top = tli;
	}
	closedir(dir);
	return top;
}

/* is this data directory a copy of the cluster (pg_control's system identifier, checksum or not)? */
static bool
of_this_cluster(const PghactlConf *c, const PghaCluster *cl)
{
	bool		crc_ok;
	ControlFileData *cf;
	char		mine[32];

	if (!cl->has_initialize || cl->initialize[0] == '\0' || !pghactl_has_control(c->data_directory))
		return false;
	cf = get_controlfile(c->data_directory, &crc_ok);
	snprintf(mine, sizeof(mine), UINT64_FORMAT, cf->system_identifier);
	pfree(cf);
	return strcmp(mine, cl->initialize) == 0;
}

/*
 * The worker writes placeholder history files before a promotion, so that
 * PostgreSQL numbers its timeline past ids other members reserved
 * (shared/timeline.h).  A promotion that never happened (the key lost, the
 * instance stopped first) leaves them above every real history file; a
 * standby start would then take the newest as its recovery target, which
 * has no history, and PostgreSQL replays nothing more ("unexpected timeline
 * ID 1 in log segment ...", over and over).  Nothing is promoting
 * while PostgreSQL is down: they go.
 */
void
pghactl_drop_placeholders(const PghactlConf *c)
{
	char	   *wal = psprintf("%s/pg_wal", c->data_directory);
	int			top = top_timeline(c);
	DIR		   *dir;
	struct dirent *de;

	if (top == 0 || (dir = opendir(wal)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
	{
		int			tli = pgha_history_file_timeline(de->d_name);

		if (tli > top && is_placeholder(wal, de->d_name))
		{
			if (unlink(psprintf("%s/%s", wal, de->d_name)) == 0)
				pg_log_info("removed the timeline placeholder %s: no promotion of this node is under way",
							de->d_name);
			else
				pg_log_warning("could not remove \"%s/%s\": %m", wal, de->d_name);
		}
	}
	closedir(dir);
}

/*
 * pg_rewind and a new copy remove the history files this node has: a
 * timeline no reservation covers (shared/timeline.h) is recorded in etcd
 * first, as this node's reservation, or the next promotion elsewhere could
 * take its id again.  Guarded by the reservation as read: a reservation
 * made in between is read again.  Only a copy of this cluster's: a
 * leftover of another must not steer its ids.  false: not recorded,
 * nothing may remove the data yet.
 */
bool
pghactl_record_timeline(const PghactlConf *c, PghaEtcd *etcd, const PghaCluster *cl)
{
	int			top;
	int			known;
	char	   *key;
	char	   *json;
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	bool		ok;

	if (!of_this_cluster(c, cl))
		return true;
	top = top_timeline(c);
	if (!pgha_timeline_unrecorded(cl, c->name, top))
		return true;
	/* every promotion would refuse to skip so many ids: none would happen again */
	known = pgha_timeline_target(cl, c->name, 0, false) - 1;
	if (top - known > PGHA_TIMELINE_MAX_SKIP)
	{
		pg_log_error("timeline %d of %s is far past every timeline of cluster \"%s\" (%d)",
					 top, c->data_directory, c->scope, known);
		pg_log_error_hint("Nothing was changed.  If it is no copy of this cluster's, move it away (pghactl clones anew) or run \"pghactl reinit -c %s\".",
						  c->path);
		pghactl_down_because("timeline %d of the data directory is far past the cluster's (%d)", top, known);
		return false;
	}
	key = pgha_key(pgha_key_prefix(c->namespace, c->scope), PGHA_KEY_TIMELINE);
	json = pgha_reservation_to_json(top, c->name);
	memset(&t, 0, sizeof(t));
	pgha_reservation_guard(&t, key, cl);
	pgha_etcd_txn_put(&t, key, json, 0);
	ok = pgha_etcd_txn(etcd, &t, &r);
	free(json);
	if (!ok || !r.succeeded)
	{
		pg_log_warning("could not record timeline %d in etcd: %s", top,
					   ok ? "the reservation changed since it was read" : etcd->errmsg);
		pghactl_down_because("timeline %d, this node's, is not recorded in etcd yet", top);
		return false;
	}
	pg_log_info("recorded timeline %d in etcd: no other promotion takes its id once this node's history file of it is gone",
				top);
	return true;
}

/*
 * Is this node's newest timeline another one than the cluster's of the
 * same id (shared/timeline.h, pgha_timeline_forked)?  Its history file
 * says where it began, the history key where the cluster's did.  A
 * promotion elsewhere took the id before this node could record it (its
 * etcd was out of reach, or it was promoted by hand while down).
 */
static bool
forked_same_id(const PghactlConf *c, const PghaCluster *cl, int *tli)
{
	char	   *wal = psprintf("%s/pg_wal", c->data_directory);
	char		name[32];
	char	   *text;
	int			nlines = 1;
	PghaTimelineSwitch *sw;
	int			n;

	*tli = top_timeline(c);
	if (*tli < 2 || !cl->has_history)
		return false;
	snprintf(name, sizeof(name), "%08X.history", (unsigned int) *tli);
	if (is_placeholder(wal, name) ||
		(text = pghactl_read_file(psprintf("%s/%s", wal, name))) == NULL)
		return false;
	for (const char *p = text; *p; p++)
		nlines += (*p == '\n');
	sw = palloc(sizeof(PghaTimelineSwitch) * nlines);
	n = pgha_history_file_parse(text, sw, nlines);
	return n > 0 && pgha_timeline_forked(cl->history, *tli, &sw[n - 1]);
}

/*
 * After pg_rewind failed: is it the data's fault, so that
 * remove_data_directory_on_rewind_failure may delete it?  Only while the
 * same member still leads, answers and runs as a primary (a leader that
 * went away meanwhile made pg_rewind fail, and this node may be the best
 * candidate now), nobody asked pghactl to stop, and every WAL segment
 * waiting for the archive got there (segments from before the fork the
 * promoted node never archived would be lost to point-in-time recovery).
 */
static bool
may_remove_after_failed_rewind(const PghactlConf *c, PghaEtcd *etcd, const char *leader_name)
{
	PghaCluster now;
	const PghaMember *leader;
	DIR		   *dir;
	struct dirent *de;
	int			ready = 0;

	if (pghactl_stopping() || !pghactl_snapshot(etcd, c, &now))
		return false;
	leader = pghactl_leader_member(&now);
	if (leader == NULL || strcmp(leader->name, leader_name) != 0 || strcmp(leader->role, "primary") != 0)
	{
		pg_log_info("the leader changed since pg_rewind ran: keeping the data directory");
		return false;
	}
	if (!pghactl_answers_as_primary(pghactl_conninfo(c, leader, c->superuser, "postgres", c->name)))
	{
		pg_log_info("\"%s\" does not answer as a primary: keeping the data directory", leader_name);
		return false;
	}
	if ((dir = opendir(psprintf("%s/pg_wal/archive_status", c->data_directory))) != NULL)
	{
		while ((de = readdir(dir)) != NULL)
			ready += strlen(de->d_name) > 6 &&
				strcmp(de->d_name + strlen(de->d_name) - 6, ".ready") == 0;
		closedir(dir);
	}
	if (ready > 0)
	{
		pg_log_warning("%d WAL segments of this node are not archived yet: keeping the data directory", ready);
		pg_log_error_hint("Archive them (its archive_command, by hand), then run \"pghactl reinit -c %s\".",
						  c->path);
		pghactl_down_because("pg_rewind failed, and %d WAL segments are not archived: not removing the data directory", ready);
		return false;
	}
	return true;
}

/*
 * Does the config key make a standby cluster (config: what it says)?  -1:
 * it cannot be read, and nothing is bootstrapped on a guess (initdb where a
 * standby cluster was meant makes a cluster of its own).
 */
static int
standby_cluster(const PghactlConf *c, const PghaCluster *cl, PghaConfig *config)
{
	char		err[256];

	pgha_config_defaults(config);
	if (!cl->has_config || cl->config_json == NULL)
		return 0;
	if (!pgha_config_parse(cl->config_json, strlen(cl->config_json), config, NULL, err, sizeof(err)))
	{
		pg_log_warning("the config key of cluster \"%s\" cannot be read: %s", c->scope, err);
		pghactl_down_because("the config key cannot be read (%s): not bootstrapping the cluster", err);
		return -1;
	}
	return pgha_config_standby_cluster(config) ? 1 : 0;
}

/*
 * The first members of a new standby cluster: copies of its remote are
 * all alike, so nobody waits on another's initialize lock (a restore of
 * hours, a holder that died): the lock is taken if it is free, the remote
 * copied and the copy marked (PGHA_STANDBY_COPY_MARKER), and the first
 * worker to claim the cluster leads it (rule standby_bootstrap).  A node
 * that may not lead makes no copy: its worker would claim nothing.
 */
static bool
standby_first_copy(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl, const PghaConfig *config)
{
	char	   *key = pgha_key(pgha_key_prefix(c->namespace, c->scope), PGHA_KEY_INITIALIZE);
	bool		won = false;

	if (c->nofailover || c->failover_priority <= 0)
	{
		pg_log_info("a new standby cluster, and this node may not lead (nofailover): waiting for another to make the standby leader");
		pghactl_down_because("a new standby cluster; this node may not lead: waiting for another to make the standby leader");
		return false;
	}
	if (!cl->has_initialize && !pgha_etcd_put_if_unchanged(etcd, key, "", 0, &won, NULL))
	{
		pg_log_warning("could not take the initialize lock: %s", etcd->errmsg);
		return false;
	}
	if (pghactl_create_standby_leader(c, etcd, cl, config))
		return true;
	/* what a failed copy left goes first (it would start), then the lock */
	if (pghactl_empty_data_directory(c) && won)
		pghactl_release_initialize(c, etcd);
	return false;
}

/*
 * A data directory found in a new standby cluster without the copy marker
 * (pghactl stopped after the copy, before marking it; or a copy made by
 * hand): it may claim the cluster once it is known to be a copy of the
 * remote (its system identifier); false: not yet (the remote does not
 * answer), or never (another system).
 */
static bool
mark_standby_copy(const PghactlConf *c, const PghaConfig *config)
{
	char	   *marker = psprintf("%s/%s", c->data_directory, PGHA_STANDBY_COPY_MARKER);

	if (access(marker, F_OK) == 0)
		return true;
	if (config->standby_host[0] != '\0')
	{
		PghaMember	remote = pghactl_standby_remote(config);
		bool		crc_ok;
		ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);
		char		mine[32];
		char	   *theirs;

		snprintf(mine, sizeof(mine), UINT64_FORMAT, cf->system_identifier);
		pfree(cf);
		theirs = pghactl_sysid_of(c, &remote);
		if (theirs[0] == '\0')
		{
			pghactl_down_because("a new standby cluster: waiting for the remote primary to tell its system identifier");
			return false;
		}
		if (!crc_ok || strcmp(mine, theirs) != 0)
		{
			pg_log_error("%s is no copy of the remote primary (system identifier %s, the remote has %s)",
						 c->data_directory, mine, theirs);
			pghactl_down_because("the data directory is no copy of the remote primary (system identifier %s, the remote has %s)",
								 mine, theirs);
			return false;
		}
	}
	return pghactl_touch_durably(marker);
}

/*
 * Get the data directory ready for the next start; false: retry later, or
 * (*bootstrap_failed) stop: a bootstrap from a backup failed.
 */
bool
pghactl_prepare(const PghactlConf *c, PghaEtcd *etcd, bool *bootstrap_failed)
{
	PghaCluster cl;
	PghaConfig	config;
	const PghaMember *leader;
	bool		rewind_failed = false;

	if (!pghactl_snapshot(etcd, c, &cl))
		return false;
	leader = pghactl_leader_member(&cl);

	/* the worker asked for a reinit (pghactl reinit MEMBER from elsewhere) */
	if (access(psprintf("%s/%s", c->data_directory, PGHA_REINIT_MARKER), F_OK) == 0)
	{
		if (leader == NULL || strcmp(leader->name, c->name) == 0 || leader->host[0] == '\0')
		{
			pg_log_info("a reinit was requested; waiting for another member to lead");
			pghactl_down_because("a reinit was requested; waiting for another member to lead");
			return false;
		}
		pg_log_info("a reinit was requested");
		return pghactl_record_timeline(c, etcd, &cl) && pghactl_create_replica(c, etcd, &cl);
	}

	if (!pghactl_has_pg_version(c->data_directory))
	{
		/* no cluster yet, or pghactl's lock: a new standby cluster? */
		int			standby = !cl.has_leader && !(cl.has_initialize && cl.initialize[0] != '\0') ?
			standby_cluster(c, &cl, &config) : 0;

		if (standby < 0)
			return false;
		if (standby > 0)
			return standby_first_copy(c, etcd, &cl, &config);
		if (!cl.has_initialize)
		{
			/* the initialize lock: only one node runs initdb */
			char	   *key = pgha_key(pgha_key_prefix(c->namespace, c->scope), PGHA_KEY_INITIALIZE);
			bool		won;

			if (!pgha_etcd_put_if_unchanged(etcd, key, "", 0, &won, NULL))
			{
				pg_log_warning("could not take the initialize lock: %s", etcd->errmsg);
				return false;
			}
			if (won && c->bootstrap_method && c->bootstrap_method[0] &&
				strcmp(c->bootstrap_method, "initdb") != 0)
			{
				pg_log_info("cluster \"%s\" is not initialized: bootstrapping it with method \"%s\"",
							c->scope, c->bootstrap_method);
				if (pghactl_custom_bootstrap(c, etcd))
					return true;
				*bootstrap_failed = !pghactl_stopping();
				return false;
			}
			if (won)
			{
				pg_log_info("cluster \"%s\" is not initialized: running initdb", c->scope);
				return do_initdb(c);
			}
		}
		return pghactl_create_replica(c, etcd, &cl);
	}

	/*
	 * A copy killed midway (pg_control comes last): nothing PostgreSQL can
	 * start, nothing of value; it goes, and the next round copies anew
	 */
	if (!pghactl_has_control(c->data_directory) &&
		access(psprintf("%s/%s", c->data_directory, PGHA_BOOTSTRAP_RECOVERY_MARKER), F_OK) != 0)
	{
		pg_log_warning("%s has no global/pg_control: an interrupted copy, removed", c->data_directory);
		(void) pghactl_empty_data_directory(c);
		return false;
	}

	/* a server pghactl did not start (Patroni's, one started by hand) */
	{
		pid_t		pm = pghactl_running_postmaster(c->data_directory);

		if (pm > 0)
		{
			pg_log_error("PostgreSQL (pid %d) already runs on %s", (int) pm, c->data_directory);
			pg_log_error_hint("Stop it (pg_ctl stop -m fast); pghactl run starts it itself.");
			pghactl_down_because("a server pghactl run did not start runs on the data directory (pid %d)", (int) pm);
			return false;
		}
	}

	/* a copy in a new standby cluster, not marked yet */
	if (!cl.has_leader && cl.has_initialize && cl.initialize[0] == '\0' &&
		standby_cluster(c, &cl, &config) > 0 && !mark_standby_copy(c, &config))
		return false;

	/* a custom bootstrap whose recovery was interrupted goes on */
	if (access(psprintf("%s/%s", c->data_directory, PGHA_BOOTSTRAP_RECOVERY_MARKER), F_OK) == 0)
	{
		if (pghactl_custom_bootstrap_resume(c, etcd))
			return true;
		*bootstrap_failed = !pghactl_stopping();
		return false;
	}

	/* never touch (or start) a data directory of another cluster */
	if (cl.has_initialize && cl.initialize[0] != '\0')
	{
		bool		crc_ok;
		ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);
		char		mine[32];

		snprintf(mine, sizeof(mine), UINT64_FORMAT, cf->system_identifier);
		if (!crc_ok || strcmp(mine, cl.initialize) != 0)
		{
			pg_log_error("%s belongs to another cluster (system identifier %s, cluster \"%s\" has %s)",
						 c->data_directory, mine, c->scope, cl.initialize);
			pghactl_down_because("the data directory belongs to another cluster (system identifier %s, cluster \"%s\" has %s)",
						 mine, c->scope, cl.initialize);
			pg_log_error_hint("Nothing was changed.  To make this node a copy of the leader, "
							  "move the directory away (mv %s %s.old) and pghactl clones it, "
							  "or run \"pghactl reinit -c %s\" to delete it.",
							  c->data_directory, c->data_directory, c->path);
			pfree(cf);
			return false;
		}
		pfree(cf);
	}

	if (!pghactl_has_include(c))
	{
		pg_log_info("adding the include of %s to %s/postgresql.conf", c->path, c->data_directory);
		if (!pghactl_write_include(c, true))
			return false;
	}
	pghactl_drop_placeholders(c);
	/* whatever follows may rewind or replace this data directory */
	if (!pghactl_record_timeline(c, etcd, &cl))
		return false;
	if ((leader == NULL || strcmp(leader->name, c->name) == 0) && was_primary(c) &&
		standby_cluster(c, &cl, &config) > 0 && !rewind_against_remote(c, &config, &rewind_failed))
		return false;
	if (leader && strcmp(leader->name, c->name) != 0)
	{
		int			tli;

		/* neither pg_rewind nor streaming could tell the two timelines apart */
		if (forked_same_id(c, &cl, &tli))
		{
			pg_log_error("timeline %d of this node is not the cluster's timeline %d: they began at different points",
						 tli, tli);
			if (c->remove_data_directory_on_diverged_timelines)
			{
				pg_log_warning("pghactl.remove_data_directory_on_diverged_timelines is on: this node is cloned again");
				return pghactl_empty_data_directory(c) && pghactl_create_replica(c, etcd, &cl);
			}
			pg_log_error_hint("pg_rewind would find \"no rewind required\", and this node would replay the cluster's WAL on top of its own.  "
							  "Copy it anew: \"pghactl reinit -c %s\", or set pghactl.remove_data_directory_on_diverged_timelines.",
							  c->path);
			pghactl_down_because("timeline %d of this node is another than the cluster's timeline %d (the same id): it must be copied anew (pghactl reinit)",
								 tli, tli);
			return false;
		}
		/*
		 * pg_rewind decides from the timelines whether anything must be
		 * rewound; only the cases where running it would do harm skip it.
		 */
		if (skip_rewind(c))
		{
			char	   *signal = psprintf("%s/standby.signal", c->data_directory);

			if (!pghactl_touch(signal))
			{
				pg_log_error("could not create \"%s\": %m", signal);
				return false;
			}
			pg_log_info("a fresh copy or a crashed standby: starting it as a standby of \"%s\" without pg_rewind",
						leader->name);
			return true;
		}
		/*
		 * A standby cluster's leader is a standby of the remote: a copy
		 * stopped cleanly follows it as it is (pg_rewind would need a
		 * primary's history; a diverged copy is re-cloned, pghactl reinit)
		 */
		if (strcmp(leader->role, "standby_leader") == 0)
		{
			char	   *signal = psprintf("%s/standby.signal", c->data_directory);

			if (!pghactl_touch(signal))
			{
				pg_log_error("could not create \"%s\": %m", signal);
				return false;
			}
			pg_log_info("starting it as a standby of the standby leader \"%s\"", leader->name);
			return true;
		}
		/*
		 * pg_rewind against a leader still promoting sees one timeline,
		 * finds nothing to rewind, and the node then cannot follow the new
		 * timeline: wait until the leader publishes itself as primary.
		 */
		if (strcmp(leader->role, "primary") != 0)
		{
			pg_log_info("waiting for \"%s\" to finish its promotion", leader->name);
			pghactl_down_because("waiting for \"%s\" to finish its promotion", leader->name);
			return false;
		}
		if (do_rewind(c, leader, &rewind_failed))
			return true;
		/*
		 * Patroni's remove_data_directory_on_rewind_failure: another member
		 * leads as a primary (checked above), and what this node has past
		 * the fork a rewind would discard too
		 */
		if (!rewind_failed ||
			!(c->remove_data_directory_on_rewind_failure || c->remove_data_directory_on_diverged_timelines) ||
			!may_remove_after_failed_rewind(c, etcd, leader->name))
			return false;
		pg_log_warning("pghactl.%s is on: this node is cloned again",
					   c->remove_data_directory_on_rewind_failure ? "remove_data_directory_on_rewind_failure" :
					   "remove_data_directory_on_diverged_timelines");
		return pghactl_empty_data_directory(c) && pghactl_create_replica(c, etcd, &cl);
	}
	return true;
}
