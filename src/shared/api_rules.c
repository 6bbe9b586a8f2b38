/*-------------------------------------------------------------------------
 *
 * api_rules.c
 *		Health endpoint status codes (Patroni's REST API semantics).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/api_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/api_rules.h"
#include "shared/etcd_json.h"

int64
pgha_api_parse_bytes(const char *text)
{
	char	   *end;
	double		v;
	int64		mult = 1;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	v = strtod(text, &end);
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcmp(end, "B") == 0)
		mult = 1;
	else if (pg_strcasecmp(end, "kB") == 0)
		mult = 1024;
	else if (pg_strcasecmp(end, "MB") == 0)
		mult = 1024 * 1024;
	else if (pg_strcasecmp(end, "GB") == 0)
		mult = (int64) 1024 * 1024 * 1024;
	else if (pg_strcasecmp(end, "TB") == 0)
		mult = (int64) 1024 * 1024 * 1024 * 1024;
	else
		return -1;
	if (v < 0 || v * mult > 9.0e18)
		return -1;
	return (int64) (v * mult);
}

static json_t *
load_tags(const char *tags)
{
	json_error_t jerr;

	return json_loads(tags && tags[0] ? tags : "{}", 0, &jerr);
}

/* a boolean tag that is true (noloadbalance keeps a replica out of reads) */
static bool
tag_true(const char *tags, const char *name)
{
	json_t	   *t = load_tags(tags);
	bool		v = t != NULL && json_is_true(json_object_get(t, name));

	if (t)
		json_decref(t);
	return v;
}

/* ?tag_<name>=<value>: the member's tag must have that value */
static bool
tags_match(const PghaApiArg *args, int nargs, const char *tags)
{
	json_t	   *t = load_tags(tags);
	bool		ok = true;
	int			i;

	for (i = 0; i < nargs && ok; i++)
	{
		json_t	   *v;
		char		have[64];

		if (strncmp(args[i].key, "tag_", 4) != 0)
			continue;
		v = t ? json_object_get(t, args[i].key + 4) : NULL;
		if (v == NULL)
			snprintf(have, sizeof(have), "%s", "");
		else if (json_is_true(v))
			snprintf(have, sizeof(have), "true");
		else if (json_is_false(v))
			snprintf(have, sizeof(have), "false");
		else if (json_is_integer(v))
			snprintf(have, sizeof(have), "%lld", (long long) json_integer_value(v));
		else if (json_is_string(v))
			snprintf(have, sizeof(have), "%s", json_string_value(v));
		else
			have[0] = '\0';
		/* an absent boolean tag reads as false, as in Patroni */
		if (v == NULL && args[i].value && pg_strcasecmp(args[i].value, "false") == 0)
			continue;
		ok = args[i].value != NULL && pg_strcasecmp(have, args[i].value) == 0;
	}
	if (t)
		json_decref(t);
	return ok;
}

int
pgha_api_status(const char *path, const PghaApiArg *args, int nargs, const PghaApiNode *n)
{
	int64		max_lag = -1;
	int			i;
	/* roles come from the HA worker: a stale view offers nothing */
	bool		up = n->running && n->worker_alive;
	bool		primary = up && n->is_leader && !n->in_recovery;
	/* a standby cluster's leader is not offered as a replica, as in Patroni */
	bool		replica = up && n->in_recovery && !n->is_leader;
	bool		noloadbalance;

	for (i = 0; i < nargs; i++)
		if (strcmp(args[i].key, "lag") == 0)
		{
			max_lag = pgha_api_parse_bytes(args[i].value);
			if (max_lag < 0)
				return 400;
		}
	/* a replica whose lag is unknown or over the limit is not offered */
	if (replica && max_lag >= 0 && (n->lag < 0 || n->lag > max_lag))
		replica = false;
	if (!tags_match(args, nargs, n->tags))
		primary = replica = false;
	noloadbalance = tag_true(n->tags, "noloadbalance");

	if (strcmp(path, "/") == 0 || strcmp(path, "/primary") == 0 ||
		strcmp(path, "/master") == 0 || strcmp(path, "/read-write") == 0)
		return primary ? 200 : 503;
	if (strcmp(path, "/leader") == 0)
		return up && n->is_leader ? 200 : 503;
	/* the leader of a standby cluster: it holds the key as a standby */
	if (strcmp(path, "/standby-leader") == 0 || strcmp(path, "/standby_leader") == 0)
		return up && n->is_leader && n->in_recovery ? 200 : 503;
	if (strcmp(path, "/replica") == 0)
		return replica && !noloadbalance ? 200 : 503;
	if (strcmp(path, "/read-only") == 0)
		return primary || (replica && !noloadbalance) ? 200 : 503;
	if (strcmp(path, "/sync") == 0 || strcmp(path, "/synchronous") == 0)
		return replica && n->sync_standby ? 200 : 503;
	/* Patroni 4: the primary, or a standby a synchronous commit waits for */
	if (strcmp(path, "/read-only-sync") == 0 || strcmp(path, "/read-only-synchronous") == 0)
		return primary || (replica && n->sync_standby && !noloadbalance) ? 200 : 503;
	/* Patroni 4: a standby the sync key names in quorum mode */
	if (strcmp(path, "/quorum") == 0)
		return replica && n->quorum_standby ? 200 : 503;
	if (strcmp(path, "/read-only-quorum") == 0)
		return primary || (replica && n->quorum_standby && !noloadbalance) ? 200 : 503;
	if (strcmp(path, "/async") == 0 || strcmp(path, "/asynchronous") == 0)
		return replica && !n->sync_standby && !n->quorum_standby ? 200 : 503;
	if (strcmp(path, "/health") == 0)
		return n->running ? 200 : 503;
	if (strcmp(path, "/liveness") == 0)
		return n->worker_alive ? 200 : 503;
	if (strcmp(path, "/readiness") == 0)
		return primary || (replica && n->lag >= 0) ? 200 : 503;
	return 404;
}

/* equal, in time that depends only on their lengths */
static bool
same_secret(const char *a, const char *b)
{
	size_t		la = strlen(a);
	size_t		lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char) a[i] ^ (unsigned char) b[i];
	return diff == 0;
}

PghaApiAuth
pgha_api_authenticate(const char *want_user, const char *want_password,
					  const char *user, const char *password)
{
	bool		user_ok;
	bool		password_ok;

	if (want_user == NULL || want_user[0] == '\0' || want_password == NULL || want_password[0] == '\0')
		return PGHA_API_AUTH_OFF;
	if (user == NULL || password == NULL)
		return PGHA_API_AUTH_MISSING;
	/* both compared, whatever the first says */
	user_ok = same_secret(want_user, user);
	password_ok = same_secret(want_password, password);
	return user_ok && password_ok ? PGHA_API_AUTH_OK : PGHA_API_AUTH_WRONG;
}
