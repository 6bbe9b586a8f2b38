/*-------------------------------------------------------------------------
 *
 * unit_sync.c
 *		Synchronous mode on the leader: the steps and their order.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/sync.h"
#include "unit.h"

static PghaMember ms[3];
static PghaCluster c;
static PghaConfig cfg;
static PghaStandby sb[2];
static PghaSyncInput in;

static void
setup(void)
{
	int			i;
	const char *names[] = {"node1", "node2", "node3"};

	memset(&c, 0, sizeof(c));
	memset(ms, 0, sizeof(ms));
	for (i = 0; i < 3; i++)
	{
		strlcpy(ms[i].name, names[i], PGHA_NAME_LEN);
		ms[i].sync_priority = 1;
	}
	c.members = ms;
	c.nmembers = 3;
	pgha_config_defaults(&cfg);
	cfg.synchronous_mode = true;
	memset(sb, 0, sizeof(sb));
	strlcpy(sb[0].name, "node2", PGHA_NAME_LEN);
	strlcpy(sb[1].name, "node3", PGHA_NAME_LEN);
	sb[0].streaming = sb[1].streaming = true;
	sb[0].flush_lsn = 100;
	sb[1].flush_lsn = 200;
	memset(&in, 0, sizeof(in));
	in.me = "node1";
	in.config = &cfg;
	in.cluster = &c;
	in.nstandbys = 2;
	in.standbys = sb;
	in.current_ssn = "";
	in.ssn_set_lsn = 150;
}

static void
key(const char *leader, const char *standby)
{
	c.has_sync = true;
	strlcpy(c.sync_leader, leader, PGHA_NAME_LEN);
	c.nsync = 0;
	if (standby)
		strlcpy(c.sync_standby[c.nsync++], standby, PGHA_NAME_LEN);
}

void
unit_sync_tests(void)
{
	PghaSyncPlan p;
	char		ssn[128];
	const char	two[2][PGHA_NAME_LEN] = {"node2", "node3"};
	char	   *json;

	pgha_sync_ssn(2, two, 1, ssn, sizeof(ssn));
	is_str(ssn, "FIRST 1 (\"node2\",\"node3\")", "synchronous_standby_names syntax");

	setup();
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 0, "a new leader first writes an empty sync key of its own: %s", p.reason);

	key("node1", NULL);
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 1 (\"node3\")") == 0,
	   "then names the standby furthest ahead in synchronous_standby_names: %s", p.ssn);

	/* Patroni 4's sync_priority: the higher first, 0 never */
	ms[1].sync_priority = 2;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 1 (\"node2\")") == 0,
	   "sync_priority 2 goes before a standby further ahead: %s", p.ssn);
	ms[1].sync_priority = 1;
	ms[2].sync_priority = 0;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 1 (\"node2\")") == 0,
	   "sync_priority 0 is never synchronous: %s", p.ssn);
	ms[2].sync_priority = 1;
	/* PostgreSQL matches standby names without regard to case */
	strlcpy(ms[0].name, "NODE3", PGHA_NAME_LEN);
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 1 (\"node2\")") == 0,
	   "a member whose name differs from another's only in case is never synchronous: %s", p.ssn);
	strlcpy(ms[0].name, "node1", PGHA_NAME_LEN);
	{
		PghaMember m;
		char		err[128];
		const char *j = "{\"conn_url\":\"postgres://h:5432/postgres\",\"state\":\"running\",\"role\":\"replica\","
			"\"tags\":{\"sync_priority\":-3}}";
		char	   *back;

		ok(pgha_member_from_json("node9", j, strlen(j), &m, err, sizeof(err)) && m.sync_priority == -1,
		   "a member's sync_priority tag is read (any integer, as Patroni 4: -3 is below 0) %s", err);
		m.sync_priority = 5;
		back = pgha_member_to_json(&m);
		ok(strstr(back, "\"sync_priority\":5") != NULL, "and written when not 1: %s", back);
		free(back);
	}

	in.current_ssn = "FIRST 1 (\"node3\")";
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "not in the key before PostgreSQL reports it synchronous");
	sb[1].sync = true;
	sb[1].flush_lsn = 140;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "nor before it flushed what the primary had when the setting changed");
	sb[1].flush_lsn = 150;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 1 && strcmp(p.sync[0], "node3") == 0,
	   "then it joins the sync key: %s", p.reason);

	key("node1", "node3");
	in.key_in_doubt = true;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 1 && strcmp(p.sync[0], "node3") == 0 &&
	   strstr(p.reason, "may still land"),
	   "a key write that may still land: the key is rewritten as read first: %s", p.reason);
	in.key_in_doubt = false;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "steady state: nothing to do");
	sb[0].flush_lsn = 500;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "a synchronous standby stays while it streams, even if another is ahead");

	sb[1].stalled_ms = (int64) cfg.retry_timeout * 1000;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "a synchronous standby stalled for retry_timeout stays");
	sb[1].stalled_ms++;
	cfg.synchronous_mode_strict = true;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_NOTHING, "strict mode keeps a stalled synchronous standby (commits would wait for any)");
	cfg.synchronous_mode_strict = false;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 0,
	   "stalled for longer (a partition: its walsender still says streaming): it leaves the key first");
	sb[1].stalled_ms = 0;

	sb[1].streaming = false;
	sb[1].sync = false;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 0,
	   "the synchronous standby stops streaming: it leaves the key first");
	key("node1", NULL);
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 1 (\"node2\")") == 0,
	   "then synchronous_standby_names moves to the other standby");

	ms[1].nosync = true;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "") == 0,
	   "nosync standbys are never picked; none left: asynchronous (%s)", p.reason);
	cfg.synchronous_mode_strict = true;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "*") == 0, "strict mode: '*', commits wait (%s)", p.reason);
	is_str(pgha_sync_ssn_at_promotion(&cfg), "*", "strict: a promoted primary starts with '*'");
	cfg.synchronous_mode_strict = false;
	is_str(pgha_sync_ssn_at_promotion(&cfg), "", "non-strict: it starts asynchronous");

	ms[1].nosync = false;
	cfg.synchronous_node_count = 2;
	sb[1].streaming = true;
	in.current_ssn = "";
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "FIRST 2 (\"node2\",\"node3\")") == 0,
	   "synchronous_node_count 2: %s", p.ssn);

	key("node2", "node1");
	cfg.synchronous_node_count = 1;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 0, "a key left by another leader is taken over, empty");

	cfg.synchronous_mode = false;
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_DELETE_KEY, "synchronous mode off: the key goes first");
	c.has_sync = false;
	in.current_ssn = "FIRST 1 (\"node2\")";
	pgha_sync_plan(&in, &p);
	ok(p.step == PGHA_SYNC_SET_SSN && p.ssn[0] == '\0', "then the setting");
	is_str(pgha_sync_ssn_at_promotion(&cfg), NULL, "off: promotion leaves the setting alone");

	{
		const char	one[1][PGHA_NAME_LEN] = {"node2"};

		json = pgha_sync_to_json("node1", 0, 1, one);
		is_str(json, "{\"leader\":\"node1\",\"sync_standby\":\"node2\",\"quorum\":0}", "sync key JSON, Patroni's shape");
		free(json);
		json = pgha_sync_to_json("node1", 0, 0, one);
		is_str(json, "{\"leader\":\"node1\",\"sync_standby\":null,\"quorum\":0}", "no synchronous standby: null");
		free(json);
	}
}
