/*-------------------------------------------------------------------------
 *
 * api.c
 *		The REST API: Patroni's health endpoints and status documents, for
 *		HAProxy, Kubernetes probes and monitoring, served by a background
 *		worker of its own ("pgha api").
 *
 * libmicrohttpd in external-select mode, driven from this worker's loop:
 * no thread ever runs inside a PostgreSQL process.  The worker only reads
 * the shared state the HA worker publishes (it never asks etcd), so a
 * slow or hostile client can delay this process but never the HA worker.
 * Connections are capped (256, 16 per address), idle ones dropped after
 * 5 s, a request must arrive whole within 3 s, requests are limited to
 * 16 kB.  Actions (POST /switchover, PATCH /config, ...) need HTTP basic
 * authentication; each runs in a background worker of its own
 * (api_action.c) while its connection waits, suspended.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <netdb.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "replication/walreceiver.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "api.h"
#include "api_action.h"
#include "api_auth.h"
#include "api_docs.h"
#include "api_tls.h"
#include "shared/api_rules.h"
#include "shared/clock.h"
#include "shared/datadir_files.h"
#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "metrics.h"
#include "guc.h"
#include "recover.h"
#include "shmem.h"
#include "write_gate.h"

PGDLLEXPORT void pgha_api_main(Datum main_arg);

#define API_MAX_ARGS 16

static MemoryContext request_cxt = NULL;

void
pgha_api_register(void)
{
	BackgroundWorker worker;

	if (pgha_api_listen == NULL || pgha_api_listen[0] == '\0')
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	/* answer 503 while the server starts instead of refusing connections */
	worker.bgw_start_time = BgWorkerStart_PostmasterStart;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgha");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgha_api_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgha api");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgha api");
	RegisterBackgroundWorker(&worker);
}


typedef struct ArgCollector
{
	PghaApiArg	args[API_MAX_ARGS];
	int			n;
} ArgCollector;

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	ArgCollector *a = cls;

	if (a->n < API_MAX_ARGS)
	{
		a->args[a->n].key = key;
		a->args[a->n].value = value;
		a->n++;
	}
	return MHD_YES;
}

/* one request on a connection: its body, and an action's answer */
typedef struct ApiRequest
{
	bool		action;			/* counted in actions_open */
	char	   *body;			/* malloc'd, NUL-terminated */
	size_t		len;
	bool		too_large;
	bool		answered;		/* status, json and response are the answer */
	int			status;
	bool		json;
	char	   *response;		/* malloc'd */
} ApiRequest;

/* the connection that waits for the action worker (one at a time) */
static struct MHD_Connection *waiting = NULL;
static ApiRequest *waiting_request = NULL;
/* actions started and not yet answered on the wire */
static int	actions_open = 0;

/*
 * At a shutdown, how long this worker stays to answer actions under way:
 * a switchover away from this node and a restart end in one, and the
 * client should hear the answer.
 */
#define SHUTDOWN_GRACE_MS 1000

static void set_deadline(struct MHD_Connection *c, bool waits);
static enum MHD_Result config_answer(struct MHD_Connection *c, bool head, bool credentials_sent);
static void answer_waiting(int status, bool json, const char *response);

static enum MHD_Result
respond_as(struct MHD_Connection *c, int status, const char *body, bool head, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t		len = (body && !head) ? strlen(body) : 0;

	r = MHD_create_response_from_buffer(len, (void *) (len ? body : ""), MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (status == 405)
		MHD_add_response_header(r, "Allow", "GET, HEAD, OPTIONS");
	if (status == 401)
		ret = MHD_queue_basic_auth_fail_response(c, "pgha", r);
	else
		ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond(struct MHD_Connection *c, int status, const char *body, bool head)
{
	return respond_as(c, status, body, head, "application/json");
}

/* an action's message, as Patroni answers them: plain text */
static enum MHD_Result
respond_text(struct MHD_Connection *c, int status, const char *body)
{
	return respond_as(c, status, body, false, "text/plain; charset=utf-8");
}

/* 401 or 403 for an action that may not run (logged), else MHD_YES with *ok */
static enum MHD_Result
refuse_unless_authenticated(struct MHD_Connection *c, const char *method, const char *url, bool *ok)
{
	PghaApiAuth auth;

	/*
	 * A browser that cached the credentials would send them along with a
	 * form another site makes it post; patronictl, curl and scripts send
	 * no Origin.
	 */
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin") != NULL)
	{
		*ok = false;
		pgha_api_log_refusal(c, method, url, "a cross-site request (Origin header)");
		return respond_text(c, 403, "cross-site requests are refused");
	}
	auth = pgha_api_check_credentials(c);
	*ok = auth == PGHA_API_AUTH_OK;
	if (*ok)
		return MHD_YES;
	pgha_api_log_refusal(c, method, url,
				auth == PGHA_API_AUTH_OFF ? "actions are off (no pgha.api_user and pgha.api_password_file)" :
				auth == PGHA_API_AUTH_MISSING ? "no credentials" : "wrong user or password");
	if (auth == PGHA_API_AUTH_OFF)
		return respond_text(c, 403, "REST API actions are off on this node: set pgha.api_user and pgha.api_password_file");
	return respond_text(c, 401, auth == PGHA_API_AUTH_MISSING ? "no auth header received" : "not authenticated");
}

/*
 * The pghactl run that supervises this server: the postmaster's parent,
 * which says so in PGHACTL_SUPERVISED.  0 when there is none.
 */
static pid_t
supervisor_pid(void)
{
	const char *env = getenv(PGHA_SUPERVISED_ENV);
	char		path[64];
	char		stat[512];
	FILE	   *f;
	size_t		n;
	char	   *close_paren;
	int			ppid = 0;
	pid_t		named = env ? (pid_t) atoi(env) : 0;

	if (named <= 1)
		return 0;
	/* /proc/<pid>/stat: "pid (comm) state ppid ...", comm may hold anything */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) PostmasterPid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	close_paren = strrchr(stat, ')');
	if (close_paren == NULL || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid == named ? named : 0;
}

/*
 * An authenticated action: POST /reload here (a signal), the others by an
 * action worker while the connection waits, suspended.
 */
static enum MHD_Result
start_action(struct MHD_Connection *c, ApiRequest *req, const char *method, const char *url)
{
	int			status;
	const char *message;

	if (req->too_large)
		return respond_text(c, 413, "the request body is larger than 16 kB");
	if (strcmp(url, "/reload") == 0)
	{
		pid_t		supervisor = supervisor_pid();

		/*
		 * pghactl run passes it on to the postmaster and runs on_reload;
		 * without it, pg_reload_conf(): the HA worker and every backend
		 * read the files again.
		 */
		if (kill(supervisor ? supervisor : PostmasterPid, SIGHUP) != 0)
			return respond_text(c, 500, "could not signal the server to reload");
		ereport(LOG, (errmsg("pgha api: POST /reload from %s: reloading the configuration%s",
							 pgha_api_client_address(c), supervisor ? " (through pghactl run)" : "")));
		return respond_text(c, 202, "reload scheduled");
	}
	/* one at a time, until its answer is on its way */
	if (waiting != NULL)
		return respond_text(c, 503, "another action is under way on this node");
	if (!pgha_api_action_start(method, url, req->body, &status, &message))
		return respond_text(c, status, message);
	ereport(LOG, (errmsg("pgha api: %s %s from %s", method, url, pgha_api_client_address(c))));
	req->action = true;
	actions_open++;
	MHD_suspend_connection(c);
	set_deadline(c, true);
	waiting = c;
	waiting_request = req;
	return MHD_YES;
}

/* the waiting action's answer: resume its connection, which then responds */
static void
answer_waiting(int status, bool json, const char *response)
{
	char	   *copy = strdup(response);

	waiting_request->status = copy ? status : 500;
	waiting_request->json = copy ? json : false;
	waiting_request->response = copy ? copy : strdup("");
	waiting_request->answered = true;
	set_deadline(waiting, false);
	MHD_resume_connection(waiting);
	waiting = NULL;
	waiting_request = NULL;
}

/* a waiting action answered: resume its connection */
static void
resume_answered(void)
{
	int			status;
	bool		json;
	char	   *response;
	MemoryContext old;

	if (waiting == NULL)
		return;
	old = MemoryContextSwitchTo(request_cxt);
	if (pgha_api_action_poll(&status, &json, &response))
		answer_waiting(status, json, response);
	MemoryContextSwitchTo(old);
}

/*
 * The daemon stops (a shutdown, new TLS settings): the waiting action's
 * client hears so, first.  libmicrohttpd aborts the process when a daemon
 * stops with a connection still suspended.
 */
static void
stop_daemon(struct MHD_Daemon *d)
{
	if (waiting != NULL)
	{
		answer_waiting(503, false, "the REST API stopped before the action answered; see the server log");
		for (int i = 0; i < 5; i++)
			(void) MHD_run(d);
	}
	MHD_stop_daemon(d);
	waiting = NULL;
	waiting_request = NULL;
}

/* GET /config: the config key as the HA worker last read it; secrets only with credentials */
static enum MHD_Result
config_doc(struct MHD_Connection *c, bool head)
{
	const char *sent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	MemoryContext old = MemoryContextSwitchTo(request_cxt);
	enum MHD_Result ret = config_answer(c, head, sent != NULL);

	MemoryContextSwitchTo(old);
	return ret;
}

static enum MHD_Result
config_answer(struct MHD_Connection *c, bool head, bool credentials_sent)
{
	char	   *doc;
	char	   *shown;
	enum MHD_Result ret;

	if (credentials_sent)
	{
		bool		ok;
		enum MHD_Result r = refuse_unless_authenticated(c, "GET", "/config", &ok);

		if (!ok)
			return r;
	}
	doc = pgha_shmem_get_config();
	if (doc == NULL)
		return respond(c, 502, "{\"error\":\"the HA worker has not read a configuration from etcd\"}", head);
	if (credentials_sent)
		return respond(c, 200, doc, head);
	/* pg_hba secrets and parameter values, which may hold credentials */
	shown = pgha_config_redact(doc, true);
	ret = respond(c, 200, shown ? shown : "{}", head);
	free(shown);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	ApiRequest *req = *con_cls;
	bool		head = strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0;
	MemoryContext old;
	volatile int status = 500;
	char	   *volatile body = NULL;

	/* the first call only announces the request */
	if (req == NULL)
	{
		req = calloc(1, sizeof(ApiRequest));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	/* the body, in pieces; kept up to the limit */
	if (*upload_data_size != 0)
	{
		if (req->len + *upload_data_size >= PGHA_API_BODY_BYTES)
			req->too_large = true;
		else
		{
			char	   *grown = realloc(req->body, req->len + *upload_data_size + 1);

			if (grown == NULL)
				return MHD_NO;
			memcpy(grown + req->len, upload_data, *upload_data_size);
			req->len += *upload_data_size;
			grown[req->len] = '\0';
			req->body = grown;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->answered)
		return respond_as(c, req->status, req->response, false,
						  req->json ? "application/json" : "text/plain; charset=utf-8");
	{
		bool		action = pgha_api_is_action(method, url);
		const char *why = pgha_api_tls_client_refusal(c, action);

		if (why != NULL)
		{
			if (action)
				pgha_api_log_refusal(c, method, url, why);
			return respond_text(c, 403, why);
		}
	}
	if (pgha_api_is_action(method, url))
	{
		bool		ok;
		enum MHD_Result r = refuse_unless_authenticated(c, method, url, &ok);

		return ok ? start_action(c, req, method, url) : r;
	}
	if (strcmp(method, "GET") != 0 && !head)
		return respond(c, 405, "{\"error\":\"only GET, HEAD and OPTIONS, or an action\"}", false);
	if (strcmp(url, "/config") == 0)
		return config_doc(c, head);

	old = MemoryContextSwitchTo(request_cxt);
	PG_TRY();
	{
		PghaSharedState *st = palloc(sizeof(PghaSharedState));
		ArgCollector args;
		PghaApiNode n;
		const PghaSharedMember *me;
		json_t	   *doc = NULL;
		char	   *text = NULL;

		pgha_shmem_read(st);
		pgha_api_node_facts(st, &n, &me);
		/* the server stops: no role to offer while this worker answers its last actions */
		if (ShutdownRequestPending)
			n.running = n.worker_alive = false;
		memset(&args, 0, sizeof(args));
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);

		if (strcmp(url, "/patroni") == 0)
		{
			status = 200;
			doc = pgha_api_patroni_doc(st, &n, me);
		}
		else if (strcmp(url, "/metrics") == 0)
		{
			status = 200;
			text = pgha_api_metrics_body(st, &n, me);
		}
		else if (strcmp(url, "/cluster") == 0)
		{
			status = 200;
			doc = pgha_api_cluster_doc(st);
		}
		else if (strcmp(url, "/history") == 0)
		{
			int			s;

			doc = pgha_api_history_doc(&s);
			status = s;
		}
		else
		{
			status = pgha_api_status(url, args.args, args.n, &n);
			if (status == 200 || status == 503)
				doc = pgha_api_patroni_doc(st, &n, me);
		}
		if (text)
			body = text;
		else if (doc)
		{
			char	   *s = json_dumps(doc, JSON_COMPACT);

			body = pstrdup(s ? s : "{}");
			free(s);
			json_decref(doc);
		}
		else if (status == 404)
			body = pstrdup("{\"error\":\"no such endpoint\"}");
		else if (status == 400)
			body = pstrdup("{\"error\":\"lag must be a byte count, optionally with kB, MB or GB\"}");
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(request_cxt);
		edata = pgha_recover_error(request_cxt);
		ereport(LOG, (errmsg("pgha api: %s %s failed: %s", method, url, edata->message)));
		status = 500;
		body = NULL;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	/* Prometheus' text format, version 0.0.4 */
	if (status == 200 && strcmp(url, "/metrics") == 0)
		return respond_as(c, status, body, head, "text/plain; version=0.0.4; charset=utf-8");
	return respond(c, status, body ? body : "{}", head);
}

/* "host:port" -> a socket address to bind; NULL (logged) if it is none */
static struct addrinfo *
listen_address(void)
{
	char	   *spec = pstrdup(pgha_api_listen);
	char	   *colon = strrchr(spec, ':');
	char	   *host = spec;
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	int			rc;

	if (colon == NULL)
		return NULL;
	*colon = '\0';
	if (host[0] == '[')
	{
		host++;
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0)
	{
		ereport(LOG,
				(errmsg("pgha api: cannot resolve pgha.api_listen \"%s\": %s",
						pgha_api_listen, gai_strerror(rc))));
		return NULL;
	}
	return res;
}

/*
 * A request must arrive whole within REQUEST_DEADLINE_MS of its connection
 * opening or of the previous response.  libmicrohttpd's own timeout counts
 * idle time only: a client dripping a byte a second would hold one of the
 * 64 connections for ever, and 64 such clients every health check.
 */
#define REQUEST_DEADLINE_MS 3000
#define API_MAX_CONNECTIONS 256

typedef struct ApiConnection
{
	bool		used;
	MHD_socket	fd;
	int64		since_ms;		/* opened, or last answered */
} ApiConnection;

static ApiConnection connections[API_MAX_CONNECTIONS];

static void
track_connection(void *cls, struct MHD_Connection *c, void **socket_context,
				 enum MHD_ConnectionNotificationCode code)
{
	ApiConnection *slot = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
	{
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		for (int i = 0; i < API_MAX_CONNECTIONS && info; i++)
			if (!connections[i].used)
			{
				connections[i].used = true;
				connections[i].fd = info->connect_fd;
				connections[i].since_ms = pgha_now_us() / 1000;
				*socket_context = &connections[i];
				break;
			}
	}
	else if (slot != NULL)
	{
		slot->used = false;
		*socket_context = NULL;
	}
}

/* a response went out: the next request's deadline starts now */
static void
request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	ApiConnection *slot = info ? info->socket_context : NULL;
	ApiRequest *req = *con_cls;

	if (slot != NULL)
		slot->since_ms = pgha_now_us() / 1000;
	if (req != NULL)
	{
		if (req == waiting_request)
		{
			waiting = NULL;
			waiting_request = NULL;
		}
		if (req->action)
			actions_open--;
		free(req->body);
		free(req->response);
		free(req);
		*con_cls = NULL;
	}
}

/* a connection waiting for an action has no deadline; once answered, a fresh one */
static void
set_deadline(struct MHD_Connection *c, bool waits)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	ApiConnection *slot = info ? info->socket_context : NULL;

	if (slot != NULL)
		slot->since_ms = waits ? PG_INT64_MAX / 2 : pgha_now_us() / 1000;
}

/* shut down the sockets of requests past their deadline: MHD then closes them */
static void
enforce_deadlines(void)
{
	int64		now = pgha_now_us() / 1000;

	for (int i = 0; i < API_MAX_CONNECTIONS; i++)
		if (connections[i].used && now - connections[i].since_ms > REQUEST_DEADLINE_MS)
		{
			(void) shutdown(connections[i].fd, SHUT_RDWR);
			/* once: MHD reports the close, which frees the slot */
			connections[i].since_ms = PG_INT64_MAX / 2;
		}
}

/* libmicrohttpd's own abort(): a worker that ends, not a postmaster crash-restart */
static void
mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	ereport(LOG, (errmsg("pgha api: libmicrohttpd failed at %s:%u: %s", file ? file : "?", line,
						 reason ? reason : "?")));
	proc_exit(1);
}


/* the HTTP (or, with pgha.api_certfile, HTTPS) daemon; NULL (logged) if it cannot start */
static struct MHD_Daemon *
start_daemon(const struct addrinfo *addr)
{
	unsigned int flags = MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls[4];
	int			ntls = 0;
	struct MHD_Daemon *d;

	if (!pgha_api_tls_load())
		return NULL;
	if (pgha_api_tls_cert())
	{
		flags |= MHD_USE_TLS;
		tls[ntls++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) pgha_api_tls_cert()};
		tls[ntls++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) pgha_api_tls_key()};
		/* with a CA, clients are asked for a certificate (checked per request) */
		if (pgha_api_tls_ca())
			tls[ntls++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *) pgha_api_tls_ca()};
	}
	tls[ntls++] = (struct MHD_OptionItem) {MHD_OPTION_END, 0, NULL};
	if (addr->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
						 MHD_OPTION_SOCK_ADDR, addr->ai_addr,
						 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) API_MAX_CONNECTIONS,
						 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) 16,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 5,
						 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 16384,
						 MHD_OPTION_NOTIFY_CONNECTION, track_connection, NULL,
						 MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
						 MHD_OPTION_ARRAY, tls,
						 MHD_OPTION_END);
	if (d == NULL)
	{
		ereport(LOG,
				(errmsg("pgha api: could not listen on \"%s\"%s", pgha_api_listen,
						pgha_api_tls_cert() ? " with TLS" : ""),
				 errhint("Another process may use the port; change pgha.api_listen, or set it to '' to turn the API off.%s",
						 pgha_api_tls_cert() ? " Check that pgha.api_certfile and pgha.api_keyfile are a PEM certificate and its key." : "")));
		pgha_api_tls_forget();
		return NULL;
	}
	ereport(LOG, (errmsg("pgha api listening on %s%s", pgha_api_listen, pgha_api_tls_cert() ? " (HTTPS)" : "")));
	return d;
}

void
pgha_api_main(Datum main_arg)
{
	struct MHD_Daemon *d;
	struct addrinfo *addr;
	char	   *signature;
	int64		stop_at = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	pgstat_report_activity(STATE_RUNNING, "serving the REST API");
	request_cxt = AllocSetContextCreate(TopMemoryContext, "pgha api request", ALLOCSET_DEFAULT_SIZES);

	addr = listen_address();
	if (addr == NULL)
		proc_exit(1);
	MHD_set_panic_func(mhd_panic, NULL);
	signature = pgha_api_tls_signature();
	d = start_daemon(addr);
	if (d == NULL)
		proc_exit(1);

	for (;;)
	{
		fd_set		rs,
					ws,
					es;
		MHD_socket	maxfd = 0;
		MHD_UNSIGNED_LONG_LONG mhd_timeout;
		long		timeout_ms = 500;
		struct timeval tv;

		resume_answered();
		if (waiting != NULL || ShutdownRequestPending)
			timeout_ms = ShutdownRequestPending ? 20 : 100;
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		if (MHD_get_fdset(d, &rs, &ws, &es, &maxfd) != MHD_YES)
			break;
		if (MHD_get_timeout(d, &mhd_timeout) == MHD_YES)
			timeout_ms = Min(timeout_ms, (long) mhd_timeout);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		/* signals interrupt the wait: SIGTERM ends us below */
		(void) select(maxfd + 1, &rs, &ws, &es, &tv);

		CHECK_FOR_INTERRUPTS();
		if (!PostmasterIsAlive())
			break;
		if (ShutdownRequestPending)
		{
			int64		now = pgha_now_us() / 1000;

			if (stop_at == 0)
				stop_at = now + SHUTDOWN_GRACE_MS;
			if (actions_open == 0 || now >= stop_at)
				break;
		}
		if (ConfigReloadPending)
		{
			char	   *now_signature;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			now_signature = pgha_api_tls_signature();
			/*
			 * New TLS settings or files: serve with them (a request under
			 * way is cut); unusable ones are logged, and the daemon goes
			 * on as it was.
			 */
			if (strcmp(now_signature, signature) != 0)
			{
				if (!pgha_api_tls_load())
					ereport(LOG, (errmsg("pgha api: the new TLS settings are not used; serving as before")));
				else
				{
					stop_daemon(d);
					if ((d = start_daemon(addr)) == NULL)
						proc_exit(1);
				}
			}
			pfree(signature);
			signature = now_signature;
		}
		MemoryContextReset(request_cxt);
		MHD_run_from_select(d, &rs, &ws, &es);
		enforce_deadlines();
	}
	stop_daemon(d);
	proc_exit(1);
}
