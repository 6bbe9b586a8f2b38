/*-------------------------------------------------------------------------
 *
 * compat.h
 *		PG_VERSION_NUM guards that map another version's spelling onto
 *		PostgreSQL 15's.
 *
 * PostgreSQL 15 is what pgha is built and tested against.  The guards here
 * and the few left elsewhere (shmem.c's request hook, http.c's latch
 * waits, WalSndCtl's sync_standbys_status in actions.c) are there for the
 * day other versions are built; none is tested on them today.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_COMPAT_H
#define PGHA_COMPAT_H

#if PG_VERSION_NUM < 130000
#error "pgha requires PostgreSQL 13 or later"
#endif

/* MarkGUCPrefixReserved() replaced EmitWarningsOnPlaceholders() in 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* recovery functions moved to their own header in 15 (backend only) */
#if PG_VERSION_NUM >= 150000 && !defined(FRONTEND)
#include "access/xlogrecovery.h"
#endif

/* GetFlushRecPtr() learned to report the timeline in 15 */
#if PG_VERSION_NUM < 150000
#define GetFlushRecPtr(tli) (*(tli) = ThisTimeLineID, GetFlushRecPtr())
#define GetWALInsertionTimeLine() ThisTimeLineID
#endif

/* A_Const's value became a union in 15 */
#if PG_VERSION_NUM >= 150000
#define PGHA_A_CONST_SET_STRING(c, s) ((c)->val.sval.type = T_String, (c)->val.sval.sval = (s))
#else
#define PGHA_A_CONST_SET_STRING(c, s) ((c)->val.type = T_String, (c)->val.val.str = (s))
#endif

/* The wait event pgha reports while it waits for etcd or its next loop. */
#if PG_VERSION_NUM >= 170000
#define PGHA_WAIT_EVENT pgha_wait_event()
extern uint32 pgha_wait_event(void);
#else
#define PGHA_WAIT_EVENT PG_WAIT_EXTENSION
#endif

#endif							/* PGHA_COMPAT_H */
