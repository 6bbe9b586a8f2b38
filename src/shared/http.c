/*-------------------------------------------------------------------------
 *
 * http.c
 *		HTTP POST client on libcurl's multi interface; knows nothing of etcd.
 *
 * Rules this file lives by (those of any code in a background worker):
 *	- libcurl callbacks never ereport, palloc, or CHECK_FOR_INTERRUPTS: they
 *	  copy into malloc'd buffers with a hard cap and report failure by
 *	  returning a short count.  Errors are raised after curl returns.
 *	- Every handle: CURLOPT_NOSIGNAL (PostgreSQL owns SIGALRM), http/https
 *	  only, no redirects, explicit connect and total timeouts, TCP
 *	  keepalive, TLS verification on.
 *	- How to wait, and what else to watch while waiting, is the host's
 *	  (PghaHttpHost): a frontend program polls curl's sockets; the server
 *	  (http_backend.c) waits on its latch too, accounts for curl's sockets
 *	  as external fds, and cleans up a transfer an ERROR interrupts.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/http.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "shared/clock.h"
#include "shared/http.h"

typedef struct HttpBuf
{
	char	   *data;			/* malloc'd */
	size_t		len;
	size_t		cap;
	bool		overflow;		/* a write was refused: over the cap or OOM */
} HttpBuf;

typedef struct HttpTransfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	HttpBuf		buf;
	bool		done;
	CURLcode	result;
	char		errbuf[CURL_ERROR_SIZE];
} HttpTransfer;

struct PghaHttp
{
	CURLM	   *multi;
	char	   *cacert;
	char	   *cert;
	char	   *key;
	PghaPmDeath pmdeath;
	const PghaHttpHost *host;	/* the one current at creation */

	HttpTransfer req;			/* request/response, at most one at a time */
	HttpTransfer stream;		/* long-lived streaming transfer */

	/* what curl asked us to wait for (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION) */
	struct
	{
		curl_socket_t fd;
		int			what;
	}			socks[PGHA_HTTP_MAX_SOCKS];
	int			nsocks;
	bool		timer_armed;
	int64		timer_due;		/* pgha_now_us() */
};

static bool curl_initialized = false;

/* ---- callbacks: malloc only, never ereport ---- */

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	HttpBuf    *buf = (HttpBuf *) userdata;
	size_t		n = size * nmemb;

	if (buf->len + n + 1 > PGHA_HTTP_MAX_BODY)
	{
		buf->overflow = true;
		return 0;				/* CURLE_WRITE_ERROR */
	}
	if (buf->len + n + 1 > buf->cap)
	{
		size_t		newcap = Max(buf->cap * 2, buf->len + n + 1);
		char	   *p;

		newcap = Max(newcap, 4096);
		p = realloc(buf->data, newcap);
		if (p == NULL)
		{
			buf->overflow = true;
			return 0;
		}
		buf->data = p;
		buf->cap = newcap;
	}
	memcpy(buf->data + buf->len, ptr, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
	return n;
}

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	PghaHttp   *h = (PghaHttp *) userp;
	int			i;

	for (i = 0; i < h->nsocks; i++)
		if (h->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < h->nsocks)
			h->socks[i] = h->socks[--h->nsocks];
		return 0;
	}
	if (i == h->nsocks)
	{
		if (h->nsocks >= PGHA_HTTP_MAX_SOCKS)
			return -1;			/* makes curl fail the transfer */
		h->nsocks++;
	}
	h->socks[i].fd = fd;
	h->socks[i].what = what;
	return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	PghaHttp   *h = (PghaHttp *) userp;

	if (timeout_ms < 0)
		h->timer_armed = false;
	else
	{
		h->timer_due = pgha_now_us() + (int64) timeout_ms * 1000;
		h->timer_armed = true;
	}
	return 0;
}

int
pgha_http_poll(PghaHttpSock *socks, int nsocks, long timeout_ms)
{
	struct pollfd pfd[PGHA_HTTP_MAX_SOCKS];
	int			i;
	int			ready;

	for (i = 0; i < nsocks; i++)
	{
		pfd[i].fd = socks[i].fd;
		pfd[i].events = ((socks[i].events & PGHA_HTTP_IN) ? POLLIN : 0) |
			((socks[i].events & PGHA_HTTP_OUT) ? POLLOUT : 0);
		pfd[i].revents = 0;
	}
	ready = poll(pfd, nsocks, (int) timeout_ms);
	for (i = 0; ready > 0 && i < nsocks; i++)
		socks[i].revents =
			((pfd[i].revents & (POLLIN | POLLHUP)) ? PGHA_HTTP_IN : 0) |
			((pfd[i].revents & POLLOUT) ? PGHA_HTTP_OUT : 0) |
			((pfd[i].revents & POLLERR) ? PGHA_HTTP_ERR : 0);
	return ready;
}

/* a frontend program: poll(2) on curl's sockets, nothing else to watch */
static int
poll_wait(PghaHttpSock *socks, int nsocks, long timeout_ms, PghaPmDeath pmdeath)
{
	(void) pgha_http_poll(socks, nsocks, timeout_ms);
	return 0;
}

static void
nothing(int flags)
{
}

static void
run_then(void (*body) (void *), void (*cleanup) (void *), void *arg)
{
	body(arg);
	cleanup(arg);
}

static const PghaHttpHost poll_host = {
	.wait = poll_wait,
	.after_wait = nothing,
	.give_back = nothing,
	.guarded = run_then,
};

static const PghaHttpHost *host = &poll_host;

void
pgha_http_set_host(const PghaHttpHost *h)
{
	host = h;
}

static curl_socket_t
opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	PghaHttp   *h = (PghaHttp *) clientp;

	return h->host->open_socket(addr->family, addr->socktype, addr->protocol);
}

/* closed the way it was opened */
static int
closesocket_cb(void *clientp, curl_socket_t fd)
{
	PghaHttp   *h = (PghaHttp *) clientp;

	return h->host->close_socket(fd);
}

/* ---- setup ---- */

PghaHttp *
pgha_http_create(void)
{
	PghaHttp   *h;

	if (!curl_initialized)
	{
		/* per process, at first use: never in the postmaster (_PG_init) */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_initialized = true;
	}
	h = palloc0(sizeof(PghaHttp));
	h->multi = curl_multi_init();
	if (h->multi == NULL)
	{
		pfree(h);
		return NULL;
	}
	h->pmdeath = PGHA_PMDEATH_EXIT;
	h->host = host;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	/* a few cached connections: one per etcd endpoint is plenty */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 8L);
	return h;
}

static void
transfer_reset(PghaHttp *h, HttpTransfer *t)
{
	if (t->easy)
	{
		curl_multi_remove_handle(h->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	if (t->headers)
		curl_slist_free_all(t->headers);
	free(t->buf.data);
	memset(t, 0, sizeof(*t));
}

static void
free_tls(PghaHttp *h)
{
	if (h->cacert)
		pfree(h->cacert);
	if (h->cert)
		pfree(h->cert);
	if (h->key)
		pfree(h->key);
	h->cacert = h->cert = h->key = NULL;
}

void
pgha_http_destroy(PghaHttp *h)
{
	if (h == NULL)
		return;
	transfer_reset(h, &h->req);
	transfer_reset(h, &h->stream);
	curl_multi_cleanup(h->multi);
	free_tls(h);
	pfree(h);
}

static char *
dup_or_null(const char *s)
{
	return (s && s[0] != '\0') ? pstrdup(s) : NULL;
}

void
pgha_http_set_tls(PghaHttp *h, const PghaHttpTls *tls)
{
	free_tls(h);
	h->cacert = dup_or_null(tls->cacert);
	h->cert = dup_or_null(tls->cert);
	h->key = dup_or_null(tls->key);
}

void
pgha_http_on_pmdeath(PghaHttp *h, PghaPmDeath mode)
{
	h->pmdeath = mode;
}

/* Build an easy handle for one transfer; false on failure (errbuf set). */
static bool
transfer_setup(PghaHttp *h, HttpTransfer *t, const char *url, const char *body,
			   bool copy_body, const char *auth, long connect_timeout_ms, long timeout_ms)
{
	CURL	   *e;

	transfer_reset(h, t);
	e = curl_easy_init();
	if (e == NULL)
	{
		strlcpy(t->errbuf, "could not create a curl handle", sizeof(t->errbuf));
		return false;
	}
	t->easy = e;
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* no 100-continue round trip for bodies over 1 MiB */
	t->headers = curl_slist_append(t->headers, "Expect:");
	if (auth)
	{
		size_t		len = strlen(auth) + sizeof("Authorization: ");
		char	   *hdr = malloc(len);

		if (hdr)
		{
			snprintf(hdr, len, "Authorization: %s", auth);
			t->headers = curl_slist_append(t->headers, hdr);
			free(hdr);
		}
	}

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* never through a proxy that http_proxy or HTTPS_PROXY in the server's environment names */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	if (timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	/*
	 * A request ends (or its handle is dropped) before its caller gets
	 * control back, so curl may read the caller's body in place: one copy
	 * fewer of a password (the authenticate request), though curl still
	 * puts a small body into its send buffer.  A stream outlives the call:
	 * curl keeps its own copy.
	 */
	if (body && copy_body)
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	else if (body)
	{
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	}
	else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->buf);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	if (h->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->cacert);
	if (h->cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, h->cert);
	if (h->key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, h->key);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->host->open_socket)
	{
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, h);
		curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
		curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h);
	}

	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
	{
		strlcpy(t->errbuf, "could not add a curl handle", sizeof(t->errbuf));
		return false;
	}
	return true;
}

/* Note finished transfers. */
static void
collect_done(PghaHttp *h)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
	{
		HttpTransfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (msg->easy_handle == h->req.easy)
			t = &h->req;
		else if (msg->easy_handle == h->stream.easy)
			t = &h->stream;
		if (t)
		{
			t->done = true;
			t->result = msg->data.result;
		}
	}
}

/*
 * Wait once for curl's sockets, its timer, or what else the host watches
 * (a backend's latch and postmaster death), at most timeout_ms; then let
 * curl process what is ready.  Returns the host's PGHA_HTTP_WAIT_* flags.
 * In a backend, may throw from CHECK_FOR_INTERRUPTS (never inside curl).
 */
static int
http_drive(PghaHttp *h, long timeout_ms)
{
	PghaHttpSock socks[PGHA_HTTP_MAX_SOCKS];
	int			nsocks = h->nsocks;
	int			flags;
	int			running;
	int			i;

	if (h->timer_armed)
		timeout_ms = Min(timeout_ms, pgha_ms_until(h->timer_due));

	/* callbacks may change h->socks, so wait on and act on a copy */
	for (i = 0; i < nsocks; i++)
	{
		socks[i].fd = h->socks[i].fd;
		socks[i].events = ((h->socks[i].what & CURL_POLL_IN) ? PGHA_HTTP_IN : 0) |
			((h->socks[i].what & CURL_POLL_OUT) ? PGHA_HTTP_OUT : 0);
		socks[i].revents = 0;
	}
	flags = h->host->wait(socks, nsocks, timeout_ms, h->pmdeath);

	for (i = 0; i < nsocks; i++)
	{
		if (socks[i].revents == 0)
			continue;
		curl_multi_socket_action(h->multi, socks[i].fd,
								 ((socks[i].revents & PGHA_HTTP_IN) ? CURL_CSELECT_IN : 0) |
								 ((socks[i].revents & PGHA_HTTP_OUT) ? CURL_CSELECT_OUT : 0) |
								 ((socks[i].revents & PGHA_HTTP_ERR) ? CURL_CSELECT_ERR : 0),
								 &running);
	}
	if (h->timer_armed && pgha_ms_until(h->timer_due) == 0)
	{
		h->timer_armed = false;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	collect_done(h);

	if (flags)
		h->host->after_wait(flags);
	return flags;
}

/* one request's wait, as host->guarded runs it */
typedef struct RequestWait
{
	PghaHttp   *h;
	HttpTransfer *t;
	int64		deadline;
	long		timeout_ms;
	int			flags_seen;
} RequestWait;

static void
request_wait(void *arg)
{
	RequestWait *w = (RequestWait *) arg;
	HttpTransfer *t = w->t;

	while (!t->done)
	{
		long		remaining = pgha_ms_until(w->deadline);
		int			flags;

		if (remaining <= 0)
		{
			snprintf(t->errbuf, sizeof(t->errbuf),
					 "no response within %ld ms", w->timeout_ms);
			t->result = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		flags = http_drive(w->h, Min(remaining, 1000));
		w->flags_seen |= flags;
		if (flags & PGHA_HTTP_WAIT_PMDEATH)
		{
			strlcpy(t->errbuf, "the postmaster died", sizeof(t->errbuf));
			t->result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
	}
}

/* after the wait, whether it returned or threw */
static void
request_wait_end(void *arg)
{
	RequestWait *w = (RequestWait *) arg;
	HttpTransfer *t = w->t;

	if (!t->done && t->easy)
	{
		/* interrupted (ERROR) or timed out: drop the half-done transfer */
		curl_multi_remove_handle(w->h->multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
	}
	/* hand what the wait consumed (a latch set) back to the caller's loop */
	if (w->flags_seen)
		w->h->host->give_back(w->flags_seen);
}

bool
pgha_http_request(PghaHttp *h, const char *url, const char *body,
				  const char *auth, long connect_timeout_ms, long timeout_ms,
				  PghaHttpResponse *resp)
{
	HttpTransfer *t = &h->req;
	RequestWait w;

	memset(resp, 0, sizeof(*resp));
	if (!transfer_setup(h, t, url, body, false, auth, connect_timeout_ms, timeout_ms))
	{
		strlcpy(resp->errmsg, t->errbuf, sizeof(resp->errmsg));
		transfer_reset(h, t);
		return false;
	}
	/* curl enforces timeout_ms; ours is only the backstop */
	w.h = h;
	w.t = t;
	w.deadline = pgha_now_us() + (int64) (timeout_ms + 200) * 1000;
	w.timeout_ms = timeout_ms;
	w.flags_seen = 0;
	h->host->guarded(request_wait, request_wait_end, &w);

	if (t->done && t->result == CURLE_OK && !t->buf.overflow)
	{
		resp->transport_ok = true;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->body = t->buf.data;
		resp->len = t->buf.len;
		t->buf.data = NULL;		/* ownership moves to resp */
		if (resp->body == NULL)
		{
			resp->body = malloc(1);
			if (resp->body)
				resp->body[0] = '\0';
		}
	}
	else if (t->buf.overflow)
		snprintf(resp->errmsg, sizeof(resp->errmsg),
				 "response larger than %d bytes", PGHA_HTTP_MAX_BODY);
	else
	{
		if (t->errbuf[0] != '\0')
			strlcpy(resp->errmsg, t->errbuf, sizeof(resp->errmsg));
		else
			strlcpy(resp->errmsg, curl_easy_strerror(t->result), sizeof(resp->errmsg));
	}
	transfer_reset(h, t);
	return resp->transport_ok;
}

void
pgha_http_response_free(PghaHttpResponse *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

bool
pgha_http_stream_open(PghaHttp *h, const char *url, const char *body,
					  const char *auth, long connect_timeout_ms,
					  char *errbuf, size_t errlen)
{
	HttpTransfer *t = &h->stream;

	if (!transfer_setup(h, t, url, body, true, auth, connect_timeout_ms, 0))
	{
		strlcpy(errbuf, t->errbuf, errlen);
		transfer_reset(h, t);
		return false;
	}
	return true;
}

void
pgha_http_stream_close(PghaHttp *h)
{
	transfer_reset(h, &h->stream);
}

bool
pgha_http_stream_is_open(PghaHttp *h)
{
	return h->stream.easy != NULL;
}

char *
pgha_http_stream_next_line(PghaHttp *h, size_t *len, bool *ended,
						   long *http_status, char *errbuf, size_t errlen)
{
	HttpTransfer *t = &h->stream;
	char	   *nl;
	char	   *line;
	size_t		linelen;

	*ended = false;
	*http_status = 0;
	if (t->easy == NULL)
	{
		*ended = true;
		strlcpy(errbuf, "stream not open", errlen);
		return NULL;
	}
	nl = t->buf.data ? memchr(t->buf.data, '\n', t->buf.len) : NULL;
	if (nl == NULL && t->done && t->buf.len > 0)
		nl = t->buf.data + t->buf.len;	/* last frame without newline */
	if (nl != NULL)
	{
		size_t		consumed;

		linelen = nl - t->buf.data;
		consumed = Min(linelen + 1, t->buf.len);
		line = malloc(linelen + 1);
		if (line == NULL)
		{
			*ended = true;
			strlcpy(errbuf, "out of memory", errlen);
			return NULL;
		}
		memcpy(line, t->buf.data, linelen);
		line[linelen] = '\0';
		if (linelen > 0 && line[linelen - 1] == '\r')
			line[--linelen] = '\0';
		memmove(t->buf.data, t->buf.data + consumed, t->buf.len - consumed);
		t->buf.len -= consumed;
		*len = linelen;
		return line;
	}
	if (t->done || t->buf.overflow)
	{
		*ended = true;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, http_status);
		if (t->buf.overflow)
			snprintf(errbuf, errlen, "stream line larger than %d bytes",
					 PGHA_HTTP_MAX_BODY);
		else if (t->result != CURLE_OK)
			strlcpy(errbuf, t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->result),
					errlen);
		else
			strlcpy(errbuf, "stream closed by the server", errlen);
	}
	return NULL;
}

static bool
stream_has_news(PghaHttp *h)
{
	HttpTransfer *t = &h->stream;

	if (t->easy == NULL)
		return false;
	return t->done || t->buf.overflow ||
		(t->buf.data && memchr(t->buf.data, '\n', t->buf.len) != NULL);
}

int
pgha_http_wait(PghaHttp *h, long timeout_ms)
{
	int64		deadline = pgha_now_us() + (int64) Max(timeout_ms, 0) * 1000;
	int			flags = 0;
	for (;;)
	{
		long		remaining = pgha_ms_until(deadline);

		if (stream_has_news(h))
			flags |= PGHA_HTTP_WAIT_STREAM;
		if (flags != 0)
			return flags;
		if (remaining <= 0)
			return PGHA_HTTP_WAIT_TIMEOUT;
		flags |= http_drive(h, remaining);
	}
}
