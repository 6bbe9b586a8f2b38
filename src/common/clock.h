/*-------------------------------------------------------------------------
 *
 * clock.h
 *		The monotonic clock pgha measures deadlines with.
 *
 * Lease deadlines must never move with the wall clock (NTP steps, an admin
 * setting the date), so every deadline in pgha is CLOCK_MONOTONIC
 * microseconds.  Wall-clock time is for display only.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/clock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CLOCK_H
#define PGHA_CLOCK_H

#include <time.h>

static inline int64
pgha_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* milliseconds from now until due_us, rounded up, never negative */
static inline long
pgha_ms_until(int64 due_us)
{
	int64		d = due_us - pgha_now_us();

	return d <= 0 ? 0 : (long) ((d + 999) / 1000);
}

#endif							/* PGHA_CLOCK_H */
