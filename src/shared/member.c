/*-------------------------------------------------------------------------
 *
 * member.c
 *		Member records (the members/<name> keys): connection URLs, tags, and
 *		the JSON Patroni and pgha write.
 *
 * A member key is untrusted input like every key (config.c).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/member.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/json_read.h"
#include "lib/stringinfo.h"
#include "shared/keys.h"


bool
pgha_conn_url_parse(const char *url, char *host, size_t hostlen, int *port,
					char *errbuf, size_t errlen)
{
	const char *p;
	const char *h;
	const char *colon;
	const char *end;
	long		v;
	char	   *e;

	if (strncmp(url, "postgres://", 11) == 0)
		p = url + 11;
	else if (strncmp(url, "postgresql://", 13) == 0)
		p = url + 13;
	else
	{
		snprintf(errbuf, errlen, "conn_url \"%s\" does not start with postgres://", url);
		return false;
	}
	h = p;
	end = h + strcspn(h, "/?");
	if (strchr(url, '?') != NULL)
	{
		/* options in a conn_url could redirect or weaken our connections */
		snprintf(errbuf, errlen, "conn_url must not carry options");
		return false;
	}
	colon = NULL;
	for (p = h; p < end; p++)
	{
		if (*p == ':')
			colon = p;
		else if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '-' || *p == '_'))
		{
			snprintf(errbuf, errlen, "conn_url has an invalid host");
			return false;
		}
	}
	if (colon == NULL || colon == h || (size_t) (colon - h) >= hostlen)
	{
		snprintf(errbuf, errlen, "conn_url must name a host and a port");
		return false;
	}
	v = strtol(colon + 1, &e, 10);
	if (e != end || v < 1 || v > 65535)
	{
		snprintf(errbuf, errlen, "conn_url has an invalid port");
		return false;
	}
	memcpy(host, h, colon - h);
	host[colon - h] = '\0';
	*port = (int) v;
	return true;
}

void
pgha_slot_name(const char *member, char *slot, size_t len)
{
	size_t		i;

	for (i = 0; member[i] && i < len - 1; i++)
	{
		unsigned char ch = (unsigned char) member[i];

		slot[i] = (isalnum(ch)) ? (char) tolower(ch) : '_';
	}
	slot[i] = '\0';
}

json_t *
pgha_member_tags(const PghaMember *m)
{
	json_t	   *tags = json_object();

	/* only tags that differ from the default, as Patroni shows them */
	if (m->nofailover)
		json_object_set_new(tags, "nofailover", json_true());
	if (m->failover_priority != 1)
		json_object_set_new(tags, "failover_priority", json_integer(m->failover_priority));
	if (m->noloadbalance)
		json_object_set_new(tags, "noloadbalance", json_true());
	if (m->clonefrom)
		json_object_set_new(tags, "clonefrom", json_true());
	if (m->nosync)
		json_object_set_new(tags, "nosync", json_true());
	if (m->sync_priority != 1)
		json_object_set_new(tags, "sync_priority", json_integer(m->sync_priority));
	if (m->replicatefrom[0] != '\0')
		json_object_set_new(tags, "replicatefrom", json_string(m->replicatefrom));
	if (m->nostream)
		json_object_set_new(tags, "nostream", json_true());
	return tags;
}

char *
pgha_member_tags_text(const PghaMember *m)
{
	json_t	   *tags = pgha_member_tags(m);
	char	   *txt = json_dumps(tags, JSON_PRESERVE_ORDER);

	json_decref(tags);
	return txt;
}

char *
pgha_member_to_json(const PghaMember *m)
{
	json_t	   *o = json_object();
	json_t	   *tags;
	json_t	   *extra = json_object();
	char	   *s;

	json_object_set_new(o, "conn_url", json_string(m->conn_url));
	if (m->api_url[0] != '\0')
		json_object_set_new(o, "api_url", json_string(m->api_url));
	json_object_set_new(o, "state", json_string(m->state));
	json_object_set_new(o, "role", json_string(m->role));
	json_object_set_new(o, "version", json_string("pgha-" PGHA_VERSION));
	if (m->timeline > 0)
		json_object_set_new(o, "timeline", json_integer(m->timeline));
	/* a down node has no position: Patroni then shows its lag as unknown */
	if (!m->down)
		json_object_set_new(o, "xlog_location", json_integer((json_int_t) m->xlog_location));
	if (strcmp(m->role, "replica") == 0 || strcmp(m->role, "standby_leader") == 0)
	{
		json_object_set_new(o, "receive_lsn", json_integer((json_int_t) m->receive_lsn));
		json_object_set_new(o, "replay_lsn", json_integer((json_int_t) m->replay_lsn));
		if (m->replication_state[0])
			json_object_set_new(o, "replication_state", json_string(m->replication_state));
	}
	if (m->pending_restart)
	{
		json_error_t jerr;
		json_t	   *reason = m->pending_restart_reason[0] ?
			json_loads(m->pending_restart_reason, 0, &jerr) : NULL;

		json_object_set_new(o, "pending_restart", json_true());
		if (reason)
			json_object_set_new(o, "pending_restart_reason", reason);
	}
	tags = pgha_member_tags(m);
	if (json_object_size(tags) > 0)
		json_object_set_new(o, "tags", tags);
	else
		json_decref(tags);
	/* as Patroni publishes it: patronictl list shows it, flush restart looks for it */
	if (m->restart_schedule[0] != '\0')
	{
		json_t	   *sr = json_object();

		json_object_set_new(sr, "schedule", json_string(m->restart_schedule));
		if (m->restart_postgres_version[0] != '\0')
			json_object_set_new(sr, "postgres_version", json_string(m->restart_postgres_version));
		json_object_set_new(o, "scheduled_restart", sr);
	}
	json_object_set_new(extra, "sysid", json_string(m->sysid));
	json_object_set_new(extra, "config_revision", json_integer(m->config_revision));
	if (m->started_ms > 0)
		json_object_set_new(extra, "started_ms", json_integer(m->started_ms));
	if (m->supervised)
		json_object_set_new(extra, "supervised", json_true());
	if (m->instance[0] != '\0')
		json_object_set_new(extra, "instance", json_string(m->instance));
	if (m->down)
		json_object_set_new(extra, "down", json_true());
	if (m->error[0] != '\0')
		json_object_set_new(extra, "error", json_string(m->error));
	json_object_set_new(o, "pgha", extra);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

bool
pgha_member_from_json(const char *name, const char *json, size_t len,
					  PghaMember *m, char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *tags;
	json_t	   *extra;
	int64		v = 0;
	bool		present;
	bool		ok = false;

	memset(m, 0, sizeof(*m));
	m->failover_priority = 1;
	m->sync_priority = 1;
	if (!pgha_name_valid(name, errbuf, errlen))
		return false;
	strlcpy(m->name, name, sizeof(m->name));
	root = pgha_etcdj_load(json, len, errbuf, errlen);
	if (root == NULL)
		return false;
	if (!pgha_json_copy_string(root, "conn_url", m->conn_url, sizeof(m->conn_url), errbuf, errlen) ||
		!pgha_json_copy_string(root, "api_url", m->api_url, sizeof(m->api_url), errbuf, errlen) ||
		!pgha_json_copy_string(root, "state", m->state, sizeof(m->state), errbuf, errlen) ||
		!pgha_json_copy_string(root, "role", m->role, sizeof(m->role), errbuf, errlen) ||
		!pgha_json_copy_string(root, "version", m->version, sizeof(m->version), errbuf, errlen) ||
		!pgha_json_copy_string(root, "replication_state", m->replication_state,
					 sizeof(m->replication_state), errbuf, errlen) ||
		!pgha_json_copy_lsn(root, "xlog_location", &m->xlog_location, errbuf, errlen) ||
		!pgha_json_copy_lsn(root, "receive_lsn", &m->receive_lsn, errbuf, errlen) ||
		!pgha_json_copy_lsn(root, "replay_lsn", &m->replay_lsn, errbuf, errlen) ||
		!pgha_json_copy_bool(root, "pending_restart", &m->pending_restart, errbuf, errlen) ||
		!pgha_json_get_int(root, "timeline", &v, &present, errbuf, errlen))
		goto done;
	if (present)
	{
		if (v < 0 || v > INT32_MAX)
		{
			snprintf(errbuf, errlen, "\"timeline\" is out of range");
			goto done;
		}
		m->timeline = (int) v;
	}
	/* Patroni 3 (and pgha.patroni_compat = 3) call a primary "master" */
	if (strcmp(m->role, "master") == 0)
		strlcpy(m->role, "primary", sizeof(m->role));
	if (m->conn_url[0] &&
		!pgha_conn_url_parse(m->conn_url, m->host, sizeof(m->host), &m->port, errbuf, errlen))
		goto done;
	tags = json_object_get(root, "tags");
	if (tags != NULL && !json_is_null(tags))
	{
		if (!json_is_object(tags))
		{
			snprintf(errbuf, errlen, "\"tags\" must be an object");
			goto done;
		}
		if (!pgha_json_copy_bool(tags, "nofailover", &m->nofailover, errbuf, errlen) ||
			!pgha_json_copy_bool(tags, "noloadbalance", &m->noloadbalance, errbuf, errlen) ||
			!pgha_json_copy_bool(tags, "clonefrom", &m->clonefrom, errbuf, errlen) ||
			!pgha_json_copy_bool(tags, "nosync", &m->nosync, errbuf, errlen) ||
			!pgha_json_copy_bool(tags, "nostream", &m->nostream, errbuf, errlen) ||
			!pgha_json_get_int(tags, "failover_priority", &v, &present, errbuf, errlen))
			goto done;
		if (present)
		{
			if (v < 0 || v > 1000000)
			{
				snprintf(errbuf, errlen, "\"failover_priority\" is out of range");
				goto done;
			}
			m->failover_priority = (int) v;
		}
		/* Patroni 4 takes any integer: <= 0 is never synchronous */
		if (!pgha_json_get_int(tags, "sync_priority", &v, &present, errbuf, errlen))
			goto done;
		if (present)
			m->sync_priority = (int) Max(Min(v, 1000000), -1);
		/* a member name, or nothing: anything else names no member */
		{
			json_t	   *r = json_object_get(tags, "replicatefrom");

			if (json_is_string(r) && json_string_length(r) < sizeof(m->replicatefrom))
				strlcpy(m->replicatefrom, json_string_value(r), sizeof(m->replicatefrom));
		}
	}
	{
		json_t	   *r = json_object_get(root, "pending_restart_reason");

		if (json_is_object(r))
		{
			char	   *txt = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

			if (txt && strlen(txt) < sizeof(m->pending_restart_reason))
				strlcpy(m->pending_restart_reason, txt, sizeof(m->pending_restart_reason));
			free(txt);
		}
	}
	extra = json_object_get(root, "pgha");
	if (json_is_object(extra))
	{
		if (!pgha_json_copy_string(extra, "sysid", m->sysid, sizeof(m->sysid), errbuf, errlen) ||
			!pgha_json_get_int(extra, "config_revision", &m->config_revision, &present, errbuf, errlen) ||
			!pgha_json_get_int(extra, "started_ms", &m->started_ms, &present, errbuf, errlen) ||
			!pgha_json_copy_bool(extra, "supervised", &m->supervised, errbuf, errlen) ||
			!pgha_json_copy_string(extra, "instance", m->instance, sizeof(m->instance), errbuf, errlen) ||
			!pgha_json_copy_bool(extra, "down", &m->down, errbuf, errlen))
			goto done;
		/* a message, only shown: a longer one is cut, not refused */
		if (json_is_string(json_object_get(extra, "error")))
			strlcpy(m->error, json_string_value(json_object_get(extra, "error")), sizeof(m->error));
	}
	ok = true;
done:
	json_decref(root);
	return ok;
}

bool
pgha_member_put_due(const PghaMemberPut *last, const char *json, int64 lease,
					const PghaMember *was, int64 now_ms)
{
	return !(last->json && strcmp(last->json, json) == 0 && last->lease == lease &&
			 was != NULL && (was->lease == lease || now_ms - last->put_ms < 30000));
}

void
pgha_member_put_done(PghaMemberPut *last, char *json, int64 lease, int64 now_ms)
{
	free(last->json);
	last->json = json;
	last->lease = lease;
	last->published = true;
	last->put_ms = now_ms;
}
