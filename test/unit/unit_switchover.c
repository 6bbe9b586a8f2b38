/*-------------------------------------------------------------------------
 *
 * unit_switchover.c
 *		Who may take over in a switchover or failover request.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_switchover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/switchover.h"
#include "unit.h"

static void
member(PghaMember *m, const char *name, const char *role, const char *state,
	   const char *repl, uint64 lsn)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->name, name, sizeof(m->name));
	strlcpy(m->role, role, sizeof(m->role));
	strlcpy(m->state, state, sizeof(m->state));
	strlcpy(m->replication_state, repl, sizeof(m->replication_state));
	m->xlog_location = lsn;
	m->failover_priority = 1;
}

/* when a switchover request is due, and when stale (pgha_switchover_timing) */
static void
timing_tests(void)
{
	PghaSwitchoverSeen seen = {0};
	PghaSwitchoverTimes t = {0};
	PghaSwitchoverTiming w;
	int64		now = INT64CONST(800000000000000);	/* a wall clock, in microseconds */

	seen.seen_ms = 5;
	pgha_switchover_timing(&seen, false, 0, &t, 10, 1000, now, &w);
	ok(seen.seen_ms == 0 && !w.due && !w.stale && !w.unreadable, "timing: no request: nothing, and nothing seen");
	pgha_switchover_timing(&seen, true, 7, &t, 10, 1000, now, &w);
	ok(seen.seen_ms == 1000 && seen.revision == 7 && w.due && !w.stale,
	   "timing: a request without times is due, fresh when first seen");
	pgha_switchover_timing(&seen, true, 7, &t, 10, 61000, now, &w);
	ok(w.due && !w.stale, "timing: ... still fresh 60 s after (the limit: max(60 s, 3 ttl))");
	pgha_switchover_timing(&seen, true, 7, &t, 10, 61001, now, &w);
	ok(w.stale, "timing: ... stale past it, counted from when this node first saw it");
	pgha_switchover_timing(&seen, true, 7, &t, 30, 61001, now, &w);
	ok(!w.stale, "timing: ttl 30: the limit is 3 ttl, 90 s");
	pgha_switchover_timing(&seen, true, 8, &t, 10, 70000, now, &w);
	ok(seen.seen_ms == 70000 && !w.stale,
	   "timing: a request written again (another revision) does not inherit the old one's age");

	memset(&seen, 0, sizeof(seen));
	t.requested_at = now - 61 * INT64CONST(1000000);
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && w.stale, "timing: stale by when it says it was asked, however recently this node saw it");
	t.requested_at = now - 59 * INT64CONST(1000000);
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && !w.stale, "timing: ... fresh while that is under the limit");

	memset(&t, 0, sizeof(t));
	t.scheduled = true;
	t.scheduled_ok = true;
	t.scheduled_at = now + 1;
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(!w.due && w.stale && !w.unreadable, "timing: scheduled in the future: not due, no effect yet");
	t.scheduled_at = now - 1000000;
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && !w.stale, "timing: its time has come: due");
	t.scheduled_at = now - 61 * INT64CONST(1000000);
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && w.stale, "timing: stale counted from the schedule");
	t.scheduled_at = now - 60 * INT64CONST(1000000);
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && w.stale, "timing: stale at exactly the limit on the wall clock");
	t.scheduled_at = now - 10 * INT64CONST(1000000);
	t.requested_at = now - 100 * INT64CONST(1000000);
	pgha_switchover_timing(&seen, true, 9, &t, 10, 1000, now, &w);
	ok(w.due && !w.stale, "timing: a schedule counts, not when it was asked");
	t.scheduled_ok = false;
	pgha_switchover_timing(&seen, true, 10, &t, 10, 2000, now, &w);
	ok(w.unreadable && !w.due && w.stale && seen.revision == 10 && seen.seen_ms == 2000,
	   "timing: a schedule that cannot be read: unreadable (cancelled), never due; seen all the same");

	memset(&t, 0, sizeof(t));
	memset(&seen, 0, sizeof(seen));
	t.requested_at = PG_INT64_MAX;
	pgha_switchover_timing(&seen, true, 11, &t, 10, 1000, now, &w);
	pgha_switchover_timing(&seen, true, 11, &t, 10, 61001, now, &w);
	ok(w.due && w.stale, "timing: asked at \"infinity\" (a key written by hand): unknown, stale by when it was seen");
	t.requested_at = PG_INT64_MIN;
	pgha_switchover_timing(&seen, true, 11, &t, 10, 2000, now, &w);
	ok(w.due && !w.stale, "timing: asked at \"-infinity\": unknown, not an overflow");
}

void
unit_switchover_tests(void)
{
	PghaMember	ms[4];
	PghaCluster c;
	const PghaMember *chosen;
	char	   *json;

	memset(&c, 0, sizeof(c));
	pgha_config_defaults(&c.config);
	c.has_leader = true;
	strlcpy(c.leader, "node1", sizeof(c.leader));
	member(&ms[0], "node1", "primary", "running", "", 300);
	member(&ms[1], "node2", "replica", "running", "streaming", 100);
	member(&ms[2], "node3", "replica", "running", "streaming", 200);
	member(&ms[3], "node4", "replica", "stopped", "", 250);
	c.members = ms;
	c.nmembers = 4;

	ok(pgha_switchover_check(&c, NULL, true, &chosen) == PGHA_SW_OK &&
	   strcmp(chosen->name, "node3") == 0, "no candidate named: the streaming replica furthest ahead");
	ok(pgha_switchover_check(&c, "node2", true, &chosen) == PGHA_SW_OK &&
	   strcmp(chosen->name, "node2") == 0, "a named replica is taken even if behind");
	ok(pgha_switchover_check(&c, "node9", true, &chosen) == PGHA_SW_UNKNOWN_MEMBER && chosen == NULL,
	   "an unknown member is refused");
	ok(pgha_switchover_check(&c, "node1", true, &chosen) == PGHA_SW_IS_LEADER,
	   "the leader is no candidate");
	ok(pgha_switchover_check(&c, "node4", true, &chosen) == PGHA_SW_NOT_REPLICA,
	   "a stopped member is refused");
	ms[2].nofailover = true;
	ok(pgha_switchover_check(&c, "node3", true, &chosen) == PGHA_SW_NOFAILOVER,
	   "a nofailover member is refused when named");
	ok(pgha_switchover_check(&c, NULL, true, &chosen) == PGHA_SW_OK &&
	   strcmp(chosen->name, "node2") == 0, "and skipped when choosing");
	ms[1].failover_priority = 0;
	ok(pgha_switchover_check(&c, NULL, true, &chosen) == PGHA_SW_NO_CANDIDATE,
	   "failover_priority 0 counts as nofailover: nobody is left");
	ms[1].failover_priority = 1;
	ms[1].foreign = true;
	ok(pgha_switchover_check(&c, "node2", true, &chosen) == PGHA_SW_NOT_REPLICA,
	   "a member of another cluster (sysid) is refused");
	ms[1].foreign = false;
	c.config.pause = true;
	ok(pgha_switchover_check(&c, "node2", true, &chosen) == PGHA_SW_PAUSED, "nothing while paused");
	c.config.pause = false;
	c.has_leader = false;
	ok(pgha_switchover_check(&c, "node2", true, &chosen) == PGHA_SW_NO_LEADER,
	   "a switchover needs a leader");
	ok(pgha_switchover_check(&c, "node2", false, &chosen) == PGHA_SW_OK,
	   "a failover does not");

	/* a member's restart or reinit request */
	c.has_leader = true;
	ms[1].supervised = true;
	ok(pgha_member_request_check(&c, &ms[1], false, false) == PGHA_MR_OK, "a supervised replica may restart");
	ok(pgha_member_request_check(&c, &ms[1], false, true) == PGHA_MR_NOT_PENDING,
	   "restart if pending, with none pending: nothing to do");
	ms[1].pending_restart = true;
	ok(pgha_member_request_check(&c, &ms[1], false, true) == PGHA_MR_OK, "... with one pending: restart");
	ok(pgha_member_request_check(&c, &ms[1], true, false) == PGHA_MR_OK, "a supervised replica may be reinitialized");
	/* the sync key's leader, not the leader now: only it may have some commits */
	c.has_sync = true;
	strlcpy(c.sync_leader, ms[1].name, sizeof(c.sync_leader));
	c.config.synchronous_mode = true;
	ok(pgha_member_request_check(&c, &ms[1], true, false) == PGHA_MR_SYNC_LEADER,
	   "in synchronous mode, not the sync key's leader: a fresh copy would lack what only it has");
	ok(pgha_member_request_check(&c, &ms[1], false, false) == PGHA_MR_OK, "... it may restart");
	c.config.synchronous_mode = false;
	ok(pgha_member_request_check(&c, &ms[1], true, false) == PGHA_MR_OK,
	   "outside synchronous mode the key says nothing: reinitialized");
	c.has_sync = false;
	ms[0].supervised = true;
	ok(pgha_member_request_check(&c, &ms[0], false, false) == PGHA_MR_OK, "the leader may restart");
	ok(pgha_member_request_check(&c, &ms[0], true, false) == PGHA_MR_LEADER, "but never be reinitialized");
	ms[1].supervised = false;
	ok(pgha_member_request_check(&c, &ms[1], false, false) == PGHA_MR_NOT_SUPERVISED,
	   "a server pghactl run does not supervise: nothing would start it again");
	ms[1].supervised = true;
	ms[1].down = true;
	ok(pgha_member_request_check(&c, &ms[1], false, false) == PGHA_MR_DOWN, "a down member: nobody takes the request");
	{
		PghaRestartRequest r = {.schedule = "2099-01-01T00:00:00Z", .pending_only = true,
		.role = "replica", .postgres_version = "15.9"};

		json = pgha_member_request_json("2026-12-06T10:00:00Z", NULL);
		is_str(json, "{\"requested_at\":\"2026-12-06T10:00:00Z\",\"pending_only\":false}", "a reinit request's value");
		free(json);
		json = pgha_member_request_json("2026-12-06T10:00:00Z", &r);
		is_str(json, "{\"requested_at\":\"2026-12-06T10:00:00Z\",\"pending_only\":true,"
			   "\"schedule\":\"2099-01-01T00:00:00Z\",\"role\":\"replica\",\"postgres_version\":\"15.9\"}",
			   "a scheduled restart's, with its conditions");
		free(json);
	}
	is_int(pgha_postgres_version_number("15.2"), 150002, "version 15.2");
	is_int(pgha_postgres_version_number("15"), 150000, "version 15");
	is_int(pgha_postgres_version_number("9.6.24"), 90624, "version 9.6.24");
	is_int(pgha_postgres_version_number("15.2.1"), -1, "15.2.1 is no version");
	is_int(pgha_postgres_version_number("15.x"), -1, "15.x is none");
	is_int(pgha_postgres_version_number(""), -1, "nor is empty");
	is_int(pgha_postgres_version_number("-1"), -1, "nor -1");
	ok(pgha_restart_applies(NULL, NULL, true, 150004), "no conditions: applies");
	ok(!pgha_restart_applies("replica", NULL, true, 150004), "only replicas, on the leader: does not");
	ok(pgha_restart_applies("primary", NULL, true, 150004), "only the primary, on the leader: applies");
	ok(!pgha_restart_applies("master", NULL, false, 150004), "only the master (Patroni 3), on a replica: does not");
	ok(pgha_restart_applies(NULL, "15.5", false, 150004), "below 15.5, running 15.4: applies");
	ok(!pgha_restart_applies(NULL, "15.4", false, 150004), "below 15.4, running 15.4: does not");
	is_str(pgha_switchover_check_message(PGHA_SW_NOFAILOVER), "the member is tagged nofailover",
		   "refusals have a message");

	/* synchronous_mode: only a standby the sync key names (Patroni refuses the others too) */
	c.has_leader = true;
	c.config.synchronous_mode = true;
	c.has_sync = true;
	strlcpy(c.sync_leader, "node1", sizeof(c.sync_leader));
	c.nsync = 1;
	strlcpy(c.sync_standby[0], "node2", sizeof(c.sync_standby[0]));
	ms[2].nofailover = false;
	ok(pgha_switchover_check(&c, "node3", true, &chosen) == PGHA_SW_NOT_SYNC,
	   "synchronous_mode: a standby the sync key does not name is refused");
	ok(pgha_switchover_check(&c, "node2", true, &chosen) == PGHA_SW_OK,
	   "synchronous_mode: the synchronous standby is taken");
	ok(pgha_switchover_check(&c, NULL, true, &chosen) == PGHA_SW_OK && strcmp(chosen->name, "node2") == 0,
	   "synchronous_mode: choosing, the synchronous standby, though another is further ahead");
	c.nsync = 0;
	ok(pgha_switchover_check(&c, NULL, true, &chosen) == PGHA_SW_NO_CANDIDATE,
	   "synchronous_mode with no synchronous standby: nobody can take over");
	c.config.synchronous_mode = false;
	c.has_sync = false;

	json = pgha_failover_request_json("node1", "node2", NULL, "2026-11-26T04:00:00+00:00");
	is_str(json, "{\"leader\":\"node1\",\"member\":\"node2\",\"pgha_requested_at\":\"2026-11-26T04:00:00+00:00\"}",
		   "failover key JSON");
	free(json);
	json = pgha_failover_request_json("node1", "node2", "2026-11-26T05:00:00+00:00", "2026-11-26T04:00:00+00:00");
	ok(strstr(json, "\"scheduled_at\":\"2026-11-26T05:00:00+00:00\"") != NULL, "a scheduled request carries scheduled_at");
	free(json);

	timing_tests();
}
