/*-------------------------------------------------------------------------
 *
 * rules_failsafe.c
 *		failsafe_mode's rules: who may take a free leader key while a
 *		leader that lost etcd may still run as primary, vouched for by the
 *		members its failsafe key lists (src/failsafe.c).
 *
 * A member a leader pinged within the ttl promised not to take the key.
 * A member the key does not list was never asked, so it must not take it
 * either, unless every member the key lists answers as a standby: a
 * leader in failsafe is a running primary its key lists.
 *
 * Pure; see decide.c for the table and its order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/rules_failsafe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide_int.h"

/* did every member the failsafe key lists answer this node's probes as a standby? */
static bool
listed_all_standbys(const PghaInput *in)
{
	const PghaCluster *c = in->cluster;

	for (int i = 0; i < c->nfailsafe; i++)
	{
		bool		standby = false;

		if (strcmp(c->failsafe[i], in->me) == 0)
			standby = in->local.in_recovery;
		for (int j = 0; j < in->npeers && !standby; j++)
			standby = strcmp(in->peers[j].name, c->failsafe[i]) == 0 &&
				in->peers[j].reachable && in->peers[j].in_recovery;
		if (!standby)
			return false;
	}
	return true;
}

/*
 * The last leader handed the key over to this node (its release position,
 * a request still fresh): it is stopping.  Not a handover left from an
 * earlier term: its leader is not the one that may run on now.
 */
static bool
handed_over_to_me(const PghaInput *in)
{
	const PghaCluster *c = in->cluster;

	return c->has_failover && c->failover_release_lsn != 0 && !in->switchover_stale &&
		strcmp(c->failover_member, in->me) == 0 && c->failover_leader[0] != '\0' &&
		in->last_leader != NULL && strcmp(c->failover_leader, in->last_leader) == 0;
}

/*
 * A leader pinged this node within the ttl: its promise not to take the
 * key holds whatever the config says now (failsafe_mode turned off meanwhile
 * changes nothing for a leader that counts on it).  The leader's ttl if it
 * is longer: one lowered while the leader was cut off from etcd reached
 * only the members, and the leader runs on by its own (the simulator's
 * seed 1796662379, --failsafe --ttl-change).
 */
static bool
pinged(const PghaInput *in)
{
	return in->failsafe_ping_age_ms >= 0 &&
		in->failsafe_ping_age_ms < Max((int64) in->config.ttl * 1000, in->failsafe_ping_ttl_ms);
}

/*
 * The record of a ping lives in shared memory: a restart forgets a promise
 * made before it (the simulator's seed 1797000177, --failsafe --fast: a
 * member vouched, restarted, and took the key beside the leader).  The
 * data directory keeps how long the longest one runs, synced before the
 * leader heard the answer: a node whose worker started less than that ago
 * may have made one, whatever ttl or failsafe_mode it reads now (seed
 * 1796663030, --failsafe --ttl-change: it promised for ttl 10, read ttl 3
 * after the restart; failsafe_mode turned off meanwhile: found by review).
 * A node that never vouched has no such file and races at once (waiting a
 * ttl after every start held a switchover up for 2 s: make bench-compare).
 */
static bool
may_have_promised(const PghaInput *in)
{
	return in->started_ms > 0 && in->now_ms - in->started_ms < in->failsafe_kept_ms;
}

/*
 * Does a promise to a failsafe leader hold this node back?  The reason
 * (after what, the situation) goes into d.
 */
static bool
promised(const PghaInput *in, PghaDecision *d, const char *what)
{
	if (pinged(in))
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but \"%s\" asked this node to vouch for it %lld ms ago (failsafe_mode)", what,
				 in->failsafe_pinger ? in->failsafe_pinger : "?", (long long) in->failsafe_ping_age_ms);
	else if (may_have_promised(in))
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but this node started %lld ms ago and may have vouched for a leader before (failsafe_mode)",
				 what, (long long) (in->now_ms - in->started_ms));
	else
		return false;
	return true;
}

/*
 * Does the failsafe key keep member name from taking a free leader key (the
 * simulator's seed 1671, --failsafe --fast: the only member on the newest
 * timeline was not listed, and nobody led again until the probes said
 * that no listed member runs as a primary)?  Whatever failsafe_mode says
 * now: turned off while the leader is cut off from etcd, it reaches the
 * members only, and the leader runs on by the word of those its key lists
 * (found by review: a member the key did not list took the key beside it).
 * The key goes when a leader that reads the mode off removes it.
 */
bool
pgha_failsafe_bars(const PghaInput *in, const char *name)
{
	const PghaCluster *c = in->cluster;

	if (c->has_leader || !pgha_cluster_failsafe_binds(c) || pgha_cluster_in_failsafe(c, name))
		return false;
	return !(in->peers_probed && listed_all_standbys(in));
}

/*
 * Why the failsafe key bars this node: whom it lists (the escape when they
 * are gone for good: deleting the key, docs/ha.md)
 */
static void
barred_reason(const PghaInput *in, PghaDecision *d, const char *what, const char *then)
{
	char		names[160] = "";

	for (int i = 0; i < in->cluster->nfailsafe; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s\"%s\"",
				 i > 0 ? ", " : "", in->cluster->failsafe[i]);
	snprintf(d->reason, sizeof(d->reason),
			 "%s, and the failsafe key lists %s, not this node: %s", what, names, then);
}

bool
pgha_rule_failsafe_probe_listed(const PghaInput *in, PghaDecision *d)
{
	if (in->peers_probed || !pgha_failsafe_bars(in, in->me) || handed_over_to_me(in))
		return false;
	barred_reason(in, d, "there is no leader", "asking whether they run as standbys");
	return true;
}

/*
 * A primary without the key (restarted as one, or stopped before it could
 * demote) takes a free key only as a standby would race for it (the
 * simulator's seed 814, --failsafe --fast: an old primary that restarted
 * took the key beside a leader in failsafe)
 */
bool
pgha_rule_failsafe_hold(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || in->cluster->has_leader)
		return false;
	if (promised(in, d, "the leader key is free"))
		return true;
	if (pgha_failsafe_bars(in, in->me))
		barred_reason(in, d, "the leader key is free",
					  "a leader without etcd may still run on their word");
	else
		return false;
	return true;
}

/* a member a failsafe leader pinged within the ttl does not race it */
bool
pgha_rule_failsafe_leader_alive(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || in->cluster->has_leader)
		return false;
	return promised(in, d, "there is no leader key");
}

/*
 * A member the failsafe key does not list was never asked: it must not
 * race, or it could promote beside that leader.  Unless the leader handed
 * the key over to it and is stopping (its key may list only the members
 * it saw when it last wrote it).
 */
bool
pgha_rule_failsafe_not_listed(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !pgha_failsafe_bars(in, in->me) || handed_over_to_me(in))
		return false;
	barred_reason(in, d, "there is no leader",
				  "a leader without etcd may still run on their word, and not all of them answer as standbys");
	return true;
}
