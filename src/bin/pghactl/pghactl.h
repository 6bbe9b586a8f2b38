/*-------------------------------------------------------------------------
 *
 * pghactl.h
 *		pghactl: what needs PostgreSQL stopped, and the cluster from outside.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/pghactl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHACTL_H
#define PGHACTL_H

#include "shared/cluster.h"
#include "shared/etcd.h"
#include "conf.h"

/* the exit code when etcd cannot be reached (pghactl --help lists them) */
#define EXIT_ETCD 3

/* the command line, parsed once for every command */
typedef struct PghactlOptions
{
	const char *format;			/* list: pretty, json */
	const char *candidate;		/* switchover, failover */
	const char *scheduled;		/* switchover */
	int			wait_s;			/* switchover, failover: how long to wait */
	bool		force;			/* do not ask */
	int			nset;			/* edit-config: -s key=value / -p name=value */
	char	  **set;
	bool	   *set_is_param;
	const char *nodes;			/* etcd-config */
	const char *token;
	const char *data_dir;		/* etcd-config: where members keep their data */
	const char *tls_dir;		/* etcd-config: certificates and keys */
	bool		insecure;		/* etcd-config: plain http on non-loopback addresses */
	int			failures;
	const char *member;			/* restart: the positional MEMBER */
	bool		pending;		/* restart: only if a restart is pending */
	const char *target;			/* flush: switchover or restart */
	const char *command;		/* query: the SQL */
	const char *dbname;			/* query */
	const char *username;		/* query */
	const char *host;			/* demote-cluster: the remote primary */
	int			port;
	const char *primary_slot_name;
	const char *restore_command;	/* demote-cluster: refused */
} PghactlOptions;

extern PghaEtcd *pghactl_etcd(const PghactlConf *conf);
/* the cluster prefix, read in one range; false (logged) on failure */
extern bool pghactl_snapshot(PghaEtcd *etcd, const PghactlConf *conf, PghaCluster *c);
/* member (or, NULL, the leader) with an address; NULL (logged, usage in the hint) if none */
extern PghaMember *pghactl_member_or_leader(PghaCluster *c, const char *member, const char *usage);
extern int	pghactl_run(PghactlConf *conf);
extern int	pghactl_reinit(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_detach(PghactlConf *conf);
/* info.c */
extern int	pghactl_version(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_dsn(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_flush(PghactlConf *conf, const PghactlOptions *o);
/* run.c: what replica.c and bootstrap.c share with the supervisor */
extern void pghactl_down_because(const char *fmt,...) pg_attribute_printf(1, 2);
extern int	pghactl_run_cmd(char *const argv[]);
/* while on, a stop does not interrupt what pghactl_run_cmd() runs (pg_rewind) */
extern void pghactl_run_to_end(bool on);
extern bool pghactl_run_capture(char *const argv[], char *out, size_t outlen);
extern char *pghactl_bin(const PghactlConf *c, const char *prog);
extern bool pghactl_has_pg_version(const char *datadir);
extern bool pghactl_has_control(const char *datadir);
extern bool pghactl_touch(const char *path);
extern bool pghactl_touch_durably(const char *path);
extern void pghactl_pause_ms(long ms);
extern bool pghactl_stopping(void);
extern const PghaMember *pghactl_leader_member(PghaCluster *cl);
extern void pghactl_refuse_sync_leader(const char *member);

/* the markers pghactl and the worker leave in a data directory */
#include "shared/datadir_files.h"

/* methods.c: Patroni's methods, commands in pgha.conf that fill a data directory */
extern const char *pghactl_method_option(const PghactlConf *c, const char *method,
										 const char *option);
extern bool pghactl_method_flag(const PghactlConf *c, const char *method, const char *option);
extern int	pghactl_method_run(const PghactlConf *c, const char *method, char **params,
							   int nparams, bool params_first);
extern bool pghactl_data_directory_empty(const PghactlConf *c);
extern bool pghactl_empty_data_directory(const PghactlConf *c);
/*
 * PGHA_FAILSAFE_PROMISE_FILE is this node's, never its source's: read
 * before a rewind or a copy replaces the directory's files ("" none), put
 * back after, whatever happened
 */
extern char *pghactl_read_promise(const PghactlConf *c);
extern bool pghactl_restore_promise(const PghactlConf *c, const char *text);

/* replica.c: a new replica, by create_replica_methods */
extern bool pghactl_create_replica(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl);
extern bool pghactl_create_standby_leader(const PghactlConf *c, PghaEtcd *etcd, PghaCluster *cl,
										  const PghaConfig *config);
extern bool pghactl_clear_slot(const PghactlConf *c);
/* a member's system identifier (IDENTIFY_SYSTEM); "" if it cannot be asked */
extern char *pghactl_sysid_of(const PghactlConf *c, const PghaMember *m);

/* prepare.c: the data directory made ready for the next start */
extern bool pghactl_prepare(const PghactlConf *c, PghaEtcd *etcd, bool *bootstrap_failed);

/* bootstrap.c: a new cluster from a backup (pghactl.bootstrap_method) */
extern bool pghactl_custom_bootstrap(const PghactlConf *c, PghaEtcd *etcd);
extern void pghactl_release_initialize(const PghactlConf *c, PghaEtcd *etcd);
extern bool pghactl_custom_bootstrap_resume(const PghactlConf *c, PghaEtcd *etcd);
extern bool pghactl_drop_recovery_targets(const PghactlConf *c);
/* pghactl run's exit status when a bootstrap failed: the unit does not restart it */
#define PGHACTL_EXIT_BOOTSTRAP_FAILED 4

/* status.c: the member record while the server is down */
extern void pghactl_status_down(PghaEtcd *etcd, const PghactlConf *conf, const char *state,
								const char *error);
extern void pghactl_status_tick(PghaEtcd *etcd, const PghactlConf *conf);
extern void pghactl_status_up(PghaEtcd *etcd);
/* callbacks.c: Patroni's callbacks, never waited for */
extern void pghactl_callback(const PghactlConf *conf, const char *action, bool primary);
extern void pghactl_callbacks_reap(void);
/* datadir.c: the files pghactl edits in a data directory, and its lock */
typedef bool (*PghactlKeepLine) (const char *line, void *ctx);
/* a text file's first MiB (malloc'd), NULL if it cannot be read */
extern char *pghactl_read_file(const char *path);
extern bool pghactl_rewrite_conf(const char *path, PghactlKeepLine keep, void *ctx,
								 const char *append);
extern bool pghactl_write_include(const PghactlConf *conf, bool add);
extern bool pghactl_drop_auto_settings(const PghactlConf *c, const char *prefix);
extern bool pghactl_has_include(const PghactlConf *conf);
extern pid_t pghactl_running_postmaster(const char *datadir);
extern int	pghactl_lock_data_directory(const PghactlConf *conf);
extern void pghactl_drop_placeholders(const PghactlConf *conf);
extern bool pghactl_record_timeline(const PghactlConf *conf, PghaEtcd *etcd, const PghaCluster *cl);

/* remote.c: running members, over libpq and their REST API */
extern bool pghactl_answers_as_primary(const char *conninfo);
extern PghaMember pghactl_standby_remote(const PghaConfig *config);
extern char *pghactl_conninfo(const PghactlConf *c, const PghaMember *m, const char *user,
							  const char *dbname, const char *appname);
extern int	pghactl_reload(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_query(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_remove(PghactlConf *conf, const PghactlOptions *o);

/* ctl.c: the cluster commands */
extern int	pghactl_list(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_history(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_topology(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_switchover(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_failover(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_show_config(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_edit_config(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_pause(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_resume(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_config_patch(PghactlConf *conf, PghaEtcd *etcd, const char *patch,
								 bool strict);
/* cluster_role.c */
extern int	pghactl_demote_cluster(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_promote_cluster(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_etcd_config(const PghactlOptions *o);
extern int	pghactl_restart(PghactlConf *conf, const PghactlOptions *o);
extern int	pghactl_reinit_remote(PghactlConf *conf, const PghactlOptions *o);
extern bool pghactl_confirm(const PghactlOptions *o, const char *question);

#endif
