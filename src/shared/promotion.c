/*-------------------------------------------------------------------------
 *
 * promotion.c
 *		The promotion this node asked for, on record (promotion.h).  Pure.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/promotion.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/promotion.h"

bool
pgha_promotion_may_signal(const PghaPromotion *p, int64 now_ms)
{
	return p->requested_ms == 0 || now_ms - p->requested_ms >= PGHA_PROMOTION_RESIGNAL_MS;
}

void
pgha_promotion_asked(PghaPromotion *p, int64 now_ms, int target)
{
	p->requested_ms = now_ms;
	p->withdrawn = false;
	p->reserved_timeline = target;
}

void
pgha_promotion_withdrawn(PghaPromotion *p, int64 now_ms)
{
	p->requested_ms = now_ms - PGHA_PROMOTION_RESIGNAL_MS;
	p->withdrawn = true;
}

bool
pgha_promotion_over(PghaPromotion *p, bool startup_waits, bool taken)
{
	if (p->requested_ms == 0 || !p->withdrawn || !startup_waits || taken)
		return false;
	p->requested_ms = 0;
	p->withdrawn = false;
	return true;
}

bool
pgha_promotion_completed(PghaPromotion *p, int timeline)
{
	bool		other = p->reserved_timeline != 0 && timeline != p->reserved_timeline;

	p->requested_ms = 0;
	p->withdrawn = false;
	p->reserved_timeline = 0;
	return other;
}
