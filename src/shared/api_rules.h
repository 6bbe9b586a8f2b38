/*-------------------------------------------------------------------------
 *
 * api_rules.h
 *		The status code of each health endpoint of the REST API, Patroni's
 *		semantics: 200 when the node is what the path asks for, else 503.
 *
 * Pure (the unit tests feed it any situation); src/api.c serves it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/api_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_RULES_H
#define PGHA_API_RULES_H

typedef struct PghaApiNode
{
	bool		running;		/* PostgreSQL accepts connections */
	bool		worker_alive;	/* the HA worker decided within the ttl */
	bool		in_recovery;	/* a standby */
	bool		is_leader;		/* holds the leader key */
	bool		sync_standby;	/* named in the sync key */
	bool		quorum_standby;	/* named in the sync key, quorum mode */
	int64		lag;			/* bytes behind the leader; -1 unknown */
	const char *tags;			/* the member's tags, JSON object (noloadbalance, ...) */
} PghaApiNode;

typedef struct PghaApiArg
{
	const char *key;
	const char *value;
} PghaApiArg;

/* 200, 503, or 404 for an unknown path; 400 for a bad ?lag= */
extern int	pgha_api_status(const char *path, const PghaApiArg *args, int nargs,
							const PghaApiNode *n);

/* "1048576", "16MB", "1 GB", "512kB" -> bytes; -1 if it is none of these */
extern int64 pgha_api_parse_bytes(const char *text);

/* who may run a REST action (HTTP basic authentication) */
typedef enum PghaApiAuth
{
	PGHA_API_AUTH_OK,
	PGHA_API_AUTH_OFF,			/* no user and password configured: actions are off */
	PGHA_API_AUTH_MISSING,		/* the request has no credentials */
	PGHA_API_AUTH_WRONG			/* wrong user or password */
} PghaApiAuth;

/*
 * Compare the request's user and password (NULL: none sent) with the
 * configured ones (NULL or "": none), in time that does not depend on
 * where they differ.
 */
extern PghaApiAuth pgha_api_authenticate(const char *want_user, const char *want_password,
										 const char *user, const char *password);

#endif							/* PGHA_API_RULES_H */
