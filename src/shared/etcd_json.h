/*-------------------------------------------------------------------------
 *
 * etcd_json.h
 *		etcd v3 JSON gateway protocol: request bodies and response parsers.
 *
 * No I/O here, so every parser can be fed canned (and hostile) JSON by the
 * unit tests.  Bodies are malloc'd strings (free()).  Parsers copy what
 * they need into palloc'd C structs and never keep a json_t; they return
 * false with a message on anything unexpected, never a misread value.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_json.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ETCD_JSON_H
#define PGHA_ETCD_JSON_H

#include <jansson.h>

/*
 * The postgres executable exports a SQL function named json_object(), and
 * the dynamic linker binds pgha.so's calls of jansson's json_object() to
 * it (a crash).  It is the only jansson symbol postgres also exports, and
 * libjansson's own calls are internal, so pgha never calls it by name:
 * json_pack("{}") builds an empty object inside libjansson instead.
 * "make test" checks that pgha.so has no undefined json_object.
 */
static inline json_t *
pgha_json_new_object(void)
{
	return json_pack("{}");
}
#define json_object() pgha_json_new_object()

#include "shared/etcd.h"

/* request bodies */
extern char *pgha_etcdj_range_body(const char *key, bool prefix);
extern char *pgha_etcdj_put_body(const char *key, const char *value, int64 lease);
extern char *pgha_etcdj_delete_body(const char *key, bool prefix);
extern char *pgha_etcdj_txn_body(const PghaEtcdTxn *txn);
extern char *pgha_etcdj_lease_grant_body(int64 ttl);
extern char *pgha_etcdj_lease_id_body(int64 id, bool keys);
extern char *pgha_etcdj_auth_body(const char *user, const char *password);
extern char *pgha_etcdj_watch_body(const char *key, bool prefix, int64 start_revision);

/* the range_end that selects every key starting with prefix */
extern char *pgha_etcdj_prefix_end(const char *prefix, size_t len, size_t *outlen);

/*
 * Parse a response body into a JSON object.  Returns NULL with errbuf set
 * when the body is not a JSON object.  The caller json_decref()s it.
 */
extern json_t *pgha_etcdj_load(const char *body, size_t len,
							   char *errbuf, size_t errlen);

/*
 * If root is an etcd error response (unary {"error":"...","code":N} or
 * stream {"error":{"grpc_code":N,"message":"..."}}), fill code and message
 * and return true.
 */
extern bool pgha_etcdj_error(json_t *root, int *code, char *msg, size_t msglen);

/* int64 fields arrive as strings; absent means 0 (proto3). */
extern bool pgha_etcdj_int64(json_t *obj, const char *name, int64 *out,
							 char *errbuf, size_t errlen);
extern bool pgha_etcdj_uint64(json_t *obj, const char *name, uint64 *out,
							  char *errbuf, size_t errlen);

extern bool pgha_etcdj_header(json_t *obj, PghaEtcdHeader *h,
							  char *errbuf, size_t errlen);
extern bool pgha_etcdj_range(json_t *obj, PghaEtcdRange *out,
							 char *errbuf, size_t errlen);
extern bool pgha_etcdj_txn(json_t *obj, PghaEtcdTxnResult *out,
						   char *errbuf, size_t errlen);
extern bool pgha_etcdj_status(json_t *obj, PghaEtcdStatus *out,
							  char *errbuf, size_t errlen);
extern bool pgha_etcdj_members(json_t *obj, PghaEtcdMember **members, int *n,
							   char *errbuf, size_t errlen);
/* one line of a watch stream; *code != 0 when the line is a stream error */
extern bool pgha_etcdj_watch_frame(const char *line, size_t len,
								   PghaEtcdWatchFrame *out, int *code,
								   char *errbuf, size_t errlen);

#endif							/* PGHA_ETCD_JSON_H */
