/*-------------------------------------------------------------------------
 *
 * hot_standby.h
 *		The settings a hot standby must have at least as high as its
 *		primary.
 *
 * PostgreSQL refuses to run recovery on a standby whose max_connections,
 * max_worker_processes, max_wal_senders, max_prepared_transactions or
 * max_locks_per_transaction is lower than the primary's ("recovery
 * aborted because of insufficient parameter settings").  pg_control holds
 * the values the WAL it replayed was written with: the primary's.  So a
 * standby starts with the higher of its configured value and pg_control's,
 * as Patroni does, and a change rolls out without ever leaving a standby
 * that cannot start: a lower value takes effect on a standby once its
 * primary restarted with it, a higher one at once.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/hot_standby.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_HOT_STANDBY_H
#define PGHA_HOT_STANDBY_H

#include "catalog/pg_control.h"

#define PGHA_NHOT_STANDBY_PARAMS 5

/* their names, in the order of pgha_control_params() */
extern const char *const pgha_hot_standby_params[PGHA_NHOT_STANDBY_PARAMS];

/* the index of name (any case) in pgha_hot_standby_params, or -1 */
extern int	pgha_hot_standby_param(const char *name);

/* the five values pg_control holds, in that order */
extern void pgha_control_params(const ControlFileData *cf, int out[PGHA_NHOT_STANDBY_PARAMS]);

/*
 * The value a standby starts with: the configured one, or pg_control's if
 * higher.  A configured value that is no plain integer (a typo PostgreSQL
 * will refuse on its own) is left as it is: -1.
 */
extern int	pgha_hot_standby_value(const char *configured, int control);

#endif							/* PGHA_HOT_STANDBY_H */
