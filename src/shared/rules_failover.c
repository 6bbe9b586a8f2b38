/*-------------------------------------------------------------------------
 *
 * rules_failover.c
 *		The conditions of a standby's rules: promoting with the key,
 *		following, divergence, and the race for a free leader key (probes,
 *		peers ahead, synchronous and quorum candidates).
 *
 * Pure; see decide.c for the table and its order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/rules_failover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide_int.h"
#include "shared/timeline.h"
#include "shared/upstream.h"

bool
pgha_rule_promote_holder(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "this standby holds the leader key");
	return true;
}

bool
pgha_rule_follow(const PghaInput *in, PghaDecision *d)
{
	PghaMember	me;
	const char *upstream;

	if (!R(in) || !in->cluster->has_leader)
		return false;
	memset(&me, 0, sizeof(me));
	strlcpy(me.name, in->me, sizeof(me.name));
	strlcpy(me.replicatefrom, in->replicatefrom ? in->replicatefrom : "", sizeof(me.replicatefrom));
	me.nostream = in->nostream;
	upstream = pgha_upstream_of(in->cluster, &me);
	/* target "": stream from nobody */
	strlcpy(d->target, upstream ? upstream : "", sizeof(d->target));
	if (upstream == NULL)
		snprintf(d->reason, sizeof(d->reason), "\"%s\" holds the leader key; this node is tagged nostream: it replays the archive and streams from nobody",
				 in->cluster->leader);
	else if (strcmp(upstream, in->cluster->leader) == 0)
		snprintf(d->reason, sizeof(d->reason), "\"%s\" holds the leader key", in->cluster->leader);
	else
		snprintf(d->reason, sizeof(d->reason), "\"%s\" holds the leader key; this node streams from \"%s\" (replicatefrom)",
				 in->cluster->leader, upstream);
	return true;
}

/*
 * A standby that has WAL of its timeline beyond the point where the leader's
 * timeline forked off it (an asynchronous standby that received WAL the
 * promoted one never got) cannot follow: it must be rewound.
 */
bool
pgha_rule_diverged(const PghaInput *in, PghaDecision *d)
{
	uint64		fork;
	const PghaMember *leader;

	/*
	 * Replayed WAL, as PostgreSQL checks it: received bytes past the last
	 * complete record (a record the old primary never finished) are no
	 * divergence, the new timeline starts right after that record.
	 */
	if (!R(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) == 0)
		return false;
	leader = pgha_cluster_member((PghaCluster *) in->cluster, in->cluster->leader);

	/*
	 * A standby on a newer timeline than the leader's (it streamed from a
	 * leader whose promotion never reached etcd, and another one took over
	 * on the timeline before) cannot follow it either; unless it streams,
	 * which says the leader's record is merely behind its promotion.
	 */
	if (leader != NULL && leader->timeline > 0 && in->local.timeline > leader->timeline &&
		!in->local.streaming)
	{
		strlcpy(d->target, in->cluster->leader, sizeof(d->target));
		snprintf(d->reason, sizeof(d->reason),
				 "this node is on timeline %d, newer than the leader's %d: it must be rewound",
				 in->local.timeline, leader->timeline);
		return true;
	}
	/*
	 * A timeline the leader's history skipped was never led: its id was
	 * reserved by a promotion that completed after its node lost the key
	 * (shared/timeline.h).  Nothing written on it is kept.
	 */
	if (in->cluster->has_history && pgha_history_skipped(in->cluster->history, in->local.timeline))
	{
		strlcpy(d->target, in->cluster->leader, sizeof(d->target));
		snprintf(d->reason, sizeof(d->reason),
				 "this node is on timeline %d, which the leader's history skipped (its promotion completed after it lost the key): it must be rewound",
				 in->local.timeline);
		return true;
	}
	if (!in->cluster->has_history ||
		!pgha_history_fork_lsn(in->cluster->history, in->local.timeline, &fork) ||
		in->local.replay_lsn <= fork)
		return false;
	strlcpy(d->target, in->cluster->leader, sizeof(d->target));
	snprintf(d->reason, sizeof(d->reason),
			 "this node replayed WAL up to %X/%X on timeline %d, which the leader's history leaves at %X/%X: it must be rewound",
			 (unsigned) (in->local.replay_lsn >> 32), (unsigned) in->local.replay_lsn, in->local.timeline,
			 (unsigned) (fork >> 32), (unsigned) fork);
	return true;
}

bool
pgha_rule_not_candidate(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || (!in->nofailover && in->failover_priority > 0))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and this node is tagged %s",
			 in->nofailover ? "nofailover" : "failover_priority 0");
	return true;
}

/*
 * synchronous_mode: only a standby the sync key names has every commit the
 * primary acknowledged.  A key that names no standby: only its leader may
 * be promoted.  No key at all: the usual rules, as Patroni's.  A leader
 * deletes the key when synchronous_mode goes off (guarded by the revision
 * it read), and takes it over before its gate opens when the mode is on,
 * so no commit was acknowledged under a key that is not there.
 *
 * The key is current whoever the last leader was: every path that opens a
 * leader's write gate or asks for a promotion takes the key over first
 * (pgha_syncrep_take_key), and only the holder of the leader key writes it.
 * A key that still names an older leader therefore says that no later
 * leader accepted a write.  (Requiring it to name the last leader seen
 * stopped every node for good when a winner froze between the leader key
 * and the sync key, and its key expired.)
 */
bool
pgha_rule_not_synchronous(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;

	if (!R(in) || !in->config.synchronous_mode || !c->has_sync)
		return false;
	/* quorum: any member may race once it sees enough voters (quorum_short) */
	if (pgha_cluster_is_sync_standby(c, in->me) ||
		(pgha_decide_quorum_key(in) && c->sync_leader[0] != '\0'))
		return false;
	/*
	 * The key's own leader has every commit it acknowledged: the old
	 * primary, a standby now, or a node that took the key over for a
	 * promotion that never completed.
	 */
	if (c->has_sync && strcmp(c->sync_leader, in->me) == 0)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, synchronous_mode is on and this node is not a synchronous standby%s",
			 c->nsync == 0 ? " (the sync key names none)" : "");
	return true;
}

/*
 * A standby still on an older timeline than the cluster reached never
 * races: promoting it would throw away what the newer one acknowledged.
 * Except the sync key's own leader in synchronous mode: the promoter of
 * the newer timeline took the key over or deleted it first
 * (pgha_syncrep_take_key), so a key this node wrote is newer than that
 * promotion, which acknowledged nothing a synchronous standby had to keep
 * (synchronous_mode was off then).  Its commits since are the ones that
 * count; the newer timeline is rewound.
 */
bool
pgha_rule_old_timeline(const PghaInput *in, PghaDecision *d)
{
	const char *who;
	int			tl;

	if (!R(in))
		return false;
	if (in->config.synchronous_mode && in->cluster->has_sync &&
		strcmp(in->cluster->sync_leader, in->me) == 0)
		return false;
	tl = pgha_decide_cluster_timeline(in, &who);
	if (tl <= in->local.timeline)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and the cluster reached timeline %d (%s%s%s), newer than this node's %d",
			 tl, strcmp(who, "the history key") == 0 ? "" : "member \"", who,
			 strcmp(who, "the history key") == 0 ? "" : "\"", in->local.timeline);
	return true;
}

bool
pgha_rule_too_far_behind(const PghaInput *in, PghaDecision *d)
{
	uint64		leader_lsn = pgha_decide_last_leader_lsn(in);

	if (!R(in) || leader_lsn <= in->local.lsn ||
		(int64) (leader_lsn - in->local.lsn) <= in->config.maximum_lag_on_failover)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and this node is %llu bytes behind the last leader position (maximum_lag_on_failover %lld)",
			 (unsigned long long) (leader_lsn - in->local.lsn),
			 (long long) in->config.maximum_lag_on_failover);
	return true;
}

bool
pgha_rule_need_probe(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || in->peers_probed)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader; asking the other members how far they got");
	return true;
}

/*
 * A cluster restart: every node starts at once and the key is free.  The
 * former primary starts writable and takes the key in its first iteration,
 * but a standby that starts a moment earlier would probe it (not up yet),
 * win the race, and make it fence itself.  So a standby that has not seen
 * a leader since its worker started gives the others a ttl to show up,
 * then races as usual.  A standby that saw a leader fails over at once.
 */
bool
pgha_rule_startup_wait(const PghaInput *in, PghaDecision *d)
{
	int64		waited = in->now_ms - in->started_ms;

	if (!R(in) || in->seen_leader || in->started_ms <= 0 ||
		waited >= (int64) in->config.ttl * 1000)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and none since this node started %lld ms ago: giving the former primary up to ttl (%d s) to start before racing",
			 (long long) waited, in->config.ttl);
	return true;
}

/* Patroni's "primary is still alive": never race a running primary */
bool
pgha_rule_primary_alive(const PghaInput *in, PghaDecision *d)
{
	int			i;

	if (!R(in))
		return false;
	for (i = 0; i < in->npeers; i++)
	{
		const PghaPeer *p = &in->peers[i];

		if ((p->reachable && !p->in_recovery) || p->shutting_down)
		{
			snprintf(d->reason, sizeof(d->reason),
					 "There is no leader, but \"%s\" still runs as a primary%s.", p->name,
					 p->shutting_down ? " (shutting down)" : "");
			return true;
		}
	}
	return false;
}

bool
pgha_peer_is_better(const PghaInput *in, const PghaPeer *p)
{
	if (!p->reachable || !p->in_recovery || p->nofailover || p->failover_priority <= 0)
		return false;
	/* one failsafe_mode keeps from racing: deferring to it, nobody would */
	if (in->cluster != NULL && pgha_failsafe_bars(in, p->name))
		return false;
	/* in synchronous mode only synchronous standbys compete (no key: all do) */
	if (in->config.synchronous_mode &&
		(in->cluster == NULL ||
		 (in->cluster->has_sync && !pgha_cluster_is_sync_standby(in->cluster, p->name))))
		return false;
	/* positions on different timelines do not compare: the newer one wins */
	if (p->timeline != in->local.timeline)
		return p->timeline > in->local.timeline;
	if (p->lsn != in->local.lsn)
		return p->lsn > in->local.lsn;
	if (p->failover_priority != in->failover_priority)
		return p->failover_priority > in->failover_priority;
	return strcmp(p->name, in->me) < 0;
}

bool
pgha_rule_need_probe_candidate(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || in->peers_probed)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This node is the switchover candidate; checking that the old primary is down.");
	return true;
}

bool
pgha_rule_peer_better(const PghaInput *in, PghaDecision *d)
{
	int			i;

	if (!R(in))
		return false;
	for (i = 0; i < in->npeers; i++)
	{
		const PghaPeer *p = &in->peers[i];

		if (pgha_peer_is_better(in, p))
		{
			snprintf(d->reason, sizeof(d->reason),
					 "there is no leader, and \"%s\" is a better candidate (%X/%X, priority %d) than this node (%X/%X, priority %d)",
					 p->name, (unsigned) (p->lsn >> 32), (unsigned) p->lsn, p->failover_priority,
					 (unsigned) (in->local.lsn >> 32), (unsigned) in->local.lsn,
					 in->failover_priority);
			return true;
		}
	}
	return false;
}

/*
 * Quorum commit: at most q of the key's voters and its leader lack any
 * acknowledged commit, so a candidate that sees q + 1 of them (itself
 * included) at or behind its own position has every one (shared/quorum.h).
 * The key's leader has its own commits: it needs nobody.
 */
bool
pgha_rule_quorum_short(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	int			votes;
	int			i;

	if (!R(in) || !pgha_decide_quorum_key(in) || strcmp(c->sync_leader, in->me) == 0)
		return false;
	votes = pgha_cluster_is_sync_standby(c, in->me) ? 1 : 0;
	for (i = 0; i < in->npeers; i++)
	{
		const PghaPeer *p = &in->peers[i];

		if (strcmp(p->name, in->me) == 0 || !p->reachable || !p->in_recovery || p->shutting_down ||
			(!pgha_cluster_is_sync_standby(c, p->name) && strcmp(p->name, c->sync_leader) != 0))
			continue;
		/*
		 * Only on this node's timeline: a standby whose replay waits on an
		 * older one (paused, a conflict) reports that timeline and its
		 * replay position, though it may have flushed more of ours.
		 */
		if (p->timeline == in->local.timeline && p->lsn <= in->local.lsn)
			votes++;
	}
	if (votes > c->sync_quorum)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and quorum commit needs %d of the sync key's members and its leader \"%s\" at or behind this node (%X/%X); %d %s",
			 c->sync_quorum + 1, c->sync_leader,
			 (unsigned) (in->local.lsn >> 32), (unsigned) in->local.lsn,
			 votes, votes == 1 ? "is" : "are");
	return true;
}

bool
pgha_rule_race(const PghaInput *in, PghaDecision *d)
{
	if (!R(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and this node is the best candidate (%X/%X, priority %d)",
			 (unsigned) (in->local.lsn >> 32), (unsigned) in->local.lsn, in->failover_priority);
	return true;
}

bool
pgha_rule_otherwise(const PghaInput *in, PghaDecision *d)
{
	snprintf(d->reason, sizeof(d->reason), "nothing to do");
	return true;
}
