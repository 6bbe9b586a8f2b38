/*-------------------------------------------------------------------------
 *
 * keeper.h
 *		One HA iteration: lease, snapshot, decide, act, publish.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_KEEPER_H
#define PGHA_KEEPER_H

#include "shared/etcd.h"
#include "shmem.h"

/*
 * Run one iteration with the given etcd client; update *state for shared
 * memory.  Returns how long to wait (ms) before the next one.  May ERROR;
 * keeper state survives (it lives in TopMemoryContext).
 */
extern long pgha_keeper_iterate(PghaEtcd *etcd, PghaSharedState *state,
								bool *etcd_ok);

/*
 * While waiting: drain the watch stream.  Returns true when an event
 * deserves an immediate iteration (leader or config changed).
 */
extern bool pgha_keeper_watch_wakeup(PghaEtcd *etcd);

/* the client was rebuilt: forget connection-bound state (the watch) */
extern void pgha_keeper_reset_connection(void);

/*
 * The postmaster died.  Kill what is left of the instance; if that is
 * proven and this node leads, revoke the lease so that a replica takes over
 * at once instead of after the ttl.  Never returns.
 */
extern void pgha_keeper_postmaster_died(PghaEtcd *etcd) pg_attribute_noreturn();

/* if this node is the leader, the monotonic ms at which it fences */
extern int64 pgha_keeper_fence_deadline_ms(void);

/* does this worker hold the leader key (as of its last iteration) */
extern bool pgha_keeper_leads(void);

/* the postmaster is shutting down: hand the leader key over if we can */
extern void pgha_keeper_planned_stop(PghaEtcd *etcd);
extern void *pgha_keeper_memory(size_t *size);

#endif							/* PGHA_KEEPER_H */
