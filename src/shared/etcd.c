/*-------------------------------------------------------------------------
 *
 * etcd.c
 *		etcd v3 client: endpoint failover, authentication, and one function
 *		per gateway call.
 *
 * Every call goes through etcd_call(), which owns the policy (docs/etcd.md):
 *	- start at the endpoint that last worked; on a transport error, HTTP 5xx
 *	  or gRPC codes 14/2/4 (no leader, quorum loss) try the next one, and
 *	  remember the one that answered;
 *	- never retry what etcd rejected for cause (codes 3, 5, 7, 9, 11);
 *	- with a user configured, authenticate lazily and re-authenticate and
 *	  retry once on an invalid or expired token (code 16, or code 3 "user
 *	  name is empty"); send no Authorization header otherwise, since etcd
 *	  answers 401 to any token while auth is off.
 * Each attempt is bounded by timeout_ms, so a call costs at most
 * nurls * timeout_ms.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/clock.h"
#include "shared/etcd.h"
#include "shared/etcd_json.h"
#include "shared/etcd_int.h"

bool
pgha_etcd_fail(PghaEtcd *e, PghaEtcdErr err, const char *fmt,...)
{
	va_list		ap;

	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->errmsg, sizeof(e->errmsg), fmt, ap);
	va_end(ap);
	return false;
}

void
pgha_etcd_ok(PghaEtcd *e)
{
	e->err = PGHA_ETCD_OK;
	e->errmsg[0] = '\0';
	e->http_status = 0;
	e->grpc_code = 0;
}

/*
 * A password (etcd's, the REST API's): the first line of a file that only
 * its owner may read (as libpq insists for .pgpass), into buf.  The caller
 * zeroes buf after use.
 */
bool
pgha_read_password_file(const char *path, char *buf, size_t buflen,
							 char *errbuf, size_t errlen)
{
	struct stat st;
	int			fd;
	ssize_t		n;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		snprintf(errbuf, errlen, "could not open password file \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		snprintf(errbuf, errlen, "password file \"%s\" is not a plain file", path);
		close(fd);
		return false;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
	{
		snprintf(errbuf, errlen,
				 "password file \"%s\" has group or world access; permissions should be u=rw (0600) or less",
				 path);
		close(fd);
		return false;
	}
	/* read(), not stdio: no copy of the password in a buffer freed unzeroed */
	n = read(fd, buf, buflen - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
	{
		snprintf(errbuf, errlen, "password file \"%s\" is empty", path);
		return false;
	}
	return true;
}

/*
 * http://127.x.y.z, localhost or [::1]: a URL that never leaves this host.
 * The host must be an address literal (a name such as 127.evil.example
 * resolves anywhere) or exactly "localhost".
 */
static bool
url_is_loopback_http(const char *url)
{
	char		host[256];
	const char *h;
	size_t		len;
	struct in_addr a4;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	if (strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':' || h[5] == '/'))
		return true;
	len = strcspn(h, ":/");
	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, h, len);
	host[len] = '\0';
	if (strcmp(host, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

PghaEtcd *
pgha_etcd_create(const PghaEtcdConfig *config, char *errbuf, size_t errlen)
{
	PghaEtcd   *e = palloc0(sizeof(PghaEtcd));

	e->nurls = pgha_etcd_hosts_parse(config->hosts,
									 config->default_scheme ? config->default_scheme : "http",
									 e->urls, PGHA_MAX_ENDPOINTS, errbuf, errlen);
	if (e->nurls < 0)
	{
		pfree(e);
		return NULL;
	}
	e->http = pgha_http_create();
	if (e->http == NULL)
	{
		snprintf(errbuf, errlen, "could not initialize libcurl");
		pfree(e);
		return NULL;
	}
	pgha_http_set_tls(e->http, &config->tls);
	if (config->user && config->user[0] != '\0')
	{
		/* the password, then the token, would cross the network in clear text */
		for (int i = 0; i < e->nurls; i++)
			if (strncmp(e->urls[i], "http://", 7) == 0 && !url_is_loopback_http(e->urls[i]))
			{
				snprintf(errbuf, errlen,
						 "etcd authentication over plain http to \"%s\" would send the password in clear text; use https",
						 e->urls[i]);
				pgha_http_destroy(e->http);
				for (i = 0; i < e->nurls; i++)
					pfree(e->urls[i]);
				pfree(e);
				return NULL;
			}
		e->user = pstrdup(config->user);
		e->password = pstrdup(config->password ? config->password : "");
	}
	e->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 1000;
	return e;
}

void
pgha_etcd_destroy(PghaEtcd *e)
{
	int			i;

	if (e == NULL)
		return;
	pgha_http_destroy(e->http);
	for (i = 0; i < e->nurls; i++)
		pfree(e->urls[i]);
	if (e->user)
		pfree(e->user);
	if (e->password)
	{
		/* do not leave the password lying around in freed memory */
		memset(e->password, 0, strlen(e->password));
		pfree(e->password);
	}
	free(e->token);
	free(e->watch_prefix);
	pfree(e);
}

const char *
pgha_etcd_endpoint(PghaEtcd *e)
{
	return e->urls[e->current];
}

/*
 * Past deadline_us no request is sent.  A request sent late with a budget
 * of a millisecond still reaches etcd on a fast network and is applied,
 * answered or not: a leader's worker frozen past its fence deadline, then
 * thawed, wrote the history key over its successor's that way.  (A freeze
 * right after this check still sends one late: what only the leader may
 * write is guarded in etcd itself, by the leader key.)
 */
static bool
deadline_passed(PghaEtcd *e, const char *url)
{
	if (e->deadline_us == 0 || pgha_now_us() < e->deadline_us)
		return false;
	pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: not sent: the deadline of this iteration's calls has passed", url);
	return true;
}

/* this request's limit: timeout_ms, and no more than is left before deadline_us */
static long
request_timeout(PghaEtcd *e)
{
	int64		left;

	if (e->deadline_us == 0)
		return e->timeout_ms;
	left = (e->deadline_us - pgha_now_us()) / 1000;
	return (long) Max(Min(left, (int64) e->timeout_ms), 1);
}

long
pgha_etcd_connect_timeout(PghaEtcd *e)
{
	return Min(Max(e->timeout_ms / 2, 100), request_timeout(e));
}

/* errors worth trying another endpoint for */
static bool
retryable(long http_status, int code)
{
	return http_status >= 500 || code == 14 || code == 2 || code == 4;
}

bool
pgha_etcd_auth_error(int code, const char *msg)
{
	return code == PGHA_GRPC_UNAUTHENTICATED ||
		(code == PGHA_GRPC_INVALID_ARGUMENT && strstr(msg, "user name is empty") != NULL);
}

/*
 * The token and the watch prefix change during the client's life, in
 * whatever memory context the caller is in at the time (the worker resets
 * its iteration context every loop), so they live in malloc'd memory that
 * the client owns.
 */
void
pgha_etcd_set_token(PghaEtcd *e, const char *token)
{
	free(e->token);
	e->token = token ? strdup(token) : NULL;
}

PghaEtcdCallObserver pgha_etcd_call_observer = NULL;

/*
 * POST body to url and parse the answer as JSON.  NULL with e->err set
 * when there is no answer or it is not JSON (e.g. a 404 "page not found"
 * in plain text, or a cut body); PGHA_ETCD_UNREACHABLE says another
 * endpoint may do better.
 */
static json_t *
post_json(PghaEtcd *e, const char *url, const char *body, const char *auth)
{
	PghaHttpResponse resp;
	json_t	   *root;
	char		msg[256];

	/* the clock is read only for an observer (bench/scale) */
	int64		sent = pgha_etcd_call_observer ? pgha_now_us() : 0;
	bool		answered;

	if (deadline_passed(e, url))
		return NULL;
	answered = pgha_http_request(e->http, url, body, auth, pgha_etcd_connect_timeout(e),
								 request_timeout(e), &resp);
	if (pgha_etcd_call_observer != NULL)
		pgha_etcd_call_observer(url, pgha_now_us() - sent, answered);
	if (!answered)
	{
		pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: %s", url, resp.errmsg);
		return NULL;
	}
	e->http_status = resp.status;
	root = pgha_etcdj_load(resp.body, resp.len, msg, sizeof(msg));
	pgha_http_response_free(&resp);
	if (root == NULL)
		pgha_etcd_fail(e, retryable(e->http_status, 0) ? PGHA_ETCD_UNREACHABLE : PGHA_ETCD_PROTOCOL,
					   "%s: HTTP %ld: %s", url, e->http_status, msg);
	return root;
}

/* POST /v3/auth/authenticate at endpoint idx.  Stores the token. */
bool
pgha_etcd_authenticate(PghaEtcd *e, int idx)
{
	char	   *body = pgha_etcdj_auth_body(e->user, e->password);
	char	   *url = psprintf("%s/v3/auth/authenticate", e->urls[idx]);
	json_t	   *root;
	json_t	   *tok;
	int			code;
	char		msg[256];

	pgha_etcd_set_token(e, NULL);
	if (body == NULL)
	{
		pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: could not build the request body", url);
		pfree(url);
		return false;
	}
	root = post_json(e, url, body, NULL);
	/* it holds the password */
	explicit_bzero(body, strlen(body));
	free(body);
	if (root == NULL)
	{
		pfree(url);
		return false;
	}
	if (pgha_etcdj_error(root, &code, msg, sizeof(msg)))
	{
		e->grpc_code = code;
		pgha_etcd_fail(e, retryable(e->http_status, code) ? PGHA_ETCD_UNREACHABLE : PGHA_ETCD_AUTH_FAILED,
				  "%s: authentication as \"%s\" failed: %s", url, e->user, msg);
		json_decref(root);
		pfree(url);
		return false;
	}
	tok = json_object_get(root, "token");
	if (!json_is_string(tok) || json_string_length(tok) == 0 ||
		json_string_length(tok) > 4096 || strpbrk(json_string_value(tok), "\r\n") != NULL)
	{
		pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: authentication response has no valid token", url);
		json_decref(root);
		pfree(url);
		return false;
	}
	pgha_etcd_set_token(e, json_string_value(tok));
	json_decref(root);
	pfree(url);
	return true;
}

/*
 * POST body to path, with endpoint failover and authentication.  Returns
 * the parsed response object (caller json_decref()s) or NULL with e->err
 * set.  Takes ownership of body (malloc'd; NULL means it could not be
 * built).
 */
static json_t *
etcd_call(PghaEtcd *e, const char *path, char *body)
{
	int			attempt;
	bool		auth_retried = false;

	pgha_etcd_ok(e);
	if (body == NULL)
	{
		pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "could not build the request body");
		return NULL;
	}
	for (attempt = 0; attempt < e->nurls; attempt++)
	{
		int			idx = (e->current + attempt) % e->nurls;
		char	   *url;
		json_t	   *root;
		char		msg[256] = "";
		int			code = 0;

		if (e->user && e->token == NULL && !pgha_etcd_authenticate(e, idx))
		{
			if (e->err == PGHA_ETCD_UNREACHABLE)
				continue;
			break;
		}
		url = psprintf("%s%s", e->urls[idx], path);
		root = post_json(e, url, body, e->token);
		if (root == NULL)
		{
			pfree(url);
			if (e->err == PGHA_ETCD_UNREACHABLE)
				continue;
			break;
		}
		if (!pgha_etcdj_error(root, &code, msg, sizeof(msg)) && e->http_status == 200)
		{
			e->current = idx;
			pfree(url);
			free(body);
			return root;
		}
		json_decref(root);
		if (e->http_status == 200)
			snprintf(msg, sizeof(msg), "error in a successful response");
		else if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "HTTP %ld without an error object", e->http_status);
		e->grpc_code = code;
		if (e->user && pgha_etcd_auth_error(code, msg) && !auth_retried)
		{
			/* expired or invalid token: authenticate again, same endpoint */
			auth_retried = true;
			pgha_etcd_set_token(e, NULL);
			attempt--;
			pfree(url);
			continue;
		}
		if (retryable(e->http_status, code))
		{
			pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: HTTP %ld: %s", url, e->http_status, msg);
			pfree(url);
			continue;
		}
		if (code == PGHA_GRPC_NOT_FOUND && strstr(msg, "lease") != NULL)
			pgha_etcd_fail(e, PGHA_ETCD_LEASE_NOT_FOUND, "%s: %s", url, msg);
		else if (pgha_etcd_auth_error(code, msg))
			pgha_etcd_fail(e, PGHA_ETCD_AUTH_FAILED, "%s: %s", url, msg);
		else
			pgha_etcd_fail(e, PGHA_ETCD_REJECTED, "%s: HTTP %ld: %s", url, e->http_status, msg);
		pfree(url);
		break;
	}
	free(body);
	return NULL;
}

/* parse failure of a 200 answer */
static bool
protocol_fail(PghaEtcd *e, json_t *root, const char *what, const char *msg)
{
	json_decref(root);
	return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: malformed %s response: %s",
					 e->urls[e->current], what, msg);
}

bool
pgha_etcd_range(PghaEtcd *e, const char *key, bool prefix, PghaEtcdRange *out)
{
	json_t	   *root = etcd_call(e, "/v3/kv/range", pgha_etcdj_range_body(key, prefix));
	char		msg[256];

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return false;
	if (!pgha_etcdj_range(root, out, msg, sizeof(msg)))
		return protocol_fail(e, root, "range", msg);
	e->last_header = out->header;
	json_decref(root);
	return true;
}

bool
pgha_etcd_put(PghaEtcd *e, const char *key, const char *value, int64 lease,
			  int64 *revision)
{
	json_t	   *root = etcd_call(e, "/v3/kv/put", pgha_etcdj_put_body(key, value, lease));
	PghaEtcdHeader h;
	char		msg[256];

	if (root == NULL)
		return false;
	if (!pgha_etcdj_header(root, &h, msg, sizeof(msg)))
		return protocol_fail(e, root, "put", msg);
	e->last_header = h;
	if (revision)
		*revision = h.revision;
	json_decref(root);
	return true;
}

bool
pgha_etcd_delete(PghaEtcd *e, const char *key, bool prefix, int64 *deleted)
{
	json_t	   *root = etcd_call(e, "/v3/kv/deleterange", pgha_etcdj_delete_body(key, prefix));
	char		msg[256];
	int64		n;

	if (root == NULL)
		return false;
	if (!pgha_etcdj_header(root, &e->last_header, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(root, "deleted", &n, msg, sizeof(msg)))
		return protocol_fail(e, root, "deleterange", msg);
	if (deleted)
		*deleted = n;
	json_decref(root);
	return true;
}

bool
pgha_etcd_txn(PghaEtcd *e, const PghaEtcdTxn *txn, PghaEtcdTxnResult *out)
{
	json_t	   *root;
	char		msg[256];
	int			expected;

	memset(out, 0, sizeof(*out));
	if (txn->ncompare > PGHA_TXN_MAX_CMP || txn->nsuccess > PGHA_TXN_MAX_OPS ||
		txn->nfailure > PGHA_TXN_MAX_OPS)
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "transaction too large");
	root = etcd_call(e, "/v3/kv/txn", pgha_etcdj_txn_body(txn));
	if (root == NULL)
		return false;
	if (!pgha_etcdj_txn(root, out, msg, sizeof(msg)))
		return protocol_fail(e, root, "txn", msg);
	/* the branch taken must have answered every one of its ops */
	expected = out->succeeded ? txn->nsuccess : txn->nfailure;
	if (out->nresponses != expected)
	{
		snprintf(msg, sizeof(msg), "%d op responses for %d ops", out->nresponses, expected);
		return protocol_fail(e, root, "txn", msg);
	}
	e->last_header = out->header;
	json_decref(root);
	return true;
}

bool
pgha_etcd_lease_grant(PghaEtcd *e, int64 ttl, int64 *id, int64 *granted_ttl)
{
	json_t	   *root = etcd_call(e, "/v3/lease/grant", pgha_etcdj_lease_grant_body(ttl));
	char		msg[256];

	if (root == NULL)
		return false;
	if (!pgha_etcdj_header(root, &e->last_header, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(root, "ID", id, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(root, "TTL", granted_ttl, msg, sizeof(msg)))
		return protocol_fail(e, root, "lease grant", msg);
	json_decref(root);
	if (*id == 0 || *granted_ttl <= 0)
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: lease grant returned no lease",
						 e->urls[e->current]);
	return true;
}

bool
pgha_etcd_lease_keepalive(PghaEtcd *e, int64 id, int64 *ttl)
{
	json_t	   *root = etcd_call(e, "/v3/lease/keepalive", pgha_etcdj_lease_id_body(id, false));
	json_t	   *res;
	char		msg[256];
	int64		rid;

	*ttl = 0;
	if (root == NULL)
		return false;
	res = json_object_get(root, "result");
	if (!json_is_object(res))
		return protocol_fail(e, root, "lease keepalive", "no \"result\" object");
	if (!pgha_etcdj_header(res, &e->last_header, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(res, "ID", &rid, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(res, "TTL", ttl, msg, sizeof(msg)))
		return protocol_fail(e, root, "lease keepalive", msg);
	json_decref(root);
	if (rid != id)
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: keepalive answered for another lease",
						 e->urls[e->current]);
	/* no TTL (or <= 0) with HTTP 200 is etcd's only sign of a lost lease */
	if (*ttl <= 0)
	{
		*ttl = 0;
		return pgha_etcd_fail(e, PGHA_ETCD_LEASE_NOT_FOUND, "%s: lease " INT64_FORMAT " has expired",
						 e->urls[e->current], id);
	}
	return true;
}

bool
pgha_etcd_lease_revoke(PghaEtcd *e, int64 id)
{
	json_t	   *root = etcd_call(e, "/v3/lease/revoke", pgha_etcdj_lease_id_body(id, false));

	if (root == NULL)
		return false;
	json_decref(root);
	return true;
}

bool
pgha_etcd_lease_timetolive(PghaEtcd *e, int64 id, int64 *ttl, int64 *granted_ttl)
{
	json_t	   *root = etcd_call(e, "/v3/lease/timetolive", pgha_etcdj_lease_id_body(id, false));
	char		msg[256];

	if (root == NULL)
		return false;
	if (!pgha_etcdj_int64(root, "TTL", ttl, msg, sizeof(msg)) ||
		!pgha_etcdj_int64(root, "grantedTTL", granted_ttl, msg, sizeof(msg)))
		return protocol_fail(e, root, "lease timetolive", msg);
	json_decref(root);
	return true;
}

/* One specific endpoint (no failover): what "etcdctl endpoint status" shows. */
bool
pgha_etcd_status(PghaEtcd *e, const char *url, PghaEtcdStatus *out)
{
	char	   *full = psprintf("%s/v3/maintenance/status", url);
	PghaHttpResponse resp;
	json_t	   *root;
	char		msg[256] = "";
	int			code = 0;

	pgha_etcd_ok(e);
	memset(out, 0, sizeof(*out));
	/* status answers without a token even with auth on */
	if (deadline_passed(e, url))
	{
		pfree(full);
		return false;
	}
	if (!pgha_http_request(e->http, full, "{}", NULL, pgha_etcd_connect_timeout(e),
						   request_timeout(e), &resp))
	{
		pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: %s", url, resp.errmsg);
		pfree(full);
		return false;
	}
	pfree(full);
	e->http_status = resp.status;
	root = pgha_etcdj_load(resp.body, resp.len, msg, sizeof(msg));
	pgha_http_response_free(&resp);
	if (root == NULL)
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: HTTP %ld: %s", url, e->http_status, msg);
	if (pgha_etcdj_error(root, &code, msg, sizeof(msg)) || e->http_status != 200)
	{
		if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "HTTP %ld without an error object", e->http_status);
		json_decref(root);
		return pgha_etcd_fail(e, PGHA_ETCD_UNREACHABLE, "%s: HTTP %ld: %s", url, e->http_status, msg);
	}
	if (!pgha_etcdj_status(root, out, msg, sizeof(msg)))
	{
		json_decref(root);
		return pgha_etcd_fail(e, PGHA_ETCD_PROTOCOL, "%s: malformed status response: %s", url, msg);
	}
	json_decref(root);
	return true;
}

bool
pgha_etcd_member_list(PghaEtcd *e, PghaEtcdMember **members, int *nmembers)
{
	json_t	   *root = etcd_call(e, "/v3/cluster/member/list", strdup("{}"));
	char		msg[256];

	*members = NULL;
	*nmembers = 0;
	if (root == NULL)
		return false;
	if (!pgha_etcdj_header(root, &e->last_header, msg, sizeof(msg)) ||
		!pgha_etcdj_members(root, members, nmembers, msg, sizeof(msg)))
		return protocol_fail(e, root, "member list", msg);
	json_decref(root);
	return true;
}

int
pgha_etcd_wait(PghaEtcd *e, long timeout_ms)
{
	return pgha_http_wait(e->http, timeout_ms);
}
