/*-------------------------------------------------------------------------
 *
 * bootstrap.c
 *		A new cluster from a backup: Patroni's custom bootstrap
 *		(pghactl.bootstrap_method), used by the node that took the
 *		initialize lock instead of initdb.
 *
 * The method's command (methods.c; --scope and --datadir after it unless
 * no_params) restores a data directory, typically "pgbackrest restore".
 * Then recovery runs to the target:
 *	- pghactl.METHOD_recovery_conf_NAME = VALUE: recovery settings
 *	  (restore_command, recovery_target_time, ...), given to that one start
 *	  of PostgreSQL only, with recovery.signal;
 *	- else keep_existing_recovery_conf: the settings and signal file the
 *	  tool wrote (pgBackRest's --type=time --target=...);
 *	- else neither: the recovery settings go, and the backup starts as
 *	  it is (the WAL it needs is in pg_wal).
 * Recovery always ends with a promotion: the bootstrap makes a primary.
 * That start runs without the pgha worker (which, finding no leader,
 * would promote it before its target) and accepts local connections only
 * (nobody writes before it is the cluster's).  Once it is promoted,
 * pghactl stops it, removes the recovery targets the tool wrote (a clone
 * of it would stop at them), and the normal start follows: the worker
 * claims the cluster with the restored system identifier, as Patroni does.
 *
 * The marker PGHA_BOOTSTRAP_RECOVERY_MARKER, left once the restore is
 * done, makes the next pghactl run resume the recovery after a stop or a
 * kill (the recovery's postmaster gets a fast shutdown when pghactl dies).
 * A failure sets the data directory aside, gives the initialize lock back,
 * and pghactl run exits with PGHACTL_EXIT_BOOTSTRAP_FAILED, which the
 * systemd unit does not restart: a restore that failed once is not retried
 * in a loop.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/bootstrap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "shared/keys.h"
#include "common/logging.h"
#include "lib/stringinfo.h"
#include "pghactl.h"

#define RECOVERY_CONF "recovery_conf_"


/*
 * Give the initialize lock back, if it is still a bootstrap's (""); a few
 * tries, then the key to delete by hand.  (Another node bootstrapping, or
 * copying, waits while the key is empty.)
 */
void
pghactl_release_initialize(const PghactlConf *c, PghaEtcd *etcd)
{
	char	   *key = pgha_key(pgha_key_prefix(c->namespace, c->scope), PGHA_KEY_INITIALIZE);

	for (int tries = 0; tries < 5; tries++)
	{
		PghaEtcdTxn txn = {0};
		PghaEtcdTxnResult res;

		pgha_etcd_txn_equal(&txn, key, PGHA_CMP_VALUE, 0, "");
		pgha_etcd_txn_delete(&txn, key);
		if (pgha_etcd_txn(etcd, &txn, &res))
			return;
		pg_log_warning("could not give the initialize lock back: %s", etcd->errmsg);
		pg_usleep(1000000);
	}
	pg_log_error("the initialize lock of cluster \"%s\" is still taken", c->scope);
	pg_log_error_hint("Once etcd answers, delete the key %s if its value is empty.", key);
}

/*
 * A failed bootstrap: its data directory is set aside (renamed with the
 * time, as Patroni does: what a restore of hours left is there to look at),
 * or emptied where it cannot be renamed (a mount point); then the lock
 * goes, never before (a directory left in place would be started as the
 * cluster).
 */
static bool
cancel(const PghactlConf *c, PghaEtcd *etcd)
{
	char		stamp[32];
	time_t		now = time(NULL);
	char	   *aside;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H-%M-%S", localtime(&now));
	aside = psprintf("%s_failed_%s", c->data_directory, stamp);
	if (rename(c->data_directory, aside) == 0 && mkdir(c->data_directory, 0700) == 0)
		pg_log_info("moved the data directory of the failed bootstrap to %s", aside);
	else if (!pghactl_empty_data_directory(c))
		return false;
	pghactl_release_initialize(c, etcd);
	return false;
}

/* postgresql.auto.conf without the recovery targets a restore tool wrote */
bool
pghactl_drop_recovery_targets(const PghactlConf *c)
{
	return pghactl_drop_auto_settings(c, "recovery_target");
}

/* shared_preload_libraries as configured, without pgha */
static char *
libraries_but_pgha(const PghactlConf *c)
{
	char	   *argv[] = {pghactl_bin(c, "postgres"), "-D", c->data_directory, "-C",
	"shared_preload_libraries", NULL};
	char		value[1024];
	StringInfoData out;
	char	   *save;
	char	   *lib;

	initStringInfo(&out);
	if (!pghactl_run_capture(argv, value, sizeof(value)))
		return out.data;
	for (lib = strtok_r(value, ",", &save); lib; lib = strtok_r(NULL, ",", &save))
	{
		char	   *name;

		while (*lib == ' ' || *lib == '"')
			lib++;
		lib[strcspn(lib, " \"")] = '\0';
		/* pgha, $libdir/pgha, pgha.so */
		name = strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib;
		if (lib[0] == '\0' || strcmp(name, "pgha") == 0 || strcmp(name, "pgha.so") == 0)
			continue;
		appendStringInfo(&out, "%s%s", out.len ? "," : "", lib);
	}
	return out.data;
}

/*
 * Run PostgreSQL until recovery ends with a promotion, then stop it.
 * false if it exited before (the target lies beyond the archive, ...) or
 * pghactl was asked to stop.
 */
static bool
recover(const PghactlConf *c, PghaEtcd *etcd)
{
	const char *method = c->bootstrap_method ? c->bootstrap_method : "";
	char	  **argv = palloc0((2 * c->nmethod_options + 14) * sizeof(char *));
	char	   *prefix = psprintf("pghactl.%s_" RECOVERY_CONF, method);
	int			n = 0;
	pid_t		pm;
	pid_t		me = getpid();
	int			status;
	bool		promoted = false;
	char	   *signal = psprintf("%s/recovery.signal", c->data_directory);
	char		sockdir[] = "/tmp/pghactl-XXXXXX";

	/* no TCP, and a socket in a directory of pghactl's own (0700) */
	if (mkdtemp(sockdir) == NULL)
	{
		pg_log_error("could not create a directory for the socket: %m");
		return false;
	}
	argv[n++] = pghactl_bin(c, "postgres");
	argv[n++] = "-D";
	argv[n++] = c->data_directory;
	argv[n++] = "-c";
	argv[n++] = "listen_addresses=";
	argv[n++] = "-c";
	argv[n++] = psprintf("unix_socket_directories=%s", sockdir);
	argv[n++] = "-c";
	argv[n++] = psprintf("shared_preload_libraries=%s", libraries_but_pgha(c));
	for (int i = 0; i < c->nmethod_options; i++)
	{
		const char *name = c->method_option_keys[i] + strlen(prefix);

		if (strncmp(c->method_option_keys[i], prefix, strlen(prefix)) != 0 ||
			strcmp(name, "recovery_target_action") == 0)
			continue;
		argv[n++] = "-c";
		argv[n++] = psprintf("%s=%s", name, c->method_option_values[i]);
	}
	/* last: it wins over a value in the files */
	argv[n++] = "-c";
	argv[n++] = "recovery_target_action=promote";
	argv[n] = NULL;

	fflush(NULL);
	pm = fork();
	if (pm < 0)
	{
		pg_log_error("could not fork: %m");
		return false;
	}
	if (pm == 0)
	{
		/*
		 * pghactl killed: a fast shutdown, not a server running on without
		 * it (the next pghactl run resumes the recovery)
		 */
		(void) prctl(PR_SET_PDEATHSIG, SIGINT);
		if (getppid() != me)
			_exit(1);
		execv(argv[0], argv);
		_exit(127);
	}
	pg_log_info("recovery of the restored backup runs (PostgreSQL pid %d, local connections only, without the pgha worker)",
				(int) pm);
	pghactl_down_because("bootstrap with method \"%s\": recovery of the restored backup runs", method);
	pghactl_status_down(etcd, c, "running custom bootstrap script", NULL);
	while (!pghactl_stopping())
	{
		bool		crc_ok;
		ControlFileData *cf;

		if (waitpid(pm, &status, WNOHANG) == pm)
		{
			pg_log_error("PostgreSQL exited during the recovery of the restored backup (%s %d)",
						 WIFEXITED(status) ? "exit status" : "signal",
						 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			pg_log_error_detail("Its log above says why: a recovery target beyond the archive, a restore_command that fails, ...");
			(void) rmdir(sockdir);
			return false;
		}
		/*
		 * PostgreSQL removes recovery.signal when recovery ends; a restored
		 * pg_control says "in production" from the start (copied from a
		 * running primary)
		 */
		if (access(signal, F_OK) != 0)
		{
			cf = get_controlfile(c->data_directory, &crc_ok);
			promoted = crc_ok && cf->state == DB_IN_PRODUCTION;
			pfree(cf);
		}
		if (promoted)
			break;
		pghactl_pause_ms(500);
	}
	if (promoted)
		pg_log_info("recovery ended with a promotion; stopping PostgreSQL for its start as the cluster's primary");
	(void) kill(pm, SIGINT);
	while (waitpid(pm, &status, 0) < 0 && errno == EINTR)
		;
	(void) rmdir(sockdir);
	if (promoted && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
	{
		pg_log_error("PostgreSQL did not stop cleanly after the recovery of the restored backup");
		return false;
	}
	return promoted;
}

/*
 * After the restore: recovery to the target if the signal file asks for
 * it, the targets out of the configuration, the bootstrap SQL's marker.
 * Resumed from here when pghactl run was stopped or killed meanwhile (the
 * marker PGHA_BOOTSTRAP_RECOVERY_MARKER says so); a stop request keeps
 * everything for that.
 */
static bool
complete(const PghactlConf *c, PghaEtcd *etcd)
{
	char	   *dir = c->data_directory;

	if (access(psprintf("%s/recovery.signal", dir), F_OK) == 0 && !recover(c, etcd))
		return pghactl_stopping() ? false : cancel(c, etcd);
	if (!pghactl_drop_recovery_targets(c))
		return cancel(c, etcd);
	/* the bootstrap SQL runs after a custom bootstrap too, as Patroni's post_bootstrap */
	if (c->bootstrap_sql && c->bootstrap_sql[0] &&
		!pghactl_touch(psprintf("%s/%s", dir, PGHA_BOOTSTRAP_MARKER)))
		return cancel(c, etcd);
	if (unlink(psprintf("%s/%s", dir, PGHA_BOOTSTRAP_RECOVERY_MARKER)) != 0)
	{
		pg_log_error("could not remove \"%s/%s\": %m", dir, PGHA_BOOTSTRAP_RECOVERY_MARKER);
		return cancel(c, etcd);
	}
	pg_log_info("cluster \"%s\" restored", c->scope);
	return true;
}

bool
pghactl_custom_bootstrap_resume(const PghactlConf *c, PghaEtcd *etcd)
{
	pg_log_info("resuming the bootstrap of cluster \"%s\": its recovery was interrupted", c->scope);
	return complete(c, etcd);
}

bool
pghactl_custom_bootstrap(const PghactlConf *c, PghaEtcd *etcd)
{
	const char *method = c->bootstrap_method;
	char	   *dir = c->data_directory;
	char	   *params[2];
	int			n = 0;
	int			rc;
	bool		recovery_conf = false;
	char	   *recovery_signal = psprintf("%s/recovery.signal", dir);
	char	   *standby_signal = psprintf("%s/standby.signal", dir);
	char	   *prefix = psprintf("pghactl.%s_" RECOVERY_CONF, method);

	if (pghactl_method_option(c, method, "command") == NULL)
	{
		pg_log_error("pghactl.bootstrap_method is \"%s\", but %s sets no pghactl.%s_command",
					 method, c->path, method);
		return cancel(c, etcd);
	}
	if (!pghactl_method_flag(c, method, "no_params"))
	{
		params[n++] = psprintf("--scope=%s", c->scope);
		params[n++] = psprintf("--datadir=%s", dir);
	}
	pghactl_status_down(etcd, c, "running custom bootstrap script", NULL);
	rc = pghactl_method_run(c, method, params, n, true);
	if (rc != 0 || !pghactl_has_control(dir))
	{
		if (rc != 0)
			pg_log_error("the bootstrap method \"%s\" failed (exit status %d)", method, rc);
		else
			pg_log_error("the bootstrap method \"%s\" left no data directory in %s", method, dir);
		return cancel(c, etcd);
	}

	/* a restored directory holds its source's state: none of it applies */
	(void) unlink(psprintf("%s/promote", dir));
	(void) unlink(psprintf("%s/%s", dir, PGHA_REINIT_MARKER));
	(void) unlink(psprintf("%s/%s", dir, PGHA_FENCED_MARKER));
	(void) unlink(psprintf("%s/%s", dir, PGHA_BOOTSTRAP_MARKER));
	(void) unlink(psprintf("%s/pghactl.restart_requested", dir));
	if (!pghactl_write_include(c, true))
		return cancel(c, etcd);

	for (int i = 0; i < c->nmethod_options; i++)
		recovery_conf |= strncmp(c->method_option_keys[i], prefix, strlen(prefix)) == 0;
	if (recovery_conf)
	{
		(void) unlink(standby_signal);
		if (!pghactl_touch(recovery_signal))
			return cancel(c, etcd);
	}
	else if (!pghactl_method_flag(c, method, "keep_existing_recovery_conf"))
	{
		(void) unlink(standby_signal);
		(void) unlink(recovery_signal);
	}
	/* the tool's own settings: recovery ends in a primary, never a standby */
	else if (unlink(standby_signal) == 0 && !pghactl_touch(recovery_signal))
		return cancel(c, etcd);
	if (!pghactl_touch(psprintf("%s/%s", dir, PGHA_BOOTSTRAP_RECOVERY_MARKER)))
		return cancel(c, etcd);
	return complete(c, etcd);
}
