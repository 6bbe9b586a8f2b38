/*-------------------------------------------------------------------------
 *
 * datadir.c
 *		What pghactl changes in a data directory and how it keeps out of
 *		the way of others: the include of pgha.conf in postgresql.conf,
 *		line-wise rewrites of configuration files, the postmaster that
 *		runs there, and the lock that makes one pghactl run per directory.
 *
 * A configuration file is rewritten whole: into a new file with the old
 * one's mode, flushed, then renamed over it with the directory flushed
 * (durable_rename): a power loss leaves the old file or the new one, never
 * an empty postgresql.conf, which would start a primary without pgha and
 * its write gate.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/datadir.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_utils.h"
#include "common/logging.h"
#include "pghactl.h"

#define MARKER "# pghactl: include of this node's pgha.conf"

char *
pghactl_read_file(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *buf;
	size_t		n;

	if (f == NULL)
		return NULL;
	buf = pg_malloc(1024 * 1024 + 1);
	n = fread(buf, 1, 1024 * 1024, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

bool
pghactl_rewrite_conf(const char *path, PghactlKeepLine keep, void *ctx, const char *append)
{
	char	   *tmp = psprintf("%s.pghactl", path);
	FILE	   *in = fopen(path, "r");
	FILE	   *out;
	struct stat st;
	char	   *line = NULL;
	size_t		cap = 0;
	int			fd;

	if (in == NULL)
	{
		pg_log_error("could not open \"%s\": %m", path);
		return false;
	}
	if (fstat(fileno(in), &st) != 0 ||
		(fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777)) < 0 ||
		(out = fdopen(fd, "w")) == NULL)
	{
		pg_log_error("could not create \"%s\": %m", tmp);
		fclose(in);
		return false;
	}
	/* getline: a line of any length is kept or dropped whole */
	while (getline(&line, &cap, in) >= 0)
		if (keep(line, ctx))
			fputs(line, out);
	free(line);
	fclose(in);
	if (append)
		fputs(append, out);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 ||
		durable_rename(tmp, path) != 0)
	{
		pg_log_error("could not write \"%s\": %m", path);
		return false;
	}
	return true;
}

/* drops the marker line and the include line that follows it */
static bool
not_our_include(const char *line, void *ctx)
{
	bool	   *after_marker = ctx;
	bool		was = *after_marker;

	*after_marker = strncmp(line, MARKER, strlen(MARKER)) == 0;
	return !was && !*after_marker;
}

/*
 * postgresql.conf must include this node's pgha.conf: after initdb, and
 * again after pg_basebackup or pg_rewind copied the leader's file over.
 * Any include pghactl wrote before goes; the new one is appended last, so
 * that pgha.conf overrides what comes before it.  add false: only remove
 * it (pghactl detach).
 */
/* a line that does not set a setting whose name starts with ctx */
static bool
not_setting(const char *line, void *ctx)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return strncmp(line, (const char *) ctx, strlen((const char *) ctx)) != 0;
}

/* postgresql.auto.conf without the settings whose names start with prefix */
bool
pghactl_drop_auto_settings(const PghactlConf *c, const char *prefix)
{
	return pghactl_rewrite_conf(psprintf("%s/postgresql.auto.conf", c->data_directory),
								not_setting, (void *) prefix, NULL);
}

bool
pghactl_write_include(const PghactlConf *c, bool add)
{
	bool		after_marker = false;

	return pghactl_rewrite_conf(psprintf("%s/postgresql.conf", c->data_directory),
								not_our_include, &after_marker,
								add ? psprintf("%s\ninclude '%s'\n", MARKER, c->path) : NULL);
}

/*
 * Does postgresql.conf include this node's pgha.conf already?  A data
 * directory pghactl did not create (one Patroni ran, migrated in place)
 * gets the include at its first start under pghactl run.
 */
bool
pghactl_has_include(const PghactlConf *c)
{
	char	   *want = psprintf("include '%s'\n", c->path);
	FILE	   *f = fopen(psprintf("%s/postgresql.conf", c->data_directory), "r");
	char	   *line = NULL;
	size_t		cap = 0;
	bool		marker = false;
	bool		found = false;

	if (f == NULL)
		return false;
	while (!found && getline(&line, &cap, f) >= 0)
	{
		found = marker && strcmp(line, want) == 0;
		marker = strncmp(line, MARKER, strlen(MARKER)) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

/* the postmaster of this data directory, if one runs */
pid_t
pghactl_running_postmaster(const char *datadir)
{
	char	   *path = psprintf("%s/postmaster.pid", datadir);
	FILE	   *f = fopen(path, "r");
	long		pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM))
		return (pid_t) pid;
	return 0;
}

/*
 * One pghactl run per data directory, and no detach or reinit beside it:
 * an exclusive flock on the directory itself, which outlives emptying it
 * for a clone.  Not inherited by the server (O_CLOEXEC).  Returns the
 * descriptor to keep open, or -1 when another process holds it (or the
 * directory cannot be made).
 */
int
pghactl_lock_data_directory(const PghactlConf *c)
{
	int			fd = open(c->data_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mkdir(c->data_directory, S_IRWXU) == 0)
		fd = open(c->data_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
	{
		pg_log_error("could not open directory \"%s\": %m", c->data_directory);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno == EWOULDBLOCK)
			pg_log_error("\"pghactl run\" supervises %s", c->data_directory);
		else
			pg_log_error("could not lock directory \"%s\": %m", c->data_directory);
		close(fd);
		return -1;
	}
	return fd;
}

char *
pghactl_read_promise(const PghactlConf *c)
{
	char	   *path = psprintf("%s/%s", c->data_directory, PGHA_FAILSAFE_PROMISE_FILE);
	FILE	   *f = fopen(path, "r");
	char		line[32] = "";

	if (f != NULL)
	{
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
	}
	pfree(path);
	return pstrdup(line);
}

/*
 * A promise to a failsafe leader binds this node, not the data it copies:
 * pg_rewind and a new copy bring the source's file (or none), and this
 * node would wait only its own ttl after its start (found by review).
 */
bool
pghactl_restore_promise(const PghactlConf *c, const char *text)
{
	char	   *path = psprintf("%s/%s", c->data_directory, PGHA_FAILSAFE_PROMISE_FILE);
	char	   *tmp = psprintf("%s.tmp", path);
	FILE	   *f;
	bool		ok;

	/* a crash midway leaves the old file or the new one, never an empty one */
	if (text == NULL || text[0] == '\0')
		ok = unlink(path) == 0 || errno == ENOENT;
	else
		ok = (f = fopen(tmp, "w")) != NULL && fputs(text, f) >= 0 && fclose(f) == 0 &&
			fsync_fname(tmp, false) == 0 && rename(tmp, path) == 0;
	if (!ok)
		pg_log_error("could not write \"%s\": %m", path);
	else
		ok = fsync_fname(c->data_directory, true) == 0;
	pfree(path);
	pfree(tmp);
	return ok;
}
