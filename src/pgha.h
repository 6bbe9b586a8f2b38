/*-------------------------------------------------------------------------
 *
 * pgha.h
 *		Version of the loaded module, checked against the SQL install.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/pgha.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_H
#define PGHA_H

#define PGHA_VERSION "1.0"

#endif							/* PGHA_H */
