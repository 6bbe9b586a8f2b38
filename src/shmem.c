/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		pgha's shared memory: request, attach, read and publish.
 *
 * See shmem.h for the lock protocol.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "shared/etcd_json.h"
#include "compat.h"
#include "shmem.h"
#include "write_gate.h"

PghaShared *pgha_shared = NULL;

static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif

static void
pgha_shmem_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(MAXALIGN(sizeof(PghaShared)));
	RequestNamedLWLockTranche("pgha", 2);
}

static void
pgha_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pgha_shared = ShmemInitStruct("pgha", sizeof(PghaShared), &found);
	if (!found)
	{
		memset(pgha_shared, 0, sizeof(PghaShared));
		pgha_shared->lock = &(GetNamedLWLockTranche("pgha"))[0].lock;
		pgha_shared->file_lock = &(GetNamedLWLockTranche("pgha"))[1].lock;
		/*
		 * Nothing is proven at a start, clean or after a crash: commits
		 * wait until the worker holds the leader key (write_gate.c).
		 */
		pgha_shared->keeper.proven = false;
		pg_atomic_init_u64(&pgha_shared->write_deadline_ms, PGHA_GATE_UNPROVEN);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init in the postmaster. */
void
pgha_shmem_init(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pgha_shmem_request;
#else
	pgha_shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pgha_shmem_startup;
}

void
pgha_shmem_read(PghaSharedState *out)
{
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	memcpy(out, &pgha_shared->state, sizeof(PghaSharedState));
	LWLockRelease(pgha_shared->lock);
}

void
pgha_shmem_write(const PghaSharedState *in)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	memcpy(&pgha_shared->state, in, sizeof(PghaSharedState));
	LWLockRelease(pgha_shared->lock);
}

/*
 * A history too long for its buffer loses its oldest entries: /history
 * shows the recent timeline switches, which is what a reader wants.
 */
void
pgha_shmem_set_history(const char *history)
{
	json_error_t jerr;
	json_t	   *h = json_loads(history, 0, &jerr);
	char	   *doc;

	if (h == NULL || !json_is_array(h))
	{
		if (h)
			json_decref(h);
		h = json_array();
	}
	doc = json_dumps(h, JSON_COMPACT);
	while (doc && strlen(doc) >= PGHA_HISTORY_BYTES && json_array_size(h) > 0)
	{
		free(doc);
		json_array_remove(h, 0);
		doc = json_dumps(h, JSON_COMPACT);
	}
	json_decref(h);
	if (doc == NULL)
		return;
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	strlcpy(pgha_shared->history, doc, PGHA_HISTORY_BYTES);
	pgha_shared->history_known = true;
	LWLockRelease(pgha_shared->lock);
	free(doc);
}

/* a palloc'd copy of a published document, NULL while *known is false */
static char *
copy_if_known(const bool *known, const char *doc)
{
	char	   *copy = NULL;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	if (*known)
		copy = pstrdup(doc);
	LWLockRelease(pgha_shared->lock);
	return copy;
}

char *
pgha_shmem_get_history(void)
{
	return copy_if_known(&pgha_shared->history_known, pgha_shared->history);
}

void
pgha_shmem_set_config(const char *config)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	pgha_shared->config_known = config != NULL && strlen(config) < PGHA_CONFIG_BYTES;
	strlcpy(pgha_shared->config, pgha_shared->config_known ? config : "", PGHA_CONFIG_BYTES);
	LWLockRelease(pgha_shared->lock);
}

char *
pgha_shmem_get_config(void)
{
	return copy_if_known(&pgha_shared->config_known, pgha_shared->config);
}
