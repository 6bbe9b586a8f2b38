/*-------------------------------------------------------------------------
 *
 * syncrep.h
 *		Synchronous mode, the I/O side: pg_stat_replication in,
 *		synchronous_standby_names and the sync key out.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/syncrep.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SYNCREP_H
#define PGHA_SYNCREP_H

#include "shared/cluster.h"
#include "shared/etcd.h"

/* the leader, after a good renewal: carry out the next steps of the plan */
extern void pgha_syncrep_leader(PghaEtcd *etcd, const char *prefix, const PghaCluster *cluster,
								const PghaConfig *config);

/* just before pg_promote(): start strict ('*') or asynchronous ('') */
extern void pgha_syncrep_before_promote(const PghaConfig *config);
/*
 * A new leader takes the sync key over before its gate opens or it
 * promotes; lease: the one the leader key must sit on.
 */
extern bool pgha_syncrep_take_key(PghaEtcd *etcd, const char *prefix,
								  const PghaCluster *cluster, const PghaConfig *config,
								  int64 lease, bool promoting);

extern void *pgha_syncrep_memory(size_t *size);

#endif							/* PGHA_SYNCREP_H */
