/*-------------------------------------------------------------------------
 *
 * write_gate.h
 *		Commit-time lease check: a primary whose lease may have run out
 *		refuses to commit writes, even when its worker cannot act.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/write_gate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_WRITE_GATE_H
#define PGHA_WRITE_GATE_H

/* PGHA_GATE_UNPROVEN: the gate's value until the worker has proven a renewal */
#include "shared/lease_clock.h"

/* _PG_init, in the postmaster: every backend inherits the callback */
extern void pgha_write_gate_init(void);

/*
 * The worker: writes may commit until deadline_ms (shared/clock.h
 * milliseconds); 0 opens the gate (pause, a foreign cluster),
 * PGHA_GATE_UNPROVEN closes it.
 */
extern void pgha_write_gate_set(int64 deadline_ms);

/* the worker itself never trips its own gate */
extern void pgha_write_gate_exempt(void);

#endif							/* PGHA_WRITE_GATE_H */
