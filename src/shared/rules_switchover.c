/*-------------------------------------------------------------------------
 *
 * rules_switchover.c
 *		The conditions of the switchover rules: the leader handing over, the
 *		candidate taking over once the old primary is down and it has all.
 *
 * Pure; see decide.c for the table and its order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/rules_switchover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide_int.h"
#include "shared/timeline.h"
#include "shared/upstream.h"

/* a switchover request this leader must carry out now */
static bool
switchover_for_me(const PghaInput *in)
{
	const PghaCluster *c = in->cluster;

	return c->has_failover && !in->switchover_stale && in->switchover_due &&
		strcmp(c->failover_member, in->me) != 0 &&
		(c->failover_leader[0] == '\0' || strcmp(c->failover_leader, in->me) == 0);
}

/*
 * In synchronous_mode only a synchronous standby may take over (Patroni
 * refuses the others too): handing over to another would leave nobody
 * allowed to, until the request expired.
 */
static bool
switchover_not_synchronous(const PghaInput *in)
{
	return in->config.synchronous_mode &&
		!pgha_cluster_is_sync_standby(in->cluster, in->cluster->failover_member);
}

bool
pgha_rule_switchover(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0 ||
		!switchover_for_me(in) || !in->candidate_streaming || in->config.pause ||
		switchover_not_synchronous(in))
		return false;
	strlcpy(d->target, in->cluster->failover_member, sizeof(d->target));
	snprintf(d->reason, sizeof(d->reason),
			 "A switchover to \"%s\" was requested, and it streams from this leader.",
			 in->cluster->failover_member);
	return true;
}

/* a request whose schedule cannot be read is cancelled, never run at once */
bool
pgha_rule_switchover_unreadable(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0 ||
		!in->cluster->has_failover || !in->switchover_unreadable)
		return false;
	strlcpy(d->target, in->cluster->failover_member, sizeof(d->target));
	snprintf(d->reason, sizeof(d->reason),
			 "Its scheduled_at \"%s\" is no time this leader can read; it is cancelled, not run at once.",
			 in->cluster->failover_scheduled_at);
	return true;
}

bool
pgha_rule_switchover_refused(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0 ||
		!switchover_for_me(in) || (in->candidate_streaming && !switchover_not_synchronous(in)))
		return false;
	strlcpy(d->target, in->cluster->failover_member, sizeof(d->target));
	if (in->candidate_streaming)
		snprintf(d->reason, sizeof(d->reason),
				 "A switchover to \"%s\" was requested, but synchronous_mode is on and the sync key does not name it: it could not take over.",
				 in->cluster->failover_member);
	else
		snprintf(d->reason, sizeof(d->reason),
				 "A switchover to \"%s\" was requested, but it does not stream from this leader or lags too far.",
				 in->cluster->failover_member);
	return true;
}

/*
 * During a switchover the old leader releases the key and shuts down
 * cleanly, shipping all of its WAL to the candidate.  Only the candidate
 * may take the key, and only once the old primary is down.
 */
bool
pgha_rule_switchover_wait_other(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	const PghaMember *cand;
	const char *who;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) == 0)
		return false;
	/*
	 * A candidate whose member key is gone (it died), or whose server is
	 * down (pghactl run's record), takes nothing over: race as usual.
	 */
	cand = pgha_cluster_member((PghaCluster *) c, c->failover_member);
	if (cand == NULL || cand->down)
		return false;

	/*
	 * Nor one on an older timeline than the cluster (this node included)
	 * reached: rule old_timeline keeps it from taking over (the simulator's
	 * seed 605617: the others waited for it until the request expired).
	 */
	if (cand->timeline > 0 && cand->timeline < Max(pgha_decide_cluster_timeline(in, &who), in->local.timeline))
		return false;

	/*
	 * Nor one the failsafe key does not list, without a handover of the
	 * leader's: rule failsafe_not_listed keeps it from taking over (the
	 * simulator's seed 265, --failsafe --fast)
	 */
	if (pgha_failsafe_bars(in, c->failover_member) && c->failover_release_lsn == 0)
		return false;

	/*
	 * Nor does one the sync key does not name, when the old leader died
	 * without handing over (switchover_take refuses it): nobody would take
	 * over until the request expired.
	 */
	if (in->config.synchronous_mode && c->failover_release_lsn == 0 &&
		!pgha_cluster_is_sync_standby(c, c->failover_member))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "A switchover to \"%s\" is in progress.", c->failover_member);
	return true;
}

/*
 * The leader that let go for the switchover answers as a standby now, with
 * no WAL this node lacks (commits acknowledged while it let go may be past
 * its release position: the candidate streams them from it first).
 */
static bool
old_primary_is_standby(const PghaInput *in)
{
	const char *old = in->cluster->failover_leader[0] != '\0' ? in->cluster->failover_leader :
		in->last_leader;
	int			i;

	for (i = 0; old != NULL && old[0] != '\0' && i < in->npeers; i++)
		if (strcmp(in->peers[i].name, old) == 0)
			return in->peers[i].reachable && in->peers[i].in_recovery && !in->peers[i].shutting_down &&
				in->peers[i].lsn <= in->local.lsn;
	return false;
}

bool
pgha_rule_switchover_old_alive(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	int			i;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || !in->peers_probed)
		return false;
	/*
	 * After a handover its last WAL reaches us over the stream, until its
	 * postmaster exits; not once it runs again, as a standby: a stream from
	 * it then carries nothing it acknowledged.  Without a handover (no
	 * release position: the old leader died or lost its lease) nothing is
	 * on its way: the stream may come from another member (replicatefrom)
	 * and never end (the simulator's seed 1796900423, --cascade), and
	 * switchover_take applies the failover checks.
	 */
	if (c->failover_release_lsn != 0 && in->local.streaming && !old_primary_is_standby(in))
	{
		snprintf(d->reason, sizeof(d->reason),
				 "This node is the switchover candidate; still receiving the old primary's last WAL.");
		return true;
	}
	for (i = 0; i < in->npeers; i++)
	{
		if ((in->peers[i].reachable && !in->peers[i].in_recovery) || in->peers[i].shutting_down)
		{
			snprintf(d->reason, sizeof(d->reason),
					 "This node is the switchover candidate; waiting for \"%s\" to finish its shutdown.",
					 in->peers[i].name);
			return true;
		}
	}
	return false;
}

/*
 * The old leader recorded its flush position when it let go of the key:
 * every commit it had acknowledged by then.  A candidate whose stream broke
 * before it got that far must not take over through the switchover path.
 */
bool
pgha_rule_switchover_incomplete(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || !in->peers_probed ||
		c->failover_release_lsn == 0 || in->local.lsn >= c->failover_release_lsn)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This node is the switchover candidate but received only %X/%X of the %X/%X the old leader had written; waiting for the request to expire.",
			 (unsigned) (in->local.lsn >> 32), (unsigned) in->local.lsn,
			 (unsigned) (c->failover_release_lsn >> 32), (unsigned) c->failover_release_lsn);
	return true;
}

bool
pgha_rule_switchover_take(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	PghaDecision scratch;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || !in->peers_probed)
		return false;

	/*
	 * An old leader that handed over recorded its position, which the
	 * candidate has reached (switchover_incomplete).  One that died before
	 * it let go recorded nothing, and a request left over from a handover
	 * after which another leader took the sync key over is history: either
	 * way this is a failover to the candidate, and the failover checks
	 * apply (in synchronous mode only a standby the sync key names has
	 * every acknowledged commit).
	 */
	if ((c->failover_release_lsn == 0 ||
		 (in->config.synchronous_mode && c->has_sync &&
		  (strcmp(c->sync_leader, c->failover_leader) != 0 ||
		   c->sync_mod_revision > c->failover_mod_revision))) &&
		(pgha_rule_not_synchronous(in, &scratch) || pgha_rule_old_timeline(in, &scratch) ||
		 pgha_rule_too_far_behind(in, &scratch) || pgha_rule_quorum_short(in, &scratch)))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This node is the switchover candidate and the old primary is down.");
	return true;
}
