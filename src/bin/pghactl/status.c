/*-------------------------------------------------------------------------
 *
 * status.c
 *		The member record pghactl run writes while its PostgreSQL is not
 *		running: a node that cannot start shows in pgha.members(),
 *		pghactl list and patronictl list, with why.
 *
 * While PostgreSQL runs, its pgha worker writes the member record; a node
 * whose server keeps failing at startup had none, and looked the same as a
 * node switched off.  pghactl run publishes "members/<name>" with state
 * "start failed" (the server exited, with its last FATAL message) or
 * "stopped" (pghactl waits: for a leader to clone from, a failed
 * pg_rewind, ...), pgha's "down" flag, on a lease of its own that it keeps
 * alive while it waits, and revokes (the record goes with it) just before
 * it starts the server.
 *
 * It never writes over a record it does not own: only a key that is
 * absent, or that sits on its own lease.  A worker's record (of this node,
 * still on the worker's lease after a crash, or of another instance
 * under the same name) stays until that lease ends.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_control.h"
#include "shared/clock.h"
#include "common/controldata_utils.h"
#include "shared/keys.h"
#include "common/logging.h"
#include "pghactl.h"

static int64 lease_id;			/* 0: none */
static int64 last_keepalive_us;
static char cur_state[32];
static char cur_error[PGHA_ERROR_LEN];

/*
 * The record, as the node's worker would identify itself (keeper/members.c's
 * instance: host, data directory, its inode): a worker that finds it
 * still there knows it for its own.
 */
static void
fill_down_member(const PghactlConf *c, PghaMember *m)
{
	char		host[128] = "";
	char	   *dir = make_absolute_path(c->data_directory);
	struct stat st;
	bool		crc_ok;

	memset(m, 0, sizeof(*m));
	strlcpy(m->name, c->name, sizeof(m->name));
	if (c->connect_address && c->connect_address[0])
		snprintf(m->conn_url, sizeof(m->conn_url), "postgres://%s/postgres", c->connect_address);
	strlcpy(m->state, cur_state, sizeof(m->state));
	if (access(psprintf("%s/PG_VERSION", c->data_directory), F_OK) != 0)
		strlcpy(m->role, "uninitialized", sizeof(m->role));
	else if (access(psprintf("%s/standby.signal", c->data_directory), F_OK) == 0)
		strlcpy(m->role, "replica", sizeof(m->role));
	else
		strlcpy(m->role, "primary", sizeof(m->role));
	m->failover_priority = 1;
	m->supervised = true;
	m->down = true;
	strlcpy(m->error, cur_error, sizeof(m->error));
	if (access(psprintf("%s/global/pg_control", c->data_directory), F_OK) == 0)
	{
		ControlFileData *cf = get_controlfile(c->data_directory, &crc_ok);

		if (crc_ok)
			snprintf(m->sysid, sizeof(m->sysid), UINT64_FORMAT, cf->system_identifier);
		pfree(cf);
	}
	(void) gethostname(host, sizeof(host) - 1);
	canonicalize_path(dir);
	if (stat(dir, &st) == 0)
		snprintf(m->instance, sizeof(m->instance), "%s:%s:%llu", host, dir,
				 (unsigned long long) st.st_ino);
	free(dir);
}

/* put the record: absent, or on our lease */
static void
publish(PghaEtcd *etcd, const PghactlConf *c)
{
	PghaCluster cl;
	const PghaMember *old;
	PghaMember	m;
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char	   *key;
	char	   *json;
	int64		ttl;

	if (!pghactl_snapshot(etcd, c, &cl))
		return;
	old = pgha_cluster_member(&cl, c->name);
	if (old != NULL && (lease_id == 0 || old->lease != lease_id))
		return;
	if (lease_id == 0 && !pgha_etcd_lease_grant(etcd, cl.config.ttl, &lease_id, &ttl))
	{
		lease_id = 0;
		return;
	}
	last_keepalive_us = pgha_now_us();
	key = pgha_member_key(pgha_key_prefix(c->namespace, c->scope), c->name);
	fill_down_member(c, &m);
	json = pgha_member_to_json(&m);
	memset(&t, 0, sizeof(t));
	if (old == NULL)
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_CREATE, 0, NULL);
	else
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_LEASE, lease_id, NULL);
	pgha_etcd_txn_put(&t, key, json, lease_id);
	if (!pgha_etcd_txn(etcd, &t, &r) && etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
		lease_id = 0;
	free(json);
}

void
pghactl_status_down(PghaEtcd *etcd, const PghactlConf *c, const char *state, const char *error)
{
	/* unchanged and published: the tick keeps it alive */
	if (lease_id != 0 && strcmp(cur_state, state) == 0 && strcmp(cur_error, error ? error : "") == 0)
		return;
	strlcpy(cur_state, state, sizeof(cur_state));
	strlcpy(cur_error, error ? error : "", sizeof(cur_error));
	publish(etcd, c);
}

/*
 * While pghactl waits: renew the lease every second, and publish again
 * when it was lost (etcd away longer than the ttl) or the worker's record
 * of this node has gone since.
 */
void
pghactl_status_tick(PghaEtcd *etcd, const PghactlConf *c)
{
	int64		ttl;

	if (cur_state[0] == '\0' || pgha_now_us() - last_keepalive_us < 1000000)
		return;
	last_keepalive_us = pgha_now_us();
	if (lease_id != 0 && !pgha_etcd_lease_keepalive(etcd, lease_id, &ttl) &&
		etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
		lease_id = 0;
	if (lease_id == 0)
		publish(etcd, c);
}

/* the server starts: its worker writes the record from now on */
void
pghactl_status_up(PghaEtcd *etcd)
{
	cur_state[0] = '\0';
	/* not revoked (etcd away): the record ends with the lease, within ttl */
	if (lease_id != 0)
		(void) pgha_etcd_lease_revoke(etcd, lease_id);
	lease_id = 0;
}
