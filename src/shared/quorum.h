/*-------------------------------------------------------------------------
 *
 * quorum.h
 *		Quorum commit (synchronous_mode "quorum"): commits wait for ANY k of
 *		the standbys, and the sync key tells a candidate how many members
 *		it must see to be sure it has every acknowledged commit.
 *
 * Two values describe the state, as in Patroni 4:
 *
 *   synchronous_standby_names = 'ANY k (S)': a commit is acknowledged
 *       once the leader and k standbys of S have flushed it;
 *   the sync key {leader L, sync_standby V, quorum q}: of the members
 *       V + {L}, at most q lack any acknowledged commit.
 *
 * So any q + 1 of V + {L} include one with every acknowledged commit, and a
 * candidate that sees q + 1 of them (itself included) at or behind its own
 * position has them all.  The steady state is V = S, q = |S| - k.
 *
 * The key must stay true at every instant while both values change, which
 * fixes the order of the steps (docs/ha.md, "Quorum commit"):
 *   - a new synchronous_standby_names is set only if the key in force is
 *     true of the commits it will acknowledge (guarantee() below);
 *   - a new key is written only if it is true of the commits the setting
 *     in force acknowledges, and of those acknowledged before it took
 *     effect: those are on every standby that has flushed past the
 *     primary's flush position of that moment ("confirmed" standbys);
 *   - when neither target step is allowed, an intermediate key that is
 *     true of both the setting in force and the target goes first.
 *
 * Pure: sync.c calls it with the same input as its FIRST-n planner.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/quorum.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_QUORUM_H
#define PGHA_QUORUM_H

#include "shared/sync.h"

/* synchronous_standby_names, as far as the guarantee goes */
typedef struct PghaSsn
{
	/*
	 * k of the names acknowledge a commit (FIRST k or ANY k alike: either
	 * way k standbys of the list).  k = 0: no standby (empty, or a value
	 * this parser does not read: it promises nothing); any: "*" among the
	 * names, so any standby at all may acknowledge.
	 */
	int			k;
	bool		any;
	int			n;
	char		names[PGHA_MAX_SYNC][PGHA_NAME_LEN];
} PghaSsn;

extern void pgha_ssn_parse(const char *value, PghaSsn *out);

/*
 * How many of these members are sure to have a commit the setting
 * acknowledged: k of its names, less those outside the members.
 */
extern int	pgha_quorum_guarantee(const PghaSsn *ssn, int nmembers,
								  const char (*members)[PGHA_NAME_LEN]);

/* 'ANY k ("a","b")', names in the order given */
extern void pgha_quorum_ssn(int k, int n, const char (*names)[PGHA_NAME_LEN],
							char *out, size_t outlen);

/* the next step in quorum mode (PghaSyncPlan.quorum set for WRITE_KEY) */
extern void pgha_quorum_plan(const PghaSyncInput *in, PghaSyncPlan *out);

#endif							/* PGHA_QUORUM_H */
