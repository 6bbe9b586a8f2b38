/*-------------------------------------------------------------------------
 *
 * lease_steps.c
 *		This node's etcd lease, one call at a time (lease_steps.h).  Pure.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/lease_steps.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/lease_steps.h"

/* a try begins: the old lease first, then ours, or a grant if we have none */
static void
begin_try(PghaLease *l, int64 now_ms)
{
	l->try_ms = now_ms;
	l->next = l->old_id != 0 ? PGHA_LEASE_KEEPALIVE_OLD :
		l->id == 0 ? PGHA_LEASE_GRANT : PGHA_LEASE_KEEPALIVE;
}

void
pgha_lease_begin(PghaLease *l, int config_ttl, int64 now_ms)
{
	l->keepalive_ok = false;
	if (l->id != 0 && l->requested_ttl != config_ttl && l->old_id == 0)
	{
		l->old_id = l->id;
		l->old_ttl = l->ttl;
		l->id = 0;
	}
	begin_try(l, now_ms);
}

PghaLeaseCall
pgha_lease_next(const PghaLease *l)
{
	return l->next;
}

void
pgha_lease_answer(PghaLease *l, PghaLeaseAnswer a, int64 granted_id, int64 granted_ttl,
				  int config_ttl, int64 now_ms)
{
	switch (l->next)
	{
		case PGHA_LEASE_DONE:
			break;
		case PGHA_LEASE_KEEPALIVE_OLD:
			if (a == PGHA_LEASE_FAILED)
			{
				l->next = PGHA_LEASE_DONE;
				break;
			}
			/* gone: nothing left to protect */
			if (a == PGHA_LEASE_NOT_FOUND)
				l->old_id = 0;
			l->next = l->id == 0 ? PGHA_LEASE_GRANT : PGHA_LEASE_KEEPALIVE;
			break;
		case PGHA_LEASE_GRANT:
			l->next = PGHA_LEASE_DONE;
			if (a != PGHA_LEASE_ANSWERED)
			{
				l->id = 0;
				break;
			}
			l->id = granted_id;
			l->ttl = granted_ttl;
			l->requested_ttl = config_ttl;
			l->keepalive_ok = true;
			l->keepalive_sent_ms = l->try_ms;
			break;
		case PGHA_LEASE_KEEPALIVE:
			if (a == PGHA_LEASE_ANSWERED)
			{
				l->keepalive_ok = true;
				l->keepalive_sent_ms = l->try_ms;
				l->next = PGHA_LEASE_DONE;
			}
			else if (a == PGHA_LEASE_NOT_FOUND)
			{
				/* expired: a new lease, from the start */
				l->id = 0;
				begin_try(l, now_ms);
			}
			else
				l->next = PGHA_LEASE_DONE;
			break;
	}
}

void
pgha_lease_lost(PghaLease *l)
{
	l->id = 0;
}

void
pgha_lease_retired(PghaLease *l)
{
	l->old_id = 0;
}
