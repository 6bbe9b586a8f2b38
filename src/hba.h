/*-------------------------------------------------------------------------
 *
 * hba.h
 *		Cluster-wide pg_hba rules: validation with PostgreSQL's own parser,
 *		and the atomic rewrite of pg_hba.conf on each node.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/hba.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_HBA_H
#define PGHA_HBA_H

/*
 * Check rules with PostgreSQL's pg_hba parser.  Returns -1 when all are
 * valid, else the 0-based index of the first bad rule with *msg set.
 * Rules that parse but can never match (hostssl without SSL) come back in
 * *warning.  The first "trusted" rules (the node's own protected lines) may
 * include files; the others may not.  Must run inside a transaction.
 */
extern int	pgha_hba_check(char **rules, int n, int trusted, char **msg, char **warning);

/*
 * Make pg_hba.conf = pgha's protected layer + rules (present) or restore
 * the file pgha found (!present).  Returns true if the file changed (and
 * the postmaster was told to reload).  Never leaves a file that fails to
 * parse.  May ERROR.
 */
extern bool pgha_hba_apply(bool present, char **rules, int n);

/* the protected lines, from the file pgha found (palloc'd) */
extern List *pgha_hba_protected_lines(void);

#endif							/* PGHA_HBA_H */
