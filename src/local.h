/*-------------------------------------------------------------------------
 *
 * local.h
 *		Snapshot of this server's own state for the HA decision.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/local.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_LOCAL_H
#define PGHA_LOCAL_H

#include "shared/decide.h"

typedef struct PghaLocalDetail
{
	PghaLocal	base;
	uint64		receive_lsn;	/* standby */
	uint64		replay_lsn;		/* standby */
	char		replication_state[32];	/* "streaming", "in archive recovery" */
} PghaLocalDetail;

extern void pgha_local_snapshot(PghaLocalDetail *out);
extern bool pgha_postmaster_stopping(void);

#endif							/* PGHA_LOCAL_H */
