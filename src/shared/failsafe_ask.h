/*-------------------------------------------------------------------------
 *
 * failsafe_ask.h
 *		Whom a leader in failsafe_mode asks to vouch for it when etcd is
 *		gone: the members the failsafe key lists, as etcd holds it, reached
 *		at the addresses of the last good read.
 *
 * A member the failsafe key does not list never races while a leader may
 * run without etcd (rules_failsafe.c), so asking the listed ones is enough,
 * but only for a key etcd is known to hold.  A write of the key whose
 * answer is lost may have been applied: until one is known to be, the
 * names to ask are those of both lists (the simulator's seed 2315,
 * --failsafe --fast: two primaries).
 *
 * Pure: the keeper keeps a PghaFailsafeAsk (its arrays allocated once, for
 * PGHA_FAILSAFE_ASK_MAX members each) and sends the pings
 * (src/keeper/failsafe_key.c); unit cases feed canned clusters.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/failsafe_ask.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_FAILSAFE_ASK_H
#define PGHA_FAILSAFE_ASK_H

#include "shared/cluster.h"

/* the most members remembered, and names asked */
#define PGHA_FAILSAFE_ASK_MAX 32

typedef struct PghaFailsafeAsk
{
	PghaMember *members;		/* other members of the last good read */
	int			nmembers;
	char		(*names)[PGHA_NAME_LEN];	/* others the failsafe key lists */
	int			nnames;
	bool		key_known;		/* etcd holds a failsafe key listing this node and names */
} PghaFailsafeAsk;

/* a good read: the other members, and the failsafe key etcd holds */
extern void pgha_failsafe_remember(PghaFailsafeAsk *a, const PghaCluster *c, const char *me);

/* the failsafe key as etcd now holds it (read, or written by this leader) */
extern void pgha_failsafe_remember_key(PghaFailsafeAsk *a, const PghaCluster *c, const char *me);

/*
 * Before this leader writes the key anew: the members the new key lists
 * (pgha_failsafe_lists()) join the names to ask now, before the write.
 */
extern void pgha_failsafe_before_write(PghaFailsafeAsk *a, const PghaCluster *c, const char *me);

/* the member to ask for names[i]: NULL when its member key was gone at the last read */
extern const PghaMember *pgha_failsafe_whom(const PghaFailsafeAsk *a, int i);

#endif							/* PGHA_FAILSAFE_ASK_H */
