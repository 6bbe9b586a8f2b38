/*-------------------------------------------------------------------------
 *
 * etcd_int.h
 *		What etcd.c shares with etcd_watch.c, and no one else uses: the
 *		error state of a call, the token, the connect timeout.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ETCD_INT_H
#define PGHA_ETCD_INT_H

#include "shared/etcd.h"

/* record a failure (err, message); returns false for the caller to return */
extern bool pgha_etcd_fail(PghaEtcd *e, PghaEtcdErr err, const char *fmt,...) pg_attribute_printf(3, 4);

/* a call starts with no error */
extern void pgha_etcd_ok(PghaEtcd *e);

/* the connect part of a request's time limit */
extern long pgha_etcd_connect_timeout(PghaEtcd *e);

/* an answer that says the token is missing, invalid or expired */
extern bool pgha_etcd_auth_error(int code, const char *msg);

/* keep (a malloc'd copy of) token, NULL to forget it */
extern void pgha_etcd_set_token(PghaEtcd *e, const char *token);

/* POST /v3/auth/authenticate at endpoint idx; stores the token */
extern bool pgha_etcd_authenticate(PghaEtcd *e, int idx);

#endif							/* PGHA_ETCD_INT_H */
