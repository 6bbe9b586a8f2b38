/*-------------------------------------------------------------------------
 *
 * apply.h
 *		Apply the cluster-wide PostgreSQL parameters from etcd's config to
 *		this server.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_APPLY_H
#define PGHA_APPLY_H

typedef struct PghaApplyResult
{
	int			nset;			/* ALTER SYSTEM SET done */
	int			nreset;			/* ALTER SYSTEM RESET done */
	int			nskipped;		/* refused or invalid */
	bool		pending_restart;
	char		pending_reason[256];	/* JSON {param: {old_value, new_value}} */
} PghaApplyResult;

#include "shared/hot_standby.h"

/*
 * Apply postgresql.parameters of config_json; may ERROR.  floor: on a
 * standby, pg_control's values of the hot standby settings, which a value
 * written for them never goes below (zeros on a primary).  feedback:
 * hot_standby_feedback is on whatever the config says (copies of logical
 * slots need it, as Patroni enforces it).
 */
extern void pgha_apply_parameters(const char *config_json,
								  const int floor[PGHA_NHOT_STANDBY_PARAMS],
								  bool feedback, PghaApplyResult *out);

/*
 * The floor for pgha_apply_parameters(): pg_control's values on a standby,
 * zeros on a primary.  False (out untouched) if pg_control could not be
 * read whole (a concurrent write): try again later.
 */
extern bool pgha_apply_floor(int out[PGHA_NHOT_STANDBY_PARAMS]);

#endif							/* PGHA_APPLY_H */
