/*-------------------------------------------------------------------------
 *
 * lease_clock.c
 *		The leader's clock (lease_clock.h says how it runs).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/lease_clock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/decide.h"
#include "shared/lease_clock.h"

int
pgha_lease_ttl_now(const PghaLeaseClock *lc)
{
	int64		ttl = lc->config->ttl;

	if (lc->lease_ttl > 0)
		ttl = Min(ttl, lc->lease_ttl);
	if (lc->old_lease_ttl > 0)
		ttl = Min(ttl, lc->old_lease_ttl);
	return (int) ttl;
}

int64
pgha_lease_fence_after(const PghaLeaseClock *lc)
{
	return pgha_fence_window_ms(lc->config, pgha_lease_ttl_now(lc));
}

int64
pgha_lease_fence_deadline(const PghaLeaseClock *lc)
{
	int64		deadline = lc->last_renewal_ms + pgha_lease_fence_after(lc);

	int64		word = pgha_failsafe_window_ms(lc->config, pgha_lease_ttl_now(lc), lc->failsafe_ttl);

	/* never past what the members promised: the ttl they were told */
	if (lc->failsafe_confirmed_ms > 0 && word > 0)
		deadline = Max(deadline, lc->failsafe_confirmed_ms + word);
	return deadline;
}

int64
pgha_lease_gate(const PghaLeaseClock *lc, bool foreign, bool proven)
{
	if (foreign)
		return 0;
	if (!proven || pgha_config_standby_cluster(lc->config))
		return PGHA_GATE_UNPROVEN;
	return Max(pgha_lease_fence_deadline(lc), PGHA_GATE_UNPROVEN + 1);
}

/*
 * What a failsafe leader keeps from its etcd calls for asking the members
 * when they fail.  Without it, an etcd that hangs rather than refuses (a
 * frozen or cut-off member, one without a leader during an election) takes
 * every millisecond up to the fence, and no member is ever asked.
 */
static int64
failsafe_reserve(const PghaLeaseClock *lc)
{
	return lc->asks_members ? Min(1000, pgha_lease_fence_after(lc) / 4) : 0;
}

int64
pgha_lease_call_deadline(const PghaLeaseClock *lc, int64 renewal_ms)
{
	return Min(renewal_ms + pgha_lease_fence_after(lc), pgha_lease_fence_deadline(lc)) -
		failsafe_reserve(lc);
}

int
pgha_lease_call_timeout(const PghaLeaseClock *lc, bool leading, int64 now_ms,
						int nurls, int timeout_ms, int64 *deadline_ms)
{
	int64		budget = timeout_ms;

	*deadline_ms = 0;
	if (leading && !lc->config->pause)
	{
		int64		deadline = pgha_lease_fence_deadline(lc) - failsafe_reserve(lc);

		budget = Min(budget, Max((deadline - now_ms) / Max(nurls, 1), 100));
		*deadline_ms = deadline;
	}
	return (int) budget;
}

long
pgha_lease_next_wait(const PghaLeaseClock *lc, int64 now_ms, bool primary,
					 bool is_leader, bool etcd_ok, long override, int poll_ms)
{
	long		wait;

	if (primary)
		wait = (long) Min(pgha_renew_interval_ms(lc->config),
						  Max(pgha_lease_fence_deadline(lc) - now_ms, 10));
	else if (is_leader)
		wait = (long) pgha_renew_interval_ms(lc->config);
	else if (!etcd_ok)
		wait = 1000;
	else
		wait = (long) lc->config->loop_wait * 1000;
	if (override >= 0)
		wait = Min(wait, override);
	if (poll_ms > 0)
		wait = Min(wait, poll_ms);
	return wait;
}
