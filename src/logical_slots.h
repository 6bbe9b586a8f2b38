/*-------------------------------------------------------------------------
 *
 * logical_slots.h
 *		Permanent logical slots on this server: read, a replica's copy
 *		written, the primary's made by a worker in the slot's database.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/logical_slots.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_LOGICAL_SLOTS_H
#define PGHA_LOGICAL_SLOTS_H

#include "shared/slots.h"

/* the slot the config describes, as it is here */
extern void pgha_logical_local(const PghaPermanentSlot *ps, PghaLogicalLocal *out);

/* physical slots holding a catalog_xmin (a standby's feedback), at most max */
extern int	pgha_logical_feedback(PghaFeedback *out, int max);

/*
 * A replica's copy made with the leader's values; false with why when it
 * cannot be yet (no such database, the WAL from restart_lsn gone).  May
 * ERROR with the slot still acquired: the caller aborts its transaction,
 * then pgha_logical_release().
 */
extern bool pgha_logical_copy_create(const PghaPermanentSlot *ps, const PghaLogicalRemote *r,
									 char *why, size_t len);

extern void pgha_logical_drop(const char *name);

/* the copies pgha made on this node (names, at most max), and that list rewritten */
extern int	pgha_logical_made(char (*names)[PGHA_NAME_LEN], int max);
extern void pgha_logical_set_made(char (*names)[PGHA_NAME_LEN], int n);

/* release the slot this process holds, if any (after an error) */
extern void pgha_logical_release(void);

/*
 * Start the worker for one database: on the primary it creates the missing
 * permanent logical slots, on a replica it decodes the copies forward to
 * the targets in shared memory.  False while one still runs.
 */
extern bool pgha_logical_worker_start(const char *database);
extern bool pgha_logical_worker_busy(void);
/* at a promotion: the worker told to stop (a copy it holds would be "in use") */
extern void pgha_logical_worker_stop(void);

#endif							/* PGHA_LOGICAL_SLOTS_H */
