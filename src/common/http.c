/*-------------------------------------------------------------------------
 *
 * http.c
 *		HTTP POST client on libcurl's multi interface; knows nothing of etcd.
 *
 * Rules this file lives by (those of any code in a background worker):
 *	- libcurl callbacks never ereport, palloc, or CHECK_FOR_INTERRUPTS: they
 *	  copy into malloc'd buffers with a hard cap and report failure by
 *	  returning a short count.  Errors are raised after curl returns.
 *	- Nothing blocks outside the latch.  In a backend, the only wait is a
 *	  WaitEventSet on curl's sockets + MyLatch + postmaster death, and
 *	  CHECK_FOR_INTERRUPTS runs between curl calls; a transfer interrupted by
 *	  an ERROR is removed from the multi handle in PG_FINALLY.
 *	- Every handle: CURLOPT_NOSIGNAL (PostgreSQL owns SIGALRM), http/https
 *	  only, no redirects, explicit connect and total timeouts, TCP
 *	  keepalive, TLS verification on.  In a backend, curl's sockets are
 *	  accounted for with AcquireExternalFD.
 *	- A latch set that arrives while we wait for etcd is not swallowed: it is
 *	  re-set before returning so the caller's main loop still sees it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/http.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/wait_event.h"
#endif

#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include <poll.h>

#include "compat.h"
#include "common/clock.h"
#include "common/http.h"

#define MAX_SOCKS 16

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

	HttpTransfer req;			/* request/response, at most one at a time */
	HttpTransfer stream;		/* long-lived streaming transfer */

	/* what curl asked us to wait for (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION) */
	struct
	{
		curl_socket_t fd;
		int			what;
	}			socks[MAX_SOCKS];
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
		if (h->nsocks >= MAX_SOCKS)
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

#ifndef FRONTEND
/* curl's sockets are invisible to fd.c: account for them */
static curl_socket_t
opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	curl_socket_t fd;

	if (!AcquireExternalFD())
		return CURL_SOCKET_BAD;
	fd = socket(addr->family, addr->socktype, addr->protocol);
	if (fd == CURL_SOCKET_BAD)
		ReleaseExternalFD();
	return fd;
}

static int
closesocket_cb(void *clientp, curl_socket_t fd)
{
	int			rc = close(fd);

	ReleaseExternalFD();
	return rc;
}
#endif

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

void
pgha_http_destroy(PghaHttp *h)
{
	if (h == NULL)
		return;
	transfer_reset(h, &h->req);
	transfer_reset(h, &h->stream);
	curl_multi_cleanup(h->multi);
	if (h->cacert)
		pfree(h->cacert);
	if (h->cert)
		pfree(h->cert);
	if (h->key)
		pfree(h->key);
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
	if (h->cacert)
		pfree(h->cacert);
	if (h->cert)
		pfree(h->cert);
	if (h->key)
		pfree(h->key);
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
#ifndef FRONTEND
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
#endif

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
 * Wait once for curl's sockets, its timer, or (backend) the latch and
 * postmaster death, at most timeout_ms; then let curl process what is
 * ready.  Returns PGHA_HTTP_WAIT_* flags for latch and postmaster death.
 * In a backend, may throw from CHECK_FOR_INTERRUPTS (never inside curl).
 */
static int
http_drive(PghaHttp *h, long timeout_ms)
{
	struct
	{
		curl_socket_t fd;
		int			mask;
	}			ready[MAX_SOCKS];
	int			nready = 0;
	int			flags = 0;
	int			running;
	int			i;

	if (h->timer_armed)
		timeout_ms = Min(timeout_ms, pgha_ms_until(h->timer_due));

#ifdef FRONTEND
	{
		struct pollfd pfd[MAX_SOCKS];
		int			n = h->nsocks;

		for (i = 0; i < n; i++)
		{
			pfd[i].fd = h->socks[i].fd;
			pfd[i].events = ((h->socks[i].what & CURL_POLL_IN) ? POLLIN : 0) |
				((h->socks[i].what & CURL_POLL_OUT) ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, (int) timeout_ms) > 0)
		{
			for (i = 0; i < n; i++)
			{
				if (pfd[i].revents == 0)
					continue;
				ready[nready].fd = pfd[i].fd;
				ready[nready].mask =
					((pfd[i].revents & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
					((pfd[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
					((pfd[i].revents & POLLERR) ? CURL_CSELECT_ERR : 0);
				nready++;
			}
		}
	}
#else
	{
		WaitEventSet *set;
		WaitEvent	events[MAX_SOCKS + 2];
		int			nevents;

#if PG_VERSION_NUM >= 170000
		set = CreateWaitEventSet(NULL, h->nsocks + 2);
#else
		set = CreateWaitEventSet(CurrentMemoryContext, h->nsocks + 2);
#endif
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		if (h->pmdeath != PGHA_PMDEATH_IGNORE)
			AddWaitEventToSet(set,
							  h->pmdeath == PGHA_PMDEATH_REPORT ? WL_POSTMASTER_DEATH : WL_EXIT_ON_PM_DEATH,
							  PGINVALID_SOCKET, NULL, NULL);
		for (i = 0; i < h->nsocks; i++)
		{
			uint32		ev = 0;

			if (h->socks[i].what & CURL_POLL_IN)
				ev |= WL_SOCKET_READABLE;
			if (h->socks[i].what & CURL_POLL_OUT)
				ev |= WL_SOCKET_WRITEABLE;
			if (ev)
				AddWaitEventToSet(set, ev, h->socks[i].fd, NULL, NULL);
		}
		nevents = WaitEventSetWait(set, timeout_ms, events, lengthof(events),
								   PGHA_WAIT_EVENT);
		FreeWaitEventSet(set);

		for (i = 0; i < nevents; i++)
		{
			if (events[i].events & WL_LATCH_SET)
				flags |= PGHA_HTTP_WAIT_LATCH;
			else if (events[i].events & WL_POSTMASTER_DEATH)
				flags |= PGHA_HTTP_WAIT_PMDEATH;
			else if (nready < MAX_SOCKS)
			{
				ready[nready].fd = events[i].fd;
				ready[nready].mask =
					((events[i].events & WL_SOCKET_READABLE) ? CURL_CSELECT_IN : 0) |
					((events[i].events & WL_SOCKET_WRITEABLE) ? CURL_CSELECT_OUT : 0);
				nready++;
			}
		}
	}
#endif

	/* callbacks may change h->socks, so act on the copy */
	for (i = 0; i < nready; i++)
		curl_multi_socket_action(h->multi, ready[i].fd, ready[i].mask, &running);
	if (h->timer_armed && pgha_ms_until(h->timer_due) == 0)
	{
		h->timer_armed = false;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	collect_done(h);

#ifndef FRONTEND
	if (flags & PGHA_HTTP_WAIT_LATCH)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
#endif
	return flags;
}

bool
pgha_http_request(PghaHttp *h, const char *url, const char *body,
				  const char *auth, long connect_timeout_ms, long timeout_ms,
				  PghaHttpResponse *resp)
{
	HttpTransfer *t = &h->req;
	int64		deadline;
	volatile bool latch_seen = false;

	memset(resp, 0, sizeof(*resp));
	if (!transfer_setup(h, t, url, body, false, auth, connect_timeout_ms, timeout_ms))
	{
		strlcpy(resp->errmsg, t->errbuf, sizeof(resp->errmsg));
		transfer_reset(h, t);
		return false;
	}
	/* curl enforces timeout_ms; ours is only the backstop */
	deadline = pgha_now_us() + (int64) (timeout_ms + 200) * 1000;

#ifndef FRONTEND
	PG_TRY();
	{
#endif
		while (!t->done)
		{
			long		remaining = pgha_ms_until(deadline);
			int			flags;

			if (remaining <= 0)
			{
				snprintf(t->errbuf, sizeof(t->errbuf),
						 "no response within %ld ms", timeout_ms);
				t->result = CURLE_OPERATION_TIMEDOUT;
				break;
			}
			flags = http_drive(h, Min(remaining, 1000));
			if (flags & PGHA_HTTP_WAIT_LATCH)
				latch_seen = true;
			if (flags & PGHA_HTTP_WAIT_PMDEATH)
			{
				strlcpy(t->errbuf, "the postmaster died", sizeof(t->errbuf));
				t->result = CURLE_ABORTED_BY_CALLBACK;
				break;
			}
		}
#ifndef FRONTEND
	}
	PG_FINALLY();
	{
		if (!t->done && t->easy)
		{
			/* interrupted (ERROR) or timed out: drop the half-done transfer */
			curl_multi_remove_handle(h->multi, t->easy);
			curl_easy_cleanup(t->easy);
			t->easy = NULL;
		}
		/* hand a latch set we consumed back to the caller's loop */
		if (latch_seen)
			SetLatch(MyLatch);
	}
	PG_END_TRY();
#else
	(void) latch_seen;			/* frontend programs have no latch */
#endif

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
