/*-------------------------------------------------------------------------
 *
 * clock.c
 *		The monotonic clock (clock.h says which, and why).
 *
 * Alone in its file: the simulator defines pgha_now_us() itself, and the
 * linker then never takes this member out of the library.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/clock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <time.h>

#include "shared/clock.h"

int64
pgha_now_us(void)
{
	struct timespec ts;

#ifdef CLOCK_BOOTTIME
	clock_gettime(CLOCK_BOOTTIME, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (int64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
