/*-------------------------------------------------------------------------
 *
 * failsafe.c
 *		failsafe_mode (Patroni's name and promise): when etcd is down, the
 *		leader keeps running as primary only while every member it knows
 *		confirms, directly, that it sees no other leader.
 *
 * The ping is an authenticated replication connection whose
 * application_name is "pgha_failsafe:<leader>": the member's HBA rules and
 * password checks apply as to any standby.  On the member, an
 * authentication hook answers it: it refuses (FATAL) when this node runs as
 * a primary or its worker's fresh etcd view names another leader, and
 * otherwise records the ping; a member pinged within the ttl never races
 * for the leader key (rule failsafe_leader_alive), so the leader's
 * confirmation also holds for the next ttl.  A member that cannot be
 * reached vouches for nothing, and the leader fences as without failsafe.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/failsafe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq-fe.h"
#include "access/xlog.h"
#include "libpq/auth.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "replication/walsender.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "actions.h"
#include "failsafe.h"
#include "guc.h"
#include "probe.h"
#include "shmem.h"

static ClientAuthentication_hook_type prev_client_auth = NULL;

static void
failsafe_client_auth(Port *port, int status)
{
	const char *leader;
	PghaSharedState *st;
	bool		other = false;
	char		seen[64] = "";

	if (prev_client_auth)
		prev_client_auth(port, status);
	if (status != STATUS_OK || !am_walsender || port->application_name == NULL ||
		strncmp(port->application_name, PGHA_FAILSAFE_APPNAME, strlen(PGHA_FAILSAFE_APPNAME)) != 0 ||
		pgha_shared == NULL)
		return;
	leader = port->application_name + strlen(PGHA_FAILSAFE_APPNAME);

	if (!RecoveryInProgress())
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: \"%s\" runs as a primary", pgha_node_name())));

	st = palloc(sizeof(PghaSharedState));
	pgha_shmem_read(st);
	/* our worker reached etcd lately and saw another member lead */
	if (st->etcd_reachable && st->leader[0] != '\0' && strcmp(st->leader, leader) != 0 &&
		TimestampDifferenceExceeds(st->etcd_last_contact, GetCurrentTimestamp(), 10000) == false)
	{
		other = true;
		strlcpy(seen, st->leader, sizeof(seen));
	}
	pfree(st);
	if (other)
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha failsafe: etcd names \"%s\" the leader, not \"%s\"", seen, leader)));

	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	strlcpy(pgha_shared->failsafe.leader, leader, sizeof(pgha_shared->failsafe.leader));
	pgha_shared->failsafe.at = GetCurrentTimestamp();
	LWLockRelease(pgha_shared->lock);
}

void
pgha_failsafe_init(void)
{
	prev_client_auth = ClientAuthentication_hook;
	ClientAuthentication_hook = failsafe_client_auth;
}

int64
pgha_failsafe_last_ping(char *leader, size_t len)
{
	TimestampTz at;

	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	strlcpy(leader, pgha_shared->failsafe.leader, len);
	at = pgha_shared->failsafe.at;
	LWLockRelease(pgha_shared->lock);
	if (at == 0)
		return -1;
	return Max(0, (GetCurrentTimestamp() - at) / 1000);
}

bool
pgha_failsafe_ping(const PghaMember *m)
{
	char	   *conninfo;
	char	   *appname = psprintf("%s%s", PGHA_FAILSAFE_APPNAME, pgha_node_name());
	PGconn	   *conn;
	const char *hs;
	bool		ok;

	if (m->host[0] == '\0')
		return false;
	conninfo = psprintf("%s application_name='%s'", pgha_conninfo(m, true, 1), appname);
	conn = pgha_libpq_connect(conninfo);
	pfree(conninfo);
	ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
	hs = ok ? PQparameterStatus(conn, "in_hot_standby") : NULL;
	ok = ok && hs != NULL && strcmp(hs, "on") == 0;
	if (!ok)
		ereport(LOG,
				(errmsg("pgha failsafe: \"%s\" did not vouch for this leader", m->name),
				 errdetail_internal("%s", conn && PQstatus(conn) != CONNECTION_OK ?
									pchomp(PQerrorMessage(conn)) : "It does not run as a standby.")));
	pgha_libpq_disconnect(conn);
	return ok;
}
