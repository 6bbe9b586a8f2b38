/*-------------------------------------------------------------------------
 *
 * promotion.h
 *		The promotion this node asked for, on record from the request until
 *		it is over: when it was asked, whether it was withdrawn, and the
 *		timeline id it reserved.
 *
 * The record is written before pg_promote() is called (a successor worker
 * must know of a request its predecessor made), and it stays after a
 * withdrawal until the startup process cannot have taken the request any
 * more: a promotion on record keeps the node's timeline placeholders and
 * its fence window (proof.h).
 *
 * Pure: the keeper keeps a PghaPromotion between iterations (and, for a
 * successor worker, in shared memory) and does the I/O; unit cases feed
 * canned events.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/promotion.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_PROMOTION_H
#define PGHA_PROMOTION_H

/* a request is signalled again only after this long without a result */
#define PGHA_PROMOTION_RESIGNAL_MS 10000

typedef struct PghaPromotion
{
	int64		requested_ms;	/* 0: none on record */
	bool		withdrawn;		/* ... its request file removed by us */
	int			reserved_timeline;	/* ... the id it reserved (0 unknown) */
} PghaPromotion;

/* one is on record (asked for, maybe withdrawn, not yet over) */
static inline bool
pgha_promotion_on_record(const PghaPromotion *p)
{
	return p->requested_ms != 0;
}

/* one is asked for and not withdrawn */
static inline bool
pgha_promotion_pending(const PghaPromotion *p)
{
	return p->requested_ms != 0 && !p->withdrawn;
}

/* may the promotion be signalled now: none on record, or nothing happened for a while */
extern bool pgha_promotion_may_signal(const PghaPromotion *p, int64 now_ms);

/* asked for at now_ms, reserving target: on record before the signal */
extern void pgha_promotion_asked(PghaPromotion *p, int64 now_ms, int target);

/*
 * Withdrawn (its file removed).  The startup process may have seen the
 * file an instant before: it stays on record until pgha_promotion_over().
 * Dated far enough back that a new win signals again at once.
 */
extern void pgha_promotion_withdrawn(PghaPromotion *p, int64 now_ms);

/*
 * Is a withdrawn promotion over?  Once the startup process, seen waiting
 * for WAL after the withdrawal (startup_waits), has not recorded that it
 * took one (taken): either its last look found no request, or its next
 * will.  True: it is off the record now.
 */
extern bool pgha_promotion_over(PghaPromotion *p, bool startup_waits, bool taken);

/*
 * Recovery ended on timeline: off the record.  True if PostgreSQL took
 * another timeline id than the one reserved.
 */
extern bool pgha_promotion_completed(PghaPromotion *p, int timeline);

#endif							/* PGHA_PROMOTION_H */
