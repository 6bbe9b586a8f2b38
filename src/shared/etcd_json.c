/*-------------------------------------------------------------------------
 *
 * etcd_json.c
 *		etcd v3 JSON gateway protocol: response parsers (the request
 *		bodies: etcd_request.c).
 *
 * Wire rules: bytes are standard base64; int64 and uint64 travel as JSON
 * strings (lease IDs exceed 2^53, so a double never touches them); proto3
 * omits false, zero and empty fields, so absence means false/zero.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <errno.h>
#include <limits.h>

#include "shared/pgha_base64.h"
#include "shared/etcd_json.h"

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

/* a key of a parsed range (the client's and the simulator's etcd share it) */
PghaEtcdKV *
pgha_etcd_range_get(PghaEtcdRange *r, const char *key)
{
	int			i;

	for (i = 0; i < r->nkvs; i++)
		if (strcmp(r->kvs[i].key, key) == 0)
			return &r->kvs[i];
	return NULL;
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
