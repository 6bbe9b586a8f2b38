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

#include "common/slots.h"

/* the slot the config describes, as it is here */
extern void pgha_logical_local(const PghaPermanentSlot *ps, PghaLogicalLocal *out);

/* physical slots holding a catalog_xmin (a standby's feedback), at most max */
extern int	pgha_logical_feedback(PghaFeedback *out, int max);

/*
 * A replica's copy made with the leader's values; false with why when it
 * cannot be yet (no such database, the WAL from restart_lsn gone).
 */
extern bool pgha_logical_copy_create(const PghaPermanentSlot *ps, const PghaLogicalRemote *r,
									 char *why, size_t len);

/* the copy's values set to the leader's (forward only: common/slots.h decides) */
extern void pgha_logical_copy_sync(const PghaPermanentSlot *ps, const PghaLogicalRemote *r);

extern void pgha_logical_drop(const char *name);

/*
 * On the primary: start the worker that creates the missing permanent
 * logical slots of one database; false while one still runs.
 */
extern bool pgha_logical_create_start(const char *database);
extern bool pgha_logical_create_busy(void);

#endif							/* PGHA_LOGICAL_SLOTS_H */
