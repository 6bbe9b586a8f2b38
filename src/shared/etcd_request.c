/*-------------------------------------------------------------------------
 *
 * etcd_request.c
 *		etcd v3 JSON gateway protocol: request bodies, and transactions
 *		built up a compare and an operation at a time.
 *
 * etcd silently ignores a request field it does not know, so a misspelt
 * one fails nowhere: every body is built here and nowhere else.  Bytes are
 * standard base64; int64 travels as a JSON string (etcd_json.c).  No I/O:
 * the simulator (test/sim) links this with its model etcd.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_request.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/pgha_base64.h"
#include "shared/etcd_json.h"

static json_t *
b64_string(const char *data, size_t len)
{
	char	   *enc = pgha_b64_encode(data, len);
	json_t	   *s = json_string(enc);

	pfree(enc);
	return s;
}

static json_t *
int64_string(int64 v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, v);
	return json_string(buf);
}

static char *
dump_and_free(json_t *root)
{
	char	   *s = json_dumps(root, JSON_COMPACT);

	json_decref(root);
	return s;
}

char *
pgha_etcdj_prefix_end(const char *prefix, size_t len, size_t *outlen)
{
	char	   *end = palloc(len + 1);
	size_t		n = len;

	memcpy(end, prefix, len);
	/* drop trailing 0xff bytes, then increment the last byte */
	while (n > 0 && (unsigned char) end[n - 1] == 0xff)
		n--;
	if (n == 0)
	{
		/* every key >= prefix: a single NUL byte */
		end[0] = '\0';
		*outlen = 1;
		return end;
	}
	end[n - 1] = (char) ((unsigned char) end[n - 1] + 1);
	end[n] = '\0';
	*outlen = n;
	return end;
}

/* add "key" and, for a prefix, "range_end" */
static void
set_key(json_t *obj, const char *key, bool prefix)
{
	size_t		klen = strlen(key);

	json_object_set_new(obj, "key", b64_string(key, klen));
	if (prefix)
	{
		size_t		elen;
		char	   *end = pgha_etcdj_prefix_end(key, klen, &elen);

		json_object_set_new(obj, "range_end", b64_string(end, elen));
		pfree(end);
	}
}

/*
 * Never "serializable": etcd's default read is linearizable, and the
 * keeper's renewal rests on that (a read after the keepalive that finds
 * the leader key ours proves the leadership).
 */
static json_t *
range_obj(const char *key, bool prefix)
{
	json_t	   *o = json_object();

	set_key(o, key, prefix);
	return o;
}

static json_t *
put_obj(const char *key, const char *value, int64 lease)
{
	json_t	   *o = json_object();

	set_key(o, key, false);
	json_object_set_new(o, "value", b64_string(value, strlen(value)));
	/* a put without the lease detaches the key from it: always say */
	if (lease != 0)
		json_object_set_new(o, "lease", int64_string(lease));
	return o;
}

static json_t *
delete_obj(const char *key, bool prefix)
{
	json_t	   *o = json_object();

	set_key(o, key, prefix);
	return o;
}

char *
pgha_etcdj_range_body(const char *key, bool prefix)
{
	return dump_and_free(range_obj(key, prefix));
}

char *
pgha_etcdj_put_body(const char *key, const char *value, int64 lease)
{
	return dump_and_free(put_obj(key, value, lease));
}

char *
pgha_etcdj_delete_body(const char *key, bool prefix)
{
	return dump_and_free(delete_obj(key, prefix));
}

static const char *const cmp_targets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
static const char *const cmp_results[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
static const char *const cmp_fields[] = {"version", "create_revision", "mod_revision", "value", "lease"};

static json_t *
ops_array(const PghaEtcdOp *ops, int n)
{
	json_t	   *arr = json_array();
	int			i;

	for (i = 0; i < n; i++)
	{
		json_t	   *op = json_object();

		switch (ops[i].type)
		{
			case PGHA_OP_RANGE:
				json_object_set_new(op, "request_range", range_obj(ops[i].key, ops[i].prefix));
				break;
			case PGHA_OP_PUT:
				json_object_set_new(op, "request_put",
									put_obj(ops[i].key, ops[i].value, ops[i].lease));
				break;
			case PGHA_OP_DELETE:
				json_object_set_new(op, "request_delete_range",
									delete_obj(ops[i].key, ops[i].prefix));
				break;
		}
		json_array_append_new(arr, op);
	}
	return arr;
}

char *
pgha_etcdj_txn_body(const PghaEtcdTxn *txn)
{
	json_t	   *root = json_object();
	json_t	   *cmps = json_array();
	int			i;

	for (i = 0; i < txn->ncompare; i++)
	{
		const PghaEtcdCompare *c = &txn->compare[i];
		json_t	   *o = json_object();

		set_key(o, c->key, false);
		json_object_set_new(o, "target", json_string(cmp_targets[c->target]));
		json_object_set_new(o, "result", json_string(cmp_results[c->result]));
		if (c->target == PGHA_CMP_VALUE)
			json_object_set_new(o, "value", b64_string(c->value, strlen(c->value)));
		else
			json_object_set_new(o, cmp_fields[c->target], int64_string(c->number));
		json_array_append_new(cmps, o);
	}
	json_object_set_new(root, "compare", cmps);
	json_object_set_new(root, "success", ops_array(txn->success, txn->nsuccess));
	json_object_set_new(root, "failure", ops_array(txn->failure, txn->nfailure));
	return dump_and_free(root);
}

char *
pgha_etcdj_lease_grant_body(int64 ttl)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "TTL", int64_string(ttl));
	return dump_and_free(o);
}

char *
pgha_etcdj_lease_id_body(int64 id, bool keys)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "ID", int64_string(id));
	if (keys)
		json_object_set_new(o, "keys", json_true());
	return dump_and_free(o);
}

/* s as a JSON string at *o (room for 6 bytes per byte of s, plus 2) */
static char *
put_json_string(char *o, const char *s)
{
	*o++ = '"';
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			*o++ = '\\';
			*o++ = (char) c;
		}
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	return o;
}

/*
 * {"name": user, "password": password}, malloc'd.  Written here rather than
 * by jansson, whose dump frees a copy of the password (its growing buffer)
 * without zeroing it; the caller zeroes this one before free().
 */
char *
pgha_etcdj_auth_body(const char *user, const char *password)
{
	size_t		room = 6 * (strlen(user) + strlen(password)) + 32;
	char	   *body = malloc(room);
	char	   *o = body;

	if (body == NULL)
		return NULL;
	o += sprintf(o, "{\"name\":");
	o = put_json_string(o, user);
	o += sprintf(o, ",\"password\":");
	o = put_json_string(o, password);
	*o++ = '}';
	*o = '\0';
	return body;
}

char *
pgha_etcdj_watch_body(const char *key, bool prefix, int64 start_revision)
{
	json_t	   *root = json_object();
	json_t	   *req = json_object();

	set_key(req, key, prefix);
	if (start_revision > 0)
		json_object_set_new(req, "start_revision", int64_string(start_revision));
	json_object_set_new(root, "create_request", req);
	return dump_and_free(root);
}

void
pgha_etcd_txn_equal(PghaEtcdTxn *t, const char *key, PghaEtcdCmpTarget target,
					int64 number, const char *value)
{
	PghaEtcdCompare *c = &t->compare[t->ncompare++];

	Assert(t->ncompare <= PGHA_TXN_MAX_CMP);
	c->key = key;
	c->target = target;
	c->result = PGHA_CMP_EQUAL;
	c->number = number;
	c->value = value;
}

void
pgha_etcd_txn_put(PghaEtcdTxn *t, const char *key, const char *value, int64 lease)
{
	PghaEtcdOp *o = &t->success[t->nsuccess++];

	Assert(t->nsuccess <= PGHA_TXN_MAX_OPS);
	o->type = PGHA_OP_PUT;
	o->key = key;
	o->value = value;
	o->lease = lease;
}

void
pgha_etcd_txn_delete(PghaEtcdTxn *t, const char *key)
{
	PghaEtcdOp *o = &t->success[t->nsuccess++];

	Assert(t->nsuccess <= PGHA_TXN_MAX_OPS);
	o->type = PGHA_OP_DELETE;
	o->key = key;
}
