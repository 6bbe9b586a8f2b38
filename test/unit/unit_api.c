/*-------------------------------------------------------------------------
 *
 * unit_api.c
 *		The REST API's status codes, Patroni's semantics.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/api_rules.h"
#include "unit.h"

static int
st(const char *path, const PghaApiNode *n)
{
	return pgha_api_status(path, NULL, 0, n);
}

static int
st1(const char *path, const char *key, const char *value, const PghaApiNode *n)
{
	PghaApiArg	a = {key, value};

	return pgha_api_status(path, &a, 1, n);
}

void
unit_api_tests(void)
{
	PghaApiNode leader = {.running = true, .worker_alive = true, .is_leader = true, .lag = 0, .tags = "{}"};
	PghaApiNode replica = {.running = true, .worker_alive = true, .in_recovery = true, .lag = 100,
	.tags = "{\"nofailover\": true}"};
	PghaApiNode stale = leader;

	is_int(st("/primary", &leader), 200, "leader: /primary 200");
	is_int(st("/", &leader), 200, "leader: / is /primary");
	is_int(st("/read-write", &leader), 200, "leader: /read-write 200");
	is_int(st("/replica", &leader), 503, "leader: /replica 503");
	is_int(st("/read-only", &leader), 200, "leader: /read-only 200");
	is_int(st("/primary", &replica), 503, "replica: /primary 503");
	is_int(st("/replica", &replica), 200, "replica: /replica 200");
	is_int(st1("/replica", "lag", "1kB", &replica), 200, "replica 100 bytes behind: ?lag=1kB 200");
	is_int(st1("/replica", "lag", "50", &replica), 503, "replica 100 bytes behind: ?lag=50 503");
	is_int(st1("/replica", "lag", "x", &replica), 400, "?lag=x is a 400");
	is_int(st1("/replica", "tag_nofailover", "true", &replica), 200, "?tag_nofailover=true matches");
	is_int(st1("/replica", "tag_clonefrom", "true", &replica), 503, "?tag_clonefrom=true does not");
	is_int(st1("/replica", "tag_clonefrom", "false", &replica), 200, "an absent tag reads as false");
	is_int(st("/sync", &replica), 503, "an asynchronous replica: /sync 503");
	is_int(st("/async", &replica), 200, "... /async 200");
	is_int(st("/read-only-sync", &replica), 503, "... /read-only-sync 503");
	replica.sync_standby = true;
	is_int(st("/sync", &replica), 200, "a synchronous standby: /sync 200");
	is_int(st("/read-only-sync", &replica), 200, "... /read-only-sync 200");
	is_int(st("/read-only-sync", &leader), 200, "the leader: /read-only-sync 200");
	is_int(st("/read-only-quorum", &leader), 200, "the leader: /read-only-quorum 200");
	is_int(st("/quorum", &replica), 503, "no quorum commit: /quorum 503");
	replica.tags = "{\"nofailover\": true, \"noloadbalance\": true}";
	is_int(st("/replica", &replica), 503, "noloadbalance keeps a replica out of /replica");
	replica.lag = -1;
	is_int(st("/readiness", &replica), 503, "a replica of unknown lag is not ready");
	stale.worker_alive = false;
	is_int(st("/primary", &stale), 503, "a stale HA worker offers no role");
	is_int(st("/health", &stale), 200, "... but PostgreSQL is healthy");
	is_int(st("/liveness", &stale), 503, "... and /liveness says the worker is not");
	is_int(st("/standby-leader", &leader), 503, "a primary is no standby leader");
	{
		PghaApiNode sl = replica;

		sl.is_leader = true;
		is_int(st("/standby-leader", &sl), 200, "a standby holding the leader key: /standby-leader 200");
		is_int(st("/replica", &sl), 503, "... and not offered as a replica (Patroni: /replica 503)");
		is_int(st("/standby-leader", &replica), 503, "a standby without it: 503");
	}
	is_int(st("/etc/passwd", &leader), 404, "an unknown path is a 404");
	is_int(pgha_api_parse_bytes("16MB"), 16777216, "16MB");
	is_int(pgha_api_parse_bytes("1 GB"), 1073741824, "1 GB");
	is_int(pgha_api_parse_bytes("-1"), -1, "negative is refused");

	/* who may run an action */
	ok(pgha_api_authenticate("admin", "s3cret", "admin", "s3cret") == PGHA_API_AUTH_OK, "right user and password");
	ok(pgha_api_authenticate("admin", "s3cret", "admin", "s3creT") == PGHA_API_AUTH_WRONG, "a wrong password");
	ok(pgha_api_authenticate("admin", "s3cret", "admin", "s3cret!") == PGHA_API_AUTH_WRONG,
	   "a password with the right one as its prefix");
	ok(pgha_api_authenticate("admin", "s3cret", "admin", "") == PGHA_API_AUTH_WRONG, "an empty password");
	ok(pgha_api_authenticate("admin", "s3cret", "root", "s3cret") == PGHA_API_AUTH_WRONG, "a wrong user");
	ok(pgha_api_authenticate("admin", "s3cret", NULL, NULL) == PGHA_API_AUTH_MISSING, "no credentials");
	ok(pgha_api_authenticate("", "s3cret", "admin", "s3cret") == PGHA_API_AUTH_OFF,
	   "no user configured: actions are off, whatever is sent");
	ok(pgha_api_authenticate("admin", NULL, "admin", "") == PGHA_API_AUTH_OFF,
	   "no password configured (or the file unreadable): off");
}
