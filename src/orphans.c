/*-------------------------------------------------------------------------
 *
 * orphans.c
 *		After the postmaster died: stop what is left of this instance.
 *
 * When a primary's postmaster dies (OOM killer, kill -9), its backends do
 * not all notice at once: a backend busy in a long query can still commit
 * and acknowledge writes (Patroni measured one 29 ms after its postmaster
 * was killed).  If a replica were promoted meanwhile, two servers would
 * accept writes.  The pgha worker, which learns of the death at once
 * through its wait event set, therefore kills every other process still
 * attached to the instance's shared memory and waits until they are gone.
 * Only then may the leader key be released for an instant failover; if it
 * cannot prove that, the caller lets the lease expire.
 *
 * Processes are found in the PGPROC array (ProcGlobal->allProcs), which
 * stays mapped after the postmaster's death.  A pid is only signalled if
 * /proc says it is a postgres process of ours, so a recycled pid is never
 * hit.  A child the postmaster forked that has no PGPROC yet (a backend
 * still waiting for its client's startup packet, up to
 * authentication_timeout: a TCP health check, a port scan) is found by the
 * instance's System V segment in its /proc/<pid>/maps: as long as it is
 * attached no postmaster can start on this data directory again.  Orphans
 * are reparented to init, which may not reap them: a zombie counts as gone.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/orphans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/pg_shmem.h"
#include "storage/proc.h"

#include "shared/clock.h"
#include "orphans.h"

#define MAX_ORPHANS 4096

/* state letter from /proc/<pid>/stat, or 0 if the process is gone */
static char
proc_state(pid_t pid)
{
	char		path[64];
	char		buf[512];
	FILE	   *f;
	char	   *p;
	size_t		n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may contain spaces and parentheses */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

/* is pid a live process of ours running the postgres executable? */
static bool
is_our_postgres(pid_t pid)
{
	char		path[64];
	struct stat st;
	char		cmd[256];
	FILE	   *f;
	size_t		n;

	snprintf(path, sizeof(path), "/proc/%d", (int) pid);
	if (stat(path, &st) != 0 || st.st_uid != geteuid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	/* process titles read "postgres: ..." */
	return strncmp(cmd, "postgres", 8) == 0;
}

/*
 * Is pid attached to this instance's System V segment?  /proc/<pid>/maps
 * shows such a mapping as "/SYSV<key in hex> (deleted)"; UsedShmemSegID
 * holds the key the postmaster created it with, a key_t (int) widened with
 * its sign: compared as the 32 bits the kernel prints.
 */
static bool
attached_to_our_segment(pid_t pid)
{
	char		path[64];
	char		line[512];
	FILE	   *f;
	bool		found = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
	{
		unsigned long key;

		if (sscanf(line, "%*s %*s %*s %*s %*s /SYSV%lx", &key) == 1 &&
			(uint32) key == (uint32) UsedShmemSegID)
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * SIGKILL pid and keep it among those to wait for; false if not sent.  One
 * more than can be kept is sent nothing, and *n goes past MAX_ORPHANS: the
 * caller cannot prove them all gone.
 */
static bool
kill_orphan(pid_t pid, pid_t *pids, int *n)
{
	for (int j = 0; j < Min(*n, MAX_ORPHANS); j++)
		if (pids[j] == pid)
			return false;
	if (*n >= MAX_ORPHANS)
	{
		*n = MAX_ORPHANS + 1;
		return false;
	}
	if (kill(pid, SIGKILL) != 0)
		return false;
	pids[(*n)++] = pid;
	return true;
}

/* the processes of ours attached to the segment that the array missed */
static void
kill_unlisted(pid_t *pids, int *n, int *nkilled)
{
	DIR		   *d = opendir("/proc");
	struct dirent *de;

	/* key 0 names every private segment: nothing to tell ours by */
	if (d == NULL || (uint32) UsedShmemSegID == 0)
	{
		if (d != NULL)
			closedir(d);
		return;
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *end;
		long		pid = strtol(de->d_name, &end, 10);
		char		path[64];
		struct stat st;

		if (*end != '\0' || pid <= 0 || pid == MyProcPid)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld", pid);
		if (stat(path, &st) != 0 || st.st_uid != geteuid() || proc_state((pid_t) pid) == 'Z')
			continue;
		if (attached_to_our_segment((pid_t) pid) && kill_orphan((pid_t) pid, pids, n))
			(*nkilled)++;
	}
	closedir(d);
}

bool
pgha_kill_orphans(long timeout_ms, int *nkilled)
{
	pid_t	   *pids = palloc(sizeof(pid_t) * MAX_ORPHANS);
	int			n = 0;
	uint32		i;
	int64		deadline = pgha_now_us() + (int64) timeout_ms * 1000;

	*nkilled = 0;
	for (i = 0; i < ProcGlobal->allProcCount; i++)
	{
		pid_t		pid = ProcGlobal->allProcs[i].pid;

		if (pid <= 0 || pid == MyProcPid)
			continue;
		if (!is_our_postgres(pid) || proc_state(pid) == 'Z')
			continue;
		if (kill_orphan(pid, pids, &n))
			(*nkilled)++;
	}
	kill_unlisted(pids, &n, nkilled);
	/* more than it could keep: some were sent nothing */
	if (n > MAX_ORPHANS)
		return false;

	for (;;)
	{
		bool		alive = false;
		int			j;

		for (j = 0; j < n; j++)
		{
			char		s = proc_state(pids[j]);

			if (s != 0 && s != 'Z')
			{
				alive = true;
				break;
			}
		}
		if (!alive)
			return true;
		if (pgha_now_us() >= deadline)
			return false;
		/* the postmaster is gone: no latch to wait on, a short sleep is all */
		pg_usleep(5000);
	}
}
