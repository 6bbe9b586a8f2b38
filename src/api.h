/*-------------------------------------------------------------------------
 *
 * api.h
 *		The REST API worker (Patroni's health endpoints).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_H
#define PGHA_API_H

#include "shared/cluster.h"

#define PGHA_API_VERSION PGHA_VERSION

/* _PG_init: register the "pgha api" worker unless pgha.api_listen is '' */
extern void pgha_api_register(void);

#endif							/* PGHA_API_H */
