/*-------------------------------------------------------------------------
 *
 * etcd_cas.c
 *		Conditional writes built on pgha_etcd_txn(), whichever transport
 *		answers it: etcd.c's, or the simulator's model etcd (test/sim).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/etcd_cas.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/etcd.h"
#include "shared/etcd_json.h"

/*
 * Compare-and-swap: put key = value only while the key's mod_revision is
 * still mod_revision (0: only while the key does not exist).  True when
 * etcd answered; *swapped tells whether the value was written.
 */
bool
pgha_etcd_put_if_unchanged(PghaEtcd *e, const char *key, const char *value,
						   int64 mod_revision, bool *swapped, int64 *revision)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult res;

	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, key, mod_revision > 0 ? PGHA_CMP_MOD : PGHA_CMP_CREATE,
						mod_revision > 0 ? mod_revision : 0, NULL);
	pgha_etcd_txn_put(&t, key, value, 0);
	*swapped = false;
	if (!pgha_etcd_txn(e, &t, &res))
		return false;
	*swapped = res.succeeded;
	if (revision)
		*revision = res.header.revision;
	return true;
}

/* delete key only while its mod_revision is still mod_revision; true if it was */
bool
pgha_etcd_delete_if_unchanged(PghaEtcd *e, const char *key, int64 mod_revision)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult res;

	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, key, PGHA_CMP_MOD, mod_revision, NULL);
	pgha_etcd_txn_delete(&t, key);
	return pgha_etcd_txn(e, &t, &res) && res.succeeded;
}
