/*
 * sources.c - where the sign-off report's evidence comes from: one small
 * function per source, each turning what is recorded into one section of
 * the model with a status (pass, warn, fail, not_run, unavailable) and a
 * summary in words. A source with nothing recorded says what to run; it
 * never fails the report.
 *
 * Adding a source (docs/commands/report.md, "Extending"): write one
 * function below (or in a file of its own, as src_cutover.c and
 * src_watch.c) returning its section, add a line to the table at the end,
 * and teach html_runs.c and md.c its rows when the generic table is not
 * enough.
 */
#include "signoff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/map.h"
#include "sluice/state.h"
#include "sluice/sync.h"

/* The newest runs of kind as a JSON array (empty without a state store). */
static json_t *records(const sl_report_input *in, sl_state_kind kind, size_t runs, int *rc)
{
	char *text = NULL;
	json_t *a = NULL;
	if (!in->state)
		return json_array();
	if ((*rc = sl_state_records_json(in->state, kind, runs, &text)) != 0)
		return NULL;
	a = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(a)) {
		json_decref(a);
		*rc = sl_error_set(SL_EINVALID, "the state store gave records that are not a JSON array");
		return NULL;
	}
	return a;
}

/* A recorded name for a sentence ("?" when the record has none). */
static const char *nm(const char *s)
{
	return s ? s : "?";
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "not run yet" with what to run. */
static json_t *not_run(const sl_report_input *in, const char *what, const char *cmd)
{
	return rp_section(RP_NOT_RUN, "No %s recorded%s: run `%s`.", what,
			  in->state ? "" : " (there is no state store yet)", cmd);
}

/* Moves the runs array into section s as "runs", oldest last as recorded (newest first). */
static json_t *with_runs(json_t *s, json_t *runs)
{
	json_object_set_new(s, "runs", runs);
	return s;
}

/* ---- the data map ---- */

static json_t *src_map(const sl_report_input *in, size_t runs, int *rc)
{
	(void)runs;
	sl_buf b = SL_BUF_INIT;
	if (!in->map)
		return rp_section(RP_UNAVAILABLE, "The data map could not be drawn: %s",
				  in->map_error ? in->map_error : "no database was read");
	*rc = sl_map_render_json(&b, in->map);
	json_t *m = *rc ? NULL : json_loads(sl_buf_cstr(&b), 0, NULL);
	sl_buf_free(&b);
	if (!m)
		return NULL;
	const json_t *c = json_object_get(m, "counts");
	int64_t unowned = rp_int(c, "unowned", 0), consumers = rp_int(c, "consumer", 0);
	json_t *s = rp_section(
		unowned ? RP_WARN : RP_PASS,
		"%lld %s and %lld %s; %lld %s and %lld business %s; %lld %s that no consumer uses and "
		"no migration explains.",
		(long long)rp_int(c, "table", 0), plural(rp_int(c, "table", 0), "table", "tables"),
		(long long)rp_int(c, "view", 0), plural(rp_int(c, "view", 0), "view", "views"),
		(long long)consumers, plural(consumers, "consumer", "consumers"),
		(long long)rp_int(c, "domain", 0), plural(rp_int(c, "domain", 0), "area", "areas"),
		(long long)unowned, plural(unowned, "object", "objects"));
	json_object_set_new(s, "map", m);
	return s;
}

/* ---- the decision log ---- */

static json_t *src_migrations(const sl_report_input *in, size_t runs, int *rc)
{
	(void)runs;
	const sl_migrate_status *st = in->migrations;
	sl_buf b = SL_BUF_INIT;
	if (!st)
		return rp_section(RP_NOT_RUN, "There is no migrations directory: no change is recorded.");
	*rc = sl_report_log_json(&b, st);
	json_t *log = *rc ? NULL : json_loads(sl_buf_cstr(&b), 0, NULL);
	sl_buf_free(&b);
	if (!log)
		return NULL;
	size_t bad = st->ndirty + st->ndrifted + st->nmissing;
	json_t *s = rp_section(bad ? RP_FAIL : RP_PASS, "%zu %s: %zu applied, %zu pending%s.", st->n,
			       st->n == 1 ? "change" : "changes", st->napplied, st->npending,
			       bad ? "; some are dirty, edited since applied or missing their file" : "");
	json_object_set_new(s, "counts",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)st->n, "applied",
				      (json_int_t)st->napplied, "pending", (json_int_t)st->npending, "dirty",
				      (json_int_t)st->ndirty, "drifted", (json_int_t)st->ndrifted,
				      "missing_file", (json_int_t)st->nmissing));
	json_object_set_new(s, "log", log);
	return s;
}

/* ---- rehearsals ---- */

static bool is_drill(const json_t *r)
{
	const char *v = rp_str(r, "verdict");
	return v && strncmp(v, "DRILL", 5) == 0;
}

/* The rehearsal the verdict rests on: the newest of this environment that is not a fault drill. */
static size_t pick_rehearsal(const json_t *runs, const char *env)
{
	size_t i, any = (size_t)-1;
	json_t *r;
	json_array_foreach(runs, i, r)
	{
		if (is_drill(r))
			continue;
		if (env && rp_is(r, "environment", env))
			return i;
		if (any == (size_t)-1)
			any = i;
	}
	return any == (size_t)-1 ? 0 : any;
}

/* Pending migrations the rehearsal did not rehearse as they are now. */
static json_t *unrehearsed(const sl_migrate_status *st, const json_t *latest)
{
	json_t *out = json_array(), *m;
	const json_t *migs = json_object_get(latest, "migrations");
	for (size_t i = 0; st && i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		size_t k;
		bool found = false;
		if (s->state != SL_MIG_PENDING)
			continue;
		json_array_foreach(migs, k, m) found =
			found || (rp_is(m, "migration", s->id) && rp_is(m, "checksum", s->checksum));
		if (!found)
			json_array_append_new(out, json_string(s->id));
	}
	return out;
}

static json_t *src_rehearsals(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_REHEARSALS, runs, rc), *r;
	size_t i;
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "rehearsal", "sluice rehearse ENV");
	}
	size_t pick = pick_rehearsal(all, in->environment);
	json_t *latest = json_array_get(all, pick);
	json_array_foreach(all, i, r) if (i != pick)
		json_object_del(r, "report"); /* the whole report of the one shown is enough */
	json_t *missing = unrehearsed(in->migrations, latest);
	const char *verdict = rp_str(latest, "verdict");
	bool go = verdict && strcmp(verdict, "GO") == 0;
	const char *status = go && !json_array_size(missing) ? RP_PASS : RP_FAIL;
	json_t *s =
		rp_section(status, "Rehearsal %lld of %s (%s): %s%s%s.", (long long)rp_int(latest, "id", 0),
			   rp_str(latest, "environment") ? rp_str(latest, "environment") : "?",
			   rp_str(latest, "engine") ? rp_str(latest, "engine") : "?",
			   verdict ? verdict : "did not finish",
			   json_array_size(missing) ? "; pending migrations not rehearsed as they are now: "
						    : "",
			   json_array_size(missing) ? json_string_value(json_array_get(missing, 0)) : "");
	json_object_set_new(s, "latest_id", json_integer(rp_int(latest, "id", 0)));
	json_object_set_new(s, "unrehearsed", missing);
	return with_runs(s, all);
}

/* ---- integrity checks ---- */

/* Adds "violations" and counts per status to a check run. */
static void check_totals(json_t *run)
{
	int64_t v = 0, n[4] = { 0 };
	const char *names[4] = { "pass", "warn", "halt", "error" };
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(run, "results"), i, x)
	{
		v += rp_int(x, "violations", 0) > 0 ? rp_int(x, "violations", 0) : 0;
		for (int k = 0; k < 4; k++)
			n[k] += rp_is(x, "status", names[k]);
	}
	json_object_set_new(run, "violations", json_integer(v));
	json_object_set_new(run, "rules",
			    json_integer((json_int_t)json_array_size(json_object_get(run, "results"))));
	for (int k = 0; k < 4; k++) {
		char key[16];
		snprintf(key, sizeof(key), "%s_count", names[k]);
		json_object_set_new(run, key, json_integer(n[k]));
	}
}

/*
 * The newest run per value of key1 (and key2) among runs (newest first):
 * their indexes in a JSON array "latest". Worst status among them by bad().
 */
static json_t *latest_per(const json_t *runs, const char *key1, const char *key2)
{
	json_t *seen = json_object(), *latest = json_array(), *r;
	size_t i;
	json_array_foreach(runs, i, r)
	{
		char k[512];
		snprintf(k, sizeof(k), "%s\x1f%s", rp_str(r, key1) ? rp_str(r, key1) : "",
			 key2 && rp_str(r, key2) ? rp_str(r, key2) : "");
		if (json_object_get(seen, k))
			continue;
		json_object_set_new(seen, k, json_true());
		json_array_append_new(latest, json_integer((json_int_t)i));
	}
	json_decref(seen);
	return latest;
}

static json_t *src_checks(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_CHECKS, runs, rc), *r, *ix;
	size_t i;
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "check run", "sluice check ENV");
	}
	for (i = 0; i < json_array_size(all); i++)
		check_totals(json_array_get(all, i));
	json_t *latest = latest_per(all, "environment", NULL);
	int64_t halts = 0, warns = 0, violations = 0;
	json_array_foreach(latest, i, ix)
	{
		r = json_array_get(all, (size_t)json_integer_value(ix));
		halts += rp_is(r, "status", "halt") || rp_is(r, "status", "error") || !rp_str(r, "status");
		warns += rp_is(r, "status", "warn");
		violations += rp_int(r, "violations", 0);
	}
	r = json_array_get(all, 0);
	json_t *s =
		rp_section(halts   ? RP_FAIL
			   : warns ? RP_WARN
				   : RP_PASS,
			   "Latest run %lld (%s): %s, %lld %s, %lld %s; %lld of the latest runs per database "
			   "halted or failed.",
			   (long long)rp_int(r, "id", 0), nm(rp_str(r, "environment")),
			   rp_str(r, "status") ? rp_str(r, "status") : "did not finish",
			   (long long)rp_int(r, "rules", 0), plural(rp_int(r, "rules", 0), "rule", "rules"),
			   (long long)rp_int(r, "violations", 0),
			   plural(rp_int(r, "violations", 0), "violation", "violations"), (long long)halts);
	json_object_set_new(s, "latest", latest);
	json_object_set_new(s, "violations", json_integer(violations));
	return with_runs(s, all);
}

/* ---- diffs ---- */

static json_t *src_diffs(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_DIFFS, runs, rc), *r, *ix;
	size_t i;
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "row comparison", "sluice diff SOURCE TARGET");
	}
	json_t *latest = latest_per(all, "source", "target");
	int64_t bad = 0;
	json_array_foreach(latest, i, ix)
	{
		r = json_array_get(all, (size_t)json_integer_value(ix));
		bad += !rp_is(r, "status", "ok");
	}
	r = json_array_get(all, 0);
	json_t *s = rp_section(bad ? RP_FAIL : RP_PASS,
			       "Latest comparison %lld, %s to %s: %lld %s over %lld %s (threshold %lld)%s.",
			       (long long)rp_int(r, "id", 0), nm(rp_str(r, "source")),
			       nm(rp_str(r, "target")), (long long)rp_int(r, "discrepancies", 0),
			       plural(rp_int(r, "discrepancies", 0), "discrepancy", "discrepancies"),
			       (long long)rp_int(r, "table_count", 0),
			       plural(rp_int(r, "table_count", 0), "table", "tables"),
			       (long long)rp_int(r, "threshold", 0),
			       rp_int(r, "errors", 0) ? ", some tables could not be compared" : "");
	json_object_set_new(s, "latest", latest);
	return with_runs(s, all);
}

/* ---- shadow reads ---- */

static json_t *src_shadow(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_SHADOWS, runs, rc);
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "shadow read", "sluice shadow SOURCE TARGET");
	}
	json_t *r = json_array_get(all, 0);
	int64_t d = rp_int(r, "differences", 0), e = rp_int(r, "errors", 0);
	json_t *s = rp_section(d || e ? RP_FAIL : RP_PASS,
			       "Latest run %lld, %s against %s: %lld %s, %lld %s differing, %lld failed.",
			       (long long)rp_int(r, "id", 0), nm(rp_str(r, "source")),
			       nm(rp_str(r, "target")), (long long)rp_int(r, "queries", 0),
			       plural(rp_int(r, "queries", 0), "query", "queries"), (long long)d,
			       plural(d, "row", "rows"), (long long)e);
	return with_runs(s, all);
}

/* ---- copies ---- */

static json_t *src_copies(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_COPIES, runs, rc), *r, *ix;
	size_t i;
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "copy", "sluice copy SOURCE TARGET");
	}
	json_t *latest = latest_per(all, "source", "target");
	int64_t bad = 0, problems = 0;
	json_array_foreach(latest, i, ix)
	{
		r = json_array_get(all, (size_t)json_integer_value(ix));
		problems += rp_is(r, "status", "problems");
		bad += !rp_is(r, "status", "finished") && !rp_is(r, "status", "problems");
	}
	r = json_array_get(all, 0);
	json_t *s =
		rp_section(bad        ? RP_FAIL
			   : problems ? RP_WARN
				      : RP_PASS,
			   "Latest copy %lld, %s to %s: %s; %lld rows written, %lld rejected, %lld values "
			   "changed by lossy casts.",
			   (long long)rp_int(r, "id", 0), nm(rp_str(r, "source")), nm(rp_str(r, "target")),
			   nm(rp_str(r, "status")), (long long)rp_int(r, "rows_written", 0),
			   (long long)rp_int(r, "rows_rejected", 0),
			   (long long)rp_int(r, "values_changed", 0));
	json_object_set_new(s, "latest", latest);
	return with_runs(s, all);
}

/* ---- snapshots ---- */

static json_t *src_snapshots(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *all = records(in, SL_STATE_SNAPSHOTS, runs, rc), *r;
	size_t i;
	if (!all)
		return NULL;
	if (!json_array_size(all)) {
		json_decref(all);
		return not_run(in, "staging snapshot", "sluice snapshot SOURCE TARGET");
	}
	json_array_foreach(all, i, r) if (i) json_object_del(r, "report");
	r = json_array_get(all, 0);
	const char *st = rp_str(r, "status");
	json_t *s =
		rp_section(st && !strcmp(st, "ok")        ? RP_PASS
			   : st && !strcmp(st, "stopped") ? RP_WARN
							  : RP_FAIL,
			   "Latest snapshot %lld, %s to %s: %s; %lld rows, %lld leaks, %lld orphans, %lld "
			   "duplicates.",
			   (long long)rp_int(r, "id", 0), nm(rp_str(r, "source")), nm(rp_str(r, "target")),
			   nm(st), (long long)rp_int(r, "rows", 0), (long long)rp_int(r, "leaks", 0),
			   (long long)rp_int(r, "orphans", 0), (long long)rp_int(r, "duplicates", 0));
	return with_runs(s, all);
}

/* ---- sync ---- */

json_t *rp_iso_us(int64_t us)
{
	char buf[40];
	struct tm tm;
	if (us <= 0)
		return json_null();
	time_t t = (time_t)(us / 1000000);
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(us % 1000000 / 1000));
	return json_string(buf);
}

static json_t *src_sync(const sl_report_input *in, size_t runs, int *rc)
{
	(void)runs;
	(void)rc;
	const sl_sync_status *y = in->sync;
	if (!y && in->sync_error)
		return rp_section(RP_UNAVAILABLE, "The sync status could not be read: %s", in->sync_error);
	if (!y && in->sync_checked)
		return rp_section(RP_NOT_RUN,
				  "No sync runs from %s to the database asked for: `sluice sync start` "
				  "begins one.",
				  in->environment ? in->environment : "this database");
	if (!y)
		return rp_section(RP_NOT_RUN,
				  "No sync was looked for: `sluice report ENV --sync TARGET` shows the "
				  "sync from ENV to TARGET.");
	json_t *s = rp_section(y->last_error ? RP_FAIL
			       : y->paused   ? RP_WARN
					     : RP_PASS,
			       "Sync %s from %s to %s: %lld changes applied, %s%s.", y->run_id, y->source,
			       y->target, (long long)y->applied,
			       y->behind < 0 ? "how far behind is unknown (source unreachable)"
			       : y->behind   ? "some changes still waiting"
					     : "nothing waiting",
			       y->last_error ? "; the last attempt failed"
			       : y->paused   ? "; paused"
					     : "");
	json_t *tables = json_array();
	for (size_t i = 0; i < y->ntables; i++)
		json_array_append_new(tables, json_string(y->tables[i]));
	json_object_set_new(s, "run_id", json_string(y->run_id));
	json_object_set_new(s, "source", json_string(y->source));
	json_object_set_new(s, "target", json_string(y->target));
	json_object_set_new(s, "tables", tables);
	json_object_set_new(s, "applied", json_integer(y->applied));
	json_object_set_new(s, "batches", json_integer(y->batches));
	json_object_set_new(s, "behind", y->behind >= 0 ? json_integer(y->behind) : json_null());
	json_object_set_new(s, "started_at", rp_iso_us(y->started_us));
	json_object_set_new(s, "updated_at", rp_iso_us(y->updated_us));
	json_object_set_new(s, "paused", json_boolean(y->paused));
	json_object_set_new(s, "last_error", y->last_error ? json_string(y->last_error) : json_null());
	return s;
}

/* Report order: the verdict draws on these, and the page shows them in this order. */
static const rp_source sources[] = {
	{ "map", "Data map", src_map, false },
	{ "migrations", "Decision log", src_migrations, false },
	{ "rehearsals", "Rehearsals", src_rehearsals, true },
	{ "checks", "Integrity checks", src_checks, true },
	{ "diffs", "Row comparisons", src_diffs, false },
	{ "shadow", "Shadow reads", src_shadow, false },
	{ "copies", "Copies", src_copies, false },
	{ "snapshots", "Staging snapshots", src_snapshots, false },
	{ "sync", "Sync", src_sync, false },
	{ "cutover", "Cutover", rp_src_cutover, false },
	{ "watch", "Watch after cutover", rp_src_watch, false },
};

const rp_source *rp_sources(size_t *n)
{
	*n = sizeof(sources) / sizeof(sources[0]);
	return sources;
}
