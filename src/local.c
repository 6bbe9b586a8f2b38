/*-------------------------------------------------------------------------
 *
 * local.c
 *		Snapshot of this server's own state: recovery, timeline, WAL
 *		positions, WAL receiver, system identifier.
 *
 * Reads shared memory only (no catalog access, no locks held across
 * anything).  On a standby the WAL receiver fields are trusted only while
 * it is streaming (otherwise they describe the last stream, not now).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/local.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "replication/walreceiver.h"
#include "storage/spin.h"
#include "utils/pidfile.h"

#include "compat.h"
#include "local.h"

void
pgha_local_snapshot(PghaLocalDetail *out)
{
	memset(out, 0, sizeof(*out));
	out->base.sysid = GetSystemIdentifier();
	out->base.in_recovery = RecoveryInProgress();

	if (!out->base.in_recovery)
	{
		TimeLineID	tli;

		out->base.lsn = GetFlushRecPtr(&tli);
		out->base.timeline = (int) GetWALInsertionTimeLine();
		return;
	}
	else
	{
		TimeLineID	replay_tli = 0;
		TimeLineID	recv_tli = 0;
		XLogRecPtr	replay = GetXLogReplayRecPtr(&replay_tli);
		XLogRecPtr	recv = GetWalRcvFlushRecPtr(NULL, &recv_tli);
		WalRcvState state;

		SpinLockAcquire(&WalRcv->mutex);
		state = WalRcv->walRcvState;
		SpinLockRelease(&WalRcv->mutex);

		out->base.streaming = (state == WALRCV_STREAMING);
		out->replay_lsn = replay;
		out->receive_lsn = out->base.streaming ? recv : 0;

		/*
		 * Exactly what IDENTIFY_SYSTEM reports to a peer's probe
		 * (GetStandbyFlushRecPtr): WAL received on the replay timeline
		 * counts, whether or not the WAL receiver still runs.  Two standbys
		 * comparing themselves must measure alike, or after the primary's
		 * death each can find the other ahead and neither takes over.
		 */
		out->base.timeline = (int) replay_tli;
		out->base.replay_lsn = replay;
		out->base.lsn = (recv_tli == replay_tli && recv > replay) ? recv : replay;
		strlcpy(out->replication_state,
				out->base.streaming ? "streaming" : "in archive recovery",
				sizeof(out->replication_state));
	}
}

/*
 * The postmaster writes "stopping" into postmaster.pid when a shutdown
 * begins (smart, fast or immediate), before it signals anyone: a SIGTERM
 * that comes with it is a planned stop, one without it is
 * pg_terminate_backend().  Any read error: not stopping.
 */
bool
pgha_postmaster_stopping(void)
{
	FILE	   *f = fopen("postmaster.pid", "r");
	char		line[MAXPGPATH];
	int			n = 0;
	bool		stopping = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (++n == LOCK_FILE_LINE_PM_STATUS)
		{
			stopping = strncmp(line, PM_STATUS_STOPPING, strlen(PM_STATUS_STOPPING)) == 0;
			break;
		}
	fclose(f);
	return stopping;
}
