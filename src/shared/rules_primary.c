/*-------------------------------------------------------------------------
 *
 * rules_primary.c
 *		The conditions of a primary's rules: the lease and failsafe, identity
 *		(system identifier, member name), pause, renewing or taking the key,
 *		a primary the cluster moved on from.
 *
 * Pure; see decide.c for the table and its order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/rules_primary.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide_int.h"
#include "shared/timeline.h"
#include "shared/upstream.h"

/*
 * failsafe_mode: every member the failsafe key lists vouched for this
 * leader within the fence window (and promised not to race for a ttl,
 * the one they were told); no other member may race.  That proves as
 * much as a renewal until etcd answers again, when the leader takes its
 * key back.  As shared/lease_clock.c counts it.
 */
static bool
failsafe_vouched(const PghaInput *in)
{
	return in->failsafe_confirmed_ms > 0 &&
		in->now_ms - in->failsafe_confirmed_ms <
		pgha_failsafe_window_ms(&in->config, in->lease_ttl, in->failsafe_ttl);
}

/*
 * A primary of this cluster that has not proven its leadership for the
 * fence window stops: whether it lost etcd, lost the key, or its worker just
 * restarted without getting through.  A paused cluster takes no automatic
 * action; a node of another cluster (sysid) is none of our business.
 */
bool
pgha_rule_fence_lease(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !pgha_decide_lease_expiring(in) || in->config.pause || in->foreign ||
		failsafe_vouched(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This primary has not proven its leadership for %lld ms; the limit is %lld ms (ttl %d s).",
			 (long long) (in->now_ms - in->last_renewal_ms),
			 (long long) pgha_decide_fence_after(in), in->config.ttl);
	return true;
}

/*
 * failsafe_mode: etcd is gone, but every member vouched for this leader
 * within the fence window (and promised not to race for a ttl): it stays.
 */
bool
pgha_rule_failsafe(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || in->etcd_ok || in->config.pause || in->foreign ||
		!pgha_decide_lease_expiring(in) || !failsafe_vouched(in))
		return false;
	d->state = PGHA_STATE_FAILSAFE;
	snprintf(d->reason, sizeof(d->reason),
			 "etcd is unreachable, and every member vouched for this leader %lld ms ago (failsafe_mode)",
			 (long long) (in->now_ms - in->failsafe_confirmed_ms));
	return true;
}

bool
pgha_rule_no_etcd(const PghaInput *in, PghaDecision *d)
{
	if (in->etcd_ok)
		return false;
	d->state = PGHA_STATE_NO_ETCD;
	if (P(in) && in->is_leader)
		snprintf(d->reason, sizeof(d->reason),
				 "etcd is unreachable; still the leader for %lld ms unless a renewal succeeds",
				 (long long) (pgha_decide_fence_after(in) - (in->now_ms - in->last_renewal_ms)));
	else
		snprintf(d->reason, sizeof(d->reason),
				 "etcd is unreachable; a node never changes role without etcd");
	return true;
}

static uint64
sysid_of_cluster(const PghaInput *in)
{
	return strtoull(in->cluster->initialize, NULL, 10);
}

bool
pgha_rule_sysid_mismatch(const PghaInput *in, PghaDecision *d)
{
	if (!in->cluster->has_initialize || in->cluster->initialize[0] == '\0' ||
		sysid_of_cluster(in) == in->local.sysid)
		return false;
	d->state = PGHA_STATE_SYSID_MISMATCH;
	snprintf(d->reason, sizeof(d->reason),
			 "this node's system identifier %llu differs from the cluster's %s",
			 (unsigned long long) in->local.sysid, in->cluster->initialize);
	return true;
}

/*
 * Two running instances under one member name (a copy of a data directory
 * keeps postgresql.conf and with it pgha.name): the one that does not hold
 * the lease its name's keys sit on takes no part, whatever its role.  A
 * primary among them never proves a lease, so its gate stays closed and
 * fence_lease_expiring stops it.
 */
bool
pgha_rule_duplicate_name(const PghaInput *in, PghaDecision *d)
{
	if (!in->name_conflict)
		return false;
	d->state = PGHA_STATE_DUPLICATE_NAME;
	snprintf(d->reason, sizeof(d->reason),
			 "another running instance is also named \"%s\": a key of that name sits on lease %lld, which this node does not hold",
			 in->me, (long long) in->conflict_lease);
	return true;
}

/*
 * Paused, a primary that finds the key free takes it (as Patroni does):
 * without it, its gate stays closed.  Not one the cluster moved on from.
 */
bool
pgha_rule_paused_acquire(const PghaInput *in, PghaDecision *d)
{
	PghaDecision scratch;

	if (!in->config.pause || !P(in) || in->cluster->has_leader || pgha_rule_stale_primary(in, &scratch))
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason),
			 "the cluster is paused and the leader key is free: this primary takes it");
	return true;
}

bool
pgha_rule_paused(const PghaInput *in, PghaDecision *d)
{
	if (!in->config.pause)
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason), "the cluster is paused: no automatic action");
	return true;
}

bool
pgha_rule_paused_leader(const PghaInput *in, PghaDecision *d)
{
	if (!in->config.pause || !P(in) || !in->cluster->has_leader ||
		strcmp(in->cluster->leader, in->me) != 0)
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason),
			 "the cluster is paused; the leader keeps its key but takes no other action");
	return true;
}

bool
pgha_rule_renew(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0)
		return false;
	snprintf(d->reason, sizeof(d->reason), "this primary holds the leader key");
	return true;
}

/*
 * A free leader key goes only to a node with everything the cluster had:
 * on its latest timeline, and within maximum_lag_on_failover of the last
 * position the leader published.  A primary that finds the key free but
 * the cluster moved on (an old primary started without standby.signal
 * after another node was promoted and went away in turn) must not lead:
 * its writes would fork off what the cluster acknowledged.
 */
bool
pgha_rule_stale_primary(const PghaInput *in, PghaDecision *d)
{
	const char *who;
	int			tl;
	uint64		leader_lsn;

	/*
	 * The key free, or naming this node while its worker does not lead yet
	 * (a restart re-attaching): a data directory restored in place must
	 * not re-attach on the strength of its name.
	 */
	if (!P(in) || (in->cluster->has_leader &&
				   (strcmp(in->cluster->leader, in->me) != 0 || in->is_leader)))
		return false;
	tl = pgha_decide_cluster_timeline(in, &who);
	if (tl > in->local.timeline)
	{
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but the cluster reached timeline %d (%s%s%s), newer than this primary's %d.",
				 in->cluster->has_leader ? "The leader key names this node" : "The leader key is free",
				 tl, strcmp(who, "the history key") == 0 ? "" : "member \"", who,
				 strcmp(who, "the history key") == 0 ? "" : "\"", in->local.timeline);
		return true;
	}
	/*
	 * In synchronous mode the sync key names the leader whose commits count
	 * (and its standbys, which have them).  A primary that is neither may
	 * lack commits that leader acknowledged: an old primary restarted after
	 * a failover that never reached the history key or the member keys.
	 */
	if (in->config.synchronous_mode && in->cluster->has_sync &&
		in->cluster->sync_leader[0] != '\0' && strcmp(in->cluster->sync_leader, in->me) != 0 &&
		(pgha_decide_quorum_key(in) || !pgha_cluster_is_sync_standby(in->cluster, in->me)))
	{
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but synchronous_mode is on and the sync key belongs to \"%s\": it may have acknowledged commits this primary lacks.",
				 in->cluster->has_leader ? "The leader key names this node" : "The leader key is free",
				 in->cluster->sync_leader);
		return true;
	}
	leader_lsn = pgha_decide_last_leader_lsn(in);
	if (leader_lsn > in->local.lsn &&
		(int64) (leader_lsn - in->local.lsn) > in->config.maximum_lag_on_failover)
	{
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but this primary is %llu bytes behind the last position the leader published (maximum_lag_on_failover %lld).",
				 in->cluster->has_leader ? "The leader key names this node" : "The leader key is free",
				 (unsigned long long) (leader_lsn - in->local.lsn),
				 (long long) in->config.maximum_lag_on_failover);
		return true;
	}
	return false;
}

bool
pgha_rule_acquire(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "the leader key is free and this node runs as the cluster's primary");
	return true;
}

bool
pgha_rule_fence_other(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) == 0)
		return false;
	strlcpy(d->target, in->cluster->leader, sizeof(d->target));
	snprintf(d->reason, sizeof(d->reason),
			 "the leader key names \"%s\", but this node runs as a primary", in->cluster->leader);
	return true;
}
