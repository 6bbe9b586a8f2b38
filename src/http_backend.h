/*-------------------------------------------------------------------------
 *
 * http_backend.h
 *		The HTTP client's host in the server: latch-aware waits.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/http_backend.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_HTTP_BACKEND_H
#define PGHA_HTTP_BACKEND_H

/* from _PG_init: every process of this server waits the server's way */
extern void pgha_http_backend_init(void);

#endif							/* PGHA_HTTP_BACKEND_H */
