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

/* Apply postgresql.parameters of config_json; may ERROR. */
extern void pgha_apply_parameters(const char *config_json, PghaApplyResult *out);

#endif							/* PGHA_APPLY_H */
