/*-------------------------------------------------------------------------
 *
 * unit_json.c
 *		Pure tests: base64, key layout and settings syntax, etcd JSON
 *		bodies and parsers fed canned and hostile responses.
 *
 * Canned responses are copied from reference/etcd-v3-json.md, which
 * recorded them from etcd 3.4.23.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/pgha_base64.h"
#include "shared/cluster.h"
#include "shared/timeline.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "unit.h"

static void
test_base64(void)
{
	size_t		n;
	char	   *s;
	const char *bin = "a\0b\xff";

	is_str(pgha_b64_encode("/service/c1/leader", 18), "L3NlcnZpY2UvYzEvbGVhZGVy",
		   "base64 of the leader key matches etcd's");
	is_str(pgha_b64_encode("node1", 5), "bm9kZTE=", "base64 pads one byte");
	is_str(pgha_b64_encode("", 0), "", "base64 of nothing is empty");
	s = pgha_b64_decode("bm9kZTE=", 8, &n);
	ok(s && n == 5 && strcmp(s, "node1") == 0, "base64 decodes node1");
	s = pgha_b64_encode(bin, 4);
	s = pgha_b64_decode(s, strlen(s), &n);
	ok(s && n == 4 && memcmp(s, bin, 4) == 0, "base64 round-trips binary with NUL and 0xff");
	ok(pgha_b64_decode("bm9k!TE=", 8, &n) == NULL, "base64 rejects a bad character");
	ok(pgha_b64_decode("bm9kZTE", 7, &n) == NULL, "base64 rejects a bad length");
	ok(pgha_b64_decode("bm=kZTE=", 8, &n) == NULL, "base64 rejects padding in the middle");
	ok(pgha_b64_decode("bm9kZT-_", 8, &n) == NULL, "base64 rejects the URL-safe alphabet");
}

static void
test_keys(void)
{
	char		err[256];
	char	   *urls[PGHA_MAX_ENDPOINTS];
	int			n;

	is_str(pgha_key_prefix("/service", "c1"), "/service/c1/", "prefix of /service + c1");
	is_str(pgha_key_prefix("service", "c1"), "/service/c1/", "namespace without a slash");
	is_str(pgha_key_prefix("/service/", "c1"), "/service/c1/", "namespace with a trailing slash");
	is_str(pgha_key_prefix("/", "c1"), "/c1/", "empty namespace");
	is_str(pgha_member_key("/service/c1/", "node1"), "/service/c1/members/node1", "member key");
	ok(pgha_name_valid("node-1.a_b", err, sizeof(err)), "a name with - . _ is valid");
	ok(!pgha_name_valid("node/1", err, sizeof(err)), "a name with / is refused");
	ok(!pgha_name_valid("", err, sizeof(err)), "an empty name is refused");
	ok(pgha_hostport_valid("127.0.0.1:5432", err, sizeof(err)), "host:port is valid");
	ok(pgha_hostport_valid("[::1]:2379", err, sizeof(err)), "[ipv6]:port is valid");
	ok(!pgha_hostport_valid("127.0.0.1", err, sizeof(err)), "a host without port is refused");
	ok(!pgha_hostport_valid("h:99999", err, sizeof(err)), "port 99999 is refused");
	ok(!pgha_hostport_valid("h x:1", err, sizeof(err)), "a host with a space is refused");

	n = pgha_etcd_hosts_parse("127.0.0.1:2379, https://e2:2379/,http://e3:1", "http",
							  urls, PGHA_MAX_ENDPOINTS, err, sizeof(err));
	is_int(n, 3, "three etcd endpoints parsed");
	if (n == 3)
	{
		is_str(urls[0], "http://127.0.0.1:2379", "bare host:port gets the default scheme");
		is_str(urls[1], "https://e2:2379", "https URL kept, trailing slash dropped");
		is_str(urls[2], "http://e3:1", "http URL kept");
	}
	n = pgha_etcd_hosts_parse("ftp://x:1", "http", urls, PGHA_MAX_ENDPOINTS, err, sizeof(err));
	ok(n < 0 && strstr(err, "http or https") != NULL, "ftp scheme refused: %s", err);
	n = pgha_etcd_hosts_parse(" , ", "http", urls, PGHA_MAX_ENDPOINTS, err, sizeof(err));
	ok(n < 0, "an empty endpoint list is refused");
}

static json_t *
load(const char *s)
{
	char		err[256];

	return pgha_etcdj_load(s, strlen(s), err, sizeof(err));
}

static void
test_bodies(void)
{
	PghaEtcdTxn txn;
	char	   *body;
	size_t		len;
	char	   *end;

	body = pgha_etcdj_range_body("/service/c1/", true);
	is_str(body, "{\"key\":\"L3NlcnZpY2UvYzEv\",\"range_end\":\"L3NlcnZpY2UvYzEw\"}",
		   "prefix range body (range_end = prefix with last byte + 1), linearizable: "
		   "no \"serializable\" (a leader's renewal rests on this read)");
	free(body);
	body = pgha_etcdj_put_body("/service/c1/leader", "node1", 4752038767775423517LL);
	is_str(body, "{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"value\":\"bm9kZTE=\",\"lease\":\"4752038767775423517\"}",
		   "put body carries the lease as a string");
	free(body);

	end = pgha_etcdj_prefix_end("a\xff\xff", 3, &len);
	ok(len == 1 && end[0] == 'b', "prefix end drops trailing 0xff bytes");
	end = pgha_etcdj_prefix_end("\xff", 1, &len);
	ok(len == 1 && end[0] == '\0', "prefix of only 0xff means every key (a NUL byte)");

	memset(&txn, 0, sizeof(txn));
	txn.ncompare = 1;
	txn.compare[0].key = "/service/c1/leader";
	txn.compare[0].target = PGHA_CMP_CREATE;
	txn.compare[0].result = PGHA_CMP_EQUAL;
	txn.compare[0].number = 0;
	txn.nsuccess = 1;
	txn.success[0].type = PGHA_OP_PUT;
	txn.success[0].key = "/service/c1/leader";
	txn.success[0].value = "node1";
	txn.success[0].lease = 1000;
	txn.nfailure = 1;
	txn.failure[0].type = PGHA_OP_RANGE;
	txn.failure[0].key = "/service/c1/leader";
	body = pgha_etcdj_txn_body(&txn);
	is_str(body,
		   "{\"compare\":[{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
		   "\"success\":[{\"request_put\":{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"value\":\"bm9kZTE=\",\"lease\":\"1000\"}}],"
		   "\"failure\":[{\"request_range\":{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\"}}]}",
		   "create-if-absent txn body matches the reference");
	free(body);

	txn.compare[0].target = PGHA_CMP_VALUE;
	txn.compare[0].value = "node1";
	body = pgha_etcdj_txn_body(&txn);
	ok(strstr(body, "\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"bm9kZTE=\"") != NULL,
	   "value compare is base64");
	free(body);
}

static void
test_parsers(void)
{
	json_t	   *root;
	PghaEtcdRange r;
	PghaEtcdTxnResult t;
	PghaEtcdStatus st;
	PghaEtcdMember *members;
	PghaEtcdWatchFrame f;
	char		err[256];
	int			code;
	int			n;
	int64		v;

	/* range with one kv (reference section 1) */
	root = load("{\"header\":{\"cluster_id\":\"17368989521238926805\",\"member_id\":\"17628310501313495538\",\"revision\":\"6\",\"raft_term\":\"2\"},"
				"\"kvs\":[{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"bm9kZTE=\",\"lease\":\"4752038767775423517\"}],\"count\":\"1\"}");
	ok(root && pgha_etcdj_range(root, &r, err, sizeof(err)), "range response parses");
	ok(r.header.cluster_id == 17368989521238926805ULL, "uint64 cluster id above 2^63 survives");
	ok(r.header.revision == 6 && r.header.raft_term == 2, "header revision and raft term");
	ok(r.nkvs == 1 && strcmp(r.kvs[0].key, "/service/c1/leader") == 0 &&
	   strcmp(r.kvs[0].value, "node1") == 0, "kv key and value decoded");
	ok(r.kvs[0].lease == 4752038767775423517LL, "lease id above 2^53 is exact");
	json_decref(root);

	/* range that matched nothing: only a header (proto3 omits the rest) */
	root = load("{\"header\":{\"revision\":\"6\"}}");
	ok(root && pgha_etcdj_range(root, &r, err, sizeof(err)) && r.nkvs == 0 && r.count == 0,
	   "empty range: no kvs, count 0");
	json_decref(root);

	/* failed compare: no "succeeded", failure branch range */
	root = load("{\"header\":{\"revision\":\"34\"},\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"34\"},"
				"\"kvs\":[{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"create_revision\":\"34\",\"mod_revision\":\"34\",\"version\":\"1\",\"value\":\"bm9kZTE=\",\"lease\":\"4752038767775424521\"}],\"count\":\"1\"}}]}");
	ok(root && pgha_etcdj_txn(root, &t, err, sizeof(err)), "failed txn parses");
	ok(!t.succeeded, "absent \"succeeded\" means the compare failed");
	ok(t.nresponses == 1 && t.responses[0].nkvs == 1 &&
	   strcmp(t.responses[0].kvs[0].value, "node1") == 0, "loser learns the winner from the failure range");
	json_decref(root);

	root = load("{\"header\":{\"revision\":\"35\"},\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"35\"}}}]}");
	ok(root && pgha_etcdj_txn(root, &t, err, sizeof(err)) && t.succeeded && t.nresponses == 1,
	   "successful txn parses");
	json_decref(root);

	/* hostile: wrong types never become values */
	root = load("{\"header\":{\"revision\":\"35\"},\"succeeded\":\"yes\"}");
	ok(root && !pgha_etcdj_txn(root, &t, err, sizeof(err)), "\"succeeded\" as a string is rejected");
	json_decref(root);
	root = load("{\"header\":{\"revision\":\"1.5\"}}");
	ok(root && !pgha_etcdj_range(root, &r, err, sizeof(err)), "a fractional revision is rejected");
	json_decref(root);
	root = load("{\"header\":{\"revision\":\"99999999999999999999\"}}");
	ok(root && !pgha_etcdj_range(root, &r, err, sizeof(err)), "an int64 overflow is rejected");
	json_decref(root);
	root = load("{\"kvs\":[{\"key\":\"!!!\"}]}");
	ok(root && !pgha_etcdj_range(root, &r, err, sizeof(err)), "a kv with bad base64 is rejected");
	json_decref(root);
	root = load("{\"kvs\":{\"key\":\"eA==\"}}");
	ok(root && !pgha_etcdj_range(root, &r, err, sizeof(err)), "kvs as an object is rejected");
	json_decref(root);
	root = load("{\"kvs\":[{\"value\":\"eA==\"}]}");
	ok(root && !pgha_etcdj_range(root, &r, err, sizeof(err)), "a kv without a key is rejected");
	json_decref(root);
	root = load("{\"responses\":[{\"response_bogus\":{}}]}");
	ok(root && !pgha_etcdj_txn(root, &t, err, sizeof(err)), "an unknown txn response type is rejected");
	json_decref(root);
	ok(load("{\"header\":") == NULL, "truncated JSON is rejected");
	ok(load("[1,2]") == NULL, "a JSON array is not a response");
	ok(load("") == NULL, "an empty body is rejected");
	ok(load("{\"succeeded\":true,\"succeeded\":false}") == NULL, "duplicate keys are rejected");
	ok(pgha_etcdj_load("{\"a\":1}\n", 8, err, sizeof(err)) != NULL, "a trailing newline is fine");

	/* int64 as string or number, absent is 0 */
	root = load("{\"a\":\"42\",\"b\":7,\"c\":\"x\",\"d\":true}");
	ok(pgha_etcdj_int64(root, "a", &v, err, sizeof(err)) && v == 42, "int64 from a string");
	ok(pgha_etcdj_int64(root, "b", &v, err, sizeof(err)) && v == 7, "int64 from a number");
	ok(pgha_etcdj_int64(root, "z", &v, err, sizeof(err)) && v == 0, "absent int64 is 0");
	ok(!pgha_etcdj_int64(root, "c", &v, err, sizeof(err)), "int64 from \"x\" is rejected");
	ok(!pgha_etcdj_int64(root, "d", &v, err, sizeof(err)), "int64 from true is rejected");
	json_decref(root);

	/* error shapes */
	root = load("{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: requested lease not found\",\"code\":5}");
	ok(pgha_etcdj_error(root, &code, err, sizeof(err)) && code == 5 &&
	   strcmp(err, "etcdserver: requested lease not found") == 0, "unary error shape");
	json_decref(root);
	root = load("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}");
	ok(pgha_etcdj_error(root, &code, err, sizeof(err)) && code == 14 &&
	   strcmp(err, "etcdserver: no leader") == 0, "stream error shape");
	json_decref(root);

	/* status and member list */
	root = load("{\"header\":{\"member_id\":\"17628310501313495538\"},\"version\":\"3.4.23\",\"dbSize\":\"6537216\",\"leader\":\"17628310501313495538\",\"raftIndex\":\"104\",\"raftTerm\":\"3\",\"raftAppliedIndex\":\"104\",\"dbSizeInUse\":\"2535424\"}");
	ok(pgha_etcdj_status(root, &st, err, sizeof(err)) && st.leader == st.header.member_id &&
	   st.raft_term == 3 && strcmp(st.version, "3.4.23") == 0, "status parses; leader == member");
	json_decref(root);
	root = load("{\"header\":{},\"version\":\"3.4.23\",\"errors\":[\"etcdserver: no leader\"]}");
	ok(pgha_etcdj_status(root, &st, err, sizeof(err)) && st.leader == 0 &&
	   strcmp(st.errors, "etcdserver: no leader") == 0, "status without a leader");
	json_decref(root);
	root = load("{\"header\":{},\"members\":[{\"ID\":\"1\",\"name\":\"m1\",\"peerURLs\":[\"http://127.0.0.1:2380\"],\"clientURLs\":[\"http://127.0.0.1:2379\"]},{\"ID\":\"2\",\"peerURLs\":[\"http://x:1\"]}]}");
	ok(pgha_etcdj_members(root, &members, &n, err, sizeof(err)) && n == 2 &&
	   strcmp(members[0].client_url, "http://127.0.0.1:2379") == 0 &&
	   members[1].client_url == NULL && members[1].name[0] == '\0',
	   "member list, including an unstarted member");
	json_decref(root);

	/* watch frames (reference section 4) */
	{
		const char *c = "{\"result\":{\"header\":{\"revision\":\"42\"},\"created\":true}}";

		ok(pgha_etcdj_watch_frame(c, strlen(c), &f, &code, err, sizeof(err)) &&
		   f.created && f.nevents == 0, "watch created frame");
	}
	{
		const char *put = "{\"result\":{\"header\":{\"revision\":\"43\"},\"events\":[{\"kv\":{\"key\":\"L3NlcnZpY2UvYzEvbGVhZGVy\",\"create_revision\":\"34\",\"mod_revision\":\"43\",\"version\":\"6\",\"value\":\"bm9kZTE=\"}},"
		"{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3NlcnZpY2UvYzEvbWVtYmVycy9ub2RlMw==\",\"mod_revision\":\"45\"}}]}}";

		ok(pgha_etcdj_watch_frame(put, strlen(put), &f, &code, err, sizeof(err)) &&
		   f.nevents == 2 && f.events[0].type == PGHA_EVENT_PUT &&
		   f.events[1].type == PGHA_EVENT_DELETE &&
		   strcmp(f.events[1].kv.key, "/service/c1/members/node3") == 0,
		   "watch events: PUT has no type, DELETE does");
	}
	{
		const char *c = "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"3\"}}";

		ok(pgha_etcdj_watch_frame(c, strlen(c), &f, &code, err, sizeof(err)) &&
		   f.canceled && f.compact_revision == 3, "compacted watch is canceled with compact_revision");
	}
	{
		const char *e = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\"}}";

		ok(!pgha_etcdj_watch_frame(e, strlen(e), &f, &code, err, sizeof(err)) && code == 14,
		   "a stream error frame is reported with its code");
	}
	{
		const char *e = "{\"result\":{\"events\":[{\"type\":\"BOGUS\",\"kv\":{\"key\":\"eA==\"}}]}}";

		ok(!pgha_etcdj_watch_frame(e, strlen(e), &f, &code, err, sizeof(err)) && code == 0,
		   "an unknown event type is rejected");
	}
}

/* what pg_monitor sees of pg_hba lines and the config document */
static void
test_redact(void)
{
	char	   *r;

	is_str(pgha_hba_mask_secrets("host all all 10.0.0.0/8 ldap ldapserver=ldap.example.com ldapbinddn=\"cn=admin\" ldapbindpasswd=s3cret ldapbasedn=\"dc=example\""),
		   "host all all 10.0.0.0/8 ldap ldapserver=ldap.example.com ldapbinddn=\"cn=admin\" ldapbindpasswd=******** ldapbasedn=\"dc=example\"",
		   "ldapbindpasswd masked, the other options kept");
	is_str(pgha_hba_mask_secrets("host all all 0.0.0.0/0 radius radiusservers=\"a,b\" radiussecrets=\"one two\",x"),
		   "host all all 0.0.0.0/0 radius radiusservers=\"a,b\" radiussecrets=********",
		   "a quoted radiussecrets list with a blank inside masked whole");
	/* the parser's message about such a line, with its secrets masked */
	is_str(pgha_hba_mask_in_text("host all all 0/0 radius radiusservers=a,b radiussecrets=hunter2,hunter3",
								 "authentication option not in name=value format: hunter3"),
		   "authentication option not in name=value format: ********",
		   "a parser message quoting the second secret of a list: masked");
	is_str(pgha_hba_mask_in_text("host all all 0/0 radius \"radiussecrets=hunter2,hunter3\"", "x hunter2 y hunter3"),
		   "x ******** y ********", "... and each part of a quoted list");
	is_str(pgha_hba_mask_in_text("host all all 0/0 trust", "unrecognized authentication option name: \"bogus\""),
		   "unrecognized authentication option name: \"bogus\"", "a message about a line without secrets is kept");

	/* every spelling PostgreSQL's tokenizer reads as a password option */
	{
		static const struct
		{
			const char *in;
			const char *out;
			const char *what;
		}			spellings[] = {
			{"ldap \"ldapbindpasswd=hunter2\"", "ldap ldapbindpasswd=********", "quoted whole"},
			{"ldap ldapbind\"passwd=hunter2\"", "ldap ldapbindpasswd=********", "quoted in part"},
			{"ldap ldapserver=l,ldapbindpasswd=hunter2", "ldap ldapserver=l,ldapbindpasswd=********",
			"after a comma"},
			{"ldap ldapbindpasswd=hunter2,ldapport=389", "ldap ldapbindpasswd=********,ldapport=389",
			"before a comma and another option"},
			{"radius \"radiussecrets=hunter2,hunter3\"", "radius radiussecrets=********", "a quoted list"},
			{"radius radiussecrets=hunter2,hunter3", "radius radiussecrets=********",
			"an unquoted list (PostgreSQL refuses it; masked all the same)"},
			{"radius radiussecrets=\"hunt\"\"er2\"", "radius radiussecrets=********", "a doubled quote inside"},
			{"ldap ldapbindpasswd=\"hunt#er2\"", "ldap ldapbindpasswd=********", "a # inside quotes"},
			{"ldap ldapbindpasswd=hunter2# note", "ldap ldapbindpasswd=********# note", "a comment after it"},
			{"ldap\tldapbindpasswd=hunter2\tx=1", "ldap\tldapbindpasswd=********\tx=1", "tabs"},
		};

		for (int i = 0; i < (int) lengthof(spellings); i++)
		{
			char	   *m = pgha_hba_mask_secrets(spellings[i].in);

			ok(strcmp(m, spellings[i].out) == 0 && strstr(m, "hunt") == NULL,
			   "pg_hba masking, %s: \"%s\"", spellings[i].what, m);
		}
	}
	is_str(pgha_hba_mask_secrets("host all all 127.0.0.1/32 LDAPBINDPASSWD=x"),
		   "host all all 127.0.0.1/32 LDAPBINDPASSWD=********", "option names in any case");
	is_str(pgha_hba_mask_secrets("host all xldapbindpasswd=1 127.0.0.1/32 trust"),
		   "host all xldapbindpasswd=1 127.0.0.1/32 trust", "only whole option names");
	is_str(pgha_hba_mask_secrets("local all all peer"), "local all all peer", "a line without secrets unchanged");
	is_str(pgha_hba_mask_secrets("host all all 10.0.0.0/8 ldap ldapbindpasswd= ldapbindpasswd= ldapbindpasswd="),
		   "host all all 10.0.0.0/8 ldap ldapbindpasswd=******** ldapbindpasswd=******** ldapbindpasswd=********",
		   "empty values, repeated: masked, no overflow");

	r = pgha_config_redact("{\"ttl\":10,\"postgresql\":{\"pg_hba\":[\"host all all 10.0.0.0/8 ldap ldapbindpasswd=pw\"],"
						   "\"parameters\":{\"archive_command\":\"curl -u me:pw\"}}}", false);
	is_str(r, "{\"postgresql\":{\"parameters\":{\"archive_command\":\"curl -u me:pw\"},\"pg_hba\":[\"host all all 10.0.0.0/8 ldap ldapbindpasswd=********\"]},\"ttl\":10}",
		   "config for pg_monitor: the hba password masked, parameters as pg_settings shows them");
	free(r);
	r = pgha_config_redact("{\"postgresql\":{\"parameters\":{\"archive_command\":\"curl -u me:pw\",\"work_mem\":\"8MB\"}}}", true);
	is_str(r, "{\"postgresql\":{\"parameters\":{\"archive_command\":\"********\",\"work_mem\":\"********\"}}}",
		   "config for a reader without pg_read_all_settings: every parameter value masked");
	free(r);
	ok(pgha_config_redact("not json", false) == NULL, "a document that is not JSON: NULL");
}

/* pgha.set_config(wait =>): who has not applied a revision yet */
static void
test_members_behind(void)
{
	PghaEtcdKV	kvs[4];
	PghaEtcdRange r;
	char	   *b;

	memset(kvs, 0, sizeof(kvs));
	memset(&r, 0, sizeof(r));
	kvs[0].key = "/service/x/members/node2";
	kvs[0].value = "{\"conn_url\":\"postgres://h:5432/postgres\",\"state\":\"running\",\"role\":\"replica\",\"pgha\":{\"config_revision\":5}}";
	kvs[1].key = "/service/x/members/node3";
	kvs[1].value = "{\"conn_url\":\"postgres://h:5433/postgres\",\"state\":\"running\",\"role\":\"replica\",\"pgha\":{\"config_revision\":9}}";
	/* shorter than the prefix: must not be read past its end */
	kvs[2].key = pstrdup("/s");
	kvs[2].value = kvs[0].value;
	kvs[3].key = "/service/x/members/other";
	kvs[3].value = "{\"conn_url\":\"postgres://h:5434/postgres\",\"state\":\"sysid mismatch\",\"role\":\"replica\"}";
	for (int i = 0; i < 4; i++)
		kvs[i].value_len = strlen(kvs[i].value);
	r.kvs = kvs;
	r.nkvs = 4;
	b = pgha_members_behind("/service/x/members/", &r, 7);
	is_str(b, "node2 (revision 5)",
		   "members behind revision 7: node2 only (node3 applied it, another cluster's node applies nothing, a short key is skipped)");
	pfree(b);
	pfree(kvs[2].key);
}

/* the history key after a promotion: every switch of the node's history file */
static void
test_history_add(void)
{
	PghaTimelineSwitch sw[3] = {{1, 100}, {2, 200}, {3, 300}};
	char	   *h;
	uint64		lsn;

	h = pgha_history_add("", sw, 2, 3, "r", "t2", "me");
	is_str(h, "[[1,100,\"r\",\"\",\"\"],[2,200,\"r\",\"t2\",\"me\"]]",
		   "history: an empty key gets both switches, the older one without time or leader");
	free(h);
	h = pgha_history_add("[[1,100,\"r\",\"t1\",\"a\"]]", sw, 2, 3, "r", "t2", "me");
	is_str(h, "[[1,100,\"r\",\"t1\",\"a\"],[2,200,\"r\",\"t2\",\"me\"]]",
		   "history: an entry the key has is kept as it is, the new one appended");
	free(h);
	h = pgha_history_add("[[1,100,\"r\",\"t1\",\"a\"],[3,300,\"r\",\"t3\",\"b\"]]", sw, 3, 4, "r", "t4", "me");
	is_str(h, "[[1,100,\"r\",\"t1\",\"a\"],[2,200,\"r\",\"\",\"\"],[3,300,\"r\",\"t3\",\"b\"]]",
		   "history: a missing switch in the middle goes in its place");
	ok(h != NULL && pgha_history_switch_lsn(h, 2, &lsn) && lsn == 200,
	   "history: a standby left on timeline 2 now finds where it ended");
	free(h);
	ok(pgha_history_add("[[1,100,\"r\",\"t1\",\"a\"],[2,200,\"r\",\"t2\",\"b\"]]", sw, 2, 3, "r", "t", "me") == NULL,
	   "history: nothing missing, nothing to write");
	{
		PghaTimelineSwitch mine[2] = {{1, 100}, {3, 350}};

		/* another branch wrote timeline 2 (ended at 200) and 3 ended at 300; this leader's lineage is 1 -> 3 -> 4 */
		h = pgha_history_add("[[1,100,\"r\",\"t1\",\"a\"],[2,200,\"r\",\"t2\",\"x\"],[3,300,\"r\",\"t3\",\"x\"]]",
							 mine, 2, 4, "r", "t4", "me");
		is_str(h, "[[1,100,\"r\",\"t1\",\"a\"],[2,0,\"" PGHA_TIMELINE_SKIPPED "\",\"\",\"\"],[3,350,\"r\",\"t4\",\"me\"]]",
			   "history: entries of another branch are replaced by this leader's lineage (2 skipped, 3 ended at 350)");
		free(h);
	}
}

/*
 * Timeline ids no two promotions share: the reservation key, the id a
 * promotion must take, and the history entries of skipped ids.
 */
static void
test_timeline_reservation(void)
{
	PghaCluster c;
	PghaMember	members[2];
	PghaTimelineSwitch sw[2] = {{1, 100}, {4, 400}};
	char		member[PGHA_NAME_LEN];
	char	   *h;
	char	   *j;
	int			tl;
	uint64		lsn;

	j = pgha_reservation_to_json(3, "node2");
	is_str(j, "{\"timeline\":3,\"member\":\"node2\"}", "reservation: its JSON");
	ok(pgha_reservation_parse(j, strlen(j), &tl, member, sizeof(member)) && tl == 3 &&
	   strcmp(member, "node2") == 0, "reservation: read back");
	free(j);
	ok(!pgha_reservation_parse("{\"timeline\":\"3\",\"member\":\"n\"}", 33, &tl, member, sizeof(member)),
	   "reservation: a timeline as a string is no reservation");
	ok(!pgha_reservation_parse("{\"timeline\":1,\"member\":\"n\"}", 30, &tl, member, sizeof(member)),
	   "reservation: timeline 1 is nobody's promotion");
	ok(!pgha_reservation_parse("{\"timeline\":3,\"member\":\"a/b\"}", 32, &tl, member, sizeof(member)),
	   "reservation: an invalid member name is refused");

	memset(&c, 0, sizeof(c));
	memset(members, 0, sizeof(members));
	c.members = members;
	ok(pgha_timeline_target(&c, "node1", 2, false) == 2,
	   "target: nothing reserved, nothing known: the id PostgreSQL would take");
	c.has_reservation = true;
	c.reserved_timeline = 2;
	strlcpy(c.reserved_by, "node2", sizeof(c.reserved_by));
	ok(pgha_timeline_target(&c, "node1", 2, false) == 3,
	   "target: the id another member reserved is skipped");
	ok(pgha_timeline_target(&c, "node1", 2, true) == 3,
	   "target: ... also while this node's own promotion is under way");
	strlcpy(c.reserved_by, "node1", sizeof(c.reserved_by));
	ok(pgha_timeline_target(&c, "node1", 2, true) == 2,
	   "target: this node's own reservation, its promotion under way: the same id again");
	ok(pgha_timeline_target(&c, "node1", 2, false) == 3,
	   "target: this node's own reservation of a promotion that is over: used");
	c.has_reservation = false;
	c.history_timeline = 4;
	ok(pgha_timeline_target(&c, "node1", 2, false) == 5,
	   "target: past the history key's timeline");
	c.history_timeline = 0;
	strlcpy(members[0].name, "node3", sizeof(members[0].name));
	members[0].timeline = 6;
	strlcpy(members[1].name, "node1", sizeof(members[1].name));
	members[1].timeline = 9;
	c.nmembers = 2;
	ok(pgha_timeline_target(&c, "node1", 2, false) == 7,
	   "target: past another member's timeline (this node's own record does not count)");
	members[0].foreign = true;
	ok(pgha_timeline_target(&c, "node1", 2, false) == 2,
	   "target: a member of another cluster does not count");
	members[0].foreign = false;
	members[0].timeline = INT32_MAX;
	ok(pgha_timeline_target(&c, "node1", 2, false) == INT32_MAX,
	   "target: a member record claiming the largest id does not overflow (the keeper refuses so far a target)");

	memset(&c, 0, sizeof(c));
	memset(members, 0, sizeof(members));
	c.members = members;
	strlcpy(members[0].name, "node1", sizeof(members[0].name));
	members[0].timeline = 3;
	strlcpy(members[1].name, "node2", sizeof(members[1].name));
	members[1].timeline = 4;
	c.nmembers = 2;
	ok(!pgha_timeline_unrecorded(&c, "node2", 1), "unrecorded: timeline 1 never needs recording");
	ok(pgha_timeline_unrecorded(&c, "node2", 4),
	   "unrecorded: an id past every other member's timeline, with nothing reserved (its own record does not count)");
	ok(!pgha_timeline_unrecorded(&c, "node2", 3), "unrecorded: another member runs on it");
	c.has_reservation = true;
	c.reserved_timeline = 4;
	strlcpy(c.reserved_by, "node2", sizeof(c.reserved_by));
	ok(!pgha_timeline_unrecorded(&c, "node2", 4),
	   "unrecorded: this node's own reservation of it is a record (no promotion of its own is under way)");
	ok(pgha_timeline_unrecorded(&c, "node2", 5), "unrecorded: an id past the reservation");
	c.has_reservation = false;
	c.history_timeline = 5;
	ok(!pgha_timeline_unrecorded(&c, "node2", 5) && pgha_timeline_unrecorded(&c, "node2", 6),
	   "unrecorded: the history key's timeline is known, the one after it is not");

	h = pgha_history_add("", sw, 2, 7, "r", "t", "me");
	is_str(h, "[[1,100,\"r\",\"\",\"\"],[2,0,\"" PGHA_TIMELINE_SKIPPED "\",\"\",\"\"],"
		   "[3,0,\"" PGHA_TIMELINE_SKIPPED "\",\"\",\"\"],[4,400,\"r\",\"t\",\"me\"],"
		   "[5,0,\"" PGHA_TIMELINE_SKIPPED "\",\"\",\"\"],[6,0,\"" PGHA_TIMELINE_SKIPPED "\",\"\",\"\"]]",
		   "history: ids the history file skips (2, 3 between 1 and 4; 5, 6 before the current 7) get LSN 0");
	ok(pgha_history_skipped(h, 3) && pgha_history_skipped(h, 6) && !pgha_history_skipped(h, 4) &&
	   !pgha_history_skipped(h, 7), "history: skipped ids read back as skipped, led ones not");
	ok(!pgha_history_switch_lsn(h, 3, &lsn) && pgha_history_switch_lsn(h, 4, &lsn) && lsn == 400,
	   "history: a skipped id has no switch position");
	ok(pgha_history_next_timeline(h) == 7, "history: the cluster's timeline is the current one");

	ok(pgha_history_file_timeline("0000000A.history") == 10 &&
	   pgha_history_file_timeline("00000001.history") == 1, "history file names: their timeline ids");
	ok(pgha_history_file_timeline("0000000a.history") == 0 && pgha_history_file_timeline("0000000A.history.tmp") == 0 &&
	   pgha_history_file_timeline("00000001000000000000000A") == 0 && pgha_history_file_timeline("A.history") == 0,
	   "history file names: lower case, temporary files, segments and short names are none");
	ok(pgha_history_file_timeline("FFFFFFFF.history") == INT32_MAX - 1,
	   "history file names: the largest id leaves room for the next");

	{
		PghaTimelineSwitch f[4];
		PghaTimelineSwitch local;

		ok(pgha_history_file_parse("1\t0/5004640\tno recovery target specified\n\n"
								   "# pgha: a comment\n3\t1/A0\tno recovery target specified\n", f, 4) == 2 &&
		   f[0].timeline == 1 && f[0].lsn == 0x5004640 && f[1].timeline == 3 && f[1].lsn == 0x1000000A0,
		   "history file: its switches, oldest first; comments and blank lines skipped");
		ok(pgha_history_file_parse("1\tnot an lsn\n", f, 4) == -1 && pgha_history_file_parse("", f, 4) == 0,
		   "history file: a line that is no switch is an error; an empty file has none");
		/* h: 1 ended at 100, 2 and 3 skipped, 4 ended at 400, 5 and 6 skipped, 7 current */
		ok(pgha_history_began(h, 4, &local) && local.timeline == 1 && local.lsn == 100,
		   "began: timeline 4 began where 1 ended (2 and 3 skipped)");
		ok(pgha_history_began(h, 7, &local) && local.timeline == 4 && local.lsn == 400,
		   "began: the current timeline began where 4 ended");
		ok(!pgha_history_began(h, 3, &local) && !pgha_history_began(h, 8, &local) &&
		   !pgha_history_began(h, 1, &local),
		   "began: a skipped id, one past the key and the first timeline began nowhere the key shows");
		local.timeline = 4;
		local.lsn = 400;
		ok(!pgha_timeline_forked(h, 7, &local), "forked: this node's 7 began where the cluster's did");
		local.lsn = 500;
		ok(pgha_timeline_forked(h, 7, &local),
		   "forked: this node's 7 began elsewhere: the same id, another timeline");
		local.timeline = 6;
		local.lsn = 400;
		ok(pgha_timeline_forked(h, 7, &local), "forked: ... or from another parent");
		ok(!pgha_timeline_forked(h, 3, &local) && !pgha_timeline_forked(h, 8, &local),
		   "forked: not for an id the cluster skipped, nor one past its history (nothing to compare)");
	}

	memset(&c, 0, sizeof(c));
	c.has_history = true;
	c.history = h;
	ok(pgha_timeline_led(&c, 4) && pgha_timeline_led(&c, 1), "led: an id the history key has end somewhere");
	ok(!pgha_timeline_led(&c, 3) && !pgha_timeline_led(&c, 7),
	   "led: a skipped id is not, nor the current one without the leader's record");
	free(h);
}

/*
 * The authentication body: jansson's copy of the password is zeroed before
 * it is freed.  An allocator that looks at every block jansson frees.
 */
static bool password_freed_in_clear = false;

static void *
checking_malloc(size_t n)
{
	size_t	   *p = malloc(n + sizeof(size_t));

	if (p == NULL)
		return NULL;
	*p = n;
	return p + 1;
}

static void
checking_free(void *ptr)
{
	size_t	   *p = (size_t *) ptr - 1;

	if (ptr == NULL)
		return;
	if (memmem(ptr, *p, "hunter2", 7) != NULL)
		password_freed_in_clear = true;
	free(p);
}

static void
test_auth_body_zeroed(void)
{
	char	   *body;

	json_set_alloc_funcs(checking_malloc, checking_free);
	body = pgha_etcdj_auth_body("pgha", "hunter2");
	ok(body && strstr(body, "\"password\":\"hunter2\"") != NULL, "the authentication body carries the password");
	ok(!password_freed_in_clear, "jansson freed no copy of the password in clear");
	explicit_bzero(body, strlen(body));
	free(body);
	json_set_alloc_funcs(malloc, free);
	body = pgha_etcdj_auth_body("u\"", "a\"b\\c\n\xc3\xa9");
	is_str(body, "{\"name\":\"u\\\"\",\"password\":\"a\\\"b\\\\c\\u000a\xc3\xa9\"}",
		   "quotes, backslashes and control characters escaped, UTF-8 kept");
	free(body);
}

/*
 * The leader key naming this node on a lease its worker does not hold:
 * taken over at once when the member record on that lease is this node's
 * (pgha's instance field, or for Patroni's records the conn_url), else
 * left to expire.
 */
static void
test_name_conflict(void)
{
	static const char *patroni =
		"{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"state\":\"running\",\"role\":\"master\",\"version\":\"3.0.2\"}";
	static const char *pgha_rec =
		"{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"role\":\"primary\",\"pgha\":{\"instance\":\"db1:2049:77\"}}";
	PghaMember	m;
	PghaCluster c;
	PghaSelf	self = {.name = "node1", .instance = "db1:2049:77",
	.conn_url = "postgres://10.0.0.1:5432/postgres", .lease = 500, .old_lease = 0,
	.adopt_unmarked = true, .timeline = 1, .lsn = 1000};
	char		err[256];

	memset(&c, 0, sizeof(c));
	c.has_leader = true;
	strlcpy(c.leader, "node1", sizeof(c.leader));
	c.leader_lease = 77;
	c.members = &m;
	c.nmembers = 1;

	ok(pgha_member_from_json("node1", patroni, strlen(patroni), &m, err, sizeof(err)), "Patroni's member record parses");
	m.timeline = 1;
	m.xlog_location = 900;
	m.lease = 77;
	ok(pgha_name_conflict(&c, &self) == 0,
	   "Patroni's leader and member keys for this node's address, on one lease: taken over");
	self.conn_url = "postgres://10.0.0.2:5432/postgres";
	ok(pgha_name_conflict(&c, &self) == 77, "... for another address: another instance's, left to expire");
	self.conn_url = "postgres://10.0.0.1:5433/postgres";
	ok(pgha_name_conflict(&c, &self) == 77, "... for another port: left to expire");
	self.conn_url = "postgres://10.0.0.1:5432/postgres";
	self.adopt_unmarked = false;
	ok(pgha_name_conflict(&c, &self) == 77,
	   "... once this worker published its own record: an agent still running under this name");
	self.adopt_unmarked = true;
	m.timeline = 2;
	ok(pgha_name_conflict(&c, &self) == 77, "... on another timeline: another server");
	m.timeline = 1;
	m.xlog_location = 1001;
	ok(pgha_name_conflict(&c, &self) == 77, "... with WAL beyond this server's: another server");
	m.xlog_location = 900;
	strlcpy(m.host, "10.0.0.1", sizeof(m.host));
	self.conn_url = "postgres://DB1:5432/postgres";
	strlcpy(m.host, "db1", sizeof(m.host));
	ok(pgha_name_conflict(&c, &self) == 0, "host names compare without case");
	strlcpy(m.host, "10.0.0.1", sizeof(m.host));
	self.conn_url = "postgres://10.0.0.1:5432/postgres";
	m.lease = 78;
	ok(pgha_name_conflict(&c, &self) == 77, "a leader key on another lease than the member record: left to expire");
	c.nmembers = 0;
	ok(pgha_name_conflict(&c, &self) == 77, "a leader key without a member record: left to expire");
	c.nmembers = 1;
	c.has_leader = false;
	ok(pgha_name_conflict(&c, &self) == 0, "no leader key, Patroni's member record for this address: this node's, rewritten on its lease");
	self.conn_url = "postgres://10.0.0.2:5432/postgres";
	ok(pgha_name_conflict(&c, &self) == 78, "... for another address: another running instance");
	self.conn_url = "postgres://10.0.0.1:5432/postgres";

	c.has_leader = true;
	ok(pgha_member_from_json("node1", pgha_rec, strlen(pgha_rec), &m, err, sizeof(err)), "pgha's member record parses");
	m.lease = 77;
	ok(pgha_name_conflict(&c, &self) == 0, "pgha's record written by this instance: taken over (a restart)");
	self.instance = "db2:2049:77";
	ok(pgha_name_conflict(&c, &self) == 77, "written by another instance at the same address: left to expire");
	self.lease = 77;
	ok(pgha_name_conflict(&c, &self) == 0, "on the lease this worker holds: ours");
}

/* pghactl run's record of a node whose server does not run */
static void
test_down_record(void)
{
	PghaMember	m;
	PghaMember	back;
	PghaCluster c;
	PghaMember	two[2];
	char		err[256];
	char	   *json;
	char		longmsg[2000];

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, "node3", sizeof(m.name));
	strlcpy(m.state, "start failed", sizeof(m.state));
	strlcpy(m.role, "replica", sizeof(m.role));
	m.failover_priority = 1;
	m.down = true;
	strlcpy(m.error, "FATAL:  configuration file \"/x\" contains errors", sizeof(m.error));
	json = pgha_member_to_json(&m);
	ok(pgha_member_from_json("node3", json, strlen(json), &back, err, sizeof(err)) && back.down &&
	   strcmp(back.error, m.error) == 0 && strcmp(back.state, "start failed") == 0,
	   "a down record keeps its flag and reason through JSON");
	free(json);

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	json = psprintf("{\"state\":\"start failed\",\"pgha\":{\"down\":true,\"error\":\"%s\"}}", longmsg);
	ok(pgha_member_from_json("node3", json, strlen(json), &back, err, sizeof(err)) &&
	   strlen(back.error) == PGHA_ERROR_LEN - 1, "an overlong reason is cut, the record still read");

	memset(&c, 0, sizeof(c));
	two[0] = m;
	memset(&two[1], 0, sizeof(two[1]));
	strlcpy(two[1].name, "node2", sizeof(two[1].name));
	strlcpy(two[1].conn_url, "postgres://10.0.0.2:5432/postgres", sizeof(two[1].conn_url));
	c.members = two;
	c.nmembers = 2;
	json = pgha_failsafe_to_json(&c);
	is_str(json, "{\"node2\":\"postgres://10.0.0.2:5432/postgres\"}",
		   "the failsafe key leaves out a member whose server is down: it cannot vouch");
	free(json);
}

/* when the member record is put again (pgha_member_put_due) */
static void
member_put_tests(void)
{
	PghaMemberPut last = {0};
	PghaMember	was;

	memset(&was, 0, sizeof(was));
	was.lease = 7;
	ok(pgha_member_put_due(&last, "{\"a\":1}", 7, &was, 1000), "member put: nothing put yet: put");
	pgha_member_put_done(&last, strdup("{\"a\":1}"), 7, 1000);
	ok(last.published && last.lease == 7 && last.put_ms == 1000, "member put: done: remembered");
	ok(!pgha_member_put_due(&last, "{\"a\":1}", 7, &was, 1000000),
	   "member put: unchanged, on its lease, seen by the read: not again, however long (the keepalive keeps it)");
	ok(pgha_member_put_due(&last, "{\"a\":2}", 7, &was, 1001), "member put: changed: put");
	ok(pgha_member_put_due(&last, "{\"a\":1}", 8, &was, 1001), "member put: a new lease: put on it");
	ok(pgha_member_put_due(&last, "{\"a\":1}", 7, NULL, 1001),
	   "member put: the read shows it gone (removed behind our back): put");
	was.lease = 9;
	ok(!pgha_member_put_due(&last, "{\"a\":1}", 7, &was, 30999),
	   "member put: on another instance's lease under our name: not within 30 s");
	ok(pgha_member_put_due(&last, "{\"a\":1}", 7, &was, 31000),
	   "member put: ... again after 30 s (both keep writing, slowly)");
	free(last.json);
}

void
unit_json_tests(void)
{
	member_put_tests();
	test_base64();
	test_keys();
	test_bodies();
	test_parsers();
	test_redact();
	test_members_behind();
	test_history_add();
	test_timeline_reservation();
	test_auth_body_zeroed();
	test_name_conflict();
	test_down_record();
}
