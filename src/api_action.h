/*-------------------------------------------------------------------------
 *
 * api_action.h
 *		The REST API's actions, each run by a background worker of its own
 *		(see api_action.c).  Called by the API worker.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_action.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_API_ACTION_H
#define PGHA_API_ACTION_H

/* is method path one of the actions (authenticated, run by an action worker)? */
extern bool pgha_api_is_action(const char *method, const char *path);

/*
 * Hand an authenticated request to a new action worker.  false when it
 * cannot start (another action is under way, no worker slot): then
 * *status and *message are the answer.
 */
extern bool pgha_api_action_start(const char *method, const char *path, const char *body,
								  int *status, const char **message);

/*
 * Has the action answered (or its worker ended without an answer)?  Then
 * its status, whether the response is JSON, and the response (palloc'd).
 */
extern bool pgha_api_action_poll(int *status, bool *json, char **response);

#endif							/* PGHA_API_ACTION_H */
