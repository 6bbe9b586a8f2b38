/*-------------------------------------------------------------------------
 *
 * clock.h
 *		The monotonic clock pgha measures deadlines with.
 *
 * Lease deadlines must never move with the wall clock (NTP steps, an admin
 * setting the date), so every deadline in pgha is measured on a monotonic
 * clock, in microseconds.  Wall-clock time is for display only.
 *
 * On Linux that clock is CLOCK_BOOTTIME: CLOCK_MONOTONIC stops while the
 * machine is suspended, so a primary suspended past its lease would wake
 * up believing it still holds it, while etcd (on its own clock) has let
 * the lease expire and another node has been promoted.  Both clocks are
 * system-wide: the worker and the backends compare the same one.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/clock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CLOCK_H
#define PGHA_CLOCK_H

/*
 * Microseconds on that clock (clock.c).  Out of line, so that the
 * simulator (test/sim), which links this library, can run every node on a
 * simulated clock of its own by defining the function itself.
 */
extern int64 pgha_now_us(void);

/* milliseconds from now until due_us, rounded up, never negative */
static inline long
pgha_ms_until(int64 due_us)
{
	int64		d = due_us - pgha_now_us();

	return d <= 0 ? 0 : (long) ((d + 999) / 1000);
}

#endif							/* PGHA_CLOCK_H */
