/*-------------------------------------------------------------------------
 *
 * keys.h
 *		Patroni's etcd key layout, and syntax checks of names and addresses.
 *
 * Shared by the extension, pghactl and the unit tests (frontend and
 * backend).  Nothing here reports errors: functions return false and fill a
 * caller-supplied message buffer.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_KEYS_H
#define PGHA_KEYS_H

/* Keys below /<namespace>/<scope>/, Patroni's (docs/etcd.md lists them). */
#define PGHA_KEY_LEADER		"leader"
#define PGHA_KEY_MEMBERS	"members/"
#define PGHA_KEY_CONFIG		"config"
#define PGHA_KEY_INITIALIZE "initialize"
#define PGHA_KEY_HISTORY	"history"
#define PGHA_KEY_STATUS		"status"
#define PGHA_KEY_FAILOVER	"failover"
#define PGHA_KEY_SYNC		"sync"
#define PGHA_KEY_FAILSAFE	"failsafe"
/* pgha's own: a restart request for one member (pghactl restart) */
#define PGHA_KEY_RESTART	"restart/"
/* pgha's own: a reinit request for one member (pghactl reinit MEMBER) */
#define PGHA_KEY_REINIT		"reinit/"
/* pgha's own: the timeline id the newest promotion reserved (timeline.h) */
#define PGHA_KEY_TIMELINE	"timeline"

#define PGHA_MAX_ENDPOINTS	16

/* "/<namespace>/<scope>/" with exactly one slash between parts. */
extern char *pgha_key_prefix(const char *namespace, const char *scope);
/* prefix + suffix, e.g. pgha_key(prefix, PGHA_KEY_LEADER) */
extern char *pgha_key(const char *prefix, const char *suffix);
/* prefix + "members/" + name */
extern char *pgha_member_key(const char *prefix, const char *name);

extern bool pgha_namespace_valid(const char *ns, char *errbuf, size_t errlen);
extern bool pgha_name_valid(const char *name, char *errbuf, size_t errlen);
extern bool pgha_hostport_valid(const char *hostport, char *errbuf, size_t errlen);
extern bool pgha_etcd_hosts_valid(const char *hosts, char *errbuf, size_t errlen);
extern bool pgha_peer_options_valid(const char *options, char *errbuf, size_t errlen);

/*
 * Split a pgha.etcd_hosts value into base URLs ("http://127.0.0.1:2379").
 * Entries without a scheme get default_scheme.  Returns the number of URLs
 * (palloc'd), or -1 with errbuf filled.
 */
extern int	pgha_etcd_hosts_parse(const char *hosts, const char *default_scheme,
								  char **urls, int maxurls,
								  char *errbuf, size_t errlen);

#endif							/* PGHA_KEYS_H */
