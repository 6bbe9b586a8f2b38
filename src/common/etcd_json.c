/*-------------------------------------------------------------------------
 *
 * etcd_json.c
 *		etcd v3 JSON gateway protocol: request bodies and response parsers.
 *
 * Wire rules (reference/etcd-v3-json.md section 0): bytes are standard
 * base64; int64 and uint64 travel as JSON strings (lease IDs exceed 2^53,
 * so a double never touches them); proto3 omits false, zero and empty
 * fields, so absence means false/zero; unknown request fields are silently
 * ignored by etcd, which is why every body is built here and nowhere else.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/etcd_json.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <errno.h>
#include <limits.h>

#include "common/base64.h"
#include "common/etcd_json.h"

/* ---- building ---- */

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

/* ---- parsing ---- */

json_t *
pgha_etcdj_load(const char *body, size_t len, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	json_t	   *root;

	if (body == NULL || len == 0)
	{
		snprintf(errbuf, errlen, "empty response body");
		return NULL;
	}
	/* no duplicate keys: a response with two "succeeded" is not trusted */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		snprintf(errbuf, errlen, "invalid JSON at line %d column %d: %s",
				 jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root))
	{
		json_decref(root);
		snprintf(errbuf, errlen, "response is not a JSON object");
		return NULL;
	}
	return root;
}

bool
pgha_etcdj_error(json_t *root, int *code, char *msg, size_t msglen)
{
	json_t	   *err = json_object_get(root, "error");

	*code = 0;
	if (err == NULL)
		return false;
	if (json_is_string(err))
	{
		json_t	   *c = json_object_get(root, "code");

		snprintf(msg, msglen, "%s", json_string_value(err));
		if (json_is_integer(c))
			*code = (int) json_integer_value(c);
	}
	else if (json_is_object(err))
	{
		json_t	   *c = json_object_get(err, "grpc_code");
		json_t	   *m = json_object_get(err, "message");

		snprintf(msg, msglen, "%s", json_is_string(m) ? json_string_value(m) : "unknown error");
		if (json_is_integer(c))
			*code = (int) json_integer_value(c);
	}
	else
		snprintf(msg, msglen, "malformed error response");
	return true;
}

bool
pgha_etcdj_int64(json_t *obj, const char *name, int64 *out,
				 char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_integer(v))
	{
		*out = (int64) json_integer_value(v);
		return true;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		char	   *end;
		long long	val;

		errno = 0;
		val = strtoll(s, &end, 10);
		if (*s != '\0' && *end == '\0' && errno == 0)
		{
			*out = (int64) val;
			return true;
		}
	}
	snprintf(errbuf, errlen, "field \"%s\" is not an integer", name);
	return false;
}

bool
pgha_etcdj_uint64(json_t *obj, const char *name, uint64 *out,
				  char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
	{
		*out = (uint64) json_integer_value(v);
		return true;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		char	   *end;
		unsigned long long val;

		errno = 0;
		val = strtoull(s, &end, 10);
		if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0)
		{
			*out = (uint64) val;
			return true;
		}
	}
	snprintf(errbuf, errlen, "field \"%s\" is not an unsigned integer", name);
	return false;
}

static bool
get_bool(json_t *obj, const char *name, bool *out, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(obj, name);

	*out = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_boolean(v))
	{
		*out = json_is_true(v);
		return true;
	}
	snprintf(errbuf, errlen, "field \"%s\" is not a boolean", name);
	return false;
}

/* a base64 field, decoded; absent gives "" */
static bool
get_bytes(json_t *obj, const char *name, char **out, size_t *outlen,
		  char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v))
	{
		*out = pstrdup("");
		if (outlen)
			*outlen = 0;
		return true;
	}
	if (json_is_string(v))
	{
		size_t		n;
		char	   *dec = pgha_b64_decode(json_string_value(v), json_string_length(v), &n);

		if (dec)
		{
			*out = dec;
			if (outlen)
				*outlen = n;
			return true;
		}
	}
	snprintf(errbuf, errlen, "field \"%s\" is not valid base64", name);
	return false;
}

bool
pgha_etcdj_header(json_t *obj, PghaEtcdHeader *h, char *errbuf, size_t errlen)
{
	json_t	   *hdr = json_object_get(obj, "header");

	memset(h, 0, sizeof(*h));
	if (hdr == NULL)
		return true;			/* txn sub-responses may lack parts of it */
	if (!json_is_object(hdr))
	{
		snprintf(errbuf, errlen, "field \"header\" is not an object");
		return false;
	}
	return pgha_etcdj_uint64(hdr, "cluster_id", &h->cluster_id, errbuf, errlen) &&
		pgha_etcdj_uint64(hdr, "member_id", &h->member_id, errbuf, errlen) &&
		pgha_etcdj_int64(hdr, "revision", &h->revision, errbuf, errlen) &&
		pgha_etcdj_uint64(hdr, "raft_term", &h->raft_term, errbuf, errlen);
}

static bool
parse_kv(json_t *o, PghaEtcdKV *kv, char *errbuf, size_t errlen)
{
	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(o))
	{
		snprintf(errbuf, errlen, "a kv is not an object");
		return false;
	}
	if (json_object_get(o, "key") == NULL)
	{
		snprintf(errbuf, errlen, "a kv has no key");
		return false;
	}
	return get_bytes(o, "key", &kv->key, NULL, errbuf, errlen) &&
		get_bytes(o, "value", &kv->value, &kv->value_len, errbuf, errlen) &&
		pgha_etcdj_int64(o, "create_revision", &kv->create_revision, errbuf, errlen) &&
		pgha_etcdj_int64(o, "mod_revision", &kv->mod_revision, errbuf, errlen) &&
		pgha_etcdj_int64(o, "version", &kv->version, errbuf, errlen) &&
		pgha_etcdj_int64(o, "lease", &kv->lease, errbuf, errlen);
}

bool
pgha_etcdj_range(json_t *obj, PghaEtcdRange *out, char *errbuf, size_t errlen)
{
	json_t	   *kvs;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (!pgha_etcdj_header(obj, &out->header, errbuf, errlen) ||
		!pgha_etcdj_int64(obj, "count", &out->count, errbuf, errlen) ||
		!get_bool(obj, "more", &out->more, errbuf, errlen))
		return false;
	kvs = json_object_get(obj, "kvs");
	if (kvs == NULL || json_is_null(kvs))
		return true;
	if (!json_is_array(kvs))
	{
		snprintf(errbuf, errlen, "field \"kvs\" is not an array");
		return false;
	}
	if (json_array_size(kvs) > INT_MAX / 2)
	{
		snprintf(errbuf, errlen, "too many kvs");
		return false;
	}
	out->nkvs = (int) json_array_size(kvs);
	out->kvs = out->nkvs ? palloc0(sizeof(PghaEtcdKV) * out->nkvs) : NULL;
	for (i = 0; i < json_array_size(kvs); i++)
		if (!parse_kv(json_array_get(kvs, i), &out->kvs[i], errbuf, errlen))
			return false;
	return true;
}

bool
pgha_etcdj_txn(json_t *obj, PghaEtcdTxnResult *out, char *errbuf, size_t errlen)
{
	json_t	   *resps;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (!pgha_etcdj_header(obj, &out->header, errbuf, errlen) ||
		!get_bool(obj, "succeeded", &out->succeeded, errbuf, errlen))
		return false;
	resps = json_object_get(obj, "responses");
	if (resps == NULL || json_is_null(resps))
		return true;
	if (!json_is_array(resps) || json_array_size(resps) > PGHA_TXN_MAX_OPS)
	{
		snprintf(errbuf, errlen, "field \"responses\" is not an array of at most %d ops",
				 PGHA_TXN_MAX_OPS);
		return false;
	}
	out->nresponses = (int) json_array_size(resps);
	for (i = 0; i < json_array_size(resps); i++)
	{
		json_t	   *r = json_array_get(resps, i);
		json_t	   *rr;

		if (!json_is_object(r))
		{
			snprintf(errbuf, errlen, "a txn response is not an object");
			return false;
		}
		/* ranges carry kvs; put and delete answers only a header */
		if ((rr = json_object_get(r, "response_range")) != NULL)
		{
			if (!json_is_object(rr) || !pgha_etcdj_range(rr, &out->responses[i], errbuf, errlen))
			{
				if (!json_is_object(rr))
					snprintf(errbuf, errlen, "response_range is not an object");
				return false;
			}
		}
		else if ((rr = json_object_get(r, "response_put")) != NULL ||
				 (rr = json_object_get(r, "response_delete_range")) != NULL)
		{
			if (!json_is_object(rr) ||
				!pgha_etcdj_header(rr, &out->responses[i].header, errbuf, errlen))
			{
				if (!json_is_object(rr))
					snprintf(errbuf, errlen, "a txn op response is not an object");
				return false;
			}
		}
		else
		{
			snprintf(errbuf, errlen, "unknown txn response type");
			return false;
		}
	}
	return true;
}

bool
pgha_etcdj_status(json_t *obj, PghaEtcdStatus *out, char *errbuf, size_t errlen)
{
	json_t	   *v;
	json_t	   *errs;
	int64		i64;

	memset(out, 0, sizeof(*out));
	if (!pgha_etcdj_header(obj, &out->header, errbuf, errlen) ||
		!pgha_etcdj_int64(obj, "dbSize", &out->db_size, errbuf, errlen) ||
		!pgha_etcdj_int64(obj, "dbSizeInUse", &out->db_size_in_use, errbuf, errlen) ||
		!pgha_etcdj_uint64(obj, "leader", &out->leader, errbuf, errlen) ||
		!pgha_etcdj_uint64(obj, "raftIndex", &out->raft_index, errbuf, errlen) ||
		!pgha_etcdj_uint64(obj, "raftTerm", &out->raft_term, errbuf, errlen) ||
		!pgha_etcdj_int64(obj, "raftAppliedIndex", &i64, errbuf, errlen))
		return false;
	out->raft_applied_index = (uint64) i64;
	v = json_object_get(obj, "version");
	if (json_is_string(v))
		strlcpy(out->version, json_string_value(v), sizeof(out->version));
	errs = json_object_get(obj, "errors");
	if (json_is_array(errs))
	{
		size_t		i;

		for (i = 0; i < json_array_size(errs); i++)
		{
			json_t	   *e = json_array_get(errs, i);

			if (!json_is_string(e))
				continue;
			if (out->errors[0] != '\0')
				strlcat(out->errors, "; ", sizeof(out->errors));
			strlcat(out->errors, json_string_value(e), sizeof(out->errors));
		}
	}
	return true;
}

static char *
first_string(json_t *arr)
{
	json_t	   *s;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return NULL;
	s = json_array_get(arr, 0);
	return json_is_string(s) ? pstrdup(json_string_value(s)) : NULL;
}

bool
pgha_etcdj_members(json_t *obj, PghaEtcdMember **members, int *n,
				   char *errbuf, size_t errlen)
{
	json_t	   *arr = json_object_get(obj, "members");
	size_t		i;

	*members = NULL;
	*n = 0;
	if (arr == NULL)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > 1000)
	{
		snprintf(errbuf, errlen, "field \"members\" is not an array");
		return false;
	}
	*members = palloc0(sizeof(PghaEtcdMember) * Max(json_array_size(arr), 1));
	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *m = json_array_get(arr, i);
		PghaEtcdMember *pm = &(*members)[i];
		json_t	   *name;

		if (!json_is_object(m) ||
			!pgha_etcdj_uint64(m, "ID", &pm->id, errbuf, errlen))
		{
			if (!json_is_object(m))
				snprintf(errbuf, errlen, "a member is not an object");
			return false;
		}
		name = json_object_get(m, "name");
		/* a member that has not started yet has no name */
		pm->name = pstrdup(json_is_string(name) ? json_string_value(name) : "");
		pm->client_url = first_string(json_object_get(m, "clientURLs"));
		pm->peer_url = first_string(json_object_get(m, "peerURLs"));
		(*n)++;
	}
	return true;
}

bool
pgha_etcdj_watch_frame(const char *line, size_t len, PghaEtcdWatchFrame *out,
					   int *code, char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *res;
	json_t	   *events;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	*code = 0;
	root = pgha_etcdj_load(line, len, errbuf, errlen);
	if (root == NULL)
		return false;
	if (pgha_etcdj_error(root, code, errbuf, errlen))
	{
		if (*code == 0)
			*code = -1;
		goto done;
	}
	res = json_object_get(root, "result");
	if (!json_is_object(res))
	{
		snprintf(errbuf, errlen, "watch frame has no \"result\" object");
		goto done;
	}
	if (!pgha_etcdj_header(res, &out->header, errbuf, errlen) ||
		!get_bool(res, "created", &out->created, errbuf, errlen) ||
		!get_bool(res, "canceled", &out->canceled, errbuf, errlen) ||
		!pgha_etcdj_int64(res, "compact_revision", &out->compact_revision, errbuf, errlen))
		goto done;
	if (out->canceled)
	{
		json_t	   *r = json_object_get(res, "cancel_reason");

		if (json_is_string(r))
			strlcpy(out->cancel_reason, json_string_value(r), sizeof(out->cancel_reason));
	}
	events = json_object_get(res, "events");
	if (events != NULL && !json_is_null(events))
	{
		size_t		i;

		if (!json_is_array(events) || json_array_size(events) > INT_MAX / 2)
		{
			snprintf(errbuf, errlen, "field \"events\" is not an array");
			goto done;
		}
		out->nevents = (int) json_array_size(events);
		out->events = out->nevents ? palloc0(sizeof(PghaEtcdEvent) * out->nevents) : NULL;
		for (i = 0; i < json_array_size(events); i++)
		{
			json_t	   *ev = json_array_get(events, i);
			json_t	   *type;

			if (!json_is_object(ev))
			{
				snprintf(errbuf, errlen, "a watch event is not an object");
				goto done;
			}
			type = json_object_get(ev, "type");
			/* PUT is enum 0 and therefore absent */
			if (type == NULL || (json_is_string(type) && strcmp(json_string_value(type), "PUT") == 0))
				out->events[i].type = PGHA_EVENT_PUT;
			else if (json_is_string(type) && strcmp(json_string_value(type), "DELETE") == 0)
				out->events[i].type = PGHA_EVENT_DELETE;
			else
			{
				snprintf(errbuf, errlen, "unknown watch event type");
				goto done;
			}
			if (!parse_kv(json_object_get(ev, "kv"), &out->events[i].kv, errbuf, errlen))
				goto done;
		}
	}
	ok = true;
done:
	json_decref(root);
	return ok && *code == 0;
}

/* no I/O: the simulator (test/sim) links these with its model etcd */
const char *
pgha_etcd_err_name(PghaEtcdErr err)
{
	switch (err)
	{
		case PGHA_ETCD_OK:
			return "ok";
		case PGHA_ETCD_UNREACHABLE:
			return "unreachable";
		case PGHA_ETCD_REJECTED:
			return "rejected";
		case PGHA_ETCD_AUTH_FAILED:
			return "authentication failed";
		case PGHA_ETCD_LEASE_NOT_FOUND:
			return "lease not found";
		case PGHA_ETCD_PROTOCOL:
			return "protocol error";
	}
	return "unknown";
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
