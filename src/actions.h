/*-------------------------------------------------------------------------
 *
 * actions.h
 *		Side effects of HA decisions on this server: promote, follow,
 *		fence, replication slots.  The only place that does any of them.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/actions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ACTIONS_H
#define PGHA_ACTIONS_H

#include "shared/cluster.h"
#include "shared/datadir_files.h"

/* libpq conninfo to reach member m (values quoted; password via passfile) */
extern char *pgha_conninfo(const PghaMember *m, bool replication, int connect_timeout);

/* after a promotion: no primary_conninfo, no primary_slot_name */
extern void pgha_action_forget_upstream(void);
/* point primary_conninfo / primary_slot_name at conninfo; true if changed */
extern bool pgha_action_follow(const char *conninfo, const char *slot);
/* pg_promote(wait => false): request it; ERROR if it cannot be requested */
extern void pgha_action_promote(void);
/* remove pg_promote()'s request if the startup process has not taken it */
extern bool pgha_action_cancel_promotion(void);
/*
 * Reloads the postmaster relayed to this worker: it signals every process
 * at once, so one that reached this worker reached the walsenders too.
 * The worker notes each one it processes; queued: one is waiting.
 */
extern void pgha_action_note_reload(void);
extern uint64 pgha_action_reloads_relayed(void);
extern bool pgha_action_reload_queued(void);
extern void pgha_action_signal_reload(void);
/* this process reads its configuration files again (no signal) */
extern void pgha_action_reload_self(void);
/*
 * The checkpointer's flag that makes committing backends wait for
 * synchronous standbys at all (it sets it when it applies a reload)
 */
extern bool pgha_action_sync_standbys_defined(void);
/* write standby.signal, then immediate shutdown of this instance */
extern void pgha_alter_system(const char *name, const char *value);
/* recovery_min_apply_delay to value ("" or NULL: reset); true if changed */
extern bool pgha_action_apply_delay(const char *value);
extern bool pgha_action_point_at_leader(const char *conninfo, const char *slot);
extern int	pgha_action_drop_member_slot(const char *slot, uint64 *restart_lsn);
/* a physical slot as it is here */
typedef struct PghaSlotState
{
	bool		exists;
	bool		active;
	bool		has_xmin;		/* holds an xmin (a consumer's hot_standby_feedback) */
	uint64		restart_lsn;	/* 0: reserves no WAL */
} PghaSlotState;

/* the named physical slots here (states: an array of n) */
extern void pgha_action_slot_states(char **names, int n, PghaSlotState *states);
/*
 * pg_replication_slot_advance() of an inactive physical slot, to lsn or
 * what this server replayed if less; nothing when that is not ahead of
 * the slot.  Returns its restart_lsn after.
 */
extern uint64 pgha_action_advance_slot(const char *name, uint64 lsn);
/* drop an inactive physical slot and make it again, reserving WAL from now */
extern void pgha_action_recreate_slot(const char *name);
/* immediate shutdown (SIGQUIT stays blocked here until fence_finish) */
extern void pgha_action_fence_signal(void);
/* then standby.signal and (conninfo not NULL) the new upstream, best effort */
extern void pgha_action_fence_finish(const char *conninfo, const char *slot, bool never_led);
/* create the physical slots that do not exist yet; returns how many */
extern int	pgha_action_ensure_slots(char **slots, int nslots);
/*
 * Does the standby named application_name stream from us right now, on its
 * own slot?  *flush gets the position it confirmed as flushed.
 */
/* one row of pg_stat_replication, with the slot its walsender streams on */
typedef struct PghaWalsender
{
	char		name[PGHA_NAME_LEN];	/* application_name */
	char		slot[PGHA_NAME_LEN];
	bool		has_slot;
	bool		streaming;		/* state = 'streaming' */
	bool		sync;			/* sync_state = 'sync' or 'quorum' */
	uint64		flush_lsn;
	int			pid;
} PghaWalsender;

/* the walsenders with an application_name, by name; palloc'd */
extern int	pgha_action_read_walsenders(PghaWalsender **out);
/* pg_terminate_backend(pid) */
extern void pgha_action_terminate(int pid);
extern bool pgha_standby_streaming(const char *application_name, const char *slot,
								   uint64 *flush);
/* switchover, before letting go: next start is a standby of conninfo */
extern void pgha_action_prepare_switchover(const char *conninfo, const char *slot);
/* undo it when the key could not be released */
extern void pgha_action_unprepare_switchover(void);
/* switchover, after letting go: fast shutdown (immediate if that fails) */
extern void pgha_action_shutdown_fast(void);

/* a marker file in the data directory (shared/datadir_files.h) */
extern bool pgha_action_leave_marker(const char *name);

extern bool pgha_action_has_marker(const char *name);
extern bool pgha_action_leave_marker_durably(const char *name);
extern void pgha_action_remove_marker(const char *name);

/*
 * The switches in the current timeline's history file, oldest first (at
 * most max): every promotion that led to this timeline.  0 on timeline 1.
 */
extern int	pgha_timeline_switches(PghaTimelineSwitch *out, int max);

/* has the startup process taken a promotion request (and not finished it)? */
extern bool pgha_action_promote_taken(void);
/* a promotion asked for, or taken by the startup process, and not over */
extern bool pgha_action_promotion_in_flight(void);
/*
 * Does the startup process wait for WAL (streamed or restored)?  If it took
 * a promotion request before, it recorded that first (PromoteIsTriggered).
 */
extern bool pgha_action_startup_waits_for_wal(void);

/* a file written whole or not at all (temporary file, fsync, durable rename) */
extern void pgha_write_durably(const char *path, const char *content);

/*
 * Timeline ids (shared/timeline.h).  The id this node's promotion would
 * take now: past its current timeline and every history file in pg_wal.
 */
extern int	pgha_action_next_timeline(int current);
/* placeholder history files for the ids after current and before target */
extern int	pgha_action_plant_timelines(int current, int target);
/*
 * Remove the placeholders above current and every real history file, and
 * (led not NULL) those of ids led(arg, id) says a leader ran on.
 */
extern int	pgha_action_drop_placeholders(int current, bool (*led) (void *arg, int tli), void *arg);

#endif							/* PGHA_ACTIONS_H */
