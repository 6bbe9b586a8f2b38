/*-------------------------------------------------------------------------
 *
 * fuzz_parsers.c
 *		libFuzzer target for everything pgha parses from the outside: etcd
 *		responses and watch frames, and the values other etcd clients can
 *		write (config, member records, the sync, failover and history keys,
 *		conn_url), plus the REST API's query values and what pg_monitor
 *		sees of pg_hba lines and of the config.
 *
 * The first byte picks the parser, the rest is its input.  A crash or a
 * sanitizer report is a bug; an input that showed one goes into corpus/
 * so that every later run replays it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_parsers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/api_rules.h"
#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "key\nvalue\nkey\nvalue..." under the prefix: a range etcd might return */
static void
fuzz_cluster(const char *s, size_t len)
{
	PghaEtcdRange r;
	PghaEtcdKV	kvs[16];
	char	   *copy = pg_malloc(len + 1);
	char	   *p = copy;
	char	   *save;
	char	   *tok;
	PghaCluster c;
	char		err[256];
	uint64		lsn;

	memcpy(copy, s, len);
	copy[len] = '\0';
	memset(&r, 0, sizeof(r));
	memset(kvs, 0, sizeof(kvs));
	r.kvs = kvs;
	for (tok = strtok_r(p, "\n", &save); tok && r.nkvs < 16; tok = strtok_r(NULL, "\n", &save))
	{
		char	   *value = strtok_r(NULL, "\n", &save);

		kvs[r.nkvs].key = psprintf("/service/x/%s", tok);
		kvs[r.nkvs].value = value ? value : "";
		kvs[r.nkvs].value_len = value ? strlen(value) : 0;
		kvs[r.nkvs].mod_revision = r.nkvs + 1;
		r.nkvs++;
	}
	pgha_cluster_from_range("/service/x/", &r, &c, err, sizeof(err));
	if (c.has_history)
		(void) pgha_history_switch_lsn(c.history, 1, &lsn);
	(void) pgha_cluster_is_sync_standby(&c, "node1");
	for (int i = 0; i < r.nkvs; i++)
		pg_free(kvs[i].key);
	pg_free(c.members);
	if (c.config_json)
		pg_free(c.config_json);
	if (c.history)
		pg_free(c.history);
	pg_free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data + 1;
	size_t		len;
	char		err[256];
	char	   *nul;

	if (size < 1)
		return 0;
	len = size - 1;
	/* most parsers take C strings: stop at an embedded NUL, as etcd's would */
	nul = memchr(s, '\0', len);
	if (nul)
		len = nul - s;

	switch (data[0] % 12)
	{
		case 0:
		case 1:
		case 2:
		case 3:
			{
				json_t	   *root = pgha_etcdj_load(s, len, err, sizeof(err));
				PghaEtcdRange r;
				PghaEtcdTxnResult t;
				PghaEtcdStatus st;
				PghaEtcdMember *m;
				int			n;
				int			code;
				char		msg[256];

				if (root == NULL)
					break;
				(void) pgha_etcdj_error(root, &code, msg, sizeof(msg));
				if (data[0] % 12 == 0)
					(void) pgha_etcdj_range(root, &r, err, sizeof(err));
				else if (data[0] % 12 == 1)
					(void) pgha_etcdj_txn(root, &t, err, sizeof(err));
				else if (data[0] % 12 == 2)
					(void) pgha_etcdj_status(root, &st, err, sizeof(err));
				else
					(void) pgha_etcdj_members(root, &m, &n, err, sizeof(err));
				json_decref(root);
				break;
			}
		case 4:
			{
				PghaEtcdWatchFrame f;
				int			code;

				(void) pgha_etcdj_watch_frame(s, len, &f, &code, err, sizeof(err));
				break;
			}
		case 5:
			{
				PghaConfig	cfg;
				PghaParam  *params;
				int			np;
				bool		present;
				char	  **lines;
				int			nl;
				char	   *str = pnstrdup(s, len);
				char	   *merged;

				{
				PghaConfigNotes notes;

				(void) pgha_config_parse(str, len, &cfg, &notes, err, sizeof(err));
			}
				(void) pgha_config_parameters(str, &params, &np, err, sizeof(err));
				(void) pgha_config_hba(str, &present, &lines, &nl, err, sizeof(err));
				merged = pgha_config_merge("{\"ttl\":10,\"postgresql\":{\"parameters\":{\"a\":1}}}", str,
										   err, sizeof(err));
				free(merged);
				pg_free(str);
				break;
			}
		case 6:
			{
				PghaMember	m;
				char	   *json;

				if (pgha_member_from_json("node1", s, len, &m, err, sizeof(err)))
				{
					json = pgha_member_to_json(&m);
					free(json);
				}
				break;
			}
		case 7:
			{
				char		host[256];
				int			port;
				char	   *str = pnstrdup(s, len);

				(void) pgha_conn_url_parse(str, host, sizeof(host), &port, err, sizeof(err));
				(void) pgha_hostport_valid(str, err, sizeof(err));
				(void) pgha_etcd_hosts_valid(str, err, sizeof(err));
				(void) pgha_name_valid(str, err, sizeof(err));
				pg_free(str);
				break;
			}
		case 8:
			fuzz_cluster(s, len);
			break;
		case 9:
			{
				char	   *str = pnstrdup(s, len);
				char	   *eq = strchr(str, '=');
				PghaApiArg	a;
				PghaApiNode n = {.running = true, .worker_alive = true, .in_recovery = true,
				.lag = 5, .tags = "{\"nofailover\": true}"};

				a.key = str;
				a.value = eq ? eq + 1 : NULL;
				if (eq)
					*eq = '\0';
				(void) pgha_api_status("/replica", &a, 1, &n);
				(void) pgha_api_parse_bytes(str);
				pg_free(str);
				break;
			}
		case 10:
			{
				/* what pg_monitor sees of a pg_hba line */
				char	   *str = pnstrdup(s, len);
				char	   *masked = pgha_hba_mask_secrets(str);

				pg_free(masked);
				pg_free(str);
				break;
			}
		case 11:
			{
				/* what pg_monitor and plain grantees see of the config */
				char	   *str = pnstrdup(s, len);

				free(pgha_config_redact(str, false));
				free(pgha_config_redact(str, true));
				pg_free(str);
				break;
			}
	}
	return 0;
}
