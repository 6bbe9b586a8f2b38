/*-------------------------------------------------------------------------
 *
 * unit_promotion.c
 *		The promotion this node asked for, on record until it is over
 *		(shared/promotion.h): signalled once and again only after a while,
 *		withdrawn but kept until the startup process cannot have taken it,
 *		completed on the reserved timeline or another.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_promotion.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/promotion.h"
#include "unit.h"

void
unit_promotion_tests(void)
{
	PghaPromotion p;

	memset(&p, 0, sizeof(p));
	ok(!pgha_promotion_on_record(&p) && !pgha_promotion_pending(&p) && pgha_promotion_may_signal(&p, 1000),
	   "promotion: none on record: it may be signalled");
	pgha_promotion_asked(&p, 1000, 3);
	ok(pgha_promotion_on_record(&p) && pgha_promotion_pending(&p) && p.reserved_timeline == 3,
	   "promotion: asked: on record, pending, with the id it reserved");
	ok(!pgha_promotion_may_signal(&p, 1000 + PGHA_PROMOTION_RESIGNAL_MS - 1),
	   "promotion: not signalled again while it may still be under way");
	ok(pgha_promotion_may_signal(&p, 1000 + PGHA_PROMOTION_RESIGNAL_MS),
	   "promotion: signalled again after a while without a result (the DBA hears it hangs)");

	pgha_promotion_withdrawn(&p, 5000);
	ok(pgha_promotion_on_record(&p) && !pgha_promotion_pending(&p) && p.reserved_timeline == 3,
	   "withdrawn: still on record (the startup process may have taken it), no longer pending");
	ok(pgha_promotion_may_signal(&p, 5000), "withdrawn: a new win signals again at once");
	ok(!pgha_promotion_over(&p, false, false) && pgha_promotion_on_record(&p),
	   "withdrawn: not over before the startup process is seen waiting for WAL");
	ok(!pgha_promotion_over(&p, true, true) && pgha_promotion_on_record(&p),
	   "withdrawn: not over if the startup process recorded that it took it");
	ok(pgha_promotion_over(&p, true, false) && !pgha_promotion_on_record(&p),
	   "withdrawn: over once it waits for WAL without having taken it");
	pgha_promotion_asked(&p, 6000, 3);
	ok(!pgha_promotion_over(&p, true, false) && pgha_promotion_on_record(&p),
	   "pending: a promotion not withdrawn is never \"over\" by the wait (it ends by completing)");

	pgha_promotion_asked(&p, 7000, 3);
	ok(!pgha_promotion_completed(&p, 3) && !pgha_promotion_on_record(&p) && p.reserved_timeline == 0,
	   "completed: on the reserved id, off the record");
	pgha_promotion_asked(&p, 8000, 3);
	ok(pgha_promotion_completed(&p, 4) && !pgha_promotion_on_record(&p),
	   "completed: on another id than the reserved one: said (the DBA should know)");
	pgha_promotion_asked(&p, 9000, 0);
	ok(!pgha_promotion_completed(&p, 4), "completed: nothing reserved, nothing to say");
	pgha_promotion_asked(&p, 10000, 3);
	pgha_promotion_withdrawn(&p, 11000);
	ok(!pgha_promotion_completed(&p, 3) && !pgha_promotion_on_record(&p),
	   "completed after all, though withdrawn (the startup process took it first): off the record");
}
