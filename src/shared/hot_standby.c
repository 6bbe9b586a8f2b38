/*-------------------------------------------------------------------------
 *
 * hot_standby.c
 *		The settings a hot standby must have at least as high as its
 *		primary (hot_standby.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/hot_standby.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <limits.h>

#include "shared/hot_standby.h"

const char *const pgha_hot_standby_params[PGHA_NHOT_STANDBY_PARAMS] = {
	"max_connections",
	"max_worker_processes",
	"max_wal_senders",
	"max_prepared_transactions",
	"max_locks_per_transaction",
};

int
pgha_hot_standby_param(const char *name)
{
	int			i;

	for (i = 0; i < PGHA_NHOT_STANDBY_PARAMS; i++)
		if (pg_strcasecmp(name, pgha_hot_standby_params[i]) == 0)
			return i;
	return -1;
}

void
pgha_control_params(const ControlFileData *cf, int out[PGHA_NHOT_STANDBY_PARAMS])
{
	out[0] = cf->MaxConnections;
	out[1] = cf->max_worker_processes;
	out[2] = cf->max_wal_senders;
	out[3] = cf->max_prepared_xacts;
	out[4] = cf->max_locks_per_xact;
}

int
pgha_hot_standby_value(const char *configured, int control)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(configured, &end, 10);
	while (*end == ' ')
		end++;
	if (end == configured || *end != '\0' || errno != 0 || v < 0 || v > INT_MAX)
		return -1;
	return (int) Max(v, (long) control);
}
