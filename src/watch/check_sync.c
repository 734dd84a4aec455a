/*
 * check_sync.c - the sync check of a watch run: the status of the sync
 * between watch.sync's source and target (by default the watch's own; after
 * a cutover, usually the reverse sync that keeps the old database ready for
 * a rollback) as `sluice sync status` reads it (sync.h). Two figures: lag,
 * the seconds since the newest heartbeat the target applied was written in
 * the source (watch.thresholds.sync_lag), and behind, the changes waiting
 * in the source's log (watch.thresholds.sync_behind).
 */
#include "watch_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/sync.h"

typedef struct sync_sides {
	watch_run *r;
	const char *source, *target;
} sync_sides;

/* sl_copy_connect_fn: sync opens (and closes) its own connections, through the watch's opener. */
static int connect_side(sl_conn **out, sl_copy_side side, void *ud)
{
	sync_sides *x = ud;
	const sl_watch_opts *o = x->r->o;
	const char *spec = side == SL_COPY_SOURCE ? x->source : x->target;
	int rc = o->open(out, spec, o->open_ud);
	if (rc)
		sl_error_prefix("\"%s\"", watch_display(x->r->a, spec));
	return rc;
}

int watch_check_sync(watch_run *r)
{
	const sl_watch_config *c = r->o->config;
	sync_sides x = { .r = r,
			 .source = c->sync_source ? c->sync_source : r->o->source,
			 .target = c->sync_target ? c->sync_target : r->o->target };
	sl_sync_opts so = SL_SYNC_OPTS_INIT;
	sl_sync_status *st = NULL;
	int64_t t0 = watch_mono_ms();
	int rc = 0;
	if (!x.source)
		return watch_figure(r, "sync", "lag", NAN, "seconds", "breach", NULL,
				    "no sync source: set watch.sync.source or watch.source", 0);
	so.connect = connect_side;
	so.connect_ud = &x;
	rc = sl_sync_status_get(&st, &so);
	int64_t ms = watch_mono_ms() - t0;
	if (rc)
		return watch_failed(r, rc, "sync", "lag", "seconds", ms);
	const char *detail = NULL, *level = NULL;
	bool source_down =
		st->behind < 0; /* status reads the target's checkpoint even when the source is down */
	if (source_down) {
		level = "gap";
		detail = "the source could not be read: lag not judged";
		if (r->complete) {
			r->complete = false;
			r->gap_reason = sl_arena_printf(r->a, "sync: the source \"%s\" could not be read",
							watch_display(r->a, x.source));
		}
	} else if (st->lag_seconds < 0) {
		level = "warn";
		detail = "no heartbeat applied yet: is `sluice sync run --follow` running?";
	} else {
		level = sl_watch_level_name(sl_watch_judge(st->lag_seconds, c->sync_lag));
		if (st->paused)
			detail = "paused";
		else if (st->last_error)
			detail = sl_arena_printf(r->a, "last error: %s", st->last_error);
	}
	rc = watch_figure(r, "sync", "lag", st->lag_seconds < 0 ? NAN : st->lag_seconds, "seconds", level,
			  watch_limit_text(r->a, c->sync_lag, true), detail, ms);
	if (!rc && source_down)
		rc = watch_figure(r, "sync", "behind", NAN, "changes", "gap", NULL,
				  "the source could not be read: changes waiting unknown", ms);
	else if (!rc)
		rc = watch_figure(r, "sync", "behind", (double)st->behind, "changes",
				  sl_watch_level_name(sl_watch_judge((double)st->behind, c->sync_behind)),
				  watch_limit_text(r->a, c->sync_behind, false), NULL, ms);
	sl_sync_status_free(st);
	return rc;
}
