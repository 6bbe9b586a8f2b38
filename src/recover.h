/*-------------------------------------------------------------------------
 *
 * recover.h
 *		Turning an ERROR caught in PG_CATCH into data, in one place.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/recover.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_RECOVER_H
#define PGHA_RECOVER_H

/*
 * Call first thing in a PG_CATCH block: back to cxt, a copy of the error,
 * error state flushed, any open transaction aborted.  The copy lives in
 * cxt.  The caller decides what to report.
 */
extern ErrorData *pgha_recover_error(MemoryContext cxt);

#endif							/* PGHA_RECOVER_H */
