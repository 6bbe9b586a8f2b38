/*-------------------------------------------------------------------------
 *
 * recover.c
 *		Turning an ERROR caught in PG_CATCH into data, in one place.
 *
 * The worker catches errors where one failing step (an ALTER SYSTEM, a
 * slot, pg_hba) must not cost the rest of the iteration.  Every such catch
 * does the same four things; they live here so none of them forgets one
 * (the memory context in particular: AbortCurrentTransaction leaves
 * CurrentMemoryContext at TopMemoryContext).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/recover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include "recover.h"

ErrorData *
pgha_recover_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	if (IsTransactionState() || IsAbortedTransactionBlockState())
		AbortCurrentTransaction();
	MemoryContextSwitchTo(cxt);
	return edata;
}
