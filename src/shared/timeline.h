/*-------------------------------------------------------------------------
 *
 * timeline.h
 *		Timeline ids that no two promotions share.
 *
 * PostgreSQL names a promotion's new timeline after the newest timeline
 * history file in pg_wal, plus one.  A promotion the startup process took
 * just before its node lost the leader key (the instance frozen in that
 * instant) completes later, and would take the id the new leader's
 * promotion took too; pg_rewind and streaming tell timelines apart by id
 * only, so the two could not be told apart.  A node therefore reserves the
 * id in etcd (the "timeline" key, pgha's own) before it asks for a
 * promotion, and a node that finds an id reserved by another member skips
 * it: a placeholder history file in pg_wal makes PostgreSQL count past it.
 * The leader's history key records a skipped id as an entry at LSN 0, so a
 * node left on it knows it must be rewound.
 *
 * Pure: the keeper reads and writes files and etcd (actions.c, keeper/).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/timeline.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_TIMELINE_H
#define PGHA_TIMELINE_H

#include "shared/cluster.h"

/* the first line of a placeholder history file: never a line PostgreSQL writes */
#define PGHA_TIMELINE_PLACEHOLDER "# pgha: placeholder"

/*
 * The most ids a promotion skips: ids come from etcd, untrusted, and a
 * cluster skips a few, never thousands
 */
#define PGHA_TIMELINE_MAX_SKIP 64

/* the reason of a history key entry for a skipped id */
#define PGHA_TIMELINE_SKIPPED "skipped: no timeline of this history"

/*
 * The "timeline" key's value, {"timeline": N, "member": "name"}: false if it
 * is not one (the reservation is then treated as absent).
 */
extern bool pgha_reservation_parse(const char *json, size_t len, int *timeline,
								   char *member, size_t memberlen);
/* the value for a reservation (malloc'd) */
extern char *pgha_reservation_to_json(int timeline, const char *member);

/*
 * Guard t by the "timeline" key as c read it (absent: still absent): a
 * reservation made in between fails the transaction, to be read again
 */
extern void pgha_reservation_guard(PghaEtcdTxn *t, const char *key, const PghaCluster *c);

/*
 * The id this node's promotion must create: the one PostgreSQL would pick
 * (local_next), unless the cluster shows that id or a newer one in use: the
 * reservation, the history key, a member's timeline.  pending: a promotion
 * this node asked for may still be under way; if the reservation is this
 * node's, it is that promotion's, and the id may be taken again.
 */
extern int	pgha_timeline_target(const PghaCluster *c, const char *me, int local_next,
								 bool pending);

/*
 * Must timeline tli, this node's own or one in its pg_wal, be recorded in
 * etcd before pg_rewind or a new copy removes its history file?  Yes when
 * a promotion elsewhere could take its id: etcd shows no id as high (a
 * promotion that picked an id past its reservation, because newer history
 * files came in while it waited; a standby promoted by hand).  Once the
 * file is gone nothing else remembers the id.
 */
extern bool pgha_timeline_unrecorded(const PghaCluster *c, const char *me, int tli);

/*
 * Is this node's timeline tli, which its history file says began at
 * local, another timeline than the cluster's tli: the same id on another
 * fork?  Only the id tells pg_rewind and streaming which timeline is which,
 * so such a node must be copied again, never rewound ("no rewind
 * required") or streamed into.  false when the history key does not show
 * where the cluster's tli began.
 */
extern bool pgha_timeline_forked(const char *history, int tli, const PghaTimelineSwitch *local);

/*
 * Did a leader run on timeline tli?  The history key has it end somewhere,
 * or the leader's record is on it.  A placeholder for such an id must go:
 * it would keep this node from following that timeline.
 */
extern bool pgha_timeline_led(PghaCluster *c, int tli);

/* the id a timeline history file name ("0000000A.history") names, 0 if none */
extern int	pgha_history_file_timeline(const char *name);

/* does the history key say that timeline tli was skipped? */
extern bool pgha_history_skipped(const char *history, int tli);

#endif							/* PGHA_TIMELINE_H */
