/*-------------------------------------------------------------------------
 *
 * config_int.h
 *		What the config key's parser (config.c) shares with the parser of
 *		its standby_cluster section (config_standby.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/config_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CONFIG_INT_H
#define PGHA_CONFIG_INT_H

#include <jansson.h>

#include "shared/cluster.h"

/* add a note (what was coerced, adjusted or is not implemented) */
extern void pgha_config_note(PghaConfigNotes *n, const char *fmt,...) pg_attribute_printf(2, 3);
/* the standby_cluster section into c */
extern void pgha_config_standby_parse(json_t *sc, PghaConfig *c, PghaConfigNotes *notes);

#endif							/* PGHA_CONFIG_INT_H */
