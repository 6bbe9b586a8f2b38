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
 * The conditions live by concern: rules_primary.c (the lease, identity,
 * pause, a primary's key), rules_bootstrap.c (new clusters and standby
 * clusters), rules_switchover.c, rules_failover.c (standbys: following,
 * divergence, the race for a free key).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/decide.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/decide_int.h"
#include "shared/timeline.h"

typedef bool (*RuleCond) (const PghaInput *in, PghaDecision *d);

typedef struct Rule
{
	PghaRuleInfo info;
	RuleCond	cond;			/* fills d->reason (and target) when true */
	int			poll_ms;		/* > 0: the next look comes this soon */
} Rule;

/*
 * The sync key read as a quorum (shared/quorum.h): in quorum mode, and for
 * a key written in it while the config switches back (its members do not
 * each have every commit).
 */
bool
pgha_decide_quorum_key(const PghaInput *in)
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

int64
pgha_failsafe_window_ms(const PghaConfig *config, int64 lease_ttl, int failsafe_ttl)
{
	if (!config->failsafe_mode || failsafe_ttl <= 0)
		return 0;
	return pgha_fence_window_ms(config, lease_ttl > 0 ? Min(lease_ttl, failsafe_ttl) : failsafe_ttl);
}

int64
pgha_decide_fence_after(const PghaInput *in)
{
	return pgha_fence_window_ms(&in->config, in->lease_ttl);
}

bool
pgha_decide_lease_expiring(const PghaInput *in)
{
	return in->now_ms - in->last_renewal_ms >= pgha_decide_fence_after(in);
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
int
pgha_decide_cluster_timeline(const PghaInput *in, const char **who)
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

/* the last position the leader published: status optime, else its member key */
uint64
pgha_decide_last_leader_lsn(const PghaInput *in)
{
	uint64		lsn = in->cluster->has_status ? in->cluster->optime : 0;
	const char *who;
	int			tl = Max(pgha_decide_cluster_timeline(in, &who), in->local.timeline);
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
 * The table.  Order matters: safety first, then identity, then pause,
 * then the normal cases.
 */
static const Rule rules[] = {
	{{"failsafe", "primary", PGHA_ACT_NONE,
	"no etcd; failsafe_mode, and every member vouched within the fence window"}, pgha_rule_failsafe},
	{{"fence_lease_expiring", "primary", PGHA_ACT_FENCE,
	"the leader could not renew its lease in time"}, pgha_rule_fence_lease},
	{{"no_etcd", "any", PGHA_ACT_NONE,
	"etcd did not answer this iteration"}, pgha_rule_no_etcd},
	{{"sysid_mismatch", "any", PGHA_ACT_NONE,
	"initialize holds another system identifier"}, pgha_rule_sysid_mismatch},
	{{"duplicate_name", "any", PGHA_ACT_NONE,
	"a key named after this node sits on another instance's lease"}, pgha_rule_duplicate_name},
	{{"fence_other_leader", "primary", PGHA_ACT_FENCE,
	"the leader key names another member"}, pgha_rule_fence_other},
	{{"demote_cluster", "primary", PGHA_ACT_DEMOTE_CLUSTER,
	"the config makes a standby cluster; not paused"}, pgha_rule_demote_cluster},
	{{"bootstrap", "primary", PGHA_ACT_BOOTSTRAP,
	"no initialize key and no leader key"}, pgha_rule_bootstrap},
	{{"bootstrap_fenced_probe", "standby", PGHA_ACT_PROBE,
	"no cluster in etcd for a ttl; this node fenced itself as a primary that never led; peers not asked yet"}, pgha_rule_bootstrap_fenced_probe},
	{{"bootstrap_fenced", "standby", PGHA_ACT_BOOTSTRAP,
	"no cluster in etcd for a ttl; this node fenced itself as a primary that never led; no member or peer is a primary or ahead"}, pgha_rule_bootstrap_fenced},
	{{"standby_bootstrap", "standby", PGHA_ACT_BOOTSTRAP,
	"no initialize key (or pghactl's empty one) and no leader key; the config makes a standby cluster"}, pgha_rule_standby_bootstrap},
	{{"standby_leader", "standby", PGHA_ACT_STANDBY_LEADER,
	"standby cluster, and this node holds the leader key"}, pgha_rule_standby_leader},
	{{"standby_wait_copy", "standby", PGHA_ACT_NONE,
	"standby cluster; pghactl's empty initialize lock, no leader key; this node is not the copy it makes"}, pgha_rule_standby_wait_copy},
	{{"wait_bootstrap", "standby", PGHA_ACT_NONE,
	"no initialize key and no leader key"}, pgha_rule_wait_bootstrap},
	{{"paused_leader", "primary", PGHA_ACT_RENEW,
	"paused, and this node holds the leader key"}, pgha_rule_paused_leader},
	{{"paused_acquire", "primary", PGHA_ACT_ACQUIRE,
	"paused, the leader key is free and this primary may take it"}, pgha_rule_paused_acquire},
	{{"paused", "any", PGHA_ACT_NONE,
	"config has pause: true"}, pgha_rule_paused},
	{{"stale_primary", "primary", PGHA_ACT_FENCE,
	"the leader key is free (or names this node, re-attaching); the cluster reached a newer timeline, or a position this primary lacks"}, pgha_rule_stale_primary},
	{{"switchover_unreadable", "primary", PGHA_ACT_CANCEL_SWITCHOVER,
	"a switchover request's scheduled_at cannot be read"}, pgha_rule_switchover_unreadable},
	{{"switchover", "primary", PGHA_ACT_SWITCHOVER,
	"a switchover to a streaming standby is due"}, pgha_rule_switchover},
	{{"switchover_refused", "primary", PGHA_ACT_CANCEL_SWITCHOVER,
	"a switchover is due, the candidate does not stream or lags"}, pgha_rule_switchover_refused},
	{{"renew", "primary", PGHA_ACT_RENEW,
	"the leader key names this node"}, pgha_rule_renew},
	{{"failsafe_probe_listed", "any", PGHA_ACT_PROBE,
	"no leader; failsafe_mode, the failsafe key does not list this node, its members not asked yet"}, pgha_rule_failsafe_probe_listed},
	{{"failsafe_hold", "primary", PGHA_ACT_NONE,
	"the leader key is free; failsafe_mode, and a leader pinged this node within the ttl or the key does not list it"}, pgha_rule_failsafe_hold},
	{{"acquire", "primary", PGHA_ACT_ACQUIRE,
	"the leader key is free"}, pgha_rule_acquire},
	{{"promote_holder", "standby", PGHA_ACT_PROMOTE,
	"the leader key names this node"}, pgha_rule_promote_holder},
	{{"diverged", "standby", PGHA_ACT_REJOIN,
	"the leader's timeline forked off ours before our position"}, pgha_rule_diverged},
	{{"follow", "standby", PGHA_ACT_FOLLOW,
	"the leader key names another member"}, pgha_rule_follow},
	/*
	 * before any way of taking a free key, a switchover candidate's too: a
	 * leader without etcd may still run (its peers' probes may not reach it)
	 */
	{{"failsafe_leader_alive", "standby", PGHA_ACT_NONE,
	"no leader; failsafe_mode, and the old leader pinged this node within the ttl"}, pgha_rule_failsafe_leader_alive},
	{{"failsafe_not_listed", "standby", PGHA_ACT_NONE,
	"no leader; failsafe_mode, and the failsafe key does not list this node"}, pgha_rule_failsafe_not_listed},
	{{"switchover_wait", "standby", PGHA_ACT_NONE,
	"no leader; a switchover to another member is in progress"}, pgha_rule_switchover_wait_other},
	/* a switchover candidate watches the old primary's shutdown closely */
	{{"switchover_probe", "standby", PGHA_ACT_PROBE,
	"no leader; this node is the switchover candidate, peers not asked yet"}, pgha_rule_need_probe_candidate, 50},
	{{"switchover_old_alive", "standby", PGHA_ACT_NONE,
	"no leader; candidate, the old primary still runs"}, pgha_rule_switchover_old_alive, 50},
	{{"switchover_incomplete", "standby", PGHA_ACT_NONE,
	"no leader; candidate, but short of the old leader's release position"}, pgha_rule_switchover_incomplete},
	{{"switchover_take", "standby", PGHA_ACT_RACE,
	"no leader; candidate, the old primary is down"}, pgha_rule_switchover_take},
	{{"not_candidate", "standby", PGHA_ACT_NONE,
	"no leader; tagged nofailover or failover_priority 0"}, pgha_rule_not_candidate},
	{{"not_synchronous", "standby", PGHA_ACT_NONE,
	"no leader; synchronous_mode, and the sync key does not name this node"}, pgha_rule_not_synchronous},
	{{"old_timeline", "standby", PGHA_ACT_NONE,
	"no leader; the cluster reached a newer timeline than this node's"}, pgha_rule_old_timeline},
	{{"too_far_behind", "standby", PGHA_ACT_NONE,
	"no leader; lag over maximum_lag_on_failover"}, pgha_rule_too_far_behind},
	{{"startup_wait", "standby", PGHA_ACT_NONE,
	"no leader since this node started; waiting up to ttl for the former primary"}, pgha_rule_startup_wait},
	{{"probe_peers", "standby", PGHA_ACT_PROBE,
	"no leader; peers not asked yet"}, pgha_rule_need_probe},
	{{"primary_alive", "standby", PGHA_ACT_NONE,
	"no leader; a probed member still runs as a primary"}, pgha_rule_primary_alive},
	{{"peer_better", "standby", PGHA_ACT_NONE,
	"no leader; a reachable standby is ahead or ranks higher"}, pgha_rule_peer_better},
	{{"quorum_short", "standby", PGHA_ACT_NONE,
	"no leader; quorum commit, and fewer than quorum + 1 of the sync key's members are known to be at or behind this node"}, pgha_rule_quorum_short},
	{{"race", "standby", PGHA_ACT_RACE,
	"no leader; this node is the best candidate"}, pgha_rule_race},
	{{"otherwise", "any", PGHA_ACT_NONE,
	"no rule matched"}, pgha_rule_otherwise},
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
		if (in->is_leader || in->sync_leader || !in->supervised)
		{
			d->action = PGHA_REQ_REFUSE;
			strlcpy(d->reason, in->is_leader ? "this node is the leader" :
					in->sync_leader ? "the sync key names this node as its leader: its WAL may hold commits no other member has" :
					"this server does not run under pghactl run", sizeof(d->reason));
			strlcpy(d->hint, in->is_leader ? "Switch over to another member first." :
					in->sync_leader ? "Wait until a new leader has taken the sync key over, or turn synchronous_mode off first." :
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
