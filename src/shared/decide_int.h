/*-------------------------------------------------------------------------
 *
 * decide_int.h
 *		What the rule table (decide.c) and the rules' conditions
 *		(rules_*.c) share.
 *
 * Each condition is pure: it reads the input and, when it holds, fills the
 * decision's reason (and target).  Named after its rule: pgha_rule_NAME is
 * the condition of rule NAME, in the table's order in decide.c.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/decide_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_DECIDE_INT_H
#define PGHA_DECIDE_INT_H

#include "shared/decide.h"

/* this node runs as a primary, or as a standby (in recovery) */
#define P(in) (!(in)->local.in_recovery)
#define R(in) ((in)->local.in_recovery)

/* helpers (decide.c) */
extern bool pgha_decide_quorum_key(const PghaInput *in);
extern int64 pgha_decide_fence_after(const PghaInput *in);
extern bool pgha_decide_lease_expiring(const PghaInput *in);
extern int	pgha_decide_cluster_timeline(const PghaInput *in, const char **who);
extern uint64 pgha_decide_last_leader_lsn(const PghaInput *in);

/* the conditions (rules_primary.c, rules_bootstrap.c, rules_switchover.c, rules_failover.c) */
/* rules_failsafe.c */
extern bool pgha_failsafe_bars(const PghaInput *in, const char *name);
extern bool pgha_rule_failsafe_probe_listed(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_failsafe_hold(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_acquire(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_bootstrap(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_bootstrap_fenced(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_bootstrap_fenced_probe(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_demote_cluster(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_diverged(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_duplicate_name(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_failsafe(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_failsafe_leader_alive(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_failsafe_not_listed(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_fence_lease(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_fence_other(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_follow(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_need_probe(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_need_probe_candidate(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_no_etcd(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_not_candidate(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_not_synchronous(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_old_timeline(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_otherwise(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_paused(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_paused_acquire(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_paused_leader(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_peer_better(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_primary_alive(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_promote_holder(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_quorum_short(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_race(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_renew(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_stale_primary(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_standby_bootstrap(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_standby_leader(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_standby_wait_copy(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_startup_wait(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_incomplete(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_old_alive(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_refused(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_take(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_unreadable(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_switchover_wait_other(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_sysid_mismatch(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_too_far_behind(const PghaInput *in, PghaDecision *d);
extern bool pgha_rule_wait_bootstrap(const PghaInput *in, PghaDecision *d);

#endif							/* PGHA_DECIDE_INT_H */
