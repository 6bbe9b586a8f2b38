/*-------------------------------------------------------------------------
 *
 * decide.c
 *		The pure HA state machine (docs/ha.md).
 *
 * A table of rules, tried in order; the first whose condition holds gives
 * the action.  Each rule is a row (name, role, action, condition, reason)
 * so a behaviour change shows up as a changed row, and the table can be
 * dumped and reviewed (pgha_decide_rules()).
 *
 * The safety rules come first: a primary that cannot prove its lease
 * fences itself before anything else is considered; a node of another
 * cluster (system identifier) never touches the leader key.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/decide.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <ctype.h>

#include "common/decide.h"
#include "common/timeline.h"
#include "common/upstream.h"

typedef bool (*RuleCond) (const PghaInput *in, PghaDecision *d);

typedef struct Rule
{
	PghaRuleInfo info;
	RuleCond	cond;			/* fills d->reason (and target) when true */
	int			poll_ms;		/* > 0: the next look comes this soon */
} Rule;

#define P(in) (!(in)->local.in_recovery)
#define R(in) ((in)->local.in_recovery)

/*
 * The sync key read as a quorum (common/quorum.h): in quorum mode, and for
 * a key written in it while the config switches back (its members do not
 * each have every commit).
 */
static bool
quorum_key(const PghaInput *in)
{
	return in->config.synchronous_mode && in->cluster->has_sync &&
		(in->config.quorum || in->cluster->sync_quorum > 0);
}

int64
pgha_fence_window_ms(const PghaConfig *config, int64 lease_ttl)
{
	PghaConfig	c = *config;

	if (lease_ttl > 0 && lease_ttl < c.ttl)
		c.ttl = (int) lease_ttl;
	return pgha_fence_after_ms(&c);
}

static int64
fence_after(const PghaInput *in)
{
	return pgha_fence_window_ms(&in->config, in->lease_ttl);
}

static bool
lease_expiring(const PghaInput *in)
{
	return in->now_ms - in->last_renewal_ms >= fence_after(in);
}

static uint64
sysid_of_cluster(const PghaInput *in)
{
	return strtoull(in->cluster->initialize, NULL, 10);
}

static uint64 last_leader_lsn(const PghaInput *in);
static int	cluster_timeline(const PghaInput *in, const char **who);
static bool c_stale_primary(const PghaInput *in, PghaDecision *d);

/* ---- conditions ---- */

/*
 * A primary of this cluster that has not proven its leadership for the
 * fence window stops: whether it lost etcd, lost the key, or its worker just
 * restarted without getting through.  A paused cluster takes no automatic
 * action; a node of another cluster (sysid) is none of our business.
 */
/*
 * failsafe_mode: every member the failsafe key lists vouched for this
 * leader within the fence window (and promised not to race for a ttl); no
 * other member may race.  That proves as much as a renewal until etcd
 * answers again, when the leader takes its key back.
 */
static bool
failsafe_vouched(const PghaInput *in)
{
	return in->config.failsafe_mode && in->failsafe_confirmed_ms > 0 &&
		in->now_ms - in->failsafe_confirmed_ms < fence_after(in);
}

static bool
c_fence_lease(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !lease_expiring(in) || in->config.pause || in->foreign ||
		failsafe_vouched(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This primary has not proven its leadership for %lld ms; the limit is %lld ms (ttl %d s).",
			 (long long) (in->now_ms - in->last_renewal_ms),
			 (long long) fence_after(in), in->config.ttl);
	return true;
}

/*
 * failsafe_mode: etcd is gone, but every member vouched for this leader
 * within the fence window (and promised not to race for a ttl): it stays.
 */
static bool
c_failsafe(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || in->etcd_ok || in->config.pause || in->foreign ||
		!lease_expiring(in) || !failsafe_vouched(in))
		return false;
	d->state = PGHA_STATE_FAILSAFE;
	snprintf(d->reason, sizeof(d->reason),
			 "etcd is unreachable, and every member vouched for this leader %lld ms ago (failsafe_mode)",
			 (long long) (in->now_ms - in->failsafe_confirmed_ms));
	return true;
}

/* a member a failsafe leader pinged within the ttl does not race it */
static bool
c_failsafe_leader_alive(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !in->config.failsafe_mode || in->cluster->has_leader ||
		in->failsafe_ping_age_ms < 0 || in->failsafe_ping_age_ms >= (int64) in->config.ttl * 1000)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader key, but \"%s\" asked this node to vouch for it %lld ms ago (failsafe_mode)",
			 in->failsafe_pinger ? in->failsafe_pinger : "?", (long long) in->failsafe_ping_age_ms);
	return true;
}

/*
 * failsafe_mode: the leader that lost etcd stays primary while the members
 * its /failsafe key lists vouch for it.  A member not listed was never
 * asked: it must not race, or it could promote beside that leader.
 */
static bool
c_failsafe_not_listed(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !in->config.failsafe_mode || in->cluster->has_leader ||
		!in->cluster->has_failsafe || pgha_cluster_in_failsafe(in->cluster, in->me))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, failsafe_mode is on and the failsafe key does not list this node: a leader without etcd may still run without having asked it");
	return true;
}

static bool
c_no_etcd(const PghaInput *in, PghaDecision *d)
{
	if (in->etcd_ok)
		return false;
	d->state = PGHA_STATE_NO_ETCD;
	if (P(in) && in->is_leader)
		snprintf(d->reason, sizeof(d->reason),
				 "etcd is unreachable; still the leader for %lld ms unless a renewal succeeds",
				 (long long) (fence_after(in) - (in->now_ms - in->last_renewal_ms)));
	else
		snprintf(d->reason, sizeof(d->reason),
				 "etcd is unreachable; a node never changes role without etcd");
	return true;
}

static bool
c_sysid_mismatch(const PghaInput *in, PghaDecision *d)
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
static bool
c_duplicate_name(const PghaInput *in, PghaDecision *d)
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
 * The config makes this a standby cluster while this node runs as a
 * primary (Patroni's demote-cluster, a standby_cluster section added): it
 * stops being one, cleanly, and comes back as a standby of the remote.
 * Its standbys get everything it wrote before it stops (a fast shutdown
 * waits for the walsenders), so the remote, which may be one of them in
 * another cluster, can take over without losing anything.  A node holding
 * the leader key keeps it and becomes the standby leader; a primary
 * without it (a new cluster) claims nothing.  Not while paused.
 */
static bool
c_demote_cluster(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !pgha_config_standby_cluster(&in->config) || in->config.pause)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "the config makes this a standby cluster following %s, and this node runs as a primary: it stops cleanly and comes back as a standby of the remote",
			 pgha_config_standby_source(&in->config));
	return true;
}

static bool
c_bootstrap(const PghaInput *in, PghaDecision *d)
{
	/* a history means the cluster existed: its initialize key was lost */
	if (!P(in) || in->cluster->has_initialize || in->cluster->has_leader ||
		in->cluster->has_history)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd and this node runs as a primary");
	return true;
}

/*
 * A primary that never led could not reach etcd, fenced itself and came
 * back as a standby with no leader to follow (a server that starts before
 * etcd does).  If etcd holds no trace of a cluster, it claims one and
 * promotes (promote_holder), where every other standby would wait forever:
 * Patroni does the same after it demoted a primary for want of its DCS.
 * Nothing it has was acknowledged (its gate never opened), so it claims
 * only once nobody has more: after etcd has held no cluster for a ttl (the
 * members, if etcd lost its keys, have published their records again),
 * when no member record shows a primary or a member ahead of it, and when
 * no probed peer runs as a primary or is ahead.  Not paused, and not a node
 * that may not be promoted.
 */
static bool
bootstrap_fenced_applies(const PghaInput *in)
{
	int			i;

	if (!R(in) || !in->fenced_without_leader || in->config.pause || in->nofailover ||
		in->failover_priority <= 0 || in->cluster->has_initialize ||
		in->cluster->has_leader || in->cluster->has_history ||
		in->empty_cluster_ms < (int64) in->config.ttl * 1000)
		return false;
	for (i = 0; i < in->cluster->nmembers; i++)
	{
		const PghaMember *m = &in->cluster->members[i];

		if (m->foreign || strcmp(m->name, in->me) == 0)
			continue;
		if (strcmp(m->role, "primary") == 0 || m->timeline > in->local.timeline ||
			(m->timeline == in->local.timeline && m->xlog_location > in->local.lsn))
			return false;
	}
	return true;
}

static bool
c_bootstrap_fenced_probe(const PghaInput *in, PghaDecision *d)
{
	if (in->peers_probed || !bootstrap_fenced_applies(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd, and this standby is a primary that never led and fenced itself: asking the peers before it claims the cluster");
	return true;
}

static bool
c_bootstrap_fenced(const PghaInput *in, PghaDecision *d)
{
	int			i;

	if (!in->peers_probed || !bootstrap_fenced_applies(in))
		return false;
	for (i = 0; i < in->npeers; i++)
	{
		const PghaPeer *p = &in->peers[i];

		if ((p->reachable && !p->in_recovery) || p->shutting_down ||
			(p->reachable && (p->timeline > in->local.timeline ||
							  (p->timeline == in->local.timeline && p->lsn > in->local.lsn))))
			return false;
	}
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd (for %lld ms), and this standby is a primary that never led and fenced itself, with no peer ahead of it: it claims the cluster",
			 (long long) in->empty_cluster_ms);
	return true;
}

/*
 * A new standby cluster: a standby of the remote primary claims it and
 * leads it as a standby (Patroni's bootstrap_standby_leader); the others
 * follow it.  An empty initialize key is pghactl's lock while it copies
 * the remote (a restore may take hours): only that copy claims over it,
 * as only Patroni's lock holder finishes the bootstrap.
 */
static bool
c_standby_bootstrap(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !pgha_config_standby_cluster(&in->config) || in->config.pause || in->nofailover ||
		in->failover_priority <= 0 ||
		(in->cluster->has_initialize &&
		 (in->cluster->initialize[0] != '\0' || !in->standby_copy)) ||
		in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd (at most pghactl's lock), and the config makes a standby cluster: this standby claims it as its standby leader");
	return true;
}

/*
 * The standby leader keeps its key, paused or not (as a paused primary
 * does), and replicates from the remote primary; it never promotes while
 * the config makes a standby cluster.
 */
static bool
c_standby_leader(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !pgha_config_standby_cluster(&in->config) || !in->cluster->has_leader ||
		strcmp(in->cluster->leader, in->me) != 0)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "this standby holds the leader key of a standby cluster: it replicates from %s",
			 pgha_config_standby_source(&in->config));
	return true;
}

/* ... and the others wait for it, whatever their own data (no race) */
static bool
c_standby_wait_copy(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !pgha_config_standby_cluster(&in->config) || !in->cluster->has_initialize ||
		in->cluster->initialize[0] != '\0' || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "pghactl run makes the standby cluster's first member under the initialize lock: waiting for that copy to claim it");
	return true;
}

static bool
c_wait_bootstrap(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || in->cluster->has_initialize || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd; a standby waits for a primary to claim it");
	return true;
}

/*
 * Paused, a primary that finds the key free takes it (as Patroni does):
 * without it, its gate stays closed.  Not one the cluster moved on from.
 */
static bool
c_paused_acquire(const PghaInput *in, PghaDecision *d)
{
	PghaDecision scratch;

	if (!in->config.pause || !P(in) || in->cluster->has_leader || c_stale_primary(in, &scratch))
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason),
			 "the cluster is paused and the leader key is free: this primary takes it");
	return true;
}

static bool
c_paused(const PghaInput *in, PghaDecision *d)
{
	if (!in->config.pause)
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason), "the cluster is paused: no automatic action");
	return true;
}

static bool
c_paused_leader(const PghaInput *in, PghaDecision *d)
{
	if (!in->config.pause || !P(in) || !in->cluster->has_leader ||
		strcmp(in->cluster->leader, in->me) != 0)
		return false;
	d->state = PGHA_STATE_PAUSED;
	snprintf(d->reason, sizeof(d->reason),
			 "the cluster is paused; the leader keeps its key but takes no other action");
	return true;
}

static bool
c_renew(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0)
		return false;
	snprintf(d->reason, sizeof(d->reason), "this primary holds the leader key");
	return true;
}

/* the newest timeline any member of this cluster publishes */
static const PghaMember *
newest_timeline_member(const PghaInput *in)
{
	const PghaMember *best = NULL;
	int			i;

	for (i = 0; i < in->cluster->nmembers; i++)
	{
		const PghaMember *m = &in->cluster->members[i];

		if (m->foreign || strcmp(m->name, in->me) == 0)
			continue;
		if (best == NULL || m->timeline > best->timeline)
			best = m;
	}
	return best;
}

/*
 * The newest timeline the cluster is known to have reached: the one after
 * the last entry of the history key, or a member's, if newer.  who: where
 * it was seen.
 */
static int
cluster_timeline(const PghaInput *in, const char **who)
{
	const PghaMember *m = newest_timeline_member(in);
	int			tl = in->cluster->history_timeline;

	*who = "the history key";
	if (m != NULL && m->timeline > tl)
	{
		tl = m->timeline;
		*who = m->name;
	}
	return tl;
}

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

static bool
c_switchover(const PghaInput *in, PghaDecision *d)
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
static bool
c_switchover_unreadable(const PghaInput *in, PghaDecision *d)
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

static bool
c_switchover_refused(const PghaInput *in, PghaDecision *d)
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
static bool
c_switchover_wait_other(const PghaInput *in, PghaDecision *d)
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
	if (cand->timeline > 0 && cand->timeline < Max(cluster_timeline(in, &who), in->local.timeline))
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

static bool
c_switchover_old_alive(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	int			i;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || !in->peers_probed)
		return false;
	/*
	 * Its last WAL reaches us over the stream, until its postmaster exits;
	 * not once it runs again, as a standby: a stream from it then carries
	 * nothing it acknowledged.
	 */
	if (in->local.streaming && !old_primary_is_standby(in))
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
static bool
c_switchover_incomplete(const PghaInput *in, PghaDecision *d)
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

static bool c_not_synchronous(const PghaInput *in, PghaDecision *d);
static bool c_old_timeline(const PghaInput *in, PghaDecision *d);
static bool c_too_far_behind(const PghaInput *in, PghaDecision *d);
static bool c_quorum_short(const PghaInput *in, PghaDecision *d);

static bool
c_switchover_take(const PghaInput *in, PghaDecision *d)
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
		(c_not_synchronous(in, &scratch) || c_old_timeline(in, &scratch) ||
		 c_too_far_behind(in, &scratch) || c_quorum_short(in, &scratch)))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This node is the switchover candidate and the old primary is down.");
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
static bool
c_stale_primary(const PghaInput *in, PghaDecision *d)
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
	tl = cluster_timeline(in, &who);
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
		(quorum_key(in) || !pgha_cluster_is_sync_standby(in->cluster, in->me)))
	{
		snprintf(d->reason, sizeof(d->reason),
				 "%s, but synchronous_mode is on and the sync key belongs to \"%s\": it may have acknowledged commits this primary lacks.",
				 in->cluster->has_leader ? "The leader key names this node" : "The leader key is free",
				 in->cluster->sync_leader);
		return true;
	}
	leader_lsn = last_leader_lsn(in);
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

static bool
c_acquire(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "the leader key is free and this node runs as the cluster's primary");
	return true;
}

static bool
c_fence_other(const PghaInput *in, PghaDecision *d)
{
	if (!P(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) == 0)
		return false;
	strlcpy(d->target, in->cluster->leader, sizeof(d->target));
	snprintf(d->reason, sizeof(d->reason),
			 "the leader key names \"%s\", but this node runs as a primary", in->cluster->leader);
	return true;
}

static bool
c_promote_holder(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !in->cluster->has_leader || strcmp(in->cluster->leader, in->me) != 0)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "this standby holds the leader key");
	return true;
}

static bool
c_follow(const PghaInput *in, PghaDecision *d)
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
static bool
c_diverged(const PghaInput *in, PghaDecision *d)
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
	 * (common/timeline.h).  Nothing written on it is kept.
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

static bool
c_not_candidate(const PghaInput *in, PghaDecision *d)
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
 * primary acknowledged.  No key, or an empty one: nobody may be promoted.
 */
static bool
c_not_synchronous(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	bool		stale;

	if (!R(in) || !in->config.synchronous_mode)
		return false;
	/*
	 * A key written by another leader than the last one says nothing of its
	 * commits; but a key this node wrote itself (it won a race, took the key
	 * over and lost its own leader key before anybody saw it lead) names
	 * commits it has all of.
	 */
	stale = c->has_sync && in->last_leader && in->last_leader[0] != '\0' &&
		strcmp(c->sync_leader, in->last_leader) != 0 && strcmp(c->sync_leader, in->me) != 0;
	/* quorum: any member may race once it sees enough voters (quorum_short) */
	if (!stale && (pgha_cluster_is_sync_standby(c, in->me) ||
				   (quorum_key(in) && c->sync_leader[0] != '\0')))
		return false;
	/*
	 * A node that took the key over for a promotion that never completed
	 * (it is still a standby) has everything it had: it may race again.
	 */
	if (!stale && c->has_sync && strcmp(c->sync_leader, in->me) == 0)
		return false;
	if (stale)
		snprintf(d->reason, sizeof(d->reason),
				 "there is no leader, synchronous_mode is on and the sync key belongs to \"%s\", not to the last leader \"%s\"",
				 c->sync_leader, in->last_leader);
	else
		snprintf(d->reason, sizeof(d->reason),
				 "there is no leader, synchronous_mode is on and this node is not a synchronous standby%s",
				 !c->has_sync ? " (there is no sync key)" :
				 c->nsync == 0 ? " (the sync key names none)" : "");
	return true;
}

/* the last position the leader published: status optime, else its member key */
static uint64
last_leader_lsn(const PghaInput *in)
{
	uint64		lsn = in->cluster->has_status ? in->cluster->optime : 0;
	const char *who;
	int			tl = Max(cluster_timeline(in, &who), in->local.timeline);
	int			i;

	/*
	 * A primary's record on an older timeline (a fenced old primary's, until
	 * its lease ends) counts positions of a history the cluster left.
	 */
	for (i = 0; i < in->cluster->nmembers; i++)
	{
		const PghaMember *m = &in->cluster->members[i];

		if (!m->foreign && strcmp(m->role, "primary") == 0 && m->timeline >= tl &&
			m->xlog_location > lsn)
			lsn = m->xlog_location;
	}
	return lsn;
}

/*
 * A standby still on an older timeline than the cluster reached never
 * races: promoting it would make a second timeline of that number and
 * throw away what the newer one acknowledged.
 */
static bool
c_old_timeline(const PghaInput *in, PghaDecision *d)
{
	const char *who;
	int			tl;

	if (!R(in))
		return false;
	tl = cluster_timeline(in, &who);
	if (tl <= in->local.timeline)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and the cluster reached timeline %d (%s%s%s), newer than this node's %d",
			 tl, strcmp(who, "the history key") == 0 ? "" : "member \"", who,
			 strcmp(who, "the history key") == 0 ? "" : "\"", in->local.timeline);
	return true;
}

static bool
c_too_far_behind(const PghaInput *in, PghaDecision *d)
{
	uint64		leader_lsn = last_leader_lsn(in);

	if (!R(in) || leader_lsn <= in->local.lsn ||
		(int64) (leader_lsn - in->local.lsn) <= in->config.maximum_lag_on_failover)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and this node is %llu bytes behind the last leader position (maximum_lag_on_failover %lld)",
			 (unsigned long long) (leader_lsn - in->local.lsn),
			 (long long) in->config.maximum_lag_on_failover);
	return true;
}

static bool
c_need_probe(const PghaInput *in, PghaDecision *d)
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
static bool
c_startup_wait(const PghaInput *in, PghaDecision *d)
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
static bool
c_primary_alive(const PghaInput *in, PghaDecision *d)
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
	/* in synchronous mode only synchronous standbys compete */
	if (in->config.synchronous_mode &&
		(in->cluster == NULL || !pgha_cluster_is_sync_standby(in->cluster, p->name)))
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

static bool
c_need_probe_candidate(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;

	if (!R(in) || c->has_leader || !c->has_failover || in->switchover_stale ||
		strcmp(c->failover_member, in->me) != 0 || in->peers_probed)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "This node is the switchover candidate; checking that the old primary is down.");
	return true;
}

static bool
c_peer_better(const PghaInput *in, PghaDecision *d)
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
 * included) at or behind its own position has every one (common/quorum.h).
 * The key's leader has its own commits: it needs nobody.
 */
static bool
c_quorum_short(const PghaInput *in, PghaDecision *d)
{
	const PghaCluster *c = in->cluster;
	int			votes;
	int			i;

	if (!R(in) || !quorum_key(in) || strcmp(c->sync_leader, in->me) == 0)
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

static bool
c_race(const PghaInput *in, PghaDecision *d)
{
	if (!R(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "there is no leader, and this node is the best candidate (%X/%X, priority %d)",
			 (unsigned) (in->local.lsn >> 32), (unsigned) in->local.lsn, in->failover_priority);
	return true;
}

static bool
c_otherwise(const PghaInput *in, PghaDecision *d)
{
	snprintf(d->reason, sizeof(d->reason), "nothing to do");
	return true;
}

/*
 * The table.  Order matters: safety first, then identity, then pause,
 * then the normal cases.
 */
static const Rule rules[] = {
	{{"failsafe", "primary", PGHA_ACT_NONE,
	"no etcd; failsafe_mode, and every member vouched within the fence window"}, c_failsafe},
	{{"fence_lease_expiring", "primary", PGHA_ACT_FENCE,
	"the leader could not renew its lease in time"}, c_fence_lease},
	{{"no_etcd", "any", PGHA_ACT_NONE,
	"etcd did not answer this iteration"}, c_no_etcd},
	{{"sysid_mismatch", "any", PGHA_ACT_NONE,
	"initialize holds another system identifier"}, c_sysid_mismatch},
	{{"duplicate_name", "any", PGHA_ACT_NONE,
	"a key named after this node sits on another instance's lease"}, c_duplicate_name},
	{{"fence_other_leader", "primary", PGHA_ACT_FENCE,
	"the leader key names another member"}, c_fence_other},
	{{"demote_cluster", "primary", PGHA_ACT_DEMOTE_CLUSTER,
	"the config makes a standby cluster; not paused"}, c_demote_cluster},
	{{"bootstrap", "primary", PGHA_ACT_BOOTSTRAP,
	"no initialize key and no leader key"}, c_bootstrap},
	{{"bootstrap_fenced_probe", "standby", PGHA_ACT_PROBE,
	"no cluster in etcd for a ttl; this node fenced itself as a primary that never led; peers not asked yet"}, c_bootstrap_fenced_probe},
	{{"bootstrap_fenced", "standby", PGHA_ACT_BOOTSTRAP,
	"no cluster in etcd for a ttl; this node fenced itself as a primary that never led; no member or peer is a primary or ahead"}, c_bootstrap_fenced},
	{{"standby_bootstrap", "standby", PGHA_ACT_BOOTSTRAP,
	"no initialize key (or pghactl's empty one) and no leader key; the config makes a standby cluster"}, c_standby_bootstrap},
	{{"standby_leader", "standby", PGHA_ACT_STANDBY_LEADER,
	"standby cluster, and this node holds the leader key"}, c_standby_leader},
	{{"standby_wait_copy", "standby", PGHA_ACT_NONE,
	"standby cluster; pghactl's empty initialize lock, no leader key; this node is not the copy it makes"}, c_standby_wait_copy},
	{{"wait_bootstrap", "standby", PGHA_ACT_NONE,
	"no initialize key and no leader key"}, c_wait_bootstrap},
	{{"paused_leader", "primary", PGHA_ACT_RENEW,
	"paused, and this node holds the leader key"}, c_paused_leader},
	{{"paused_acquire", "primary", PGHA_ACT_ACQUIRE,
	"paused, the leader key is free and this primary may take it"}, c_paused_acquire},
	{{"paused", "any", PGHA_ACT_NONE,
	"config has pause: true"}, c_paused},
	{{"stale_primary", "primary", PGHA_ACT_FENCE,
	"the leader key is free (or names this node, re-attaching); the cluster reached a newer timeline, or a position this primary lacks"}, c_stale_primary},
	{{"switchover_unreadable", "primary", PGHA_ACT_CANCEL_SWITCHOVER,
	"a switchover request's scheduled_at cannot be read"}, c_switchover_unreadable},
	{{"switchover", "primary", PGHA_ACT_SWITCHOVER,
	"a switchover to a streaming standby is due"}, c_switchover},
	{{"switchover_refused", "primary", PGHA_ACT_CANCEL_SWITCHOVER,
	"a switchover is due, the candidate does not stream or lags"}, c_switchover_refused},
	{{"renew", "primary", PGHA_ACT_RENEW,
	"the leader key names this node"}, c_renew},
	{{"acquire", "primary", PGHA_ACT_ACQUIRE,
	"the leader key is free"}, c_acquire},
	{{"promote_holder", "standby", PGHA_ACT_PROMOTE,
	"the leader key names this node"}, c_promote_holder},
	{{"diverged", "standby", PGHA_ACT_REJOIN,
	"the leader's timeline forked off ours before our position"}, c_diverged},
	{{"follow", "standby", PGHA_ACT_FOLLOW,
	"the leader key names another member"}, c_follow},
	{{"switchover_wait", "standby", PGHA_ACT_NONE,
	"no leader; a switchover to another member is in progress"}, c_switchover_wait_other},
	/* a switchover candidate watches the old primary's shutdown closely */
	{{"switchover_probe", "standby", PGHA_ACT_PROBE,
	"no leader; this node is the switchover candidate, peers not asked yet"}, c_need_probe_candidate, 50},
	{{"switchover_old_alive", "standby", PGHA_ACT_NONE,
	"no leader; candidate, the old primary still runs"}, c_switchover_old_alive, 50},
	{{"switchover_incomplete", "standby", PGHA_ACT_NONE,
	"no leader; candidate, but short of the old leader's release position"}, c_switchover_incomplete},
	{{"switchover_take", "standby", PGHA_ACT_RACE,
	"no leader; candidate, the old primary is down"}, c_switchover_take},
	{{"failsafe_leader_alive", "standby", PGHA_ACT_NONE,
	"no leader; failsafe_mode, and the old leader pinged this node within the ttl"}, c_failsafe_leader_alive},
	{{"failsafe_not_listed", "standby", PGHA_ACT_NONE,
	"no leader; failsafe_mode, and the failsafe key does not list this node"}, c_failsafe_not_listed},
	{{"not_candidate", "standby", PGHA_ACT_NONE,
	"no leader; tagged nofailover or failover_priority 0"}, c_not_candidate},
	{{"not_synchronous", "standby", PGHA_ACT_NONE,
	"no leader; synchronous_mode, and the sync key does not name this node"}, c_not_synchronous},
	{{"old_timeline", "standby", PGHA_ACT_NONE,
	"no leader; the cluster reached a newer timeline than this node's"}, c_old_timeline},
	{{"too_far_behind", "standby", PGHA_ACT_NONE,
	"no leader; lag over maximum_lag_on_failover"}, c_too_far_behind},
	{{"startup_wait", "standby", PGHA_ACT_NONE,
	"no leader since this node started; waiting up to ttl for the former primary"}, c_startup_wait},
	{{"probe_peers", "standby", PGHA_ACT_PROBE,
	"no leader; peers not asked yet"}, c_need_probe},
	{{"primary_alive", "standby", PGHA_ACT_NONE,
	"no leader; a probed member still runs as a primary"}, c_primary_alive},
	{{"peer_better", "standby", PGHA_ACT_NONE,
	"no leader; a reachable standby is ahead or ranks higher"}, c_peer_better},
	{{"quorum_short", "standby", PGHA_ACT_NONE,
	"no leader; quorum commit, and fewer than quorum + 1 of the sync key's members are known to be at or behind this node"}, c_quorum_short},
	{{"race", "standby", PGHA_ACT_RACE,
	"no leader; this node is the best candidate"}, c_race},
	{{"otherwise", "any", PGHA_ACT_NONE,
	"no rule matched"}, c_otherwise},
};

void
pgha_decide(const PghaInput *in, PghaDecision *out)
{
	int			i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < (int) lengthof(rules); i++)
	{
		/* rules after no_etcd may read the cluster */
		if (!in->etcd_ok && i > 0 && strcmp(rules[i - 1].info.name, "no_etcd") == 0)
			break;
		if (rules[i].cond(in, out))
		{
			size_t		len = strlen(out->reason);

			out->action = rules[i].info.action;
			out->rule = rules[i].info.name;
			out->poll_ms = rules[i].poll_ms;
			/* reasons go into DETAIL lines: make them sentences */
			out->reason[0] = (char) toupper((unsigned char) out->reason[0]);
			if (len > 0 && len + 1 < sizeof(out->reason) && out->reason[len - 1] != '.')
				strcat(out->reason, ".");
			return;
		}
		/* a rule that did not fire leaves no trace */
		memset(out, 0, sizeof(*out));
	}
	out->action = PGHA_ACT_NONE;
	out->rule = "otherwise";
	snprintf(out->reason, sizeof(out->reason), "nothing to do");
}

const char *
pgha_action_name(PghaAction a)
{
	switch (a)
	{
		case PGHA_ACT_NONE:
			return "none";
		case PGHA_ACT_BOOTSTRAP:
			return "bootstrap";
		case PGHA_ACT_ACQUIRE:
			return "acquire";
		case PGHA_ACT_RENEW:
			return "renew";
		case PGHA_ACT_FENCE:
			return "fence";
		case PGHA_ACT_FOLLOW:
			return "follow";
		case PGHA_ACT_PROBE:
			return "probe";
		case PGHA_ACT_RACE:
			return "race";
		case PGHA_ACT_PROMOTE:
			return "promote";
		case PGHA_ACT_SWITCHOVER:
			return "switchover";
		case PGHA_ACT_CANCEL_SWITCHOVER:
			return "cancel switchover";
		case PGHA_ACT_REJOIN:
			return "rejoin";
		case PGHA_ACT_STANDBY_LEADER:
			return "standby leader";
		case PGHA_ACT_DEMOTE_CLUSTER:
			return "demote cluster";
	}
	return "unknown";
}

int
pgha_decide_rules(const PghaRuleInfo **out)
{
	static PghaRuleInfo infos[lengthof(rules)];
	int			i;

	for (i = 0; i < (int) lengthof(rules); i++)
		infos[i] = rules[i].info;
	*out = infos;
	return lengthof(rules);
}

void
pgha_decide_request(const PghaRequestInput *in, PghaRequestDecision *d)
{
	memset(d, 0, sizeof(*d));
	if (in->reinit_requested)
	{
		d->reinit = true;
		if (in->is_leader || !in->supervised)
		{
			d->action = PGHA_REQ_REFUSE;
			strlcpy(d->reason, in->is_leader ? "this node is the leader" :
					"this server does not run under pghactl run", sizeof(d->reason));
			strlcpy(d->hint, in->is_leader ? "Switch over to another member first." :
					"Stop the server and run pghactl reinit on its host.", sizeof(d->hint));
		}
		else
			d->action = PGHA_REQ_REINIT;
		return;
	}
	if (!in->restart_requested || in->restart_not_due)
		return;
	if (in->restart_not_applicable)
	{
		d->action = PGHA_REQ_SKIP;
		strlcpy(d->reason, "restart requested only in another role or for an older PostgreSQL version",
				sizeof(d->reason));
	}
	else if (in->restart_pending_only && !in->pending_restart)
	{
		d->action = PGHA_REQ_SKIP;
		strlcpy(d->reason, "restart requested only if pending; no restart is pending", sizeof(d->reason));
	}
	else if (!in->supervised)
	{
		d->action = PGHA_REQ_REFUSE;
		strlcpy(d->reason, "this server does not run under pghactl run", sizeof(d->reason));
		strlcpy(d->hint, "Restart it with its service manager (systemctl restart, pg_ctl restart).",
				sizeof(d->hint));
	}
	else
		d->action = PGHA_REQ_RESTART;
}
