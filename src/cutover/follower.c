/*
 * follower.c - `sync run --follow` in a thread of the cutover, so changes
 * keep flowing (and heartbeats keep measuring lag) while the runbook waits
 * for gates and approvals: the freeze then only waits for the last few
 * changes, which keeps the downtime short. One follower per direction:
 * forward from sync-start to the drain, reverse from sync-reverse to
 * sync-stop (or the rollback's drain).
 *
 * The thread has its own connections (sync opens them through the connect
 * callback) and touches nothing of the run but its own co_follower, under
 * its mutex. When another process already applies to the target (sync's
 * lock is taken), the follower leaves the work to it and says so.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static void on_sync_event(void *ud, const sl_sync_event *ev)
{
	co_follower *f = ud;
	pthread_mutex_lock(&f->mu);
	if (ev->kind == SL_SYNC_EV_BATCH) {
		f->applied += ev->batch_changes;
		if (ev->lag_seconds >= 0)
			f->last_lag = ev->lag_seconds;
	}
	pthread_mutex_unlock(&f->mu);
}

static void *follow(void *arg)
{
	co_follower *f = arg;
	sl_sync_stats stats;
	int rc = sl_sync_run(&stats, &f->opts);
	pthread_mutex_lock(&f->mu);
	f->rc = rc;
	if (rc == SL_ELOCKED) {
		f->elsewhere = true;
		f->rc = 0;
	} else if (rc) {
		free(f->error);
		f->error = strdup(sl_error_last()->message);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int co_follower_start(co_ctx *x, co_follower *f, const sl_rb_phase *p, bool reverse)
{
	if (f->running)
		return 0;
	free(f->error);
	f->error = NULL;
	f->rc = 0;
	f->stop = 0;
	f->last_lag = -1;
	f->elsewhere = false;
	co_sync_opts(x, p, reverse, &f->opts);
	f->opts.follow = true;
	f->opts.stop = &f->stop;
	f->opts.retry_seconds = 60;
	f->opts.on_event = on_sync_event;
	f->opts.event_ud = f;
	if (pthread_create(&f->thread, NULL, follow, f) != 0)
		return sl_error_set(SL_ERROR, "start the %s sync follower", reverse ? "reverse" : "forward");
	f->running = true;
	return 0;
}

int co_follower_stop(co_follower *f)
{
	if (!f->running)
		return 0;
	f->stop = 1;
	pthread_join(f->thread, NULL);
	f->running = false;
	if (f->rc && f->error)
		return sl_error_set(f->rc, "%s", f->error);
	return f->rc;
}

int co_follower_health(co_follower *f, char *msg, size_t n)
{
	int rc = 0;
	if (!f->running)
		return 0;
	pthread_mutex_lock(&f->mu);
	rc = f->rc;
	if (rc && msg)
		snprintf(msg, n, "%s", f->error ? f->error : "sync stopped");
	pthread_mutex_unlock(&f->mu);
	return rc;
}
