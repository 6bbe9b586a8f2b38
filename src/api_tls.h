/*-------------------------------------------------------------------------
 *
 * api_tls.h
 *		The REST API's TLS (api_tls.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_tls.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_TLS_H
#define PGHA_API_TLS_H

#include <microhttpd.h>

/*
 * Read pgha.api_certfile, api_keyfile and api_cafile and check them: false
 * (logged) if unusable; no certificate file is plain HTTP (true)
 */
extern bool pgha_api_tls_load(void);
/* what was read goes (the key wiped) */
extern void pgha_api_tls_forget(void);
/* the PEM text read, NULL without TLS (or without a CA) */
extern const char *pgha_api_tls_cert(void);
extern const char *pgha_api_tls_key(void);
extern const char *pgha_api_tls_ca(void);
/* why a request on c is refused for its client certificate; NULL: it is not */
extern const char *pgha_api_tls_client_refusal(struct MHD_Connection *c, bool action);
/* the TLS settings and their files' identity, to see a change at a reload */
extern char *pgha_api_tls_signature(void);

#endif							/* PGHA_API_TLS_H */
