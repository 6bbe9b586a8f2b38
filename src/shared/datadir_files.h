/*-------------------------------------------------------------------------
 *
 * datadir_files.h
 *		What the worker and pghactl leave for each other in a data
 *		directory, and how pghactl run tells the worker it supervises it.
 *		One list, so that both sides (and pghactl detach, which removes
 *		them all) name the same files.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/datadir_files.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_DATADIR_FILES_H
#define PGHA_DATADIR_FILES_H

/* the parameters the worker set with ALTER SYSTEM (apply.c), to reset them */
#define PGHA_MANAGED_FILE "pgha.managed_parameters"
/* the last valid cluster config, for a worker that starts without etcd */
#define PGHA_SAVED_CONFIG_FILE "pgha.dynamic.json"
/* the standby leader's recovery_min_apply_delay, so that pghactl's copies leave it out */
#define PGHA_APPLY_DELAY_FILE "pgha.apply_delay"
/* the copies of permanent logical slots the worker made here (keeper/logical_copies.c) */
#define PGHA_LOGICAL_COPIES_FILE "pgha.logical_copies"

/*
 * For pghactl run: a reinit to do at the next start, and a restart that
 * was asked for (its on_restart callback).
 */
#define PGHA_REINIT_MARKER "pghactl.reinit_requested"
#define PGHA_RESTART_MARKER "pghactl.restart_requested"

/*
 * PGHA_LED_MARKER: this data directory (or the one it was copied from) has
 * led its cluster: written before the write gate first opens.
 * PGHA_FENCED_MARKER: left by a primary that fenced itself with no leader
 * to follow and without PGHA_LED_MARKER, so it never acknowledged a write:
 * if etcd then holds no cluster at all, it may claim one (rule
 * bootstrap_fenced).  Removed once the cluster exists.
 */
#define PGHA_LED_MARKER "pgha.has_led"
#define PGHA_FENCED_MARKER "pgha.fenced_without_leader"

/*
 * PGHA_STANDBY_COPY_MARKER: pghactl run made this data directory, under the
 * initialize lock, as the first member of a new standby cluster: only such
 * a copy claims the cluster over the lock's empty value (rule
 * standby_bootstrap).  Removed once the cluster exists.
 */
#define PGHA_STANDBY_COPY_MARKER "pghactl.standby_copy"

/*
 * failsafe_mode: how long the promise this member last made to a leader
 * runs (ms, text): after a restart it takes no free leader key for that
 * long (src/failsafe.c).
 */
#define PGHA_FAILSAFE_PROMISE_FILE "pgha.failsafe_promise"

/* pghactl made this cluster with initdb: the bootstrap SQL is still to run */
#define PGHA_BOOTSTRAP_MARKER "pghactl.bootstrap_pending"
/* a custom bootstrap restored its backup; its recovery is not over */
#define PGHA_BOOTSTRAP_RECOVERY_MARKER "pghactl.bootstrap_recovery"

/* every file above: what pghactl detach removes */
#define PGHA_DATADIR_FILES \
	PGHA_MANAGED_FILE, PGHA_SAVED_CONFIG_FILE, PGHA_APPLY_DELAY_FILE, PGHA_LOGICAL_COPIES_FILE, \
	PGHA_REINIT_MARKER, PGHA_RESTART_MARKER, PGHA_LED_MARKER, PGHA_FENCED_MARKER, \
	PGHA_STANDBY_COPY_MARKER, PGHA_BOOTSTRAP_MARKER, PGHA_BOOTSTRAP_RECOVERY_MARKER, \
	PGHA_FAILSAFE_PROMISE_FILE

/* set by pghactl run for the server it starts: "<its pid>" */
#define PGHA_SUPERVISED_ENV "PGHACTL_SUPERVISED"

#endif							/* PGHA_DATADIR_FILES_H */
