/*-------------------------------------------------------------------------
 *
 * conf.h
 *		pghactl's view of a node's pgha.conf.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/conf.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHACTL_CONF_H
#define PGHACTL_CONF_H

typedef struct PghactlConf
{
	char	   *path;			/* absolute path of the file */
	char	   *etcd_hosts;
	char	   *etcd_protocol;
	char	   *etcd_cacert;
	char	   *etcd_cert;
	char	   *etcd_key;
	char	   *etcd_user;
	char	   *etcd_password_file;
	char	   *namespace;
	char	   *scope;
	char	   *name;
	char	   *connect_address;	/* pgha.connect_address: host:port */
	char	   *replication_user;
	char	   *passfile;
	char	   *peer_options;	/* pgha.peer_options: how to secure peer connections */
	char	   *data_directory;	/* pghactl.data_directory */
	char	   *bin_dir;		/* pghactl.bin_dir */
	char	   *superuser;		/* pghactl.superuser: initdb, pg_rewind */
	char	   *initdb_options; /* pghactl.initdb_options: more initdb flags */
	char	   *bootstrap_sql;	/* pghactl.bootstrap_sql: run once after initdb */
	/* pghactl.on_start, on_stop, on_restart, on_role_change, on_reload (callbacks.c) */
	char	   *on_start;
	char	   *on_stop;
	char	   *on_restart;
	char	   *on_role_change;
	char	   *on_reload;
	/* the REST API, for pghactl reload: pgha.api_user, its password, the CA */
	char	   *api_user;
	char	   *api_password_file;
	char	   *api_cafile;
	/* pghactl.api_certfile/keyfile: pghactl's client certificate for it */
	char	   *api_client_cert;
	char	   *api_client_key;
	int			patroni_compat; /* pgha.patroni_compat: a primary's role spelling */
	/* pgha.nofailover, pgha.failover_priority (<= 0: this node never leads) */
	bool		nofailover;
	int			failover_priority;
	/* pghactl.create_replica_methods: Patroni's ordered list (methods.c) */
	char	   *create_replica_methods;
	/* pghactl.bootstrap_method: initdb, or a method that restores a backup */
	char	   *bootstrap_method;
	/* pghactl.remove_data_directory_on_rewind_failure: clone after a failed pg_rewind */
	bool		remove_data_directory_on_rewind_failure;
	/*
	 * pghactl.remove_data_directory_on_diverged_timelines: the same here.
	 * Patroni also clones at once, without pg_rewind, when pg_rewind cannot
	 * be used (no data checksums, no wal_log_hints, use_pg_rewind off);
	 * pghactl always tries pg_rewind, which then fails at once.
	 */
	bool		remove_data_directory_on_diverged_timelines;
	/* the other pghactl.* keys, in file order: the methods' options */
	int			nmethod_options;
	char	  **method_option_keys;
	char	  **method_option_values;
} PghactlConf;

/* on/off, true/false, yes/no, 1/0 (any case); false for anything else */
extern bool pghactl_conf_bool(const char *value);

/* read path (postgresql.conf syntax); false with a message on failure */
extern bool pghactl_conf_read(const char *path, PghactlConf *conf);

#endif
