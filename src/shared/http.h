/*-------------------------------------------------------------------------
 *
 * http.h
 *		HTTP POST client on libcurl's multi interface; knows nothing of etcd.
 *
 * One PghaHttp holds a curl multi handle (and so a connection cache), at
 * most one request/response transfer at a time, and at most one long-lived
 * streaming transfer (the etcd watch) whose bytes are split into lines.
 *
 * Waiting is the only part that differs between processes (PghaHttpHost):
 * in the server it is a WaitEventSet holding curl's sockets, the process
 * latch and postmaster death, so a query cancel or SIGTERM interrupts a
 * hung call (http_backend.c); in frontend programs it is poll(2).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_HTTP_H
#define PGHA_HTTP_H

/* largest response body or stream line accepted (etcd caps requests at 1.5 MiB) */
#define PGHA_HTTP_MAX_BODY	(16 * 1024 * 1024)

typedef struct PghaHttp PghaHttp;

typedef struct PghaHttpTls
{
	const char *cacert;			/* CA file; NULL or "" for the system CAs */
	const char *cert;			/* client certificate file, or NULL */
	const char *key;			/* client key file, or NULL */
} PghaHttpTls;

typedef struct PghaHttpResponse
{
	bool		transport_ok;	/* got a complete HTTP response */
	long		status;			/* HTTP status code, 0 without a response */
	char	   *body;			/* malloc'd, NUL-terminated; NULL if none */
	size_t		len;
	char		errmsg[256];	/* transport error text when !transport_ok */
} PghaHttpResponse;

/* what ended a pgha_http_wait() */
#define PGHA_HTTP_WAIT_TIMEOUT	0x01
#define PGHA_HTTP_WAIT_LATCH	0x02	/* backend: the process latch was set */
#define PGHA_HTTP_WAIT_STREAM	0x04	/* a complete stream line is ready or
										 * the stream ended */
#define PGHA_HTTP_WAIT_PMDEATH	0x08	/* backend: the postmaster died */

/*
 * What a backend does when the postmaster dies while it waits: exit (the
 * default), report PGHA_HTTP_WAIT_PMDEATH (the HA worker wants to act on
 * it), or ignore it (the worker's last etcd calls after the death).
 */
typedef enum PghaPmDeath
{
	PGHA_PMDEATH_EXIT,
	PGHA_PMDEATH_REPORT,
	PGHA_PMDEATH_IGNORE
} PghaPmDeath;

/* a socket curl wants watched: PGHA_HTTP_IN/OUT in events, what came in revents */
#define PGHA_HTTP_MAX_SOCKS 16
#define PGHA_HTTP_IN	0x01
#define PGHA_HTTP_OUT	0x02
#define PGHA_HTTP_ERR	0x04

typedef struct PghaHttpSock
{
	int			fd;
	int			events;
	int			revents;
} PghaHttpSock;

/*
 * What the process the client runs in provides.  The default polls curl's
 * sockets and nothing else, which is all a frontend program needs; the
 * server sets its own in _PG_init (http_backend.c).  Every hook is
 * required but the socket pair (NULL: curl's own sockets).
 */
typedef struct PghaHttpHost
{
	/* wait up to timeout_ms for socks (setting revents) or a host event */
	int			(*wait) (PghaHttpSock *socks, int nsocks, long timeout_ms,
						 PghaPmDeath pmdeath);
	/* after curl has processed the sockets: act on wait's flags (may throw) */
	void		(*after_wait) (int flags);
	/* at the end of a request: hand back what its waits consumed */
	void		(*give_back) (int flags_seen);
	/* body(arg), then cleanup(arg) whether body returns or throws */
	void		(*guarded) (void (*body) (void *), void (*cleanup) (void *), void *arg);
	/* curl's sockets (both or neither) */
	int			(*open_socket) (int family, int type, int protocol);
	int			(*close_socket) (int fd);
} PghaHttpHost;

extern void pgha_http_set_host(const PghaHttpHost *host);

/* poll(2) on socks for up to timeout_ms, setting revents: what a frontend host waits with; > 0: some are ready */
extern int	pgha_http_poll(PghaHttpSock *socks, int nsocks, long timeout_ms);

extern PghaHttp *pgha_http_create(void);
extern void pgha_http_destroy(PghaHttp *h);
extern void pgha_http_set_tls(PghaHttp *h, const PghaHttpTls *tls);

extern void pgha_http_on_pmdeath(PghaHttp *h, PghaPmDeath mode);

/*
 * POST body (or GET when body is NULL) to url and wait for the complete
 * response, at most timeout_ms.  auth, if not NULL, is sent as the raw
 * Authorization header.  Returns resp->transport_ok.  The caller frees
 * resp->body with pgha_http_response_free().  In a backend this may throw
 * (query cancel, SIGTERM); the transfer is cleaned up first.
 */
extern bool pgha_http_request(PghaHttp *h, const char *url, const char *body,
							  const char *auth, long connect_timeout_ms,
							  long timeout_ms, PghaHttpResponse *resp);
extern void pgha_http_response_free(PghaHttpResponse *resp);

/* Start (replacing any previous) the streaming POST.  No total timeout. */
extern bool pgha_http_stream_open(PghaHttp *h, const char *url, const char *body,
								  const char *auth, long connect_timeout_ms,
								  char *errbuf, size_t errlen);
extern void pgha_http_stream_close(PghaHttp *h);
extern bool pgha_http_stream_is_open(PghaHttp *h);

/*
 * Next complete line of the stream (without its newline), malloc'd; NULL if
 * none is buffered.  Once the transfer has ended and no line is left,
 * *ended is set and errbuf describes why (HTTP status, curl error).
 */
extern char *pgha_http_stream_next_line(PghaHttp *h, size_t *len, bool *ended,
										long *http_status,
										char *errbuf, size_t errlen);

/*
 * Drive transfers and wait up to timeout_ms for the stream, the latch (in a
 * backend) or postmaster death.  Returns PGHA_HTTP_WAIT_* flags.
 */
extern int	pgha_http_wait(PghaHttp *h, long timeout_ms);

#endif							/* PGHA_HTTP_H */
