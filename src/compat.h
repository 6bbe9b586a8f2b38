/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every PG_VERSION_NUM guard pgha needs, in one place.
 *
 * pgha targets PostgreSQL 15 and keeps building on 13 to 17.  Code outside
 * this file uses the PostgreSQL 15 spelling; this header maps it onto older
 * or newer servers.
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
