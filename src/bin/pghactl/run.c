/*-------------------------------------------------------------------------
 *
 * run.c
 *		pghactl run: set this node up as the cluster needs it, then run and
 *		supervise the postmaster in the foreground.
 *
 * Each time before PostgreSQL starts:
 *	- empty data directory, cluster not initialized: take the initialize
 *	  lock (create-if-absent, value "" while bootstrapping, as Patroni does),
 *	  initdb with data checksums, write the settings pgha needs and the
 *	  include of pgha.conf;
 *	- empty data directory, cluster initialized: pg_basebackup from the
 *	  leader, as a standby;
 *	- existing data directory while another member leads: this node must be
 *	  a standby (standby.signal), and pg_rewind runs against the leader.
 *	  pg_rewind itself finds out from the timelines whether anything has to
 *	  be rewound ("no rewind required") and completes crash recovery of a
 *	  node that was fenced with an immediate shutdown.
 * Then the postmaster runs as a child.  When it exits without being asked
 * to (the pgha worker fenced or handed over the node, or it crashed), the
 * loop starts over, with a growing pause after quick repeated exits.
 * SIGTERM/SIGINT to pghactl stop PostgreSQL with a fast shutdown and end.
 * SIGHUP (systemctl reload, the REST API's POST /reload) reloads the
 * server's configuration, reads the callbacks again, and runs on_reload.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "catalog/pg_control.h"
#include "common/clock.h"
#include "common/controldata_utils.h"
#include "common/hot_standby.h"
#include "common/keys.h"
#include "common/timeline.h"
#include "common/logging.h"
#include "libpq-fe.h"
#include "pghactl.h"


static volatile sig_atomic_t stop_requested = false;
/* the custom bootstrap failed: pghactl run ends, as Patroni does */
static bool bootstrap_failed = false;

/* why the server does not run: what the member record shows (status.c) */
static char down_reason[PGHA_ERROR_LEN];

void
pghactl_down_because(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(down_reason, sizeof(down_reason), fmt, ap);
	va_end(ap);
}

/*
 * The server's stderr, passed through to pghactl's own; the last FATAL or
 * PANIC message (with its DETAIL) is kept as the reason of a start that
 * failed.  A thread of its own, so that the server never waits on a full
 * pipe whatever pghactl is doing.  Messages about connections refused or
 * ended while the server starts or stops are not the reason.
 */
static pthread_mutex_t fatal_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_fatal[PGHA_ERROR_LEN];
/* the reader of the current server's stderr; its flag says it saw the end */
typedef struct StderrReader
{
	pthread_t	thread;
	int			fd;
	volatile sig_atomic_t done;
} StderrReader;
static StderrReader *reader;

static bool
reason_worthy(const char *msg)
{
	return strstr(msg, "the database system is") == NULL &&
		strstr(msg, "terminating ") == NULL &&
		strstr(msg, "could not connect to the primary server") == NULL &&
		strstr(msg, "could not receive data from WAL stream") == NULL;
}

/* one line of the server's stderr: keep it if it says why the server stops */
static void
note_server_line(const char *line, bool *detail_next)
{
	const char *p;

	pthread_mutex_lock(&fatal_lock);
	/* a server that came up: earlier messages are no reason for a later exit */
	if (strstr(line, "database system is ready to accept"))
		last_fatal[0] = '\0';
	if (((p = strstr(line, "FATAL:  ")) || (p = strstr(line, "PANIC:  "))) && reason_worthy(p))
	{
		strlcpy(last_fatal, p, sizeof(last_fatal));
		*detail_next = true;
	}
	else if (*detail_next && (p = strstr(line, "DETAIL:  ")))
	{
		strlcat(last_fatal, " ", sizeof(last_fatal));
		strlcat(last_fatal, p, sizeof(last_fatal));
		*detail_next = false;
	}
	else
		*detail_next = false;
	pthread_mutex_unlock(&fatal_lock);
}

/*
 * read() and write() only, no stdio: a stdio stream locked by this thread
 * while it waits for the server would stall the main thread's fflush(NULL)
 * before every fork.
 */
static void *
read_server_stderr(void *arg)
{
	StderrReader *r = arg;
	int			fd = r->fd;
	char		buf[8192];
	size_t		len = 0;
	ssize_t		n;
	bool		detail_next = false;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR))
	{
		char	   *start = buf;
		char	   *nl;

		if (n < 0)
			continue;
		for (ssize_t done = 0; done < n;)
		{
			ssize_t		w = write(STDERR_FILENO, buf + len + done, n - done);

			if (w <= 0 && errno != EINTR)
				break;
			done += Max(w, 0);
		}
		len += n;
		while ((nl = memchr(start, '\n', buf + len - start)) != NULL)
		{
			*nl = '\0';
			note_server_line(start, &detail_next);
			start = nl + 1;
		}
		len = buf + len - start;
		memmove(buf, start, len);
		/* a line longer than the buffer: its start is gone, the rest is no reason */
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	close(fd);
	r->done = true;
	return NULL;
}

/* a pipe for the server's stderr, read by a thread; -1 if none could be made */
static int
capture_server_stderr(void)
{
	int			fds[2];
	StderrReader *r;

	pthread_mutex_lock(&fatal_lock);
	last_fatal[0] = '\0';
	pthread_mutex_unlock(&fatal_lock);
	/* close-on-exec both: the server gets the write end as its stderr (dup2) only */
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	r = pg_malloc0(sizeof(StderrReader));
	r->fd = fds[0];
	if (pthread_create(&r->thread, NULL, read_server_stderr, r) != 0)
	{
		close(fds[0]);
		close(fds[1]);
		pg_free(r);
		return -1;
	}
	reader = r;
	return fds[1];
}
static volatile pid_t child_pid = 0;
static volatile sig_atomic_t reload_requested = false;

static void
on_stop(SIGNAL_ARGS)
{
	stop_requested = true;
	if (child_pid > 0)
		kill(child_pid, SIGINT);	/* fast shutdown */
}

static void
on_reload(SIGNAL_ARGS)
{
	reload_requested = true;
	if (child_pid > 0)
		kill(child_pid, SIGHUP);	/* pg_reload_conf() */
}

/* after a SIGHUP: the callbacks as pgha.conf names them now, and on_reload */
static void
reloaded(PghactlConf *c, bool primary)
{
	PghactlConf now;

	reload_requested = false;
	memset(&now, 0, sizeof(now));
	if (pghactl_conf_read(c->path, &now))
	{
		c->on_start = now.on_start;
		c->on_stop = now.on_stop;
		c->on_restart = now.on_restart;
		c->on_role_change = now.on_role_change;
		c->on_reload = now.on_reload;
	}
	pg_log_info("reloaded the configuration");
	pghactl_callback(c, "on_reload", primary);
}

/* run argv, wait; exit status, or -1 */
int
pghactl_run_cmd(char *const argv[])
{
	pid_t		pid;
	int			status;
	int			i;
	char		line[2048] = "";

	for (i = 0; argv[i]; i++)
	{
		strlcat(line, argv[i], sizeof(line));
		strlcat(line, " ", sizeof(line));
	}
	pg_log_info("running: %s", line);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
	{
		/* a group of its own: a stop request reaches a shell's children too */
		(void) setpgid(0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	{
		bool		told = false;
		pid_t		r;

		/* polled: pqsignal's handlers restart a blocking waitpid */
		while ((r = waitpid(pid, &status, WNOHANG)) != pid)
		{
			if (r < 0 && errno != EINTR)
				return -1;
			/* SIGTERM to pghactl: a restore of hours is not waited for */
			if (stop_requested && !told)
			{
				(void) kill(-pid, SIGTERM);
				told = true;
			}
			pg_usleep(50000);
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *
pghactl_bin(const PghactlConf *c, const char *prog)
{
	return psprintf("%s/%s", c->bin_dir, prog);
}

/* run argv, wait; its first line of output into out; false if it failed */
bool
pghactl_run_capture(char *const argv[], char *out, size_t outlen)
{
	int			fds[2];
	pid_t		pid;
	int			status;
	FILE	   *f;

	out[0] = '\0';
	if (pipe(fds) != 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0)
	{
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	if ((f = fdopen(fds[0], "r")) != NULL)
	{
		if (fgets(out, outlen, f) == NULL)
			out[0] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		while (fgetc(f) != EOF)
			;
		fclose(f);
	}
	else
		close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && out[0] != '\0';
}

/*
 * A standby starts with each hot standby setting at least as high as its
 * primary's, which pg_control holds (common/hot_standby.h): "-c name=value"
 * pairs for postgres's command line, added to argv from *argc on.  A
 * primary lowered max_connections cluster-wide and then fenced would
 * otherwise restart as a standby with less than the new leader, which
 * still runs with the old value, and recovery would stop at once.
 */
static void
hot_standby_options(const PghactlConf *c, char **argv, int *argc)
{
	bool		crc_ok;
	ControlFileData *cf;
	int			control[PGHA_NHOT_STANDBY_PARAMS];
	int			i;

	if (access(psprintf("%s/standby.signal", c->data_directory), F_OK) != 0)
		return;
	cf = get_controlfile(c->data_directory, &crc_ok);
	if (!crc_ok)
	{
		pfree(cf);
		return;
	}
	pgha_control_params(cf, control);
	pfree(cf);
	for (i = 0; i < PGHA_NHOT_STANDBY_PARAMS; i++)
	{
		char	   *q[] = {pghactl_bin(c, "postgres"), "-D", c->data_directory, "-C",
		(char *) pgha_hot_standby_params[i], NULL};
		char		configured[64];
		int			v;

		if (!pghactl_run_capture(q, configured, sizeof(configured)))
			continue;
		v = pgha_hot_standby_value(configured, control[i]);
		if (v < 0 || v == pgha_hot_standby_value(configured, 0))
			continue;
		pg_log_info("starting this standby with %s = %d, not %s: its primary ran with %d (pg_control), and recovery stops on a standby with less",
					pgha_hot_standby_params[i], v, configured, control[i]);
		argv[(*argc)++] = "-c";
		argv[(*argc)++] = psprintf("%s=%d", pgha_hot_standby_params[i], v);
	}
}

bool
pghactl_has_pg_version(const char *datadir)
{
	struct stat st;
	char	   *p = psprintf("%s/PG_VERSION", datadir);
	bool		r = stat(p, &st) == 0;

	pfree(p);
	return r;
}

/* a data directory PostgreSQL can start: a copy killed midway has none */
bool
pghactl_has_control(const char *datadir)
{
	return access(psprintf("%s/global/pg_control", datadir), F_OK) == 0;
}

bool
pghactl_touch(const char *path)
{
	FILE	   *f = fopen(path, "a");

	if (f == NULL)
		return false;
	fclose(f);
	return true;
}

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
		!pghactl_touch(psprintf("%s/%s", c->data_directory, PGHACTL_BOOTSTRAP_MARKER)))
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
	rc = pghactl_run_cmd(argv);
	if (rc != 0)
	{
		pg_log_error("pg_rewind against \"%s\" failed", leader->name);
		/* it ran and said no; not killed, not unable to start */
		*failed = rc > 0 && rc != 127;
		(void) pghactl_touch(signal);
		pghactl_down_because("pg_rewind against \"%s\" failed (pghactl's log has its output)", leader->name);
		if (!c->remove_data_directory_on_rewind_failure)
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

static PghaEtcd *run_etcd;
static const PghactlConf *run_conf;

/* wait (interruptibly) up to ms; a published down record is kept alive */
void
pghactl_pause_ms(long ms)
{
	int64		until = pgha_now_us() + (int64) ms * 1000;

	while (!stop_requested && pgha_now_us() < until)
	{
		if (run_etcd)
			pghactl_status_tick(run_etcd, run_conf);
		pg_usleep(100000);
	}
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
 * The worker writes placeholder history files before a promotion, so that
 * PostgreSQL numbers its timeline past ids other members reserved
 * (common/timeline.h).  A promotion that never happened (the key lost, the
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
	bool		crc_ok;
	ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);
	int			top = crc_ok ? (int) Max(cf->checkPointCopy.ThisTimeLineID, cf->minRecoveryPointTLI) : 0;
	DIR		   *dir;
	struct dirent *de;

	pfree(cf);
	if (!crc_ok || (dir = opendir(wal)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
	{
		int			tli = pgha_history_file_timeline(de->d_name);

		if (tli > top && !is_placeholder(wal, de->d_name))
			top = tli;
	}
	rewinddir(dir);
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
	PGconn	   *conn;
	PGresult   *res;
	bool		primary;
	DIR		   *dir;
	struct dirent *de;
	int			ready = 0;

	if (stop_requested || !pghactl_snapshot(etcd, c, &now))
		return false;
	leader = pghactl_leader_member(&now);
	if (leader == NULL || strcmp(leader->name, leader_name) != 0 || strcmp(leader->role, "primary") != 0)
	{
		pg_log_info("the leader changed since pg_rewind ran: keeping the data directory");
		return false;
	}
	conn = PQconnectdb(pghactl_conninfo(c, leader, c->superuser, "postgres", c->name));
	res = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, "SELECT pg_is_in_recovery()") : NULL;
	primary = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), "f") == 0;
	PQclear(res);
	PQfinish(conn);
	if (!primary)
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

/* get the data directory ready for the next start; false: retry later */
static bool
prepare(const PghactlConf *c, PghaEtcd *etcd)
{
	PghaCluster cl;
	PghaConfig	config;
	const PghaMember *leader;
	bool		rewind_failed = false;

	if (!pghactl_snapshot(etcd, c, &cl))
		return false;
	leader = pghactl_leader_member(&cl);

	/* the worker asked for a reinit (pghactl reinit MEMBER from elsewhere) */
	if (access(psprintf("%s/%s", c->data_directory, PGHACTL_REINIT_MARKER), F_OK) == 0)
	{
		if (leader == NULL || strcmp(leader->name, c->name) == 0 || leader->host[0] == '\0')
		{
			pg_log_info("a reinit was requested; waiting for another member to lead");
			pghactl_down_because("a reinit was requested; waiting for another member to lead");
			return false;
		}
		pg_log_info("a reinit was requested");
		return pghactl_create_replica(c, etcd, &cl);
	}

	if (!pghactl_has_pg_version(c->data_directory))
	{
		if (!cl.has_initialize)
		{
			/* the initialize lock: only one node runs initdb */
			char	   *key = pgha_key(pgha_key_prefix(c->namespace, c->scope), PGHA_KEY_INITIALIZE);
			bool		won;
			int			standby = standby_cluster(c, &cl, &config);

			if (standby < 0)
				return false;
			/* its worker would never claim what it copied: the lock would stay */
			if (standby && (c->nofailover || c->failover_priority <= 0))
			{
				pg_log_info("a new standby cluster, and this node may not lead (nofailover): waiting for another to make the standby leader");
				pghactl_down_because("a new standby cluster; this node may not lead: waiting for another to make the standby leader");
				return false;
			}
			if (!pgha_etcd_put_if_unchanged(etcd, key, "", 0, &won, NULL))
			{
				pg_log_warning("could not take the initialize lock: %s", etcd->errmsg);
				return false;
			}
			if (won && standby)
			{
				if (pghactl_create_standby_leader(c, etcd, &cl, &config))
					return true;
				/* another node may try; this one again after the pause */
				pghactl_release_initialize(c, etcd);
				return false;
			}
			if (won && c->bootstrap_method && c->bootstrap_method[0] &&
				strcmp(c->bootstrap_method, "initdb") != 0)
			{
				pg_log_info("cluster \"%s\" is not initialized: bootstrapping it with method \"%s\"",
							c->scope, c->bootstrap_method);
				if (pghactl_custom_bootstrap(c, etcd))
					return true;
				bootstrap_failed = !stop_requested;
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
		access(psprintf("%s/%s", c->data_directory, PGHACTL_BOOTSTRAP_RECOVERY_MARKER), F_OK) != 0)
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

	/* a custom bootstrap whose recovery was interrupted goes on */
	if (access(psprintf("%s/%s", c->data_directory, PGHACTL_BOOTSTRAP_RECOVERY_MARKER), F_OK) == 0)
	{
		if (pghactl_custom_bootstrap_resume(c, etcd))
			return true;
		bootstrap_failed = !stop_requested;
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
	if (leader && strcmp(leader->name, c->name) != 0)
	{
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
		if (!rewind_failed || !c->remove_data_directory_on_rewind_failure ||
			!may_remove_after_failed_rewind(c, etcd, leader->name))
			return false;
		pg_log_warning("pghactl.remove_data_directory_on_rewind_failure is on: this node is cloned again");
		return pghactl_empty_data_directory(c) && pghactl_create_replica(c, etcd, &cl);
	}
	return true;
}

/*
 * The first start after initdb: once the new primary accepts connections,
 * run pghactl.bootstrap_sql with psql (roles, CREATE EXTENSION pgha, ...).
 * Once only, successful or not: a half-applied script is not re-run; a
 * failure is logged with what to do.  false if the postmaster died
 * meanwhile (its status is then in *status).
 */
static bool
run_bootstrap(const PghactlConf *c, pid_t pm, int *status)
{
	char	   *marker = psprintf("%s/%s", c->data_directory, PGHACTL_BOOTSTRAP_MARKER);
	char	   *pidfile = psprintf("%s/postmaster.pid", c->data_directory);
	int64		deadline = pgha_now_us() + 120 * 1000000LL;
	char		port[32] = "";
	char		sockdir[MAXPGPATH] = "";
	bool		ready = false;

	if (access(marker, F_OK) != 0)
		return true;
	/* postmaster.pid: line 4 the port, 5 the socket directory, 8 the status */
	while (!stop_requested && pgha_now_us() < deadline)
	{
		FILE	   *f;
		char		line[MAXPGPATH];
		int			n = 0;

		if (waitpid(pm, status, WNOHANG) == pm)
			return false;
		if ((f = fopen(pidfile, "r")) != NULL)
		{
			while (fgets(line, sizeof(line), f))
			{
				line[strcspn(line, "\r\n")] = '\0';
				n++;
				if (n == 4)
					strlcpy(port, line, sizeof(port));
				else if (n == 5)
					strlcpy(sockdir, line, sizeof(sockdir));
				else if (n == 8)
					ready = strncmp(line, "ready", 5) == 0;
			}
			fclose(f);
		}
		if (ready)
			break;
		pg_usleep(100000);
	}
	if (ready)
	{
		char	   *argv[] = {pghactl_bin(c, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
			"-h", sockdir[0] ? sockdir : "127.0.0.1", "-p", port, "-U", c->superuser,
		"-d", "postgres", "-f", c->bootstrap_sql, NULL};

		pg_log_info("running the bootstrap SQL %s", c->bootstrap_sql);
		if (pghactl_run_cmd(argv) == 0)
			pg_log_info("bootstrap SQL done");
		else
		{
			pg_log_error("the bootstrap SQL %s failed; it is not run again", c->bootstrap_sql);
			pg_log_error_hint("Fix it and run it yourself: psql -h %s -p %s -U %s -d postgres -f %s",
							  sockdir[0] ? sockdir : "127.0.0.1", port, c->superuser, c->bootstrap_sql);
		}
	}
	else if (!stop_requested)
		pg_log_error("PostgreSQL did not become ready within 120 s; the bootstrap SQL %s was not run",
					 c->bootstrap_sql);
	(void) unlink(marker);
	return true;
}

/*
 * Wait for the server to exit, reaping callbacks.  A standby that becomes
 * a primary gets its on_role_change: PostgreSQL removes standby.signal
 * when recovery ends, and pg_control then says "in production".
 */
static void
wait_server(PghactlConf *c, pid_t pid, int *status, bool *primary)
{
	char	   *signal = psprintf("%s/standby.signal", c->data_directory);
	int64		next_check = 0;

	for (;;)
	{
		pid_t		r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			break;
		pghactl_callbacks_reap();
		if (reload_requested)
			reloaded(c, *primary);
		if (!*primary && pgha_now_us() >= next_check && access(signal, F_OK) != 0)
		{
			bool		crc_ok;
			ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);

			next_check = pgha_now_us() + 500000;
			if (crc_ok && cf->state == DB_IN_PRODUCTION)
			{
				*primary = true;
				pghactl_callback(c, "on_role_change", true);
			}
			pfree(cf);
		}
		pg_usleep(100000);
	}
}

int
pghactl_run(PghactlConf *c)
{
	PghaEtcd   *etcd;
	int			quick_exits = 0;
	bool		started_before = false;
	bool		last_primary = false;

	if (c->data_directory == NULL)
		pg_fatal("%s does not set pghactl.data_directory", c->path);
	if (pghactl_lock_data_directory(c) < 0)
		return 1;
	etcd = pghactl_etcd(c);
	run_etcd = etcd;
	run_conf = c;
	pqsignal(SIGTERM, on_stop);
	pqsignal(SIGINT, on_stop);
	pqsignal(SIGHUP, on_reload);

	while (!stop_requested)
	{
		int			err_fd;
		bool		primary;

		pid_t		pid;
		int			status;
		int64		started;
		char	   *argv[4 + 2 * PGHA_NHOT_STANDBY_PARAMS];
		int			argc;

		down_reason[0] = '\0';
		if (!prepare(c, etcd))
		{
			if (bootstrap_failed && !stop_requested)
			{
				pg_log_error("the bootstrap of cluster \"%s\" with method \"%s\" failed; pghactl run stops",
							 c->scope, c->bootstrap_method);
				pg_log_error_hint("Its output is above.  Fix the method in %s and start pghactl run again.",
								  c->path);
				return PGHACTL_EXIT_BOOTSTRAP_FAILED;
			}
			if (bootstrap_failed)
				break;
			pghactl_status_down(etcd, c, "stopped", down_reason);
			pghactl_pause_ms(1000);
			continue;
		}
		if (stop_requested)
			break;

		argc = 0;
		argv[argc++] = pghactl_bin(c, "postgres");
		argv[argc++] = "-D";
		argv[argc++] = c->data_directory;
		hot_standby_options(c, argv, &argc);
		argv[argc] = NULL;

		/* a standby is started with standby.signal (prepare() left it) */
		primary = access(psprintf("%s/standby.signal", c->data_directory), F_OK) != 0;
		/* from here on, the server's worker writes the member record */
		pghactl_status_up(etcd);
		err_fd = capture_server_stderr();
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			pg_fatal("could not fork: %m");
		if (pid == 0)
		{
			if (err_fd >= 0)
				dup2(err_fd, STDERR_FILENO);
			/*
			 * Tells the pgha worker it may act on restart requests, and the
			 * REST API whom POST /reload signals (this process).
			 */
			setenv("PGHACTL_SUPERVISED", psprintf("%d", (int) getppid()), 1);
			execv(argv[0], argv);
			_exit(127);
		}
		if (err_fd >= 0)
			close(err_fd);
		child_pid = pid;
		started = pgha_now_us();
		pg_log_info("started PostgreSQL (pid %d) on %s", (int) pid, c->data_directory);
		{
			char	   *marker = psprintf("%s/pghactl.restart_requested", c->data_directory);
			bool		restart = unlink(marker) == 0;

			pghactl_callback(c, !started_before ? "on_start" :
							 primary != last_primary ? "on_role_change" :
							 restart ? "on_restart" : "on_start", primary);
		}
		started_before = true;
		last_primary = primary;
		if (run_bootstrap(c, pid, &status))
			wait_server(c, pid, &status, &last_primary);
		child_pid = 0;
		if (stop_requested)
		{
			pghactl_callback(c, "on_stop", last_primary);
			break;
		}
		if (WIFSIGNALED(status))
			pg_log_warning("PostgreSQL was terminated by signal %d", WTERMSIG(status));
		else
			pg_log_info("PostgreSQL exited with status %d", WEXITSTATUS(status));

		/* back off when it keeps dying right away */
		if (pgha_now_us() - started < 10 * 1000000LL)
			quick_exits++;
		else
			quick_exits = 0;
		/*
		 * The server's last messages may still be in the pipe: wait (1 s at
		 * most) until the reader saw its end, then reap it.  A child that
		 * outlives the postmaster and keeps the pipe open leaves the reader
		 * running; it ends with the pipe.
		 */
		if (reader)
		{
			for (int i = 0; i < 100 && !reader->done; i++)
				pg_usleep(10000);
			if (reader->done)
			{
				pthread_join(reader->thread, NULL);
				pg_free(reader);
			}
			else
				pthread_detach(reader->thread);	/* it ends with the pipe */
			reader = NULL;
		}
		/* a clean exit (a fence, a handover) starts over at once: nothing to show */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		{
			char		why[PGHA_ERROR_LEN];

			pthread_mutex_lock(&fatal_lock);
			if (WIFSIGNALED(status))
				snprintf(why, sizeof(why), "PostgreSQL was terminated by signal %d", WTERMSIG(status));
			else if (last_fatal[0] != '\0')
				strlcpy(why, last_fatal, sizeof(why));
			else
				snprintf(why, sizeof(why), "PostgreSQL exited with status %d (its log says why)",
						 WEXITSTATUS(status));
			pthread_mutex_unlock(&fatal_lock);
			pghactl_status_down(etcd, c, quick_exits > 0 ? "start failed" : "crashed", why);
		}
		pghactl_pause_ms(Min(30000, 500L << Min(quick_exits, 6)));
	}
	pg_log_info("stopped");
	return 0;
}

/* SIGTERM or SIGINT came: what runs long (a restore) gives up */
bool
pghactl_stopping(void)
{
	return stop_requested;
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
	if (!pghactl_create_replica(c, etcd, &cl))
		return 1;
	pg_log_info("%s is a copy of cluster \"%s\"; start it with pghactl run", c->data_directory, c->scope);
	return 0;
}
