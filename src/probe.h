/*-------------------------------------------------------------------------
 *
 * probe.h
 *		Ask another member directly how far its WAL got.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/probe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_PROBE_H
#define PGHA_PROBE_H

#include "common/decide.h"

extern void pgha_probe_member(const PghaMember *m, PghaPeer *out);

#endif							/* PGHA_PROBE_H */
