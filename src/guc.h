/*-------------------------------------------------------------------------
 *
 * guc.h
 *		pgha's local (per-node) settings.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_GUC_H
#define PGHA_GUC_H

/* etcd connection (PGC_SIGHUP) */
extern char *pgha_etcd_hosts;
extern char *pgha_etcd_protocol;
extern char *pgha_etcd_cacert;
extern char *pgha_etcd_cert;
extern char *pgha_etcd_key;
extern char *pgha_etcd_user;
extern char *pgha_etcd_password_file;
extern int	pgha_etcd_timeout;
extern int	pgha_etcd_health_interval;

/* node identity (PGC_POSTMASTER) */
extern char *pgha_namespace;
extern char *pgha_scope;
extern char *pgha_name;
extern char *pgha_connect_address;
extern char *pgha_database;
extern char *pgha_replication_user;
extern char *pgha_passfile;
extern char *pgha_peer_options;
extern char *pgha_api_listen;
extern char *pgha_api_connect_address;
/* who may run REST actions, and TLS for the API (PGC_SIGHUP) */
extern char *pgha_api_user;
extern char *pgha_api_password_file;
extern char *pgha_api_certfile;
extern char *pgha_api_keyfile;
extern char *pgha_api_cafile;
typedef enum PghaVerifyClient
{
	PGHA_VERIFY_CLIENT_NONE,
	PGHA_VERIFY_CLIENT_OPTIONAL,	/* actions need a valid certificate; GETs one if sent */
	PGHA_VERIFY_CLIENT_REQUIRED /* every request needs a valid certificate */
} PghaVerifyClient;
extern int	pgha_api_verify_client;

/* tags (PGC_SIGHUP) */
extern bool pgha_nofailover;
extern int	pgha_failover_priority;
extern bool pgha_noloadbalance;
extern bool pgha_clonefrom;
extern bool pgha_nosync;
extern int	pgha_sync_priority;
extern char *pgha_replicatefrom;
extern bool pgha_nostream;
extern int	pgha_patroni_compat;

extern int	pgha_debug_config_delay;

extern void pgha_guc_define(void);
extern const char *pgha_node_name(void);
extern const char *pgha_primary_role(void);

#endif							/* PGHA_GUC_H */
