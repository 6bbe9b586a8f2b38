/*-------------------------------------------------------------------------
 *
 * etcd.h
 *		etcd v3 client over the JSON gateway: KV, transactions, leases,
 *		watch, cluster status, authentication, endpoint failover.
 *
 * Shared by the extension, pghactl and the unit tests.  Every call returns
 * bool; on failure PghaEtcd.err / errmsg say what went wrong and the caller
 * reports it (ereport in a backend, pg_log_error in pghactl).  Network
 * failure is data, not an exception.
 *
 * Results are palloc'd in the caller's memory context.  The client itself
 * is allocated in the memory context current at pgha_etcd_create(), which
 * must outlive it; what changes during its life (auth token, watch) is
 * malloc'd and owned by the client.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_ETCD_H
#define PGHA_ETCD_H

#include "shared/http.h"
#include "shared/keys.h"

typedef enum PghaEtcdErr
{
	PGHA_ETCD_OK = 0,
	PGHA_ETCD_UNREACHABLE,		/* no endpoint answered (transport, 5xx,
								 * no leader / quorum) */
	PGHA_ETCD_REJECTED,			/* etcd refused the request (4xx): bad
								 * request, permission, too large ... */
	PGHA_ETCD_AUTH_FAILED,		/* authentication failed */
	PGHA_ETCD_LEASE_NOT_FOUND,	/* lease expired or unknown */
	PGHA_ETCD_PROTOCOL			/* malformed or unexpected response */
} PghaEtcdErr;

/* gRPC codes etcd puts in "code" of an error answer */
#define PGHA_GRPC_INVALID_ARGUMENT	3
#define PGHA_GRPC_NOT_FOUND			5
#define PGHA_GRPC_PERMISSION_DENIED 7
#define PGHA_GRPC_UNAVAILABLE		14
#define PGHA_GRPC_UNAUTHENTICATED	16

typedef struct PghaEtcdHeader
{
	uint64		cluster_id;
	uint64		member_id;
	int64		revision;
	uint64		raft_term;
} PghaEtcdHeader;

typedef struct PghaEtcdKV
{
	char	   *key;
	char	   *value;			/* NUL-terminated; may hold NULs before */
	size_t		value_len;
	int64		create_revision;
	int64		mod_revision;
	int64		version;
	int64		lease;
} PghaEtcdKV;

typedef struct PghaEtcdRange
{
	PghaEtcdHeader header;
	int			nkvs;
	PghaEtcdKV *kvs;
	int64		count;
	bool		more;
} PghaEtcdRange;

typedef enum PghaEtcdCmpTarget
{
	PGHA_CMP_VERSION,
	PGHA_CMP_CREATE,
	PGHA_CMP_MOD,
	PGHA_CMP_VALUE,
	PGHA_CMP_LEASE
} PghaEtcdCmpTarget;

typedef enum PghaEtcdCmpResult
{
	PGHA_CMP_EQUAL,
	PGHA_CMP_GREATER,
	PGHA_CMP_LESS,
	PGHA_CMP_NOT_EQUAL
} PghaEtcdCmpResult;

typedef struct PghaEtcdCompare
{
	const char *key;
	PghaEtcdCmpTarget target;
	PghaEtcdCmpResult result;
	int64		number;			/* revision, version or lease */
	const char *value;			/* for PGHA_CMP_VALUE (NUL-terminated) */
} PghaEtcdCompare;

typedef enum PghaEtcdOpType
{
	PGHA_OP_RANGE,
	PGHA_OP_PUT,
	PGHA_OP_DELETE
} PghaEtcdOpType;

typedef struct PghaEtcdOp
{
	PghaEtcdOpType type;
	const char *key;
	bool		prefix;			/* range/delete: every key under key */
	const char *value;			/* put */
	int64		lease;			/* put: 0 = no lease (detaches the key!) */
} PghaEtcdOp;

#define PGHA_TXN_MAX_CMP 4
#define PGHA_TXN_MAX_OPS 8

typedef struct PghaEtcdTxn
{
	int			ncompare;
	PghaEtcdCompare compare[PGHA_TXN_MAX_CMP];
	int			nsuccess;
	PghaEtcdOp	success[PGHA_TXN_MAX_OPS];
	int			nfailure;
	PghaEtcdOp	failure[PGHA_TXN_MAX_OPS];
} PghaEtcdTxn;

/*
 * Building a transaction: "key's target equals number (or value)", and a
 * put among the success operations.  The strings are not copied.
 */
extern void pgha_etcd_txn_equal(PghaEtcdTxn *t, const char *key, PghaEtcdCmpTarget target,
								int64 number, const char *value);
extern void pgha_etcd_txn_put(PghaEtcdTxn *t, const char *key, const char *value, int64 lease);
extern void pgha_etcd_txn_delete(PghaEtcdTxn *t, const char *key);

typedef struct PghaEtcdTxnResult
{
	PghaEtcdHeader header;
	bool		succeeded;
	int			nresponses;
	/* one entry per op of the branch taken; ranges fill kvs */
	PghaEtcdRange responses[PGHA_TXN_MAX_OPS];
} PghaEtcdTxnResult;

typedef struct PghaEtcdStatus
{
	PghaEtcdHeader header;
	char		version[32];
	int64		db_size;
	int64		db_size_in_use;
	uint64		leader;			/* 0 when the member sees no leader */
	uint64		raft_index;
	uint64		raft_term;
	uint64		raft_applied_index;
	char		errors[256];	/* "errors" joined by "; " */
} PghaEtcdStatus;

typedef struct PghaEtcdMember
{
	uint64		id;
	char	   *name;
	char	   *client_url;		/* first client URL, or NULL */
	char	   *peer_url;
} PghaEtcdMember;

typedef enum PghaEtcdEventType
{
	PGHA_EVENT_PUT,
	PGHA_EVENT_DELETE
} PghaEtcdEventType;

typedef struct PghaEtcdEvent
{
	PghaEtcdEventType type;
	PghaEtcdKV	kv;
} PghaEtcdEvent;

/* one frame of a watch stream */
typedef struct PghaEtcdWatchFrame
{
	PghaEtcdHeader header;
	bool		created;
	bool		canceled;
	int64		compact_revision;
	char		cancel_reason[256];
	int			nevents;
	PghaEtcdEvent *events;
} PghaEtcdWatchFrame;

typedef struct PghaEtcdConfig
{
	const char *hosts;			/* pgha.etcd_hosts syntax */
	const char *default_scheme; /* "http" or "https" */
	const char *user;			/* NULL or "" = no authentication */
	const char *password;
	PghaHttpTls tls;
	int			timeout_ms;		/* per request, per endpoint */
} PghaEtcdConfig;

typedef struct PghaEtcd
{
	PghaHttp   *http;
	char	   *urls[PGHA_MAX_ENDPOINTS];
	int			nurls;
	int			current;		/* the endpoint that last worked */
	char	   *user;
	char	   *password;
	char	   *token;			/* malloc'd */
	int			timeout_ms;
	/*
	 * 0, or an absolute limit (shared/clock.h microseconds) for every call
	 * until it is cleared: each request gets no more than what is left.  A
	 * leader sets its fence deadline, so that the several calls of one
	 * iteration cannot add up past it.
	 */
	int64		deadline_us;

	/* the last call's outcome */
	PghaEtcdErr err;
	long		http_status;
	int			grpc_code;
	char		errmsg[512];
	PghaEtcdHeader last_header;

	/* watch */
	bool		watching;
	int			watch_endpoint;	/* the urls[] index it runs on */
	int64		watch_next_revision;	/* resume point */
	char	   *watch_prefix;	/* malloc'd */
} PghaEtcd;

/*
 * Told of every request the client sends: its URL, how long it took from
 * the send to the answer (or the failure), and whether an answer came.
 * bench/scale's latency figures; NULL, as in the server and pghactl,
 * costs nothing.
 */
typedef void (*PghaEtcdCallObserver) (const char *url, int64 elapsed_us, bool answered);
extern PghaEtcdCallObserver pgha_etcd_call_observer;

extern bool pgha_read_password_file(const char *path, char *buf, size_t buflen,
										 char *errbuf, size_t errlen);
extern PghaEtcd *pgha_etcd_create(const PghaEtcdConfig *config,
								  char *errbuf, size_t errlen);
extern void pgha_etcd_destroy(PghaEtcd *etcd);
extern const char *pgha_etcd_endpoint(PghaEtcd *etcd);
extern const char *pgha_etcd_err_name(PghaEtcdErr err);

/* KV */
extern bool pgha_etcd_range(PghaEtcd *etcd, const char *key, bool prefix,
							PghaEtcdRange *out);
/* first kv of a range, or NULL */
extern PghaEtcdKV *pgha_etcd_range_get(PghaEtcdRange *r, const char *key);
extern bool pgha_etcd_put(PghaEtcd *etcd, const char *key, const char *value,
						  int64 lease, int64 *revision);
extern bool pgha_etcd_delete(PghaEtcd *etcd, const char *key, bool prefix,
							 int64 *deleted);
extern bool pgha_etcd_txn(PghaEtcd *etcd, const PghaEtcdTxn *txn,
						  PghaEtcdTxnResult *out);

/*
 * Delete key only if its mod_revision is still mod_revision (a request
 * taken or cancelled: a newer one written meanwhile survives).  True if
 * it was deleted.
 */
extern bool pgha_etcd_delete_if_unchanged(PghaEtcd *etcd, const char *key, int64 mod_revision);

/* compare-and-swap on the key's mod_revision (0: create only) */
extern bool pgha_etcd_put_if_unchanged(PghaEtcd *etcd, const char *key, const char *value,
									   int64 mod_revision, bool *swapped, int64 *revision);

/* leases */
extern bool pgha_etcd_lease_grant(PghaEtcd *etcd, int64 ttl, int64 *id,
								  int64 *granted_ttl);
/* *ttl = 0 means the lease is gone (etcd says so with HTTP 200) */
extern bool pgha_etcd_lease_keepalive(PghaEtcd *etcd, int64 id, int64 *ttl);
extern bool pgha_etcd_lease_revoke(PghaEtcd *etcd, int64 id);
/* *ttl = -1 means the lease is unknown */
extern bool pgha_etcd_lease_timetolive(PghaEtcd *etcd, int64 id, int64 *ttl,
									   int64 *granted_ttl);

/* cluster */
extern bool pgha_etcd_status(PghaEtcd *etcd, const char *url,
							 PghaEtcdStatus *out);
/* members an etcd cluster of n needs for quorum (N = 2F + 1 tolerates F) */
static inline int
pgha_etcd_quorum(int n)
{
	return n / 2 + 1;
}

extern bool pgha_etcd_member_list(PghaEtcd *etcd, PghaEtcdMember **members,
								  int *nmembers);

/* watch: one stream, on its own connection */
extern bool pgha_etcd_watch_start(PghaEtcd *etcd, const char *prefix,
								  int64 start_revision);
extern void pgha_etcd_watch_stop(PghaEtcd *etcd);

/*
 * Next watch frame, if one is buffered: returns true and fills *frame.
 * Returns false with err == PGHA_ETCD_OK when nothing is buffered, or with
 * an error when the stream ended or broke (the watch is then stopped; the
 * caller re-reads the prefix and starts a new watch).
 */
extern bool pgha_etcd_watch_next(PghaEtcd *etcd, PghaEtcdWatchFrame *frame);

/* wait for watch data, the latch (backend) or the timeout */
extern int	pgha_etcd_wait(PghaEtcd *etcd, long timeout_ms);

#endif							/* PGHA_ETCD_H */
