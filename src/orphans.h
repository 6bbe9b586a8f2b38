/*-------------------------------------------------------------------------
 *
 * orphans.h
 *		After the postmaster died: stop what is left of this instance.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/orphans.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ORPHANS_H
#define PGHA_ORPHANS_H

/*
 * SIGKILL every other process of this instance still attached to shared
 * memory, and wait up to timeout_ms until none is left.  Returns true when
 * no process of the instance but ours survives.
 */
extern bool pgha_kill_orphans(long timeout_ms, int *nkilled);

#endif							/* PGHA_ORPHANS_H */
