/*-------------------------------------------------------------------------
 *
 * slots.h
 *		Which departed members' replication slots the leader drops.
 *
 * The leader keeps a physical slot for every member, so a standby that is
 * down for a while finds its WAL still there.  A member that never comes
 * back (decommissioned, re-cloned under another name) would make its slot
 * retain WAL until the primary's disk is full.  So, as Patroni 4 does with
 * member_slots_ttl, the leader remembers when it last saw each member's key
 * and drops the slot once the member has been gone for member_slots_ttl.
 * Only slots of members pgha has seen are ever considered: a slot a DBA
 * made for a backup tool is never touched.  Entries are kept per slot
 * name, so two member names that map to one slot ("db-2", "db_2") are one
 * entry, and a present member keeps it alive (Patroni 3 dropped every slot it
 * did not know, which has cost users their backup slots).  The list of
 * retained members goes into the status key (Patroni's "retain_slots"),
 * so a new leader knows them too.
 *
 * Pure: the keeper feeds the members it sees and the clock in, and drops
 * what comes out.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/slots.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SLOTS_H
#define PGHA_SLOTS_H

#include "shared/cluster.h"

#define PGHA_MAX_RETAINED 128

typedef struct PghaRetained
{
	char		slot[PGHA_NAME_LEN];	/* pgha_slot_name(member): the key */
	char		member[PGHA_NAME_LEN];	/* the member last seen with it */
	int64		last_seen_ms;	/* when its member key was last seen */
} PghaRetained;

typedef struct PghaRetention
{
	int			n;
	PghaRetained r[PGHA_MAX_RETAINED];
} PghaRetention;

/*
 * Remember members: those present now are seen at now_ms; names from the
 * status key's retain_slots (another leader's list) that are not known yet
 * start their clock at now_ms too (a new leader never drops at once).
 */
extern void pgha_retention_see(PghaRetention *rt, const char *const *names, int n, int64 now_ms);

/*
 * Slots whose members have been gone for longer than ttl_ms: copied to
 * drop[] (at most maxdrop) and forgotten.  Returns how many.  The caller
 * puts back (with pgha_retention_see) a member whose slot it could not
 * drop, e.g. because something still streams from it.
 */
extern int	pgha_retention_expired(PghaRetention *rt, int64 now_ms, int64 ttl_ms,
								   PghaRetained *drop, int maxdrop);

/* the retained members as a JSON array of names, malloc'd ("[]" when none) */
extern char *pgha_retention_json(const PghaRetention *rt);

/*
 * Permanent slots (the config's "slots"; physical ones so far).  The leader
 * creates them and publishes their restart_lsn in the status key; each
 * replica keeps a copy, created reserving WAL and advanced to the leader's
 * position (never past its own replay), so that after a failover the new
 * primary has the slot and the WAL its consumer still needs, from the
 * copy's first advance on.  No slot is ever dropped for being permanent
 * or not; one the config names is never dropped as a departed member's.
 */

/* the permanent physical slots to keep here: not ignored, not a present member's slot */
extern int	pgha_permanent_physical(const PghaConfig *cfg, const PghaCluster *c,
									const char *self, char **names, int max);

/* does an ignore_slots entry match this slot? ("" in the entry: any) */
extern bool pgha_slot_ignored(const PghaConfig *cfg, const char *name, const char *type,
							  const char *database, const char *plugin);

/* is name one of the config's permanent slots? */
extern bool pgha_slot_permanent(const PghaConfig *cfg, const char *name);

/*
 * The position the leader published for slot name (status.slots), if the
 * status key says the current leader wrote it on this timeline: positions
 * of an old leader, or of another timeline, may lie past the fork of the
 * one a replica follows.  0 unknown.
 */
extern uint64 pgha_slot_leader_position(const PghaCluster *c, const char *name, int timeline);

/*
 * Permanent logical slots.  The leader creates them and publishes, for
 * each, the consumer's position (confirmed_flush_lsn, in "slots" as
 * Patroni does) and what a new copy starts from (restart_lsn, catalog_xmin
 * and whether it is two_phase, in "pgha_logical"), all read at one
 * instant; and the catalog_xmin that each member's hot_standby_feedback
 * holds on its physical slot ("pgha_feedback").
 *
 * A replica keeps a copy of each.  It is made with the leader's values,
 * then moved on by decoding (pg_replication_slot_advance(), fast-forward,
 * which PostgreSQL 15 does on a standby) to the consumer's position, never
 * past what the replica replayed: after a failover the consumer would
 * skip what the new primary wrote in between.  Decoding matters: a slot
 * restarts decoding from a snapshot of running transactions that its own
 * decoding wrote to pg_logical/snapshots at restart_lsn.  A copy made with
 * the primary's restart_lsn has none there until its own decoding has
 * moved restart_lsn to a point where it wrote one; before that, decoding
 * after a failover would rebuild the snapshot and miss transactions that
 * were running at restart_lsn.  A consumer that resumes from a ready copy
 * gets every change from the copy's position on, some of them again (at
 * least once).
 *
 * A copy is also safe only once the catalog rows it needs are sure to be
 * on the replica: the primary keeps them for its own slot, and for the
 * copy once this replica's feedback (its slots' catalog_xmin, through
 * hot_standby_feedback) holds them on the primary.  So, as Patroni checks
 * it: remember the primary slot's catalog_xmin when the feedback first
 * shows in a status written after the copy existed (remembered); the copy
 * is ready once remembered <= feedback <= the copy's catalog_xmin, with
 * feedback never going back.
 */
typedef struct PghaLogicalRemote
{
	bool		known;			/* the current leader published it, on this timeline */
	uint64		restart_lsn;
	uint64		confirmed_flush;
	uint32		catalog_xmin;
	bool		two_phase;
	bool		invalid;		/* the leader's slot reserves no WAL (invalidated) */
} PghaLogicalRemote;

typedef struct PghaLogicalLocal
{
	bool		exists;
	bool		logical;
	bool		matches;		/* database and plugin as the config says */
	bool		persistent;		/* not being created (ephemeral) */
	bool		active;
	bool		invalid;		/* reserves no WAL (invalidated: max_slot_wal_keep_size) */
	bool		has_snapshot;	/* its own decoding's snapshot is at restart_lsn */
	bool		wal_gone;		/* its decoding found WAL it needs removed */
	bool		two_phase;
	bool		ours;			/* pgha made it (pgha.logical_copies lists it) */
	char		database[PGHA_NAME_LEN];	/* its database's name and plugin, as they are */
	char		plugin[PGHA_NAME_LEN];
	uint64		restart_lsn;
	uint64		confirmed_flush;
	uint32		catalog_xmin;
} PghaLogicalLocal;

typedef enum PghaCopyStep
{
	PGHA_COPY_NONE,				/* in step, or nothing to do (why says which) */
	PGHA_COPY_WAIT,				/* not yet (why) */
	PGHA_COPY_CREATE,
	PGHA_COPY_ADVANCE,			/* decode forward to *target */
	PGHA_COPY_RECREATE,			/* drop, then create */
	PGHA_COPY_DROP				/* pgha's copy of a slot it cannot keep (why) */
} PghaCopyStep;

/*
 * What a replica does with its copy of a permanent logical slot.  why: for
 * NONE, WAIT and DROP, what holds it (""): a copy ahead of the leader's
 * slot (the old primary's, confirmed further than its successor's
 * consumer) stays, and is not ready until the leader's consumer passes it.
 * A copy that never decoded (no snapshot of its own: a consumer that
 * stands still) decodes up to its own position.  pgha's copy of a slot
 * that cannot be copied any more (the leader's turned two_phase or was
 * invalidated, the config names another database or plugin) is dropped:
 * it would hold WAL here, and catalog rows on the primary, for ever.
 */
extern PghaCopyStep pgha_logical_copy_step(const PghaLogicalRemote *remote,
										   const PghaLogicalLocal *local,
										   uint64 replayed, uint64 *target, const char **why);

/* transaction ids, compared modulo 2^32 as PostgreSQL does (both normal) */
extern bool pgha_xid_precedes_or_equals(uint32 a, uint32 b);

/* the catalog_xmin rule above; remembered 0: not yet */
extern bool pgha_logical_copy_ready(uint32 remembered, uint32 feedback, uint32 copy_catalog_xmin);

/* a copy's readiness, carried from loop to loop (and over a worker restart) */
typedef struct PghaCopyReadiness
{
	char		name[PGHA_NAME_LEN];
	char		database[PGHA_NAME_LEN];
	char		leader[PGHA_NAME_LEN];	/* whose slots' values these are */
	int			timeline;
	int64		made_revision;	/* the first read after it was made: later
								 * statuses count (PGHA_REVISION_LATER: no
								 * read since) */
	uint32		remembered;		/* the primary slot's catalog_xmin when feedback first showed */
	uint32		last_feedback;
	bool		xmin_ready;		/* the catalog_xmin rule holds */
	bool		ready;			/* ... and the rest: snapshot, not ahead */
	uint64		target;			/* the advance to make (0: none) */
	uint32		generation;		/* of target: a new copy or a new target bumps it */
	char		error[128];		/* the last advance's failure ("": none), from the worker */
	int			error_code;		/* ... its SQLSTATE (ERRCODE_*), 0 none */
	char		note[128];		/* what the copy waits for, or why there is none */
} PghaCopyReadiness;

/* made_revision of a copy no read of etcd has followed yet */
#define PGHA_REVISION_LATER PG_INT64_MAX

/*
 * One loop of the catalog_xmin rule.  A new copy (fresh), another leader
 * or timeline, feedback gone (hot_standby_feedback off, the member slot
 * dropped) or gone back starts over: what held the catalog rows before is
 * not known to hold them now.  revision: of this iteration's quorum read,
 * 0 when the cluster came from the watch's cache.  A status counts only if
 * written after the first read that followed the copy: one read before it
 * (this iteration's) or the cache may be older than a status written
 * before the copy was made.
 */
extern void pgha_copy_readiness_step(PghaCopyReadiness *r, const char *leader, int timeline,
									 bool fresh, int64 revision, int64 status_revision,
									 uint32 primary_catalog_xmin, uint32 feedback,
									 uint32 copy_catalog_xmin);

/* the permanent logical slots to keep here: not ignored */
extern int	pgha_permanent_logical(const PghaConfig *cfg, const PghaPermanentSlot **slots, int max);

/* what the leader published for a logical slot (known false if nothing, or not now's leader's) */
extern void pgha_slot_leader_logical(const PghaCluster *c, const char *name, int timeline,
									 PghaLogicalRemote *out);

/*
 * The catalog_xmin the leader's slot holds for this member's feedback (0
 * none, or unknown): its own slot, or for a member that cascades, the slot
 * of the member of its chain that streams from the leader (feedback flows
 * up the chain).
 */
extern uint32 pgha_slot_leader_feedback(const PghaCluster *c, const char *member, int timeline);

/* one logical slot as the leader publishes it */
typedef struct PghaLogicalState
{
	const char *name;
	uint64		restart_lsn;
	uint64		confirmed_flush;
	uint32		catalog_xmin;
	bool		two_phase;
	bool		invalid;		/* reserves no WAL: replicas drop their copies */
} PghaLogicalState;

/* one member slot's catalog_xmin, as the leader publishes it */
typedef struct PghaFeedback
{
	char		slot[PGHA_NAME_LEN];
	uint32		catalog_xmin;
} PghaFeedback;

/*
 * The status key's slot parts: "slots" (physical restart_lsn, logical
 * confirmed_flush_lsn), "pgha_logical", "pgha_feedback", as the text that
 * goes between the status object's braces.  malloc'd.
 */
extern char *pgha_slot_status_json(char **physical, const uint64 *restart, int nphysical,
								   const PghaLogicalState *logical, int nlogical,
								   const PghaFeedback *feedback, int nfeedback);

#endif							/* PGHA_SLOTS_H */
