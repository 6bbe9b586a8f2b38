/*-------------------------------------------------------------------------
 *
 * json_read.h
 *		Reading fields of JSON objects from etcd (shared/json_read.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/json_read.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_JSON_READ_H
#define PGHA_JSON_READ_H

#include <jansson.h>

/*
 * A number as Patroni reads one with Python's int(): a JSON integer, a
 * real (its integer part), or a string of an integer with blanks around it.
 */
extern bool pgha_json_int(json_t *v, int64 *out);
/* o's field name: an integer (*present false when absent or null) */
extern bool pgha_json_get_int(json_t *o, const char *name, int64 *out, bool *present,
							  char *errbuf, size_t errlen);
/* a boolean (false when absent or null) */
extern bool pgha_json_copy_bool(json_t *o, const char *name, bool *dst, char *errbuf, size_t errlen);
/* a string shorter than dstlen ("" when absent or null) */
extern bool pgha_json_copy_string(json_t *o, const char *name, char *dst, size_t dstlen,
								  char *errbuf, size_t errlen);
/* a WAL position: an integer, not negative (0 when absent or null) */
extern bool pgha_json_copy_lsn(json_t *o, const char *name, uint64 *dst, char *errbuf, size_t errlen);

#endif							/* PGHA_JSON_READ_H */
