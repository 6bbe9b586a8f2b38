/*-------------------------------------------------------------------------
 *
 * pgha.c
 *		Module entry point: preload guard, settings, shared memory, worker.
 *
 * pgha must be loaded through shared_preload_libraries: its worker and its
 * shared memory exist only then.  Loading it any other way (CREATE
 * EXTENSION without the preload, LOAD) fails with a hint instead of
 * half-working.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/pgha.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "guc.h"
#include "pgha.h"
#include "api.h"
#include "failsafe.h"
#include "http_backend.h"
#include "shmem.h"
#include "worker.h"
#include "write_gate.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* any process of this server that calls etcd waits the server's way */
	pgha_http_backend_init();

	/* pg_upgrade loads libraries in binary-upgrade mode: do nothing there */
	if (IsBinaryUpgrade)
		return;

	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha must be loaded via \"shared_preload_libraries\""),
				 errhint("Add pgha to \"shared_preload_libraries\" in postgresql.conf and restart the server.")));

	pgha_guc_define();
	pgha_shmem_init();
	pgha_write_gate_init();
	pgha_failsafe_init();
	pgha_worker_register();
	pgha_api_register();
}
