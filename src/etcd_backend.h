/*-------------------------------------------------------------------------
 *
 * etcd_backend.h
 *		Build the shared etcd client from this server's pgha.* settings.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/etcd_backend.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ETCD_BACKEND_H
#define PGHA_ETCD_BACKEND_H

#include "shared/etcd.h"
#include "datatype/timestamp.h"

/*
 * A client configured from pgha.etcd_* (allocated in CurrentMemoryContext).
 * Returns NULL with errbuf set when the settings are unusable (password
 * file unreadable, ...); never throws for configuration problems.
 */
extern PghaEtcd *pgha_etcd_from_settings(char *errbuf, size_t errlen);

/*
 * For SQL functions: a client or an ERROR; and an ERROR built from a
 * failed call, with a SQLSTATE by kind: etcd unreachable 08006, a reply
 * not understood 08P01, authentication 28000, refused 38000.
 */
extern PghaEtcd *pgha_etcd_from_settings_or_error(void);

/*
 * For SQL functions: this backend's client, kept between calls while the
 * settings (and the password file) stay the same, so that a session calling
 * pgha.config() in a loop does not make etcd do a TLS handshake and an
 * authentication each time.  Hand it back with pgha_etcd_session_end():
 * kept after a call that returned, dropped after one that failed.
 */
extern PghaEtcd *pgha_etcd_session(void);
extern void pgha_etcd_session_end(PghaEtcd *etcd, bool failed);
extern void pgha_etcd_report_error(PghaEtcd *etcd, const char *what) pg_attribute_noreturn();

/* this cluster (pgha.namespace, pgha.scope) as etcd holds it now, in one range; or an ERROR */
struct PghaCluster;
extern void pgha_etcd_read_cluster(PghaEtcd *etcd, struct PghaCluster *c);

/* a time as ISO 8601 in UTC, as Patroni writes scheduled_at (palloc'd) */
extern char *pgha_etcd_time(TimestampTz ts);
/* and back: an ISO 8601 time (any zone); false if it cannot be read */
extern bool pgha_etcd_parse_time(const char *text, TimestampTz *out);

#endif							/* PGHA_ETCD_BACKEND_H */
