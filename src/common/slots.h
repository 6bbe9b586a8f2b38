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
 *	  src/common/slots.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SLOTS_H
#define PGHA_SLOTS_H

#include "common/cluster.h"

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

/* {"name": lsn, ...} of the given slots (lsn 0 left out), malloc'd */
extern char *pgha_slot_positions_json(char **names, const uint64 *lsns, int n);

#endif							/* PGHA_SLOTS_H */
