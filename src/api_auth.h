/*-------------------------------------------------------------------------
 *
 * api_auth.h
 *		Who asks the REST API (api_auth.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_auth.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_AUTH_H
#define PGHA_API_AUTH_H

#include <microhttpd.h>

#include "shared/api_rules.h"

/* the client's address, for the log ("?" if unknown) */
extern const char *pgha_api_client_address(struct MHD_Connection *c);
/* the request's credentials against pgha.api_user and its password file */
extern PghaApiAuth pgha_api_check_credentials(struct MHD_Connection *c);
/* a refused request, logged (the first ten each second) */
extern void pgha_api_log_refusal(struct MHD_Connection *c, const char *method, const char *url,
								 const char *why);

#endif							/* PGHA_API_AUTH_H */
