/*-------------------------------------------------------------------------
 *
 * probe.h
 *		Ask another member directly how far its WAL got.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/probe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_PROBE_H
#define PGHA_PROBE_H

#include "shared/decide.h"

extern void pgha_probe_member(const PghaMember *m, PghaPeer *out);

/* libpq from the worker: interruptible where the server provides it (PG 17) */
typedef struct pg_conn PGconn;
extern PGconn *pgha_libpq_connect(const char *conninfo);
extern void pgha_libpq_disconnect(PGconn *conn);

#endif							/* PGHA_PROBE_H */
