/*
 * snapshot.c - the consistent reads of a distributed run, shared by copy
 * (its source) and diff (each side) (docs/commands/distributed.md,
 * "Consistent snapshots"):
 *
 *   export  a waiting coordinator exports a snapshot on a side that can
 *           (SL_CAP_SNAPSHOT_EXPORT) and holds its transaction open while
 *           the chunks are read;
 *   read    a worker reads its chunk of a side in the run's snapshot of
 *           that side, or in one of its own where the side has them
 *           (SL_CAP_SNAPSHOT_READ);
 *   lost    a snapshot that no longer exists fails the chunk with the way
 *           on; --finish --retry-failed records that the run goes on
 *           without its snapshots and puts the failed chunks back.
 */
#include "dist_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

int dist_snapshot_export(sl_conn *c, bool hold, char *id, size_t n, dist_snap_kind *kind)
{
	unsigned caps = sl_conn_caps(c);
	int rc = 0;
	id[0] = '\0';
	if (hold && (caps & SL_CAP_SNAPSHOT_EXPORT)) {
		*kind = DIST_SNAP_EXPORTED;
		rc = sl_conn_snapshot_export(c, id, n);
	} else
		*kind = (caps & SL_CAP_SNAPSHOT_EXPORT) ? DIST_SNAP_DETACHED
			: (caps & SL_CAP_SNAPSHOT_READ) ? DIST_SNAP_PER_CHUNK
							: DIST_SNAP_STATEMENT;
	if (rc)
		sl_error_prefix("export a snapshot of \"%s\"", sl_conn_display(c));
	return rc;
}

int dist_snapshot_hint(int rc, const char *id, const char *cmd)
{
	if (rc != SL_ENOTFOUND || !id || !*id)
		return rc;
	char *m = strdup(sl_error_last()->message);
	rc = sl_error_set(rc,
			  "%s; the run cannot be read as one snapshot any more (to go on without it: "
			  "sluice %s --distributed STATE_URL --finish --retry-failed)",
			  m ? m : "the run's snapshot is gone", cmd);
	free(m);
	return rc;
}

int dist_snapshot_begin(sl_conn *c, const char *id, const char *cmd, char *pos, size_t n, bool *open)
{
	pos[0] = '\0';
	*open = false;
	if (!(sl_conn_caps(c) & SL_CAP_SNAPSHOT_READ))
		return id && *id ? sl_error_set(SL_EINVALID, "\"%s\" cannot read the run's snapshot %s",
						sl_conn_display(c), id)
				 : 0;
	int rc = sl_conn_snapshot_begin(c, id && *id ? id : NULL, pos, n);
	*open = !rc;
	return dist_snapshot_hint(rc, id, cmd);
}

int dist_snapshot_end(sl_conn *c, bool open, int rc)
{
	if (!open || !sl_conn_in_transaction(c))
		return rc;
	if (!rc)
		return sl_conn_rollback(c); /* it only read */
	/* the read's error, with its SQLSTATE (what decides a retry), over the rollback's */
	sl_error e = *sl_error_last();
	char *m = strdup(e.message);
	sl_conn_rollback(c);
	sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", m ? m : "read in the snapshot");
	free(m);
	return rc;
}

/* *gone: whether the exported snapshot id no longer exists on c's server. */
static int snapshot_gone(sl_conn *c, const char *id, bool *gone)
{
	char pos[160];
	*gone = false;
	int rc = sl_conn_snapshot_begin(c, id, pos, sizeof(pos));
	if (!rc)
		return sl_conn_rollback(c);
	if (rc == SL_ENOTFOUND) {
		*gone = true;
		sl_error_clear();
		rc = 0;
	}
	return rc;
}

int dist_snapshot_retry(sl_dist *d, const sl_dist_run *run, sl_conn *src, sl_conn *dst, const char *what,
			int64_t *n, bool *lost)
{
	bool gone_src = false, gone_dst = false;
	int rc = 0;
	*lost = false;
	if (run->snapshot[0] && src)
		rc = snapshot_gone(src, run->snapshot, &gone_src);
	if (!rc && run->target_snapshot[0] && dst)
		rc = snapshot_gone(dst, run->target_snapshot, &gone_dst);
	if (!rc && (gone_src || gone_dst)) {
		char mode[512];
		bool both = run->snapshot[0] && run->target_snapshot[0];
		*lost = true;
		snprintf(mode, sizeof(mode),
			 "lost: exported snapshot%s %s%s%s ended before every chunk was read; the chunks "
			 "retried after it read %s at their own moments (not one snapshot)",
			 both ? "s" : "", run->snapshot, both ? " and " : "", run->target_snapshot, what);
		rc = sl_dist_run_set_snapshot(d, run->id, NULL, mode);
	}
	if (!rc)
		rc = sl_dist_retry_failed(d, run->id, n);
	return rc;
}
