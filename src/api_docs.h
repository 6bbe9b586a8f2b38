/*-------------------------------------------------------------------------
 *
 * api_docs.h
 *		The REST API's documents (api_docs.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_docs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_DOCS_H
#define PGHA_API_DOCS_H

#include <jansson.h>

#include "shared/api_rules.h"
#include "shmem.h"

/* this node's facts for the status rules, and its member record (or NULL) */
extern void pgha_api_node_facts(const PghaSharedState *st, PghaApiNode *n,
								const PghaSharedMember **me);
/* GET /patroni */
extern json_t *pgha_api_patroni_doc(const PghaSharedState *st, const PghaApiNode *n,
									const PghaSharedMember *me);
/* GET /metrics: Prometheus text */
extern char *pgha_api_metrics_body(const PghaSharedState *st, const PghaApiNode *n,
								   const PghaSharedMember *me);
/* GET /cluster */
extern json_t *pgha_api_cluster_doc(const PghaSharedState *st);
/* GET /history; *status the HTTP status */
extern json_t *pgha_api_history_doc(int *status);

#endif							/* PGHA_API_DOCS_H */
