/*-------------------------------------------------------------------------
 *
 * sim_backend.c
 *		The parts of the PostgreSQL backend the keeper calls, for the
 *		simulator: memory contexts, ereport and PG_TRY, time, and the
 *		per-node values the keeper reads from the server (DataDir,
 *		RecoveryInProgress(), GetFlushRecPtr() ...).
 *
 * Memory contexts keep a list of their chunks, so a reset frees what an
 * iteration allocated, as the worker's iteration context does.  ERROR
 * jumps to PG_exception_stack like the real thing; FATAL and proc_exit()
 * end the node's worker.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/sim/sim_backend.c
 *
 *-------------------------------------------------------------------------
 */
#include "sim.h"

#include <stdarg.h>

#include "access/xlog.h"
#include "storage/ipc.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "storage/lwlock.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "recover.h"

/* ---- memory contexts ---- */

typedef struct SimChunk
{
	struct SimCxt *cxt;
	struct SimChunk *prev;
	struct SimChunk *next;
	size_t		size;
} SimChunk;

typedef struct SimCxt
{
	SimChunk	head;			/* sentinel of the chunk list */
	const char *name;
} SimCxt;

MemoryContext CurrentMemoryContext = NULL;
MemoryContext TopMemoryContext = NULL;
MemoryContext ErrorContext = NULL;

/* every context a run made, so that the next run starts from nothing */
static SimCxt **run_cxts;
static int	nrun_cxts;
static int	run_cxts_cap;

static SimCxt *
new_cxt(const char *name)
{
	SimCxt	   *c = calloc(1, sizeof(SimCxt));

	c->head.next = c->head.prev = &c->head;
	c->name = name;
	if (nrun_cxts == run_cxts_cap)
	{
		run_cxts_cap = run_cxts_cap ? 2 * run_cxts_cap : 64;
		run_cxts = realloc(run_cxts, sizeof(SimCxt *) * run_cxts_cap);
	}
	run_cxts[nrun_cxts++] = c;
	return c;
}

/* free what the last run allocated: every context but keep's */
void
sim_memory_reset(MemoryContext keep1, MemoryContext keep2)
{
	int			i;
	int			kept = 0;

	for (i = 0; i < nrun_cxts; i++)
	{
		SimCxt	   *c = run_cxts[i];

		MemoryContextReset((MemoryContext) c);
		if ((MemoryContext) c == keep1 || (MemoryContext) c == keep2)
			run_cxts[kept++] = c;
		else
			free(c);
	}
	nrun_cxts = kept;
}

MemoryContext
sim_context_create(const char *name)
{
	return (MemoryContext) new_cxt(name);
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize, Size maxBlockSize)
{
	return (MemoryContext) new_cxt(name);
}

static void *
cxt_alloc(MemoryContext mc, Size size, bool zero)
{
	SimCxt	   *c = (SimCxt *) mc;
	SimChunk   *ch;

	if (c == NULL)
		c = (SimCxt *) (TopMemoryContext = (MemoryContext) new_cxt("top"));
	ch = malloc(sizeof(SimChunk) + size + 1);
	if (ch == NULL)
		abort();
	if (zero)
		memset(ch + 1, 0, size);
	ch->cxt = c;
	ch->size = size;
	ch->next = c->head.next;
	ch->prev = &c->head;
	c->head.next->prev = ch;
	c->head.next = ch;
	return ch + 1;
}

void
MemoryContextReset(MemoryContext mc)
{
	SimCxt	   *c = (SimCxt *) mc;

	while (c->head.next != &c->head)
	{
		SimChunk   *ch = c->head.next;

		c->head.next = ch->next;
		free(ch);
	}
	c->head.prev = &c->head;
}

void
MemoryContextDelete(MemoryContext mc)
{
	/* freed with the run (sim_memory_reset) */
	MemoryContextReset(mc);
}

void *
MemoryContextAlloc(MemoryContext c, Size size)
{
	return cxt_alloc(c, size, false);
}

void *
MemoryContextAllocZero(MemoryContext c, Size size)
{
	return cxt_alloc(c, size, true);
}

void *
MemoryContextAllocExtended(MemoryContext c, Size size, int flags)
{
	return cxt_alloc(c, size, (flags & MCXT_ALLOC_ZERO) != 0);
}

char *
MemoryContextStrdup(MemoryContext c, const char *s)
{
	size_t		len = strlen(s);
	char	   *p = cxt_alloc(c, len + 1, false);

	memcpy(p, s, len + 1);
	return p;
}

void *
palloc(Size size)
{
	return cxt_alloc(CurrentMemoryContext, size, false);
}

void *
palloc0(Size size)
{
	return cxt_alloc(CurrentMemoryContext, size, true);
}

void *
palloc_extended(Size size, int flags)
{
	return cxt_alloc(CurrentMemoryContext, size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void
pfree(void *p)
{
	SimChunk   *ch = ((SimChunk *) p) - 1;

	ch->prev->next = ch->next;
	ch->next->prev = ch->prev;
	free(ch);
}

void *
repalloc(void *p, Size size)
{
	SimChunk   *ch = ((SimChunk *) p) - 1;
	void	   *n = cxt_alloc((MemoryContext) ch->cxt, size, false);

	memcpy(n, p, Min(size, ch->size));
	pfree(p);
	return n;
}

char *
pstrdup(const char *s)
{
	return MemoryContextStrdup(CurrentMemoryContext, s);
}

char *
pnstrdup(const char *s, Size len)
{
	size_t		n = strnlen(s, len);
	char	   *p = palloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
pchomp(const char *in)
{
	char	   *p = pstrdup(in);
	size_t		n = strlen(p);

	while (n > 0 && p[n - 1] == '\n')
		p[--n] = '\0';
	return p;
}

/* ---- ereport ---- */

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static struct
{
	int			elevel;
	int			sqlerrcode;
	char		message[1024];
	char		detail[1024];
	bool		have_error;		/* an ERROR waits for a PG_CATCH */
	ErrorData	data;
}			E;

bool
errstart(int elevel, const char *domain)
{
	if (elevel < LOG && elevel != WARNING && !sim_cfg.verbose)
		return false;
	E.elevel = elevel;
	E.sqlerrcode = 0;
	E.message[0] = E.detail[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	E.sqlerrcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(E.message, sizeof(E.message), fmt, ap);
	va_end(ap);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(E.message, sizeof(E.message), fmt, ap);
	va_end(ap);
	return 0;
}

int
errmsg_plural(const char *fmt_singular, const char *fmt_plural, unsigned long n,...)
{
	va_list		ap;

	va_start(ap, n);
	vsnprintf(E.message, sizeof(E.message), n == 1 ? fmt_singular : fmt_plural, ap);
	va_end(ap);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(E.detail, sizeof(E.detail), fmt, ap);
	va_end(ap);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(E.detail, sizeof(E.detail), fmt, ap);
	va_end(ap);
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (E.elevel >= ERROR)
	{
		E.have_error = true;
		E.data.elevel = E.elevel;
		E.data.sqlerrcode = E.sqlerrcode;
		E.data.message = E.message;
		E.data.detail = E.detail[0] ? E.detail : NULL;
		sim_log(sim_current, "%s: %s%s%s", E.elevel >= FATAL ? "FATAL" : "ERROR", E.message,
				E.detail[0] ? " | " : "", E.detail);
		if (E.elevel >= FATAL || PG_exception_stack == NULL)
			proc_exit(1);
		siglongjmp(*PG_exception_stack, 1);
	}
	sim_log(sim_current, "%s: %s%s%s", E.elevel == WARNING ? "WARNING" : "LOG", E.message,
			E.detail[0] ? " | " : "", E.detail);
}

void
FlushErrorState(void)
{
	E.have_error = false;
}

ErrorData *
CopyErrorData(void)
{
	ErrorData  *d = palloc0(sizeof(ErrorData));

	d->elevel = E.data.elevel;
	d->sqlerrcode = E.data.sqlerrcode;
	d->message = pstrdup(E.message);
	d->detail = E.detail[0] ? pstrdup(E.detail) : NULL;
	return d;
}

void
FreeErrorData(ErrorData *d)
{
}

ErrorData *
pgha_recover_error(MemoryContext cxt)
{
	ErrorData  *d;

	MemoryContextSwitchTo(cxt);
	d = CopyErrorData();
	FlushErrorState();
	return d;
}

/* the worker ends: back to its coroutine's start (sim.c) */
void
proc_exit(int code)
{
	sim_log(sim_current, "worker exits (%d)", code);
	siglongjmp(sim_current->worker_jmp, 2);
}

/* ---- the server, as the current node has it ---- */

char	   *DataDir = "/sim/data";
int			PostPortNumber = 5432;
TimestampTz PgStartTime = 0;

/* wall clock: simulated time since an arbitrary start in 2026 */
#define SIM_EPOCH_US ((int64) 852076800 * 1000000)

TimestampTz
GetCurrentTimestamp(void)
{
	return SIM_EPOCH_US + sim_time_us;
}

bool
TimestampDifferenceExceeds(TimestampTz start_time, TimestampTz stop_time, int msec)
{
	return (stop_time - start_time) >= (int64) msec * 1000;
}

const char *
timestamptz_to_str(TimestampTz t)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "2026-12-06 00:00:%02lld.%06lld+00",
			 (long long) ((t / 1000000) % 60), (long long) (t % 1000000));
	return buf;
}

/* only timestamptz_in (a scheduled switchover) comes here: never in the simulator */
Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2, Datum arg3)
{
	ereport(ERROR, (errmsg("the simulator parses no times")));
	return (Datum) 0;
}

Datum
timestamptz_in(PG_FUNCTION_ARGS)
{
	return (Datum) 0;
}

void
escape_json(StringInfo buf, const char *str)
{
	const char *p;

	appendStringInfoCharMacro(buf, '"');
	for (p = str; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoCharMacro(buf, '\\');
		appendStringInfoCharMacro(buf, *p);
	}
	appendStringInfoCharMacro(buf, '"');
}

bool
LWLockAcquire(LWLock *lock, LWLockMode mode)
{
	return true;
}

void
LWLockRelease(LWLock *lock)
{
}

void
pgstat_report_activity(BackendState state, const char *cmd_str)
{
}

void
RequestCheckpoint(int flags)
{
}

uint64
GetSystemIdentifier(void)
{
	return UINT64CONST(7000000000000000001);
}

/* the keeper's own transactions around slot work: nothing to do here */
void
StartTransactionCommand(void)
{
}

void
CommitTransactionCommand(void)
{
}

bool
RecoveryInProgress(void)
{
	return sim_current->in_recovery;
}

XLogRecPtr
GetFlushRecPtr(TimeLineID *insertTLI)
{
	if (insertTLI)
		*insertTLI = sim_current->timeline;
	return SIM_LSN(sim_current->nwal);
}

/* the simulated WAL is flushed as it is written */
XLogRecPtr
GetXLogInsertRecPtr(void)
{
	return SIM_LSN(sim_current->nwal);
}

void
XLogFlush(XLogRecPtr record)
{
}

const char *
GetConfigOption(const char *name, bool missing_ok, bool restrict_privileged)
{
	if (strcmp(name, "synchronous_standby_names") == 0)
		return sim_current->ssn_file;
	return NULL;
}
