/*
 * cmd_watch.c - `sluice watch [TARGET]` and `sluice watch status`
 * (docs/commands/watch.md). Thin: merges sluice.yaml's `watch:` section
 * with the options, opens the state store, and prints what the library
 * (src/watch/, include/sluice/watch.h) reports: one line per run, the
 * figures that are not ok, changes of state, gaps, the hook. `status`
 * prints the recorded state, runs and trends (or their JSON).
 *
 * Exit codes: 0 the watch ran its course (or status printed), 1 the state
 * became breach under --exit-on-breach, 2 usage or configuration, 3 the
 * state store failed, 4 another watch holds the state store, 143/130 after
 * SIGTERM/SIGINT (a clean stop: the run in progress is recorded).
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/state.h"
#include "sluice/watch.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct watch_cli {
	cli_project p;
	bool json, quiet;
	const sl_watch_opts *o; /* for the header */
	const char *path;       /* the state store */
} watch_cli;

static int open_db(sl_conn **out, const char *spec, void *ud)
{
	watch_cli *w = ud;
	return cli_project_connect(out, &w->p, spec);
}

/* "2026-03-01T10:00:05Z" from the store's "2026-03-01T10:00:05.123Z". */
static void when(char *buf, size_t n, const char *iso)
{
	snprintf(buf, n, "%.19s%s", iso ? iso : "?", iso && strlen(iso) >= 19 ? "Z" : "");
}

static void value_text(char *buf, size_t n, double v, const char *unit)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (unit && !strcmp(unit, "seconds"))
		snprintf(buf, n, "%.1fs", v);
	else
		snprintf(buf, n, "%.0f", v);
}

/* "1 row", "3 rows", "4.2s": a figure's value with its unit. */
static void print_value(double v, const char *unit)
{
	char b[32];
	value_text(b, sizeof(b), v, unit);
	if (!unit || !strcmp(unit, "seconds"))
		printf("%s", b);
	else if (v == 1 && unit[0] && unit[strlen(unit) - 1] == 's')
		printf("%s %.*s", b, (int)strlen(unit) - 1, unit);
	else
		printf("%s %s", b, unit);
}

static void print_figure(const sl_state_watch_figure *f, bool same_as_before)
{
	printf("    %-6s %s %s", f->level, f->check, f->item);
	if (isfinite(f->value)) {
		printf(": ");
		print_value(f->value, f->unit);
	}
	if (f->threshold)
		printf(" (%s)", f->threshold);
	if (f->detail)
		printf(": %s", same_as_before ? "the same" : f->detail);
	putchar('\n');
}

/* "rules 7 ok, diff 5 tables, sync lag 0.4s, shadow 2 queries": what the run covered. */
static void coverage(const sl_state_watch_run *r)
{
	const char *checks[] = { "rules", "diff", "sync", "shadow" };
	bool first = true;
	for (size_t c = 0; c < 4; c++) {
		size_t n = 0, ok = 0;
		double lag = NAN;
		for (size_t i = 0; i < r->nfigures; i++)
			if (!strcmp(r->figures[i].check, checks[c])) {
				n++;
				ok += !strcmp(r->figures[i].level, "ok");
				if (!strcmp(r->figures[i].item, "lag"))
					lag = r->figures[i].value;
			}
		if (!n)
			continue;
		printf("%s%s ", first ? "" : ", ", checks[c]);
		first = false;
		if (c == 2 && isfinite(lag))
			printf("lag %.1fs", lag);
		else
			printf("%zu/%zu ok", ok, n);
	}
}

/* "5m", "72h", "1.5s", "200ms": a duration as sluice.yaml writes them. */
static void duration_text(char *buf, size_t n, int64_t ms)
{
	if (ms >= 3600000 && ms % 3600000 == 0)
		snprintf(buf, n, "%lldh", (long long)(ms / 3600000));
	else if (ms >= 60000 && ms % 60000 == 0)
		snprintf(buf, n, "%lldm", (long long)(ms / 60000));
	else if (ms >= 1000)
		snprintf(buf, n, "%gs", (double)ms / 1000.0);
	else
		snprintf(buf, n, "%lldms", (long long)ms);
}

static void header(const watch_cli *w, const sl_watch_event *ev)
{
	char every[32], span[32];
	duration_text(every, sizeof(every), w->o->every_ms);
	printf("watch %s", ev->target);
	if (ev->source)
		printf(" against %s", ev->source);
	printf(": %s every %s", ev->checks, every);
	if (w->o->for_ms >= 0) {
		duration_text(span, sizeof(span), w->o->for_ms);
		printf(" for %s", span);
	}
	if (w->o->rounds > 0)
		printf(", %ld run%s at most", w->o->rounds, w->o->rounds == 1 ? "" : "s");
	printf("; recorded in %s\n", w->path);
	fflush(stdout);
}

static void on_event(void *ud, const sl_watch_event *ev)
{
	watch_cli *w = ud;
	char at[32];
	switch (ev->kind) {
	case SL_WATCH_EV_START:
		if (!w->json)
			header(w, ev);
		break;
	case SL_WATCH_EV_RUN: {
		const sl_state_watch_run *r = ev->run;
		if (w->json) {
			sl_buf b = SL_BUF_INIT;
			if (!sl_watch_run_json(&b, r))
				printf("%s\n", sl_buf_cstr(&b));
			sl_buf_free(&b);
			fflush(stdout);
			break;
		}
		bool problem = strcmp(r->status, "ok") != 0;
		if (w->quiet && !problem)
			break;
		when(at, sizeof(at), r->started_at);
		printf("%s run %lld %-7s ", at, (long long)r->id, r->status);
		coverage(r);
		printf(" (%.1fs)\n", (double)r->duration_ms / 1000.0);
		const char *last = NULL; /* a database down fails every check alike: say it once */
		for (size_t i = 0; i < r->nfigures; i++)
			if (strcmp(r->figures[i].level, "ok") != 0) {
				const char *d = r->figures[i].detail;
				print_figure(&r->figures[i], d && last && !strcmp(d, last));
				last = d;
			}
		if (!r->complete && ev->next_ms >= 0)
			printf("    next try in %.1fs\n", (double)ev->next_ms / 1000.0);
		fflush(stdout);
		break;
	}
	case SL_WATCH_EV_CHANGE:
		if (w->json)
			break;
		if (!strcmp(ev->change, "state"))
			printf("    state %s -> %s\n", ev->previous ? ev->previous : "(none)", ev->state);
		else if (!strcmp(ev->change, "gap_started"))
			printf("    gap started: %s\n",
			       ev->message ? ev->message : "a database could not be reached");
		else
			printf("    gap ended: every database reached again\n");
		fflush(stdout);
		break;
	case SL_WATCH_EV_HOOK:
		if (ev->hook_failed)
			fprintf(stderr, "sluice: warning: %s\n", ev->message);
		else if (!w->json)
			printf("    %s\n", ev->message);
		break;
	case SL_WATCH_EV_NOTICE:
		fprintf(stderr, "%s\n", ev->message);
		break;
	}
}

/* ---- status ---- */

static const char *s_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_runs(json_t *runs)
{
	char at[32];
	printf("\nruns (newest first)\n  %6s  %-20s  %-7s  %8s  %s\n", "run", "started (UTC)", "status",
	       "took", "not ok");
	for (size_t i = 0; i < json_array_size(runs); i++) {
		json_t *r = json_array_get(runs, i), *figs = json_object_get(r, "figures");
		when(at, sizeof(at), s_of(r, "started_at"));
		printf("  %6lld  %-20s  %-7s  %7.1fs  ",
		       (long long)json_integer_value(json_object_get(r, "id")), at,
		       json_is_string(json_object_get(r, "status")) ? s_of(r, "status") : "(killed)",
		       (double)json_integer_value(json_object_get(r, "duration_ms")) / 1000.0);
		size_t shown = 0;
		for (size_t k = 0; k < json_array_size(figs); k++) {
			json_t *f = json_array_get(figs, k);
			if (!strcmp(s_of(f, "level"), "ok"))
				continue;
			if (shown++ < 3)
				printf("%s%s %s %s", shown > 1 ? "; " : "", s_of(f, "level"),
				       s_of(f, "check"), s_of(f, "item"));
		}
		printf("%s\n", shown > 3 ? "; ..." : "");
	}
}

static void print_trend(json_t *trend, size_t nruns)
{
	if (!json_array_size(trend))
		return;
	size_t quiet = 0;
	printf("\ntrend over the last %zu runs (oldest first)\n", nruns);
	for (size_t i = 0; i < json_array_size(trend); i++) {
		json_t *t = json_array_get(trend, i), *values = json_object_get(t, "values");
		bool all_zero = true;
		for (size_t k = 0; k < json_array_size(values); k++)
			all_zero = all_zero && json_is_number(json_array_get(values, k)) &&
				   json_number_value(json_array_get(values, k)) == 0;
		if (all_zero) { /* listed only when something moved */
			quiet++;
			continue;
		}
		char name[80];
		snprintf(name, sizeof(name), "%s %s", s_of(t, "check"), s_of(t, "item"));
		printf("  %-40.40s %-8s %-6s", name, s_of(t, "direction"), s_of(t, "level"));
		size_t n = json_array_size(values), from = n > 12 ? n - 12 : 0;
		for (size_t k = from; k < n; k++) {
			json_t *v = json_array_get(values, k);
			char b[32];
			value_text(b, sizeof(b), json_is_number(v) ? json_number_value(v) : NAN,
				   s_of(t, "unit"));
			printf(" %s", b);
		}
		printf(" %s\n", strcmp(s_of(t, "unit"), "seconds") ? s_of(t, "unit") : "");
	}
	if (quiet)
		printf("  %zu more figure%s at 0 in every run\n", quiet, quiet == 1 ? "" : "s");
}

static void print_status(json_t *st)
{
	json_t *gap = json_object_get(st, "open_gap"), *last = json_object_get(st, "last_run"),
	       *runs = json_object_get(st, "runs"), *events = json_object_get(st, "events"),
	       *gaps = json_object_get(st, "gaps");
	char at[32];
	if (json_is_null(last)) {
		printf("no watch run recorded yet (sluice watch)\n");
		return;
	}
	printf("state      %s",
	       json_is_string(json_object_get(st, "state")) ? s_of(st, "state") : "none yet");
	if (json_is_string(json_object_get(st, "since"))) {
		when(at, sizeof(at), s_of(st, "since"));
		printf(" since %s (run %lld", at,
		       (long long)json_integer_value(json_object_get(st, "since_run")));
		if (json_is_string(json_object_get(st, "previous_state")))
			printf("; before: %s", s_of(st, "previous_state"));
		printf(")");
	}
	printf("\n");
	when(at, sizeof(at), s_of(last, "started_at"));
	printf("last run   %lld at %s: %s\n", (long long)json_integer_value(json_object_get(last, "id")), at,
	       json_is_string(json_object_get(last, "status")) ? s_of(last, "status") : "(killed)");
	if (json_is_object(gap)) {
		when(at, sizeof(at), s_of(gap, "started_at"));
		printf("gap        open since %s (%lld runs): %s\n", at,
		       (long long)json_integer_value(json_object_get(gap, "runs")), s_of(gap, "reason"));
	} else if (json_array_size(gaps)) {
		json_t *g = json_array_get(gaps, 0);
		char to[32];
		when(at, sizeof(at), s_of(g, "started_at"));
		when(to, sizeof(to), s_of(g, "ended_at"));
		printf("gaps       %zu recorded; the last from %s to %s (%lld runs): %s\n",
		       json_array_size(gaps), at, to,
		       (long long)json_integer_value(json_object_get(g, "runs")), s_of(g, "reason"));
	}
	for (size_t i = 0; i < json_array_size(events); i++) {
		json_t *e = json_array_get(events, i);
		if (!json_is_string(json_object_get(e, "hook")))
			continue;
		when(at, sizeof(at), s_of(e, "at"));
		if (!strcmp(s_of(e, "kind"), "state"))
			printf("last hook  state %s -> %s at %s: %s",
			       json_is_string(json_object_get(e, "previous_state"))
				       ? s_of(e, "previous_state")
				       : "(none)",
			       s_of(e, "state"), at, s_of(e, "hook"));
		else
			printf("last hook  %s at %s: %s", s_of(e, "kind"), at, s_of(e, "hook"));
		if (json_is_string(json_object_get(e, "hook_error")))
			printf(" (%s)", s_of(e, "hook_error"));
		printf("\n");
		break;
	}
	print_runs(runs);
	print_trend(json_object_get(st, "trend"), json_array_size(runs));
}

static int status(watch_cli *w, const char *path, long nruns)
{
	sl_state *st = NULL;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_state_open(&st, path);
	if (!rc)
		rc = sl_watch_status_json(&b, st, (size_t)nruns);
	if (!rc && w->json)
		fputs(sl_buf_cstr(&b), stdout);
	else if (!rc) {
		json_t *j = json_loads(sl_buf_cstr(&b), 0, NULL);
		if (j)
			print_status(j);
		json_decref(j);
	}
	sl_buf_free(&b);
	sl_state_close(st);
	return rc;
}

/* ---- run ---- */

static int parse_duration(const char *what, const char *s, int64_t *ms)
{
	if (sl_config_parse_duration(s, ms) != 0)
		return cli_usage_error("watch", "%s: %s", what, sl_error_last()->message);
	return 0;
}

/* The watched database when neither TARGET nor watch.target names it: $SLUICE_URL or the only environment. */
static int default_target(watch_cli *w, const char **out)
{
	const char *url = NULL;
	const sl_config_env *env = NULL;
	int rc = cli_project_resolve(&w->p, NULL, &url, &env);
	if (!rc)
		*out = env ? env->name : url;
	return rc;
}

/* watch's arguments that exclude each other; -1 when they are fine, else the exit code. */
static int check_args(int npos, bool is_status, bool run_options, long rounds, long nruns, bool once)
{
	if (npos > 1)
		return cli_usage_error("watch", "expected at most one TARGET (or `status`)");
	if (rounds < 0 || nruns < 1)
		return cli_usage_error("watch", "--rounds takes 0 or more, --runs 1 or more");
	if (once && rounds)
		return cli_usage_error("watch", "--once and --rounds exclude each other");
	if (is_status && run_options)
		return cli_usage_error("watch", "watch status takes only --config, --runs and --json");
	return -1;
}

/* The command line over sluice.yaml's watch: section; 0, or the exit code of a bad value. */
static int apply_options(sl_watch_opts *o, const char *source, const char *every, const char *for_s,
			 const char *checks, long rounds, bool exit_on_breach, bool wait)
{
	int ex = 0;
	if (source)
		o->source = source;
	if ((every && (ex = parse_duration("--every", every, &o->every_ms)) != 0) ||
	    (for_s && (ex = parse_duration("--for", for_s, &o->for_ms)) != 0))
		return ex;
	if (every && o->every_ms < 1) {
		ex = cli_usage_error("watch", "--every must be longer than 0s");
		return ex;
	}
	if (checks && sl_watch_checks_parse(&o->checks, checks) != 0) {
		ex = cli_usage_error("watch", "--checks: %s", sl_error_last()->message);
		return ex;
	}
	o->rounds = rounds;
	o->exit_on_breach = exit_on_breach;
	o->lock_wait_ms = wait ? -1 : 0;
	return ex;
}

/* Prints how the watch ended; its exit code. */
static int watch_result(const sl_watch_summary *sum, bool json)
{
	int ex = EXIT_OK;
	if (!json)
		printf("watch ended after %ld run%s (%ld incomplete): state %s\n", sum->runs,
		       sum->runs == 1 ? "" : "s", sum->incomplete,
		       sl_watch_level_name(sum->state) ? sl_watch_level_name(sum->state) : "none yet");
	if (sum->stopped)
		ex = cli_interrupt_exit();
	else if (sum->breached)
		ex = EXIT_PROBLEMS;
	return ex;
}

int cmd_watch(int argc, char **argv)
{
	watch_cli w = { 0 };
	const char *source = NULL, *every = NULL, *for_s = NULL, *checks = NULL;
	long rounds = 0, nruns = 10;
	bool once = false, exit_on_breach = false, wait = false;
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE", "project file (default sluice.yaml): the watch: section",
		  &w.p.config_path },
		{ "source", 's', CLI_STRING, "ENV", "the database the target replaced (diff, shadow)",
		  &source },
		{ "every", 0, CLI_STRING, "DURATION", "time between runs, e.g. 30s, 5m (default 5m)",
		  &every },
		{ "for", 0, CLI_STRING, "DURATION",
		  "stop starting runs after this long, e.g. 72h (default: never)", &for_s },
		{ "rounds", 0, CLI_INT, "N", "stop after N runs", &rounds },
		{ "once", 0, CLI_FLAG, NULL, "one run, then exit (under cron or a systemd timer)", &once },
		{ "checks", 0, CLI_STRING, "LIST",
		  "rules,diff,sync,shadow (default: what sluice.yaml configures)", &checks },
		{ "exit-on-breach", 0, CLI_FLAG, NULL, "exit 1 as soon as the state is breach",
		  &exit_on_breach },
		{ "wait", 0, CLI_FLAG, NULL,
		  "wait for another watch on the same state store to end, not exit 4", &wait },
		{ "json", 0, CLI_FLAG, NULL, "runs as JSON lines; status: the whole status as JSON",
		  &w.json },
		{ "quiet", 'q', CLI_FLAG, NULL, "print only runs that are not ok, and changes", &w.quiet },
		{ "runs", 0, CLI_INT, "N", "status: the last N runs (default 10)", &nruns },
		{ 0 }
	};
	const char *pos[2];
	int npos = 0, prc = cli_parse("watch", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	bool is_status = npos >= 1 && !strcmp(pos[0], "status");
	int arc = check_args(npos, is_status,
			     source || every || for_s || checks || rounds || once || exit_on_breach || wait,
			     rounds, nruns, once);
	if (arc >= 0)
		return arc;
	sl_watch_config *wc = NULL;
	sl_state *st = NULL;
	sl_watch_summary sum = { 0 };
	sl_watch_opts o = SL_WATCH_OPTS_INIT;
	int ex = EXIT_OK, rc = cli_project_load(&w.p, false);
	if (!rc)
		rc = sl_watch_config_load(&wc, w.p.cfg);
	if (rc)
		goto done;
	const char *path = w.p.cfg ? sl_config_resolve(w.p.cfg, w.p.cfg->state) : ".sluice/state.db";
	if (is_status) {
		rc = status(&w, path, nruns);
		goto done;
	}
	sl_watch_opts_from_config(&o, wc, w.p.cfg);
	if (npos)
		o.target = pos[0];
	if (!o.target && (rc = default_target(&w, &o.target)) != 0)
		goto done;
	if ((ex = apply_options(&o, source, every, for_s, checks, once ? 1 : rounds, exit_on_breach, wait)) !=
	    0)
		goto done;
	o.open = open_db;
	o.open_ud = &w;
	o.on_event = on_event;
	o.event_ud = &w;
	if ((rc = sl_state_open(&st, path)) != 0)
		goto done;
	o.state = st;
	cli_signals_graceful();
	o.stop = cli_interrupt_flag();
	w.o = &o;
	w.path = path;
	rc = sl_watch_run(&sum, &o);
	if (!rc)
		ex = watch_result(&sum, w.json);
done:
	if (rc)
		ex = cli_fail(rc);
	sl_state_close(st);
	sl_watch_config_free(wc);
	cli_project_free(&w.p);
	return ex;
}
