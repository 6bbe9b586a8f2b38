/*-------------------------------------------------------------------------
 *
 * cluster_cache.h
 *		The cluster as the watch keeps it: the keys under the prefix, loaded
 *		from a read and brought forward by the watch's events, and when a
 *		replica may take its cluster from there instead of reading etcd.
 *
 * A read of the whole prefix on every member every loop was half of
 * pgha's etcd requests.  The watch already runs (it wakes the loop); its
 * events, applied in revision order to the last read, give the state at
 * a later revision, as consistent as a read (etcd sends a watch's events
 * in revision order, none left out, from the start revision on).  What a
 * cache cannot show is that it is recent: a watch that stalls says
 * nothing.  So it serves only a replica confirming the status quo (another
 * member leads, no switchover asked for, the decision is to follow or
 * wait), while the watch runs on the endpoint this iteration's keepalive
 * reached, and for at most two ttl (and 60 s) after the last read.  Anything else
 * (the leader key gone or ours, a switchover, a decision to act) is read
 * from etcd before it is acted on: taking the key is still a guarded
 * write, and the leader still proves its lease by a quorum read.
 *
 * Pure: no I/O; the keeper passes frames and reads in.  Keys and values
 * are malloc'd: the cache outlives the memory of one iteration.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/cluster_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CLUSTER_CACHE_H
#define PGHA_CLUSTER_CACHE_H

#include "shared/cluster.h"
#include "shared/decide.h"
#include "shared/etcd.h"

typedef struct PghaClusterCache
{
	bool		loaded;			/* a read filled it */
	int64		revision;		/* the state is etcd's as of this revision */
	int64		read_ms;		/* when that read was sent */
	bool		expired;		/* serves no more until the next read */
	int			nkvs;			/* sorted by key, as a range returns them */
	int			cap;
	PghaEtcdKV *kvs;
} PghaClusterCache;

/* replace the contents by a read's; sent_ms: when the read was sent */
extern void pgha_cache_load(PghaClusterCache *c, const PghaEtcdRange *r, int64 sent_ms);

/*
 * Apply a watch frame's events.  Events at or below the cache's revision
 * are already in it (a read after they were sent) and are skipped.
 */
extern void pgha_cache_apply(PghaClusterCache *c, const PghaEtcdWatchFrame *f);

/*
 * Does a read show what the cache lacks (a key changed after the cache's
 * revision, or one it holds gone)?  On a replica, whose cache follows a
 * watch that may have stalled without a word, that restarts the watch.
 */
extern bool pgha_cache_behind(const PghaClusterCache *c, const PghaEtcdRange *r);

/* serve no more until the next read (one is needed after a local change) */
extern void pgha_cache_expire(PghaClusterCache *c);

/* forget everything: the next look reads etcd */
extern void pgha_cache_clear(PghaClusterCache *c);

/* the cache as a read would have returned it (kvs point into the cache) */
extern void pgha_cache_as_range(const PghaClusterCache *c, PghaEtcdRange *out);

/* however long the ttl, a replica reads etcd at least this often (ms) */
#define PGHA_CACHE_MAX_AGE_MS 60000

/* what decides whether the cache may stand in for a read */
typedef struct PghaCacheUse
{
	bool		replica;		/* in recovery, not the leader, no promotion
								 * of ours under way */
	bool		keepalive_ok;	/* this iteration's keepalive was answered */
	bool		watch_live;		/* the watch runs, on that same endpoint,
								 * continuing the cache's revision */
	int64		age_ms;			/* since the read the cache rests on was sent */
	int			ttl;			/* s */
} PghaCacheUse;

/* before the decision: may the cache serve this iteration? */
extern bool pgha_cache_may_serve(const PghaCacheUse *u, const PghaClusterCache *c);

/*
 * After the cluster was built from it: does it show the status quo, the
 * only state a cache may confirm (another member holds the leader key, no
 * switchover requested)?
 */
extern bool pgha_cache_shows_status_quo(const PghaCluster *cluster, const char *me);

/* after the decision: may it stand on the cache (follow, or nothing)? */
extern bool pgha_cache_decision_stands(PghaAction action);

#endif							/* PGHA_CLUSTER_CACHE_H */
