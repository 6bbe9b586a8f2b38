/*-------------------------------------------------------------------------
 *
 * http_backend.c
 *		The HTTP client's host in the server (shared/http.h's PghaHttpHost).
 *
 * In a backend or the worker, nothing blocks outside the latch: the only
 * wait is a WaitEventSet on curl's sockets + MyLatch + postmaster death,
 * and CHECK_FOR_INTERRUPTS runs between curl calls.  A transfer that an
 * ERROR interrupts is dropped before the ERROR goes on (backend_guarded).  A latch set that arrives
 * while we wait for etcd is not swallowed: it is set again before the
 * request returns, so the caller's main loop still sees it.  curl's
 * sockets are invisible to fd.c, so they are accounted for as external
 * fds.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/http_backend.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "http_backend.h"
#include "shared/http.h"

static int
backend_wait(PghaHttpSock *socks, int nsocks, long timeout_ms, PghaPmDeath pmdeath)
{
	WaitEventSet *set;
	WaitEvent	events[PGHA_HTTP_MAX_SOCKS + 2];
	int			nevents;
	int			flags = 0;
	int			i;

#if PG_VERSION_NUM >= 170000
	set = CreateWaitEventSet(NULL, nsocks + 2);
#else
	set = CreateWaitEventSet(CurrentMemoryContext, nsocks + 2);
#endif
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	if (pmdeath != PGHA_PMDEATH_IGNORE)
		AddWaitEventToSet(set,
						  pmdeath == PGHA_PMDEATH_REPORT ? WL_POSTMASTER_DEATH : WL_EXIT_ON_PM_DEATH,
						  PGINVALID_SOCKET, NULL, NULL);
	for (i = 0; i < nsocks; i++)
	{
		uint32		ev = 0;

		if (socks[i].events & PGHA_HTTP_IN)
			ev |= WL_SOCKET_READABLE;
		if (socks[i].events & PGHA_HTTP_OUT)
			ev |= WL_SOCKET_WRITEABLE;
		if (ev)
			AddWaitEventToSet(set, ev, socks[i].fd, NULL, (void *) &socks[i]);
	}
	nevents = WaitEventSetWait(set, timeout_ms, events, lengthof(events),
							   PGHA_WAIT_EVENT);
	FreeWaitEventSet(set);

	for (i = 0; i < nevents; i++)
	{
		if (events[i].events & WL_LATCH_SET)
			flags |= PGHA_HTTP_WAIT_LATCH;
		else if (events[i].events & WL_POSTMASTER_DEATH)
			flags |= PGHA_HTTP_WAIT_PMDEATH;
		else if (events[i].user_data)
		{
			PghaHttpSock *s = (PghaHttpSock *) events[i].user_data;

			s->revents =
				((events[i].events & WL_SOCKET_READABLE) ? PGHA_HTTP_IN : 0) |
				((events[i].events & WL_SOCKET_WRITEABLE) ? PGHA_HTTP_OUT : 0);
		}
	}
	return flags;
}

static void
backend_after_wait(int flags)
{
	if (flags & PGHA_HTTP_WAIT_LATCH)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
backend_give_back(int flags_seen)
{
	if (flags_seen & PGHA_HTTP_WAIT_LATCH)
		SetLatch(MyLatch);
}

static void
backend_guarded(void (*body) (void *), void (*cleanup) (void *), void *arg)
{
	PG_TRY();
	{
		body(arg);
	}
	PG_CATCH();
	{
		cleanup(arg);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cleanup(arg);
}

static int
backend_open_socket(int family, int type, int protocol)
{
	int			fd;

	if (!AcquireExternalFD())
		return -1;
	fd = socket(family, type, protocol);
	if (fd < 0)
		ReleaseExternalFD();
	return fd;
}

static int
backend_close_socket(int fd)
{
	int			rc = close(fd);

	ReleaseExternalFD();
	return rc;
}

static const PghaHttpHost backend_host = {
	.wait = backend_wait,
	.after_wait = backend_after_wait,
	.give_back = backend_give_back,
	.guarded = backend_guarded,
	.open_socket = backend_open_socket,
	.close_socket = backend_close_socket,
};

void
pgha_http_backend_init(void)
{
	pgha_http_set_host(&backend_host);
}
