/*
 * loop.c - sl_watch_run (include/sluice/watch.h): the schedule of a watch.
 *
 * Runs start every `every` from the start of the first (a run that takes
 * longer than the interval makes the next start at once, and missed slots
 * are skipped, never run in a burst). After an incomplete run (a database
 * could not be reached) the next comes sooner - retry_ms, then doubling, up
 * to the interval - so the end of a gap is seen quickly, and the gap is
 * recorded as a gap. No run starts after for_ms; rounds caps the count. The
 * stop flag is polled every 100 ms while waiting and between check items
 * while running; a run stopped halfway is recorded as "stopped" and leaves
 * the state as it was. Memory: everything a run allocates is freed when it
 * is recorded; the loop itself holds the rules and queries read at start.
 */
#include "watch_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/rules.h"
#include "sluice/shadow.h"

static bool stopping(const sl_watch_opts *o)
{
	return o->stop && *o->stop;
}

/* Sleeps until the monotonic time `until`, waking every 100 ms to see the stop flag. */
static void wait_until(const sl_watch_opts *o, int64_t until)
{
	for (int64_t now = watch_mono_ms(); now < until && !stopping(o); now = watch_mono_ms()) {
		int64_t ms = until - now < 100 ? until - now : 100;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping(o))
			;
	}
}

/* Schedules the next run after the current one; returns how far away it is. */
static int64_t schedule(watch_loop *l, bool complete)
{
	const sl_watch_opts *o = l->o;
	int64_t now = watch_mono_ms();
	if (complete) {
		l->backoff = 0;
		l->next = l->run_start + o->every_ms;
		if (l->next < now && o->every_ms > 0) /* skip the slots a long run missed */
			l->next += ((now - l->next) / o->every_ms + 1) * o->every_ms;
	} else {
		int64_t first = o->retry_ms > 0 ? o->retry_ms : 1000;
		l->backoff = l->backoff ? l->backoff * 2 : first;
		if (l->backoff > o->every_ms)
			l->backoff = o->every_ms > first ? o->every_ms : first;
		l->next = now + l->backoff;
	}
	return l->next > now ? l->next - now : 0;
}

static int validate(const sl_watch_opts *o, unsigned checks)
{
	if (!o->config || !o->state || !o->open || !o->target)
		return sl_error_set(SL_EINVALID,
				    "watch: config, state store, target and opener are required");
	if (o->every_ms < 0)
		return sl_error_set(SL_EINVALID, "watch: the interval must be at least 0");
	if ((checks & (SL_WATCH_DIFF | SL_WATCH_SHADOW)) && !o->source)
		return sl_error_set(
			SL_EINVALID,
			"watch: the %s check compares with the database the target replaced: name it "
			"(watch.source in sluice.yaml, or --source)",
			checks & SL_WATCH_DIFF ? "diff" : "shadow");
	if (!checks)
		return sl_error_set(
			SL_EINVALID,
			"watch: nothing to check: sluice.yaml has no rules and no source is named "
			"(watch.checks, --checks, watch.source)");
	return 0;
}

/* The shadow queries watch.shadow.queries selects (all when it selects none), kept in order. */
static int load_queries(watch_loop *l)
{
	const sl_watch_config *c = l->o->config;
	int rc = sl_shadow_queries_load(&l->queries, &l->nqueries, l->o->project, NULL);
	size_t k = 0;
	for (size_t i = 0; !rc && c->nshadow_queries && i < l->nqueries; i++)
		for (size_t j = 0; j < c->nshadow_queries; j++)
			if (!strcmp(l->queries[i].name, c->shadow_queries[j])) {
				l->queries[k++] = l->queries[i];
				break;
			}
	if (!rc && c->nshadow_queries)
		l->nqueries = k;
	return rc;
}

/* What the runs need from sluice.yaml, read before the store is locked (a mistake is told at once). */
static int prepare(watch_loop *l)
{
	int rc = 0;
	if (l->checks & SL_WATCH_RULES) {
		rc = sl_rules_load(&l->rules, l->o->project);
		if (!rc && l->rules->n == 0)
			rc = sl_error_set(
				SL_EINVALID,
				"watch: the rules check needs rules in sluice.yaml (docs/rules.md)");
	}
	if (!rc && (l->checks & SL_WATCH_SHADOW))
		rc = load_queries(l);
	l->target_display = watch_display(l->a, l->o->target);
	l->source_display = l->o->source ? watch_display(l->a, l->o->source) : NULL;
	if (!rc && (!l->target_display || (l->o->source && !l->source_display)))
		rc = sl_error_nomem();
	return rc;
}

/* The state this target's watch was left in (the store is locked). */
static int read_state(watch_loop *l)
{
	char state[16] = "";
	int rc = sl_state_watch_state(l->o->state, l->target_display, state, sizeof(state));
	l->state = rc ? SL_WATCH_NONE : sl_watch_level_from_name(state);
	return rc;
}

/* Tells the caller what is watched, once the store is its own. */
static int started(watch_loop *l)
{
	sl_buf checks = SL_BUF_INIT;
	int rc = sl_watch_checks_format(&checks, l->checks);
	sl_watch_event ev = { .kind = SL_WATCH_EV_START,
			      .target = l->target_display,
			      .source = l->source_display,
			      .checks = sl_buf_cstr(&checks),
			      .next_ms = -1 };
	if (!rc && l->o->on_event)
		l->o->on_event(l->o->event_ud, &ev);
	sl_buf_free(&checks);
	return rc;
}

int sl_watch_run(sl_watch_summary *out, const sl_watch_opts *o)
{
	sl_watch_summary local = { 0 };
	sl_watch_summary *sum = out ? out : &local;
	sl_state_lock *lock = NULL;
	watch_loop l = { .o = o, .sum = sum, .a = sl_arena_new(1024) };
	memset(sum, 0, sizeof(*sum));
	sum->state = SL_WATCH_NONE;
	l.checks = sl_watch_checks_of(o);
	int rc = l.a ? validate(o, l.checks) : sl_error_nomem();
	if (!rc)
		rc = prepare(&l);
	if (!rc)
		rc = sl_state_lock_take(&lock, o->state, "watch", o->lock_wait_ms, o->stop);
	if (!rc)
		rc = read_state(&l);
	if (!rc)
		rc = started(&l);
	if (!rc)
		rc = watch_deliver_pending(&l);
	int64_t start = watch_mono_ms();
	l.next = start;
	while (!rc) {
		if (stopping(o)) {
			sum->stopped = true;
			break;
		}
		if (o->rounds > 0 && sum->runs >= o->rounds)
			break;
		if (sum->runs > 0 && o->for_ms >= 0 && l.next >= start + o->for_ms)
			break;
		wait_until(o, l.next);
		if (stopping(o)) {
			sum->stopped = true;
			break;
		}
		bool complete = false;
		l.run_start = watch_mono_ms();
		rc = watch_run_once(&l, &complete, schedule);
		if (!rc && o->exit_on_breach && l.state == SL_WATCH_BREACH) {
			sum->breached = true;
			break;
		}
	}
	sum->state = l.state;
	sl_state_lock_release(lock);
	sl_rules_free(l.rules);
	free(l.queries);
	sl_arena_free(l.a);
	return rc;
}
