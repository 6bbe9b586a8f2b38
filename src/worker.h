/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The pgha background worker: the HA brain of this node.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_WORKER_H
#define PGHA_WORKER_H

extern void pgha_worker_register(void);
extern PGDLLEXPORT void pgha_worker_main(Datum main_arg);

#endif							/* PGHA_WORKER_H */
