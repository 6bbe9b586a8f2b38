/*-------------------------------------------------------------------------
 *
 * upstream.h
 *		Whom a standby streams from: cascading replication (Patroni's
 *		replicatefrom tag).
 *
 * A standby tagged replicatefrom=<member> streams from that member instead
 * of the leader, while the member can serve it: its record says it runs as
 * a standby of this cluster (not down, with an address), on the leader's
 * timeline, and it does not stream (by the same rule, through any chain)
 * from the asking standby.  Otherwise, and when the tag names the leader,
 * nobody or itself, from the leader.  A standby tagged nostream streams
 * from nobody.  Every node computes the answer from
 * the same member records: the standby to point primary_conninfo, the
 * member it names to keep a replication slot for it, the leader to keep
 * none.
 *
 * Pure.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/upstream.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_UPSTREAM_H
#define PGHA_UPSTREAM_H

#include "shared/cluster.h"

/*
 * The member m streams from: its replicatefrom member, or the leader key's
 * value (NULL when there is no leader and m's tag does not apply).  NULL
 * for a standby tagged nostream (Patroni's tag): it replays the archive,
 * nobody keeps a slot for it.  Members may still stream from it.
 */
extern const char *pgha_upstream_of(const PghaCluster *c, const PghaMember *m);

#endif							/* PGHA_UPSTREAM_H */
