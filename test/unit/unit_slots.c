/*-------------------------------------------------------------------------
 *
 * unit_slots.c
 *		Tests of the departed members' slots (shared/slots.c), of
 *		member_slots_ttl in the config and of retain_slots in the status key.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_slots.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/cluster.h"
#include "shared/hot_standby.h"
#include "shared/slots.h"
#include "shared/upstream.h"
#include "unit.h"

#define J(s) (s), strlen(s)

/* a standby member of a cluster led by node1, on timeline 1 */
static void
member(PghaMember *m, const char *name, const char *replicatefrom)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->name, name, sizeof(m->name));
	strlcpy(m->host, "h", sizeof(m->host));
	strlcpy(m->state, "running", sizeof(m->state));
	strlcpy(m->role, strcmp(name, "node1") == 0 ? "primary" : "replica", sizeof(m->role));
	strlcpy(m->replicatefrom, replicatefrom, sizeof(m->replicatefrom));
	m->timeline = 1;
}

static void
test_upstream(void)
{
	PghaMember	m[4];
	PghaCluster c;
	PghaMember	me;

	memset(&c, 0, sizeof(c));
	c.has_leader = true;
	strlcpy(c.leader, "node1", sizeof(c.leader));
	member(&m[0], "node1", "");
	member(&m[1], "node2", "");
	member(&m[2], "node3", "node2");
	member(&m[3], "node4", "node3");
	c.members = m;
	c.nmembers = 4;

	is_str(pgha_upstream_of(&c, &m[1]), "node1", "no tag: the leader");
	is_str(pgha_upstream_of(&c, &m[2]), "node2", "replicatefrom node2: node2");
	is_str(pgha_upstream_of(&c, &m[3]), "node3", "a chain: node4 from node3, which streams from node2");
	m[1].down = true;
	is_str(pgha_upstream_of(&c, &m[2]), "node1", "node2 down: the leader");
	m[1].down = false;
	m[1].timeline = 2;
	is_str(pgha_upstream_of(&c, &m[2]), "node1", "node2 on another timeline than the leader's: the leader");
	m[1].timeline = 1;
	strlcpy(m[1].role, "primary", sizeof(m[1].role));
	is_str(pgha_upstream_of(&c, &m[2]), "node1", "node2 a primary (not the leader): the leader");
	strlcpy(m[1].role, "replica", sizeof(m[1].role));
	strlcpy(m[1].replicatefrom, "node3", sizeof(m[1].replicatefrom));
	is_str(pgha_upstream_of(&c, &m[2]), "node1", "node2 and node3 name each other: node3 from the leader");
	is_str(pgha_upstream_of(&c, &m[1]), "node1", "... and node2 too");
	is_str(pgha_upstream_of(&c, &m[3]), "node3", "node4 still streams from node3");
	strlcpy(m[1].replicatefrom, "", sizeof(m[1].replicatefrom));
	/* the caller's own record, not the cluster's: a loop is found by name */
	member(&me, "node2", "node3");
	is_str(pgha_upstream_of(&c, &me), "node1", "node2's new tag names node3, whose record names node2: the leader");
	member(&me, "node5", "node9");
	is_str(pgha_upstream_of(&c, &me), "node1", "a tag naming no member: the leader");
	member(&me, "node5", "node1");
	is_str(pgha_upstream_of(&c, &me), "node1", "a tag naming the leader: the leader");
	strlcpy(c.leader, "node3", sizeof(c.leader));
	is_str(pgha_upstream_of(&c, &m[2]), "node3", "node3 leads: it streams from nobody, whatever its tag (no slot for it on node2)");
	strlcpy(c.leader, "node1", sizeof(c.leader));
	m[1].nostream = true;
	is_str(pgha_upstream_of(&c, &m[1]), NULL, "node2 tagged nostream: it streams from nobody (no slot for it on node1)");
	is_str(pgha_upstream_of(&c, &m[2]), "node2", "... node3 still streams from it (replicatefrom)");
	m[0].nostream = true;
	is_str(pgha_upstream_of(&c, &m[0]), "node1", "the leader's nostream has no effect");
	m[0].nostream = m[1].nostream = false;
	/* the feedback that holds a cascading member's copies: its chain's first member's */
	{
		char		fslots[2][PGHA_NAME_LEN] = {"node2", "node4"};
		uint32		fxmin[2] = {731, 999};

		strlcpy(c.status_leader, "node1", sizeof(c.status_leader));
		c.status_timeline = 1;
		c.feedback_slots = fslots;
		c.feedback_xmin = fxmin;
		c.nfeedback = 2;
		ok(pgha_slot_leader_feedback(&c, "node2", 1) == 731 && pgha_slot_leader_feedback(&c, "node3", 1) == 731 &&
		   pgha_slot_leader_feedback(&c, "node4", 1) == 731,
		   "feedback for node3 and node4 (node4 -> node3 -> node2 -> node1) is what node2's slot on the leader holds");
		ok(pgha_slot_leader_feedback(&c, "node3", 2) == 0, "... on the status's timeline only");
		c.nfeedback = 0;
	}
	c.has_leader = false;
	is_str(pgha_upstream_of(&c, &m[2]), NULL, "no leader: nobody");
}

static void
test_retention(void)
{
	PghaRetention rt;
	const char *both[] = {"node2", "node3"};
	const char *only2[] = {"node2"};
	PghaRetained drop[4];
	char	   *json;

	memset(&rt, 0, sizeof(rt));
	pgha_retention_see(&rt, both, 2, 1000);
	is_int(rt.n, 2, "two members seen");
	json = pgha_retention_json(&rt);
	is_str(json, "[\"node2\",\"node3\"]", "retain_slots lists them");
	free(json);

	/* node3 goes away at 2000; ttl 10 s */
	pgha_retention_see(&rt, only2, 1, 2000);
	is_int(pgha_retention_expired(&rt, 11000, 10000, drop, 4), 0,
		   "node3 gone 10 s of a 10 s ttl: kept");
	pgha_retention_see(&rt, only2, 1, 11500);
	is_int(pgha_retention_expired(&rt, 11500, 10000, drop, 4), 1, "gone longer than the ttl: dropped");
	is_str(drop[0].member, "node3", "... node3");
	is_str(drop[0].slot, "node3", "... and its slot");
	is_int(rt.n, 1, "... and forgotten");
	is_str(rt.r[0].member, "node2", "node2 stays");

	/* a member that comes back is seen again and its clock restarts */
	pgha_retention_see(&rt, both, 2, 20000);
	is_int(pgha_retention_expired(&rt, 25000, 10000, drop, 4), 0, "node3 back: nothing to drop");

	/* ttl 0 (Patroni: no retention): dropped as soon as the member is gone */
	pgha_retention_see(&rt, only2, 1, 26000);
	is_int(pgha_retention_expired(&rt, 26000, 0, drop, 4), 1, "ttl 0: dropped as soon as it is gone, the present one kept");

	/* "db-2" and "db_2" share one slot: the present one keeps it alive */
	{
		PghaRetention r2;
		const char *two[] = {"db-2", "db_2"};
		const char *one[] = {"db_2"};

		memset(&r2, 0, sizeof(r2));
		pgha_retention_see(&r2, two, 2, 1000);
		is_int(r2.n, 1, "two member names, one slot name: one entry");
		pgha_retention_see(&r2, one, 1, 50000);
		is_int(pgha_retention_expired(&r2, 50000, 10000, drop, 4), 0,
			   "db-2 gone for 49 s, db_2 present: their shared slot db_2 stays");
		is_str(r2.r[0].slot, "db_2", "... the entry is the slot name");
	}

	/* names that cannot be slots of members are ignored */
	{
		const char *odd[] = {"", NULL};
		int			before = rt.n;

		pgha_retention_see(&rt, odd, 2, 30000);
		is_int(rt.n, before, "empty and missing names are not retained");
	}
}

static void
test_config(void)
{
	PghaConfig	c;
	char		err[256];

	ok(pgha_config_parse(J("{}"), &c, NULL, err, sizeof(err)) && c.member_slots_ttl == 1800,
	   "member_slots_ttl defaults to 1800 s (Patroni's 30min)");
	ok(pgha_config_parse(J("{\"member_slots_ttl\":\"30min\"}"), &c, NULL, err, sizeof(err)) && c.member_slots_ttl == 1800,
	   "\"30min\" as Patroni writes it");
	ok(pgha_config_parse(J("{\"member_slots_ttl\":\"2h\"}"), &c, NULL, err, sizeof(err)) && c.member_slots_ttl == 7200,
	   "\"2h\"");
	ok(pgha_config_parse(J("{\"member_slots_ttl\":600}"), &c, NULL, err, sizeof(err)) && c.member_slots_ttl == 600,
	   "600 (seconds)");
	ok(pgha_config_parse(J("{\"member_slots_ttl\":0}"), &c, NULL, err, sizeof(err)) && c.member_slots_ttl == 0,
	   "0: no retention");
	ok(!pgha_config_parse(J("{\"member_slots_ttl\":\"soon\"}"), &c, NULL, err, sizeof(err)),
	   "\"soon\" refused: %s", err);
	ok(!pgha_config_parse(J("{\"member_slots_ttl\":-5}"), &c, NULL, err, sizeof(err)), "-5 refused");
	ok(!pgha_config_parse(J("{\"member_slots_ttl\":\"3weeks\"}"), &c, NULL, err, sizeof(err)), "an unknown unit refused");
	ok(!pgha_config_parse(J("{\"member_slots_ttl\":\"99999999999999999d\"}"), &c, NULL, err, sizeof(err)),
	   "a number that would overflow refused");
	ok(!pgha_config_parse(J("{\"member_slots_ttl\":\"-1h\"}"), &c, NULL, err, sizeof(err)), "\"-1h\" refused");
}

static void
test_status(void)
{
	PghaEtcdKV	kv[2];
	PghaEtcdRange r;
	PghaCluster c;
	char		err[256];
	const char *status = "{\"optime\":67108864,\"retain_slots\":[\"node2\",\"node3\"]}";
	const char *odd = "{\"optime\":5,\"retain_slots\":\"node2\"}";

	memset(kv, 0, sizeof(kv));
	memset(&r, 0, sizeof(r));
	kv[0].key = "/service/x/status";
	kv[0].value = (char *) status;
	kv[0].value_len = strlen(status);
	r.kvs = kv;
	r.nkvs = 1;
	memset(&c, 0, sizeof(c));
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)) && c.has_status &&
	   c.optime == 67108864, "status: optime");
	ok(c.nretain == 2 && strcmp(c.retain[0], "node2") == 0 && strcmp(c.retain[1], "node3") == 0,
	   "status: retain_slots read");
	kv[0].value = (char *) odd;
	kv[0].value_len = strlen(odd);
	memset(&c, 0, sizeof(c));
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)) && c.has_status &&
	   c.optime == 5 && c.nretain == 0,
	   "a retain_slots that is not a list is ignored, the optime still counts");
}

/* pghactl copies from the leader's record only if it is on the leader key's lease */
static void
test_leader_record(void)
{
	PghaEtcdKV	kv[2];
	PghaEtcdRange r;
	PghaCluster c;
	char		err[256];
	const char *member = "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"state\":\"running\",\"role\":\"primary\"}";

	memset(kv, 0, sizeof(kv));
	memset(&r, 0, sizeof(r));
	kv[0].key = "/service/x/leader";
	kv[0].value = "node1";
	kv[0].value_len = 5;
	kv[0].lease = 77;
	kv[1].key = "/service/x/members/node1";
	kv[1].value = (char *) member;
	kv[1].value_len = strlen(member);
	kv[1].lease = 77;
	r.kvs = kv;
	r.nkvs = 2;
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)) && pgha_cluster_leader_record(&c) != NULL,
	   "the leader's member record on the leader key's lease is the leader's");
	kv[1].lease = 0;
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)) && pgha_cluster_leader_record(&c) == NULL,
	   "one written without a lease is not");
	kv[1].lease = 78;
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)) && pgha_cluster_leader_record(&c) == NULL,
	   "nor one on another lease");
}

/* the failsafe key: the members it lists, written and read back the same way */
static void
test_failsafe_key(void)
{
	PghaCluster c;
	char	   *json;

	memset(&c, 0, sizeof(c));
	c.members = palloc0(sizeof(PghaMember) * 3);
	strlcpy(c.members[0].name, "node1", PGHA_NAME_LEN);
	strlcpy(c.members[0].conn_url, "postgres://10.0.0.1:5432/postgres", sizeof(c.members[0].conn_url));
	strlcpy(c.members[1].name, "node2", PGHA_NAME_LEN);
	strlcpy(c.members[1].api_url, "http://10.0.0.2:8008/patroni", sizeof(c.members[1].api_url));
	strlcpy(c.members[2].name, "other", PGHA_NAME_LEN);
	c.members[2].foreign = true;
	c.nmembers = 3;
	json = pgha_failsafe_to_json(&c);
	ok(strcmp(json, "{\"node1\":\"postgres://10.0.0.1:5432/postgres\",\"node2\":\"http://10.0.0.2:8008/patroni\"}") == 0,
	   "failsafe key: this cluster's members, by api_url or conn_url: %s", json);
	free(json);
	ok(!pgha_failsafe_current(&c), "no key yet: not current");
	pgha_failsafe_set_written(&c);
	ok(pgha_failsafe_current(&c) && c.nfailsafe == 2 && pgha_cluster_in_failsafe(&c, "node2") &&
	   !pgha_cluster_in_failsafe(&c, "other"), "once written: current, listing node1 and node2");
	c.nmembers = 1;
	ok(!pgha_failsafe_current(&c), "a member gone: not current any more");
}

/* the hot standby settings: the higher of the configured value and pg_control's */
static void
test_hot_standby(void)
{
	ControlFileData cf;
	int			v[PGHA_NHOT_STANDBY_PARAMS];

	ok(pgha_hot_standby_param("max_connections") == 0 &&
	   pgha_hot_standby_param("MAX_LOCKS_PER_TRANSACTION") == 4 &&
	   pgha_hot_standby_param("shared_buffers") == -1, "the five hot standby settings, by name in any case");
	memset(&cf, 0, sizeof(cf));
	cf.MaxConnections = 100;
	cf.max_worker_processes = 8;
	cf.max_wal_senders = 10;
	cf.max_prepared_xacts = 0;
	cf.max_locks_per_xact = 64;
	pgha_control_params(&cf, v);
	ok(v[0] == 100 && v[1] == 8 && v[2] == 10 && v[3] == 0 && v[4] == 64, "pg_control's values, in that order");
	ok(pgha_hot_standby_value("60", 100) == 100, "lowered below the primary's: the primary's");
	ok(pgha_hot_standby_value("200", 100) == 200, "raised above the primary's: the configured value");
	ok(pgha_hot_standby_value("100", 100) == 100, "equal: that value");
	ok(pgha_hot_standby_value("60", 0) == 60, "no floor (a primary): the configured value");
	ok(pgha_hot_standby_value("6O", 100) == -1 && pgha_hot_standby_value("", 100) == -1 &&
	   pgha_hot_standby_value("-1", 100) == -1 && pgha_hot_standby_value("99999999999", 1) == -1,
	   "no plain integer: left to PostgreSQL (-1)");
}


/* permanent logical slots: the status parts, a replica's copy steps, readiness */
static void
test_logical(void)
{
	char	   *physical[1] = {"backup"};
	uint64		restart[1] = {100};
	PghaLogicalState logical[2] = {{"cdc", 4096, 8192, 731, false}, {"new", 0, 0, 0, false}};
	PghaFeedback fb[1] = {{"node2", 730}};
	char	   *json = pgha_slot_status_json(physical, restart, 1, logical, 2, fb, 1);
	char	   *plain = pgha_slot_status_json(physical, restart, 1, NULL, 0, NULL, 0);
	char	   *doc = psprintf("{\"optime\":9000,%s,\"pgha_leader\":\"node1\",\"pgha_timeline\":2}", json);
	PghaEtcdKV	kv[2];
	PghaEtcdRange r;
	PghaCluster c;
	char		err[256];
	PghaLogicalRemote remote;
	PghaLogicalLocal local;
	PghaCopyReadiness rd;
	const char *why;
	uint64		target;

	is_str(json, "\"slots\":{\"backup\":100,\"cdc\":8192},\"pgha_logical\":{\"cdc\":{\"catalog_xmin\":731,\"restart_lsn\":4096}},"
		   "\"pgha_feedback\":{\"node2\":730}",
		   "status: a logical slot's confirmed_flush in \"slots\" (as Patroni), restart_lsn and catalog_xmin in pgha_logical; feedback; a slot without values left out");
	is_str(plain, "\"slots\":{\"backup\":100}", "status without logical slots: Patroni's \"slots\" alone");

	memset(kv, 0, sizeof(kv));
	memset(&r, 0, sizeof(r));
	kv[0].key = "/service/x/status";
	kv[0].value = doc;
	kv[0].value_len = strlen(doc);
	kv[1].key = "/service/x/leader";
	kv[1].value = "node1";
	kv[1].value_len = 5;
	r.kvs = kv;
	r.nkvs = 2;
	memset(&c, 0, sizeof(c));
	ok(pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err)), "the status parses: %s", err);
	pgha_slot_leader_logical(&c, "cdc", 2, &remote);
	ok(remote.known && remote.confirmed_flush == 8192 && remote.restart_lsn == 4096 && remote.catalog_xmin == 731,
	   "a replica reads the leader's three values of a logical slot");
	ok(pgha_slot_leader_feedback(&c, "node2", 2) == 730 && pgha_slot_leader_feedback(&c, "node3", 2) == 0,
	   "... and the catalog_xmin its own member slot holds on the leader");
	pgha_slot_leader_logical(&c, "backup", 2, &remote);
	ok(!remote.known, "a physical slot's position is no logical slot's values");
	pgha_slot_leader_logical(&c, "cdc", 3, &remote);
	ok(!remote.known && pgha_slot_leader_feedback(&c, "node2", 3) == 0,
	   "values from another timeline are not taken (past the fork, maybe)");

	pgha_slot_leader_logical(&c, "cdc", 2, &remote);
	memset(&local, 0, sizeof(local));
	ok(pgha_logical_copy_step(&remote, &local, 8191, &target, &why) == PGHA_COPY_WAIT && strstr(why, "ahead of what this replica has replayed"),
	   "no copy while the consumer is past this replica's replay (a failover would skip what comes between)");
	ok(pgha_logical_copy_step(&remote, &local, 8192, &target, &why) == PGHA_COPY_CREATE, "a missing copy is made once replayed");
	local.exists = local.logical = local.matches = local.persistent = local.has_snapshot = true;
	local.restart_lsn = 4096;
	local.confirmed_flush = 8192;
	local.catalog_xmin = 731;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_NONE && target == 0,
	   "a copy at the consumer's position: nothing");
	local.confirmed_flush = 5000;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_ADVANCE && target == 8192,
	   "a copy behind: decoded forward to the consumer's position");
	ok(pgha_logical_copy_step(&remote, &local, 6000, &target, &why) == PGHA_COPY_ADVANCE && target == 6000,
	   "... never past this replica's replay");
	local.confirmed_flush = 6000;
	ok(pgha_logical_copy_step(&remote, &local, 6000, &target, &why) == PGHA_COPY_NONE && target == 0 &&
	   strstr(why, "ahead of what this replica has replayed"), "... and waits there");
	local.confirmed_flush = 9000;
	ok(pgha_logical_copy_step(&remote, &local, 9500, &target, &why) == PGHA_COPY_NONE && strstr(why, "ahead of the leader's slot"),
	   "a copy ahead of the leader's slot stays (not dropped), and says so");
	local.confirmed_flush = 8192;
	local.invalid = true;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_RECREATE,
	   "an invalidated copy (max_slot_wal_keep_size) is made anew");
	local.invalid = false;
	local.active = true;
	local.confirmed_flush = 100;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_NONE && strcmp(why, "in use here") == 0,
	   "a copy in use is not touched");
	local.active = false;
	local.persistent = false;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_NONE && strcmp(why, "being created") == 0,
	   "a slot still being created (ephemeral) is not touched");
	local.persistent = true;
	local.matches = false;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_NONE && strstr(why, "left alone"),
	   "a slot of that name in another database or with another plugin is left alone");
	local.ours = true;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_DROP && strstr(why, "database or plugin"),
	   "... but pgha's own copy of it is dropped (the config names another database or plugin now): made anew after");
	local.matches = true;
	remote.two_phase = true;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_DROP && strstr(why, "two_phase"),
	   "the leader's slot turned two_phase: pgha's copy is dropped (it would never move)");
	local.ours = false;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_NONE && strstr(why, "two_phase"),
	   "... a slot pgha did not make is left alone");
	remote.two_phase = false;
	remote.invalid = true;
	local.ours = true;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_DROP && strstr(why, "invalidated"),
	   "the leader's slot was invalidated: pgha's copy is dropped");
	remote.invalid = false;
	local.has_snapshot = false;
	local.restart_lsn = 4096;
	local.confirmed_flush = 8192;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_ADVANCE && target == 8192,
	   "a copy that never decoded (its consumer stands still): decoded up to its own position, for a snapshot of its own");
	local.has_snapshot = true;
	remote.known = false;
	ok(pgha_logical_copy_step(&remote, &local, 9000, &target, &why) == PGHA_COPY_WAIT, "nothing from the current leader: wait");

	ok(pgha_xid_precedes_or_equals(4294967000U, 5) && !pgha_xid_precedes_or_equals(5, 4294967000U) &&
	   pgha_xid_precedes_or_equals(7, 7), "transaction ids compare modulo 2^32");
	memset(&rd, 0, sizeof(rd));
	/* made at revision 100 from a status of revision 90 */
	pgha_copy_readiness_step(&rd, "node1", 2, true, 100, 90, 731, 0, 731);
	ok(!rd.xmin_ready && rd.remembered == 0, "readiness: no feedback yet, not ready");
	pgha_copy_readiness_step(&rd, "node1", 2, false, 101, 90, 731, 800, 731);
	ok(!rd.xmin_ready && rd.remembered == 0,
	   "feedback from before the copy (another copy's) in a status older than the copy: not remembered");
	pgha_copy_readiness_step(&rd, "node1", 2, false, 102, 102, 790, 770, 770);
	ok(!rd.xmin_ready, "feedback went back (800 -> 770: the new copy's): starts over, not ready");
	pgha_copy_readiness_step(&rd, "node1", 2, false, 103, 103, 790, 770, 770);
	ok(!rd.xmin_ready && rd.remembered == 790,
	   "a later status: the primary slot's catalog_xmin remembered (790); feedback 770 older: not ready (rows in 770..790 may be gone)");
	pgha_copy_readiness_step(&rd, "node1", 2, false, 104, 104, 795, 790, 795);
	ok(rd.xmin_ready, "ready once remembered <= feedback <= the copy's catalog_xmin");
	pgha_copy_readiness_step(&rd, "node1", 2, false, 105, 105, 800, 796, 795);
	ok(!rd.xmin_ready, "not while the feedback is past the copy's catalog_xmin");
	pgha_copy_readiness_step(&rd, "node3", 3, false, 106, 106, 810, 805, 810);
	ok(!rd.xmin_ready && rd.remembered == 810, "another leader: starts over");
	pgha_copy_readiness_step(&rd, "node3", 3, false, 107, 107, 820, 0, 820);
	ok(!rd.xmin_ready && rd.remembered == 0, "feedback gone (hot_standby_feedback off): starts over");
	pgha_copy_readiness_step(&rd, "node3", 3, true, 200, 199, 4294967000U, 4294966990U, 4294967000U);
	pgha_copy_readiness_step(&rd, "node3", 3, false, 0, 201, 4294967000U, 4294966995U, 4294967000U);
	ok(rd.remembered == 0 && rd.made_revision == PGHA_REVISION_LATER,
	   "a status the watch's cache shows before any read followed the copy: not remembered (it may predate the copy)");
	pgha_copy_readiness_step(&rd, "node3", 3, false, 202, 202, 4294967000U, 4294966995U, 4294967000U);
	ok(rd.remembered == 0 && rd.made_revision == 202,
	   "the first read after the copy: statuses up to it may predate the copy, not remembered");
	pgha_copy_readiness_step(&rd, "node3", 3, false, 0, 203, 4294967000U, 4294966995U, 4294967000U);
	ok(!rd.xmin_ready && rd.remembered == 4294967000U, "just before wraparound: remembered, not ready");
	pgha_copy_readiness_step(&rd, "node3", 3, false, 204, 204, 5, 3, 5);
	ok(rd.xmin_ready, "across wraparound: 4294967000 <= 3 <= 5, ready");
}

void
unit_slots_tests(void)
{
	test_logical();
	test_upstream();
	test_hot_standby();
	test_retention();
	test_config();
	test_status();
	test_leader_record();
	test_failsafe_key();
}
