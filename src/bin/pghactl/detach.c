/*-------------------------------------------------------------------------
 *
 * detach.c
 *		pghactl detach: undo what pgha wrote into a stopped node's data
 *		directory, so that another agent (Patroni, after a rollback of a
 *		migration) manages it alone.
 *
 * What goes: pghactl's include of pgha.conf in postgresql.conf (which
 * loads pgha when pgha.conf sets shared_preload_libraries), and from
 * postgresql.auto.conf the settings pgha wrote there that would override
 * the other agent's postgresql.conf for good: the cluster-wide parameters
 * (listed in pgha.managed_parameters) and synchronous_standby_names.  The
 * worker's timeline placeholders in pg_wal, as pghactl run drops them.
 * primary_conninfo and primary_slot_name stay: a standby started by hand
 * keeps streaming, and Patroni removes both from postgresql.auto.conf when
 * it writes its own.  pgha's own state files go too.  pg_hba.conf stays:
 * it holds the cluster's rules, which the other agent writes again if it
 * manages them.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/detach.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <unistd.h>

#include "common/logging.h"
#include "pghactl.h"

/*
 * pgha's state files: the worker's (the managed parameters, the last valid
 * config, ...) and pghactl run's markers, which would act at a later return
 * to pgha (a pending reinit would wipe the directory).
 */
static const char *const state_files[] = {PGHA_DATADIR_FILES};

#define MAX_NAMES 256

/* the parameter a postgresql.auto.conf line sets, into name ("" none) */
static void
line_name(const char *line, char *name, size_t len)
{
	size_t		i = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	while (i + 1 < len && (isalnum((unsigned char) line[i]) || line[i] == '_' || line[i] == '.'))
	{
		name[i] = tolower((unsigned char) line[i]);
		i++;
	}
	name[i] = '\0';
}

/* the names in pgha.managed_parameters, one per line; -1 if unreadable */
static int
managed_names(const PghactlConf *c, char names[][NAMEDATALEN], int max)
{
	char	   *path = psprintf("%s/%s", c->data_directory, PGHA_MANAGED_FILE);
	FILE	   *f = fopen(path, "r");
	char		line[256];
	int			n = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (n < max && fgets(line, sizeof(line), f))
	{
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			line_name(line, names[n++], NAMEDATALEN);
	}
	fclose(f);
	return n;
}

typedef struct DropNames
{
	char		(*names)[NAMEDATALEN];
	int			n;
	int			removed;
} DropNames;

/* keeps a postgresql.auto.conf line unless it sets one of the names */
static bool
not_pghas(const char *line, void *ctx)
{
	DropNames  *d = ctx;
	char		name[NAMEDATALEN];
	int			i;

	line_name(line, name, sizeof(name));
	for (i = 0; i < d->n && name[0] != '\0'; i++)
		if (strcmp(name, d->names[i]) == 0)
		{
			pg_log_info("removed from postgresql.auto.conf: %.*s", (int) strcspn(line, "\r\n"), line);
			d->removed++;
			return false;
		}
	return true;
}

/* drop the lines of postgresql.auto.conf that set one of names */
static bool
clean_auto_conf(const PghactlConf *c, char names[][NAMEDATALEN], int n)
{
	char	   *path = psprintf("%s/postgresql.auto.conf", c->data_directory);
	DropNames	d = {names, n, 0};

	if (access(path, F_OK) != 0)
		return errno == ENOENT;
	if (!pghactl_rewrite_conf(path, not_pghas, &d, NULL))
		return false;
	if (d.removed == 0)
		pg_log_info("postgresql.auto.conf holds no setting of pgha's");
	return true;
}

/* does the server, as configured now, still load pgha? */
static void
check_preload(const PghactlConf *c)
{
	char	   *cmd = psprintf("\"%s/postgres\" -D \"%s\" -C shared_preload_libraries 2>/dev/null",
							   c->bin_dir, c->data_directory);
	FILE	   *p = popen(cmd, "r");
	char		out[1024] = "";

	if (p == NULL)
		return;
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\r\n")] = '\0';
	if (strstr(out, "pgha") != NULL)
	{
		pg_log_warning("shared_preload_libraries is still \"%s\"", out);
		pg_log_warning_hint("Remove pgha from it in postgresql.conf before PostgreSQL starts again, "
							"or its worker runs beside the other agent.");
	}
}

int
pghactl_detach(PghactlConf *c)
{
	char		names[MAX_NAMES + 1][NAMEDATALEN];
	int			n;
	pid_t		pm;

	if (c->data_directory == NULL)
		pg_fatal("%s does not set pghactl.data_directory", c->path);
	if (pghactl_lock_data_directory(c) < 0)
	{
		pg_log_error_hint("Stop it first; nothing was changed.");
		return 1;
	}
	pm = pghactl_running_postmaster(c->data_directory);
	if (pm > 0)
	{
		pg_log_error("PostgreSQL is running on %s (pid %d)", c->data_directory, (int) pm);
		pg_log_error_hint("Stop it first (stop \"pghactl run\"); nothing was changed.");
		return 1;
	}
	n = managed_names(c, names, MAX_NAMES);
	if (n < 0)
	{
		pg_log_error("could not read \"%s/%s\": %m", c->data_directory, PGHA_MANAGED_FILE);
		return 1;
	}
	strlcpy(names[n++], "synchronous_standby_names", NAMEDATALEN);
	if (!clean_auto_conf(c, names, n) || !pghactl_write_include(c, false))
		return 1;
	pg_log_info("postgresql.conf no longer includes %s", c->path);
	for (int i = 0; i < lengthof(state_files); i++)
		if (unlink(psprintf("%s/%s", c->data_directory, state_files[i])) != 0 && errno != ENOENT)
		{
			pg_log_error("could not remove \"%s/%s\": %m", c->data_directory, state_files[i]);
			return 1;
		}
	/* a started promotion's timeline placeholders would stop a standby's replay */
	pghactl_drop_placeholders(c);
	check_preload(c);
	return 0;
}
