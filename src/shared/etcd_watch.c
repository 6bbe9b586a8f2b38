/*-------------------------------------------------------------------------
 *
 * etcd_watch.c
 *		The etcd client's watch: one stream of events under a prefix from a
 *		revision on, read a frame at a time, and the wait for it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_watch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/etcd.h"
#include "shared/etcd_json.h"
#include "shared/etcd_int.h"

bool
pgha_etcd_watch_start(PghaEtcd *e, const char *prefix, int64 start_revision)
{
	char	   *body;
	char	   *url;
	char		msg[256];
	bool		ok;

	pgha_etcd_ok(e);
	pgha_etcd_watch_stop(e);
	if (e->user && e->token == NULL && !pgha_etcd_authenticate(e, e->current))
		return false;
	body = pgha_etcdj_watch_body(prefix, true, start_revision);
	if (body == NULL)
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "could not build the watch request");
	url = psprintf("%s/v3/watch", e->urls[e->current]);
	ok = pgha_http_stream_open(e->http, url, body, e->token, pgha_etcd_connect_timeout(e),
							   msg, sizeof(msg));
	free(body);
	if (!ok)
	{
		pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: %s", url, msg);
		pfree(url);
		return false;
	}
	pfree(url);
	e->watching = true;
	e->watch_endpoint = e->current;
	e->watch_next_revision = start_revision;
	free(e->watch_prefix);
	e->watch_prefix = strdup(prefix);
	return true;
}

void
pgha_etcd_watch_stop(PghaEtcd *e)
{
	pgha_http_stream_close(e->http);
	e->watching = false;
}

bool
pgha_etcd_watch_next(PghaEtcd *e, PghaEtcdWatchFrame *frame)
{
	char	   *line;
	size_t		len;
	bool		ended;
	long		status;
	char		msg[256];
	int			code;

	pgha_etcd_ok(e);
	memset(frame, 0, sizeof(*frame));
	if (!e->watching)
		return pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "no watch is running");
	line = pgha_http_stream_next_line(e->http, &len, &ended, &status, msg, sizeof(msg));
	if (line == NULL)
	{
		if (!ended)
			return false;		/* nothing yet; err stays OK */
		pgha_etcd_watch_stop(e);
		return pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: watch ended: HTTP %ld: %s",
						 e->urls[e->current], status, msg);
	}
	if (len == 0)
	{
		free(line);
		return false;
	}
	if (!pgha_etcdj_watch_frame(line, len, frame, &code, msg, sizeof(msg)))
	{
		free(line);
		pgha_etcd_watch_stop(e);
		if (code != 0)
		{
			if (pgha_etcd_auth_error(code, msg))
				pgha_etcd_set_token(e, NULL);
			return pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: watch failed: %s",
							 e->urls[e->current], msg);
		}
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: malformed watch frame: %s",
						 e->urls[e->current], msg);
	}
	free(line);
	if (frame->canceled)
	{
		pgha_etcd_watch_stop(e);
		if (strstr(frame->cancel_reason, "auth token") != NULL)
			pgha_etcd_set_token(e, NULL);
		if (frame->compact_revision > 0)
			return pgha_etcd_fail(e, PGHA_ETCD_REJECTED,
							 "watch canceled: revision compacted at " INT64_FORMAT,
							 frame->compact_revision);
		return pgha_etcd_fail(e, PGHA_ETCD_REJECTED, "watch canceled: %s",
						 frame->cancel_reason[0] ? frame->cancel_reason : "no reason given");
	}
	if (frame->nevents > 0)
		e->watch_next_revision = frame->header.revision + 1;
	return true;
}

