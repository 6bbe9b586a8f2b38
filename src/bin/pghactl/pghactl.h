/*-------------------------------------------------------------------------
 *
 * pghactl.h
 *		pghactl: what needs PostgreSQL stopped, and the cluster from outside.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/pghactl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHACTL_H
#define PGHACTL_H

#include "common/cluster.h"
#include "common/etcd.h"
#include "conf.h"

extern PghaEtcd *pghactl_etcd(const PghactlConf *conf);
/* the cluster prefix, read in one range; false (logged) on failure */
extern bool pghactl_snapshot(PghaEtcd *etcd, const PghactlConf *conf, PghaCluster *c);
extern int	pghactl_run(PghactlConf *conf);

#endif
