/*-------------------------------------------------------------------------
 *
 * rules_bootstrap.c
 *		The conditions of the rules that make a cluster: a primary claiming
 *		an empty etcd, a fenced primary that never led, standby clusters
 *		(bootstrap, standby leader, demotion).
 *
 * Pure; see decide.c for the table and its order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/rules_bootstrap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide_int.h"
#include "shared/timeline.h"
#include "shared/upstream.h"

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
bool
pgha_rule_demote_cluster(const PghaInput *in, PghaDecision *d)
{
	/*
	 * Not to the archive alone: its shutdown checkpoint is in no archive,
	 * and the remote, promoted at the archive's end, forks before it (this
	 * node could not follow it); its gate stays closed (state.c)
	 */
	if (!P(in) || !pgha_config_standby_cluster(&in->config) || in->config.pause ||
		in->config.standby_host[0] == '\0')
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "the config makes this a standby cluster following %s, and this node runs as a primary: it stops cleanly and comes back as a standby of the remote",
			 pgha_config_standby_source(&in->config));
	return true;
}

bool
pgha_rule_bootstrap(const PghaInput *in, PghaDecision *d)
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

bool
pgha_rule_bootstrap_fenced_probe(const PghaInput *in, PghaDecision *d)
{
	if (in->peers_probed || !bootstrap_fenced_applies(in))
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd, and this standby is a primary that never led and fenced itself: asking the peers before it claims the cluster");
	return true;
}

bool
pgha_rule_bootstrap_fenced(const PghaInput *in, PghaDecision *d)
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
bool
pgha_rule_standby_bootstrap(const PghaInput *in, PghaDecision *d)
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
bool
pgha_rule_standby_leader(const PghaInput *in, PghaDecision *d)
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
bool
pgha_rule_standby_wait_copy(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || !pgha_config_standby_cluster(&in->config) || !in->cluster->has_initialize ||
		in->cluster->initialize[0] != '\0' || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "pghactl run makes the standby cluster's first member under the initialize lock: waiting for that copy to claim it");
	return true;
}

bool
pgha_rule_wait_bootstrap(const PghaInput *in, PghaDecision *d)
{
	if (!R(in) || in->cluster->has_initialize || in->cluster->has_leader)
		return false;
	snprintf(d->reason, sizeof(d->reason),
			 "no cluster is initialized in etcd; a standby waits for a primary to claim it");
	return true;
}
