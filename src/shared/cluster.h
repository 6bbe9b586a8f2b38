/*-------------------------------------------------------------------------
 *
 * cluster.h
 *		The cluster as etcd holds it: dynamic config, member records, and
 *		the parsed snapshot of the whole key prefix.  JSON <-> C structs.
 *
 * Shared by the extension, pghactl and the unit tests.  Field names are
 * Patroni's (docs/etcd.md) so patronictl and friends read
 * what pgha writes.  Nothing here reports errors; values read from etcd
 * are untrusted (another client may write anything) and are checked.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/cluster.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CLUSTER_H
#define PGHA_CLUSTER_H

#include "shared/etcd.h"

/* pgha's version, as the member key and GET /patroni say it ("pgha-1.0") */
#define PGHA_VERSION "1.0"
#define PGHA_NAME_LEN 64
#define PGHA_HOST_LEN 256

/* ---- dynamic configuration (the "config" key) ---- */

/* defaults: faster than Patroni's 30/10/10, still safe on a busy host */
#define PGHA_DEFAULT_TTL			10
#define PGHA_DEFAULT_LOOP_WAIT		2
#define PGHA_DEFAULT_RETRY_TIMEOUT	4
#define PGHA_DEFAULT_MAX_LAG		1048576
#define PGHA_DEFAULT_MEMBER_SLOTS_TTL 1800	/* Patroni 4's 30min */
/*
 * the least Patroni's rule loop_wait + 2 * retry_timeout <= ttl allows with
 * both at their minimum of 1 s; the fence still comes 1 s before etcd can
 * let the key go (pgha_fence_after_ms())
 */
#define PGHA_MIN_TTL				3
#define PGHA_MAX_TTL				3600
/* most synchronous standbys pgha manages */
#define PGHA_MAX_SYNC				8

/*
 * A permanent replication slot of the config's "slots" (Patroni's format):
 * {"name": {"type": "physical"}} or {"type": "logical", "database",
 * "plugin"}.  The leader keeps it; physical ones also exist, advanced, on
 * every replica (docs/ha.md, "Permanent slots").
 */
#define PGHA_MAX_PERMANENT_SLOTS 32
typedef struct PghaPermanentSlot
{
	char		name[PGHA_NAME_LEN];
	bool		logical;
	char		database[PGHA_NAME_LEN];
	char		plugin[PGHA_NAME_LEN];
} PghaPermanentSlot;

/* an "ignore_slots" entry: slots pgha never touches ("" matches any) */
typedef struct PghaIgnoreSlot
{
	char		name[PGHA_NAME_LEN];
	char		type[16];
	char		database[PGHA_NAME_LEN];
	char		plugin[PGHA_NAME_LEN];
} PghaIgnoreSlot;

typedef struct PghaConfig
{
	int			ttl;			/* seconds: leader lease */
	int			loop_wait;		/* seconds: replica loop period */
	int			retry_timeout;	/* seconds */
	int64		maximum_lag_on_failover;	/* bytes */
	bool		pause;
	/* Patroni's synchronous replication settings */
	bool		synchronous_mode;	/* only synchronous standbys may be promoted */
	bool		synchronous_mode_strict;	/* no synchronous standby: commits wait */
	int			synchronous_node_count;	/* how many synchronous standbys */
	bool		failsafe_mode;	/* without etcd, a leader all members vouch for stays */
	int			member_slots_ttl;	/* seconds: a departed member's slot is kept this long */
	/*
	 * synchronous_mode "quorum": commits wait for ANY n of the standbys,
	 * and the sync key says how many of them a candidate must see
	 * (shared/quorum.h)
	 */
	bool		quorum;
	/* bytes: a standby further behind is not synchronous; <= 0: no limit */
	int64		maximum_lag_on_syncnode;
	/*
	 * A standby_cluster section: the leader is a standby leader that
	 * replicates from standby_host:standby_port (through standby_slot, ""
	 * none), the others follow it.  A section pgha cannot follow (no host)
	 * sets pause.
	 */
	bool		standby_cluster;
	/*
	 * No host, a restore_command: the standby leader replays the archive,
	 * through the restore_command of each node's own configuration (pgha
	 * runs no command from etcd)
	 */
	bool		standby_archive;
	char		standby_host[PGHA_HOST_LEN];
	int			standby_port;
	char		standby_slot[PGHA_NAME_LEN];
	/*
	 * create_replica_methods: how pghactl run makes the standby leader of
	 * a new standby cluster, names joined by ","; "" basebackup.  Each
	 * method's command is the node's own (pghactl.METHOD_command).
	 */
	char		standby_methods[256];
	/*
	 * recovery_min_apply_delay of the standby leader (a setting, not a
	 * command: taken from etcd), as PostgreSQL reads it; "" none
	 */
	char		standby_apply_delay[32];
	int			nslots;			/* "slots": permanent slots */
	PghaPermanentSlot slots[PGHA_MAX_PERMANENT_SLOTS];
	int			nignore;		/* "ignore_slots" */
	PghaIgnoreSlot ignore[PGHA_MAX_PERMANENT_SLOTS];
	int64		mod_revision;	/* of the config key; 0: defaults */
} PghaConfig;

extern void pgha_config_defaults(PghaConfig *c);

/*
 * A standby cluster pgha follows: the section names a host, or only a
 * restore_command (the archive).  (One with neither only pauses;
 * standby_cluster alone says a section is there.)
 */
extern bool pgha_config_standby_cluster(const PghaConfig *c);
/* what its standby leader follows, for messages: "host:port", or the archive */
extern const char *pgha_config_standby_source(const PghaConfig *c);

/* text from etcd fit for a log line and a text column (in place) */
extern void pgha_text_tidy(char *s);

/* what reading a config as Patroni reads it took (pgha_config_parse) */
typedef struct PghaConfigNotes
{
	/* the first value out of range, in the words of a refusal: writers refuse it */
	char		adjusted[256];
	/* every value coerced or adjusted and every key pgha does not implement, "; " between */
	char		text[1024];
} PghaConfigNotes;

/*
 * Parse the config key's JSON over the defaults, as Patroni reads it:
 * numbers and switches also as strings (coerced), a maximum_lag_on_failover
 * that is no number as the default (as Patroni 4 reads "1MB"), out-of-range
 * timings adjusted (pgha's minimums,
 * then Patroni's rule loop_wait + 2 * retry_timeout <= ttl: loop_wait
 * first).  What pgha cannot honour safely (a standby_cluster section
 * without a host) turns automatic failover off, as a pause does.  Unknown keys are kept in etcd and noted.  notes (may be NULL) says
 * what was coerced, adjusted or is not implemented.  Errors: what Patroni
 * cannot read either (not an object, "ttl": "soon"), and a switch it would
 * take for off ("pause": "maybe"): a typo must never lift a pause.
 */
extern bool pgha_config_parse(const char *json, size_t len, PghaConfig *c,
							  PghaConfigNotes *notes, char *errbuf, size_t errlen);
extern bool pgha_config_validate(const PghaConfig *c, char *errbuf, size_t errlen);
/*
 * Apply a JSON merge patch (RFC 7386: objects merge, null deletes) to a
 * config document.  Returns malloc'd JSON, or NULL with errbuf set.
 */
extern char *pgha_config_merge(const char *config, const char *patch,
							   char *errbuf, size_t errlen);

/* postgresql.parameters of a config document: names and values as text */
typedef struct PghaParam
{
	char	   *name;
	char	   *value;
} PghaParam;
extern bool pgha_config_parameters(const char *config, PghaParam **params, int *nparams,
								   char *errbuf, size_t errlen);

/*
 * postgresql.pg_hba of a config document: *present says whether the key
 * exists (pgha manages pg_hba.conf only then).  Lines are palloc'd.
 */
/*
 * For readers who are not superusers (pg_monitor): a pg_hba line with the
 * values of its secret options (ldapbindpasswd, radiussecrets) replaced by
 * "********" (palloc'd); and a config document with its pg_hba lines so
 * masked and, when mask_parameters, every postgresql.parameters value too
 * (malloc'd; NULL if the document is not JSON).
 */
extern char *pgha_hba_mask_secrets(const char *line);
/* a message about a pg_hba line, with the line's password values masked */
extern char *pgha_hba_mask_in_text(const char *line, const char *text);
extern char *pgha_config_redact(const char *config, bool mask_parameters);

extern bool pgha_config_hba(const char *config, bool *present, char ***lines, int *nlines,
							char *errbuf, size_t errlen);

/*
 * Parameters pgha never sets cluster-wide: node identity and addresses,
 * replication wiring pgha manages itself, file locations, and the preload
 * list pgha lives in.  Returns the reason, or NULL when allowed.
 */
extern const char *pgha_parameter_refused(const char *name);

/* JSON for a new cluster's config key (malloc'd) */
extern char *pgha_config_to_json(const PghaConfig *c);

/* the leader's timing, derived from the config (milliseconds) */
extern int64 pgha_fence_after_ms(const PghaConfig *c);
extern int64 pgha_renew_interval_ms(const PghaConfig *c);

/* ---- member records (the "members/<name>" keys) ---- */

/* a down member's reason: the server's FATAL message and its DETAIL */
#define PGHA_ERROR_LEN 512

typedef struct PghaMember
{
	char		name[PGHA_NAME_LEN];
	char		conn_url[PGHA_HOST_LEN + 32];
	char		api_url[PGHA_HOST_LEN + 32];	/* http://host:port/patroni, "" none */
	char		host[PGHA_HOST_LEN];	/* parsed from conn_url */
	int			port;
	char		state[32];		/* running, starting, stopped, ... */
	char		role[32];		/* primary, replica */
	char		replication_state[32];	/* streaming, in archive recovery */
	int			timeline;
	uint64		xlog_location;	/* primary: flush LSN; replica: max(receive, replay) */
	uint64		receive_lsn;
	uint64		replay_lsn;
	bool		nofailover;
	int			failover_priority;
	bool		noloadbalance;
	bool		clonefrom;
	bool		nosync;
	int			sync_priority;	/* Patroni 4: higher is synchronous first; <= 0 never */
	char		replicatefrom[PGHA_NAME_LEN];	/* stream from this member (shared/upstream.h) */
	bool		nostream;		/* stream from nobody: replay the archive only */
	bool		pending_restart;
	char		pending_restart_reason[256];	/* JSON, Patroni 4.1 shape */
	char		version[32];	/* the agent's: "pgha-1.0", Patroni's "3.0.2" */
	char		sysid[24];		/* pgha extra: the node's system identifier */
	int64		config_revision;	/* pgha extra: config mod_revision applied */
	int64		started_ms;		/* pgha extra: postmaster start, Unix ms */
	bool		supervised;		/* pgha extra: runs under pghactl run */
	/*
	 * pgha extra: which instance wrote the record (host and data
	 * directory, see keeper/members.c); a copy of the data directory elsewhere is
	 * another instance, even under the same member name.  "" unknown.
	 */
	char		instance[PGHA_HOST_LEN];
	/*
	 * pgha extra: written by pghactl run while the node's PostgreSQL is not
	 * running (its worker writes the record otherwise), with why: the
	 * server's last FATAL message, or what pghactl waits for.
	 */
	bool		down;
	char		error[PGHA_ERROR_LEN];
	int64		lease;			/* the lease the member key sits on (from the range) */
	/*
	 * a pending "restart/<name>" request (pghactl restart, POST /restart)
	 * and its conditions (shared/switchover.h); the member's worker
	 * publishes a scheduled one as Patroni's "scheduled_restart"
	 */
	bool		restart_requested;
	bool		restart_pending_only;
	char		restart_schedule[64];	/* ISO 8601, not before; "" now */
	char		restart_role[16];	/* "" any */
	char		restart_postgres_version[16];	/* only below it; "" any */
	int64		restart_mod_revision;
	/* a pending "reinit/<name>" request (pghactl reinit MEMBER) */
	bool		reinit_requested;
	int64		reinit_mod_revision;
	bool		foreign;		/* its sysid differs from initialize: not ours */
} PghaMember;

/* the member's tags that differ from the defaults, as a JSON object (jansson) */
struct json_t;
extern struct json_t *pgha_member_tags(const PghaMember *m);
/* the same as text, '{"nofailover": true}' (malloc'd; NULL: out of memory) */
extern char *pgha_member_tags_text(const PghaMember *m);

/* JSON for a member key (malloc'd) */
extern char *pgha_member_to_json(const PghaMember *m);

/* this node's member record as last put */
typedef struct PghaMemberPut
{
	char	   *json;			/* the record (malloc'd); NULL none yet */
	int64		lease;			/* ... on this lease */
	bool		published;		/* this worker has written its member record */
	int64		put_ms;			/* ... at this time */
} PghaMemberPut;

/*
 * Must the record json be put now, on lease?  was: the member key this
 * iteration's read shows under our name (NULL: none).  Like Patroni, not
 * when nothing changed: the lease keepalive keeps the key alive.  Again
 * when the read shows it gone (removed behind our back), and every 30 s
 * while the read shows it on a lease of another instance under our name
 * (rule duplicate_name says so; both keep writing, slowly).  Every 30 s
 * regardless cost etcd a write per member per 30 s for nothing.
 */
extern bool pgha_member_put_due(const PghaMemberPut *last, const char *json, int64 lease,
								const PghaMember *was, int64 now_ms);

/* json (malloc'd, now last's) was put on lease at now_ms */
extern void pgha_member_put_done(PghaMemberPut *last, char *json, int64 lease, int64 now_ms);
/*
 * The members under prefix (a range of the members/ keys) that have not
 * applied config revision rev: "node2 (revision 7), node3 (revision 6)",
 * "" when none; palloc'd.  Nodes of another cluster apply nothing and are
 * not listed.
 */
extern char *pgha_members_behind(const char *prefix, const PghaEtcdRange *r, int64 rev);
extern bool pgha_member_from_json(const char *name, const char *json, size_t len,
								  PghaMember *m, char *errbuf, size_t errlen);

/* "postgres://host:port/db" -> host, port; strict (no options, no user) */
extern bool pgha_conn_url_parse(const char *url, char *host, size_t hostlen,
								int *port, char *errbuf, size_t errlen);

/* a member's physical replication slot name: lower case, [a-z0-9_] */
extern void pgha_slot_name(const char *member, char *slot, size_t len);

/* ---- the snapshot of the whole prefix ---- */

/* a permanent slot in the leader's status key */
typedef struct PghaSlotPosition
{
	char		name[PGHA_NAME_LEN];
	uint64		lsn;			/* "slots": its position */
	/* pgha_logical: a logical slot's other values (0: none) */
	uint64		restart;
	uint32		catalog_xmin;
	bool		two_phase;
	bool		invalid;		/* the leader's slot reserves no WAL */
} PghaSlotPosition;

typedef struct PghaCluster
{
	int64		revision;		/* etcd revision of the read */

	bool		has_initialize;
	char		initialize[32]; /* system identifier, as text */

	bool		has_leader;
	char		leader[PGHA_NAME_LEN];
	int64		leader_lease;
	int64		leader_mod_revision;

	bool		has_config;
	PghaConfig	config;			/* defaults when absent or invalid */
	char	   *config_json;	/* the raw config document, NULL if absent */
	char		config_error[256];	/* why the stored config was refused */
	PghaConfigNotes config_notes;	/* how the stored config was read */

	bool		has_status;
	uint64		optime;			/* leader's last published LSN */
	/* status.slots: the leader's permanent slots' positions, by whom, on which timeline */
	char		status_leader[PGHA_NAME_LEN];	/* pgha_leader; "" a writer that does not say */
	int64		status_mod_revision;	/* when it was written */
	int			status_timeline;	/* pgha_timeline; 0 unknown */
	int			nslot_positions;
	PghaSlotPosition *slot_positions;
	/* pgha_feedback: the catalog_xmin each member slot holds on the leader */
	int			nfeedback;
	char		(*feedback_slots)[PGHA_NAME_LEN];
	uint32	   *feedback_xmin;
	int			nretain;		/* status.retain_slots: members whose slots the leader keeps */
	char		(*retain)[PGHA_NAME_LEN];

	bool		has_history;
	char	   *history;		/* raw JSON list */
	int			history_timeline;	/* the timeline after its last entry; 0 none */

	/* a requested switchover (Patroni's failover key) */
	bool		has_failover;
	char		failover_leader[PGHA_NAME_LEN];	/* "" any */
	char		failover_member[PGHA_NAME_LEN];	/* the candidate */
	char		failover_scheduled_at[64];	/* ISO 8601, "" now */
	char		failover_requested_at[64];	/* pgha: when it was asked for */
	uint64		failover_release_lsn;	/* pgha: leader's flush LSN when it let go */
	int64		failover_mod_revision;

	/* pgha's timeline key: the id a promotion reserved (timeline.h) */
	bool		has_reservation;
	int			reserved_timeline;
	char		reserved_by[PGHA_NAME_LEN];
	int64		reservation_mod_revision;	/* 0: no key at all */

	/*
	 * Patroni's sync key: the leader's confirmed synchronous standbys; in
	 * quorum mode the voters, of whom (with the leader) a candidate must
	 * see sync_quorum + 1 at or behind its position (shared/quorum.h)
	 */
	bool		has_sync;
	char		sync_leader[PGHA_NAME_LEN];
	int			nsync;
	char		sync_standby[PGHA_MAX_SYNC][PGHA_NAME_LEN];
	int			sync_quorum;
	int64		sync_mod_revision;

	/*
	 * Patroni's failsafe key, {member: url}: the members that must vouch
	 * for a leader that lost etcd (failsafe_mode); no other member races.
	 */
	bool		has_failsafe;
	int			nfailsafe;
	char		(*failsafe)[PGHA_NAME_LEN];

	int			nmembers;
	PghaMember *members;
	int			nbad_members;	/* member keys that failed to parse */
	char		member_error[256];
} PghaCluster;

/* who this node is, for pgha_name_conflict() */
typedef struct PghaSelf
{
	const char *name;			/* pgha.name */
	const char *instance;		/* host and data directory (keeper/members.c) */
	const char *conn_url;		/* the conn_url this node publishes */
	int64		lease;			/* the leases its worker holds; 0 none */
	int64		old_lease;
	/*
	 * May a record without pgha's instance field be this node's?  Only
	 * before its worker published a record of its own: after that, one
	 * without the field was written since by another agent still running
	 * under this name (a Patroni not stopped), which would put the keys
	 * back on its lease at every loop.
	 */
	bool		adopt_unmarked;
	int			timeline;		/* this server's timeline; 0 unknown */
	uint64		lsn;			/* its WAL position; 0 unknown */
} PghaSelf;

/*
 * The lease of a key named after this node that belongs to another running
 * instance under the same name; 0 when every such key is this node's own.
 */
extern int64 pgha_name_conflict(const PghaCluster *c, const PghaSelf *self);

extern bool pgha_cluster_from_range(const char *prefix, const PghaEtcdRange *r,
									PghaCluster *c, char *errbuf, size_t errlen);
extern PghaMember *pgha_cluster_member(PghaCluster *c, const char *name);
extern void pgha_cluster_parse_sync(const PghaEtcdKV *kv, PghaCluster *c);
/*
 * The leader's member record, only if it sits on the leader key's lease
 * (every member writes its keys on its own lease): a record written by hand
 * or left from another run is not the leader's.  NULL otherwise.
 */
extern const PghaMember *pgha_cluster_leader_record(PghaCluster *c);
/* does the failsafe key list this member? */
extern bool pgha_cluster_in_failsafe(const PghaCluster *c, const char *name);
/*
 * Does the failsafe key bar the members it does not list from racing?  Only
 * when it lists some, as Patroni reads it: an empty key lists no leader
 * either, and a leader its key does not list gets no failsafe
 */
extern bool pgha_cluster_failsafe_binds(const PghaCluster *c);
/*
 * The failsafe key this cluster's members make: every member of this
 * cluster, with its REST API URL (Patroni's shape) or else its conn_url
 * (malloc'd).
 */
extern char *pgha_failsafe_to_json(const PghaCluster *c);
/* does pgha_failsafe_to_json() list this member? */
extern bool pgha_failsafe_lists(const PghaMember *m);
/* does the failsafe key list exactly the members pgha_failsafe_to_json() would? */
extern bool pgha_failsafe_current(const PghaCluster *c);
/* after a put of pgha_failsafe_to_json(c): c's failsafe list is what the key now holds */
extern void pgha_failsafe_set_written(PghaCluster *c);

/* a member's role and state as patronictl list shows them */
extern const char *pgha_member_role(const PghaCluster *c, const PghaMember *m);
extern const char *pgha_member_state(const PghaCluster *c, const PghaMember *m);

/* the leader's last known WAL position: its status or its record, the newer (0 unknown) */
extern uint64 pgha_cluster_position(const PghaCluster *c);

/*
 * How far lsn (a member's position: its record's, received, replayed) is
 * behind that, in bytes: 0 for the leader, -1 unknown.  What
 * pgha.members(), the REST API and pghactl list all show.
 */
extern int64 pgha_member_lag(const PghaCluster *c, const PghaMember *m, uint64 lsn);

/* is name a synchronous standby of the sync key's leader? */
extern bool pgha_cluster_is_sync_standby(const PghaCluster *c, const char *name);
extern bool pgha_cluster_sync_leads(const PghaCluster *c, bool synchronous_mode, const char *name);
/*
 * the sync key's JSON, Patroni 4's shape (malloc'd); nsync 0:
 * "sync_standby": null; quorum 0 outside quorum mode
 */
extern char *pgha_sync_to_json(const char *leader, int quorum, int nsync,
							   const char (*names)[PGHA_NAME_LEN]);

/*
 * Where timeline tli ended according to the history JSON (Patroni's
 * [[tli, lsn, reason, time, leader], ...]): false if it has no entry.
 */
extern bool pgha_history_switch_lsn(const char *history, int tli, uint64 *lsn);
/*
 * Where the leader's WAL leaves timeline tli: the earliest end of tli or of
 * any later timeline of the history.  A promotion that targeted a newer
 * timeline before reaching its switch point records that timeline as
 * ending where the promotion happened, before tli's own end.
 */
extern bool pgha_history_fork_lsn(const char *history, int tli, uint64 *lsn);
/* the last entry for tli, whatever its LSN (0: a skipped id): false if none */
extern bool pgha_history_entry(const char *history, int tli, int64 *lsn);
/* the timeline the cluster moved to after the history's newest entry; 0: none */
extern int	pgha_history_next_timeline(const char *history);

/* where a timeline ended: one line of a timeline history file */
typedef struct PghaTimelineSwitch
{
	int			timeline;		/* the timeline that ended */
	uint64		lsn;			/* where it ended */
} PghaTimelineSwitch;

/*
 * The switches of a timeline history file's text, oldest first, at most
 * max: lines "parentTLI<tab>X/X<tab>reason"; blank and comment lines are
 * skipped.  Returns how many; -1 if a line is none of these.
 */
extern int	pgha_history_file_parse(const char *text, PghaTimelineSwitch *out, int max);

/*
 * Where timeline tli began according to the history key: the switch of
 * its newest entry of an older timeline that is no skipped id.  false when
 * the key does not show tli as a timeline the cluster ran on (skipped, or
 * past its newest entry).
 */
extern bool pgha_history_began(const char *history, int tli, PghaTimelineSwitch *began);

/*
 * The history key this leader's lineage makes (malloc'd): an entry for every
 * switch in sw[] (its timeline history file, oldest first), and one at LSN
 * 0 for every id the file skips (shared/timeline.h), in timeline order;
 * NULL when the key (history) already says exactly that.  An entry the key
 * has for the same switch is kept as it is (its time and leader); entries
 * of branches this lineage left are dropped, as Patroni rebuilds the key
 * from the leader's file.  The newest switch is this node's promotion
 * (leader, at timestamp); an older one not in the key gets neither.
 * current: this node's timeline.
 */
extern char *pgha_history_add(const char *history, const PghaTimelineSwitch *sw, int n,
							  int current, const char *reason, const char *timestamp,
							  const char *leader);

#endif							/* PGHA_CLUSTER_H */
