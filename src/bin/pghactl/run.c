/*-------------------------------------------------------------------------
 *
 * run.c
 *		pghactl run: set this node up as the cluster needs it (prepare.c),
 *		then run and supervise the postmaster in the foreground.
 *
 * The postmaster runs as a child.  When it exits without being asked
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
#include "shared/clock.h"
#include "common/controldata_utils.h"
#include "common/file_utils.h"
#include "shared/hot_standby.h"
#include "shared/keys.h"
#include "shared/timeline.h"
#include "common/logging.h"
#include "libpq-fe.h"
#include "pghactl.h"


static volatile sig_atomic_t stop_requested = false;

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

/* pg_rewind runs to its end: one stopped halfway leaves a data directory nothing can start */
static bool run_to_end = false;

void
pghactl_run_to_end(bool on)
{
	run_to_end = on;
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
		int64		next_tell = 0;
		pid_t		r;

		/* the child's group, from this side too: a signal before its setpgid must reach it */
		(void) setpgid(pid, pid);
		/* polled: pqsignal's handlers restart a blocking waitpid */
		while ((r = waitpid(pid, &status, WNOHANG)) != pid)
		{
			if (r < 0 && errno != EINTR)
				return -1;

			/*
			 * SIGTERM to pghactl: a restore of hours is not waited for.
			 * Told again every second: a signal that came before the child
			 * could take it (between fork and exec) is not lost.
			 */
			if (stop_requested && !run_to_end && pgha_now_us() >= next_tell)
			{
				(void) kill(-pid, SIGTERM);
				next_tell = pgha_now_us() + 1000000;
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
 * primary's, which pg_control holds (shared/hot_standby.h): "-c name=value"
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

/* the same, on disk before it returns (a marker a power loss must not take) */
bool
pghactl_touch_durably(const char *path)
{
	char	   *dir = pg_strdup(path);

	if (!pghactl_touch(path))
		return false;
	*strrchr(dir, '/') = '\0';
	return fsync_fname(path, false) == 0 && fsync_fname(dir, true) == 0;
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
 * The first start after initdb: once the new primary accepts connections,
 * run pghactl.bootstrap_sql with psql (roles, CREATE EXTENSION pgha, ...).
 * Once only, successful or not: a half-applied script is not re-run; a
 * failure is logged with what to do.  false if the postmaster died
 * meanwhile (its status is then in *status).
 */
static bool
run_bootstrap(const PghactlConf *c, pid_t pm, int *status)
{
	char	   *marker = psprintf("%s/%s", c->data_directory, PGHA_BOOTSTRAP_MARKER);
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
	/* a stop before the server was ready: the SQL runs at the next start */
	if (ready || !stop_requested)
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
	int64		next_tell = 0;

	for (;;)
	{
		pid_t		r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			break;
		/*
		 * A SIGTERM that came between the last look at stop_requested and
		 * child_pid's assignment (the fork), or before the child could take
		 * it (before exec), found no one to pass it on to: passed on here,
		 * every second (a fast shutdown asked twice is one), or the server
		 * ran on and pghactl with it.
		 */
		if (stop_requested && pgha_now_us() >= next_tell)
		{
			(void) kill(pid, SIGINT);
			next_tell = pgha_now_us() + 1000000;
		}
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
		bool		bootstrap_failed = false;

		pid_t		pid;
		int			status;
		int64		started;
		char	   *argv[4 + 2 * PGHA_NHOT_STANDBY_PARAMS];
		int			argc;

		down_reason[0] = '\0';
		if (!pghactl_prepare(c, etcd, &bootstrap_failed))
		{
			if (bootstrap_failed)
			{
				pg_log_error("the bootstrap of cluster \"%s\" with method \"%s\" failed; pghactl run stops",
							 c->scope, c->bootstrap_method);
				pg_log_error_hint("Its output is above.  Fix the method in %s and start pghactl run again.",
								  c->path);
				return PGHACTL_EXIT_BOOTSTRAP_FAILED;
			}
			if (stop_requested)
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
			setenv(PGHA_SUPERVISED_ENV, psprintf("%d", (int) getppid()), 1);
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

