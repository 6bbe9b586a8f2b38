/*-------------------------------------------------------------------------
 *
 * callbacks.c
 *		Patroni's callbacks, run by pghactl run: on_start, on_stop,
 *		on_restart and on_role_change, each a command from pgha.conf
 *		called as "<command> <action> <role> <scope>", as Patroni calls
 *		them (role "primary", or "master" with pgha.patroni_compat = 3,
 *		or "replica").
 *
 * A callback runs outside PostgreSQL and outside the HA worker: a script
 * that hangs (a virtual IP that will not move) never delays a fence, a
 * promotion or a handover.  pghactl does not wait for it either.  As
 * Patroni does, one runs at a time: a new callback kills the previous one
 * with its children (its own process group) before it starts.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/callbacks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/logging.h"
#include "pghactl.h"

static pid_t running;			/* the callback running now, 0 none */

/* reap the running callback if it ended */
void
pghactl_callbacks_reap(void)
{
	int			status;

	if (running > 0 && waitpid(running, &status, WNOHANG) == running)
	{
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			pg_log_warning("callback (pid %d) failed: %s", (int) running,
						   WIFEXITED(status) ? psprintf("exit status %d", WEXITSTATUS(status)) :
						   psprintf("signal %d", WTERMSIG(status)));
		running = 0;
	}
}

static const char *
command_for(const PghactlConf *c, const char *action)
{
	if (strcmp(action, "on_start") == 0)
		return c->on_start;
	if (strcmp(action, "on_stop") == 0)
		return c->on_stop;
	if (strcmp(action, "on_restart") == 0)
		return c->on_restart;
	if (strcmp(action, "on_role_change") == 0)
		return c->on_role_change;
	if (strcmp(action, "on_reload") == 0)
		return c->on_reload;
	return NULL;
}

void
pghactl_callback(const PghactlConf *c, const char *action, bool primary)
{
	const char *cmd = command_for(c, action);
	const char *role = primary ? (c->patroni_compat == 3 ? "master" : "primary") : "replica";
	pid_t		pid;

	if (cmd == NULL || cmd[0] == '\0')
		return;
	pghactl_callbacks_reap();
	if (running > 0)
	{
		pg_log_info("killing the previous callback (pid %d) for %s", (int) running, action);
		kill(-running, SIGKILL);
		while (waitpid(running, NULL, 0) < 0 && errno == EINTR)
			;
		running = 0;
	}
	pg_log_info("callback: %s %s %s %s", cmd, action, role, c->scope);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		pg_log_warning("could not fork for the %s callback: %m", action);
		return;
	}
	if (pid == 0)
	{
		/* a process group of its own: the next callback kills it whole */
		setpgid(0, 0);
		/* the shell splits the command as Patroni's shlex does; the arguments stay whole */
		execl("/bin/sh", "sh", "-c", psprintf("%s \"$@\"", cmd), "sh", action, role, c->scope,
			  (char *) NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	running = pid;
}
