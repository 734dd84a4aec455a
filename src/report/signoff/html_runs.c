/*
 * html_runs.c - the report page's sections other than the map: the
 * decision log, rehearsals (the latest one's figures, durations charted),
 * integrity checks (violations charted per run and database), row
 * comparisons and shadow reads (discrepancies charted), copies, snapshots,
 * sync (the cutover and the watch are in html_cutover.c). Every chart is followed by a table of the same
 * figures.
 */
#include "signoff_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define MAX_SERIES 6

static int td_str(sl_buf *out, const json_t *o, const char *key)
{
	const char *suffix = strrchr(key, '_');
	if (suffix && !strcmp(suffix, "_at") && rp_str(o, key)) { /* a time: kept on one line */
		int rc = sl_buf_puts(out, "<td class=\"t\">");
		if (!rc)
			rc = rp_h_text(out, rp_str(o, key));
		return rc ? rc : sl_buf_puts(out, "</td>");
	}
	return rp_h_td(out, rp_str(o, key), false);
}

static int td_num(sl_buf *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? rp_h_td_int(out, rp_int(o, key, 0)) : rp_h_td(out, "-", true);
}

int rp_h_td_ms(sl_buf *out, double ms)
{
	int rc = sl_buf_puts(out, "<td class=\"n\">");
	if (!rc)
		rc = rp_fmt_ms(out, ms);
	return rc ? rc : sl_buf_puts(out, "</td>");
}

static int end_table(sl_buf *out)
{
	return sl_buf_puts(out, "</tbody></table></div>\n");
}

static int para(sl_buf *out, const char *text)
{
	int rc = rp_h_tag(out, "p", NULL, text);
	return rc ? rc : sl_buf_putc(out, '\n');
}

/* The badge status of a word a record uses; a word not known here is shown neutral, never red. */
const char *rp_badge_of(const char *st)
{
	static const char *const pass[] = { "pass", "ok",      "GO",       "finished",  "DRILL OK",
					    "done", "applied", "baseline", "succeeded", "yes" };
	static const char *const warn[] = { "warn",        "problems", "stopped",      "gap",
					    "pending",     "paused",   "skipped",      "waiting",
					    "interrupted", "running",  "rolling_back", "abandoned" };
	static const char *const fail[] = { "halt",         "error",       "NO-GO",           "ERROR",
					    "DRILL FAILED", "failed",      "dirty",           "drifted",
					    "missing_file", "breach",      "rolled back",     "halted",
					    "incomplete",   "rolled_back", "rollback_failed", "timeout",
					    "fail" };
	if (!st)
		return RP_FAIL; /* a run that never finished */
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		if (!strcmp(st, pass[i]))
			return RP_PASS;
	for (size_t i = 0; i < sizeof(warn) / sizeof(warn[0]); i++)
		if (!strcmp(st, warn[i]))
			return RP_WARN;
	for (size_t i = 0; i < sizeof(fail) / sizeof(fail[0]); i++)
		if (!strcmp(st, fail[i]))
			return RP_FAIL;
	return RP_NOT_RUN;
}

/* A badge that shows the recorded word (GO, halt, finished) with the color of its status. */
int rp_h_td_recorded(sl_buf *out, const char *st)
{
	int rc = sl_buf_printf(out, "<td><span class=\"badge s-%s\">", rp_badge_of(st));
	if (!rc)
		rc = rp_h_text(out, st ? st : "did not finish");
	return rc ? rc : sl_buf_puts(out, "</span></td>");
}

/* ---- charts over runs ---- */

typedef const char *(*group_fn)(const json_t *run, char *buf, size_t n);

static const char *by_env(const json_t *run, char *buf, size_t n)
{
	snprintf(buf, n, "%s", rp_str(run, "environment") ? rp_str(run, "environment") : "?");
	return buf;
}

static const char *by_pair(const json_t *run, char *buf, size_t n)
{
	snprintf(buf, n, "%s \xE2\x86\x92 %s", rp_str(run, "source") ? rp_str(run, "source") : "?",
		 rp_str(run, "target") ? rp_str(run, "target") : "?");
	return buf;
}

typedef struct chart_spec {
	const char *id, *title, *y_label, *what; /* what: "violations", "discrepancies", ... */
	const char *value_key;
	group_fn group; /* NULL: one series */
} chart_spec;

/*
 * Charts value_key over runs (newest first in runs, oldest first on the
 * chart), one line per group (at most MAX_SERIES; further groups are in
 * the table only).
 */
static int chart_runs(sl_buf *out, const chart_spec *cs, const json_t *runs)
{
	size_t n = json_array_size(runs), ns = 0;
	char(*labels)[24] = calloc(n ? n : 1, sizeof(*labels));
	const char **lp = calloc(n ? n : 1, sizeof(*lp));
	double *ys = calloc((n ? n : 1) * MAX_SERIES, sizeof(double));
	char names[MAX_SERIES][128] = { { 0 } };
	rp_series se[MAX_SERIES];
	sl_buf desc = SL_BUF_INIT;
	int rc = labels && lp && ys ? 0 : sl_error_nomem();
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; !rc && k < n * MAX_SERIES; k++)
		ys[k] = NAN;
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *r = json_array_get(runs, n - 1 - i);
		char g[128] = "";
		size_t s = 0;
		if (cs->group)
			cs->group(r, g, sizeof(g));
		while (s < ns && strcmp(names[s], g) != 0)
			s++;
		if (s == ns && ns < MAX_SERIES)
			snprintf(names[ns++], sizeof(names[0]), "%s", g);
		snprintf(labels[i], sizeof(labels[0]), "#%lld", (long long)rp_int(r, "id", 0));
		lp[i] = labels[i];
		if (s < ns) {
			double v = rp_num(r, cs->value_key, 0);
			ys[s * n + i] = v;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	for (size_t s = 0; s < ns; s++)
		se[s] = (rp_series){ .name = names[s], .y = ys + s * n };
	const json_t *last = json_array_get(runs, 0);
	char g[128] = "";
	if (!rc && cs->group)
		cs->group(last, g, sizeof(g));
	if (!rc)
		rc = sl_buf_printf(
			&desc,
			"%s of the last %zu %s, oldest first: from %.0f to %.0f. The newest, run %lld%s%s%s, "
			"has %.0f. The table below lists every figure.",
			cs->what, n, n == 1 ? "run" : "runs", lo, hi, (long long)rp_int(last, "id", 0),
			*g ? " (" : "", g, *g ? ")" : "", rp_num(last, cs->value_key, 0));
	rp_chart c = { .id = cs->id,
		       .title = cs->title,
		       .desc = sl_buf_cstr(&desc),
		       .y_label = cs->y_label,
		       .x_labels = lp,
		       .nx = n,
		       .series = se,
		       .nseries = ns };
	if (!rc)
		rc = sl_buf_printf(out, "<figure aria-labelledby=\"%s-cap\">\n<figcaption id=\"%s-cap\">",
				   cs->id, cs->id);
	if (!rc)
		rc = rp_h_text(out, cs->title);
	if (!rc)
		rc = sl_buf_puts(out, "</figcaption>\n");
	if (!rc)
		rc = rp_svg_chart(out, &c);
	if (!rc)
		rc = sl_buf_puts(out, "</figure>\n");
	sl_buf_free(&desc);
	free(labels);
	free(lp);
	free(ys);
	return rc;
}

/* ---- decision log ---- */

static int migrations(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Change",  "Title",  "Ticket", "Pull request", "Status",
					     "Applied", "Author", "Why",    "Rollback" };
	const json_t *log = json_object_get(s, "log"), *m;
	size_t i;
	int rc = 0;
	if (!json_array_size(log))
		return 0;
	rc = rp_h_caption_table(out,
				"Every change to the schema, oldest first, with who asked for it and why",
				heads, 9);
	json_array_foreach(log, i, m)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = sl_buf_puts(out, "<td><code>");
		if (!rc)
			rc = rp_h_text(out, rp_str(m, "id"));
		if (!rc)
			rc = sl_buf_puts(out, "</code></td>");
		if (!rc)
			rc = td_str(out, m, "title");
		if (!rc)
			rc = td_str(out, m, "ticket");
		if (!rc)
			rc = td_str(out, m, "pr");
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(m, "state"));
		if (!rc && rp_str(m, "applied_at")) {
			rc = sl_buf_puts(out, "<td>");
			if (!rc)
				rc = rp_h_text(out, rp_str(m, "applied_at"));
			if (!rc)
				rc = sl_buf_puts(out, " by ");
			if (!rc)
				rc = rp_h_text(out, rp_str(m, "applied_by") ? rp_str(m, "applied_by") : "?");
			if (!rc)
				rc = sl_buf_puts(out, "</td>");
		} else if (!rc) {
			rc = rp_h_td(out, "not yet", false);
		}
		if (!rc)
			rc = td_str(out, m, "author");
		if (!rc)
			rc = td_str(out, m, "why");
		if (!rc)
			rc = td_str(out, m, "rollback");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : end_table(out);
}

/* ---- rehearsals ---- */

static const json_t *latest_rehearsal(const json_t *s)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(s, "runs"), i,
			   r) if (rp_int(r, "id", -1) == rp_int(s, "latest_id", -2)) return r;
	return NULL;
}

static int rehearsal_figures(sl_buf *out, const json_t *r)
{
	static const char *const heads[] = { "Migration",        "Up (median)",     "Down (median)",
					     "Tables rewritten", "Writers blocked", "Verify" };
	const json_t *rep = json_object_get(r, "report"), *m, *x;
	size_t i;
	int rc = 0;
	const json_t *failed = json_object_get(r, "failed");
	if (json_array_size(failed)) {
		rc = sl_buf_puts(out, "<p>Thresholds it failed:</p>\n<ul>\n");
		json_array_foreach(failed, i, x)
		{
			if (rc)
				break;
			rc = rp_h_tag(out, "li", NULL, json_is_string(x) ? json_string_value(x) : "?");
			if (!rc)
				rc = sl_buf_putc(out, '\n');
		}
		if (!rc)
			rc = sl_buf_puts(out, "</ul>\n");
	}
	if (!rc && json_array_size(json_object_get(rep, "migrations"))) {
		char cap[160];
		snprintf(cap, sizeof(cap), "Figures of rehearsal %lld per migration (%lld round%s)",
			 (long long)rp_int(r, "id", 0), (long long)rp_int(rep, "repeat", 1),
			 rp_int(rep, "repeat", 1) == 1 ? "" : "s");
		rc = rp_h_caption_table(out, cap, heads, 6);
	}
	json_array_foreach(json_object_get(rep, "migrations"), i, m)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr><td><code>");
		if (!rc)
			rc = rp_h_text(out, rp_str(m, "id"));
		if (!rc)
			rc = sl_buf_puts(out, "</code> ");
		if (!rc)
			rc = rp_h_text(out, rp_str(m, "title"));
		if (!rc)
			rc = sl_buf_puts(out, "</td>");
		if (!rc)
			rc = rp_h_td_ms(out, rp_num(json_object_get(m, "up"), "median_us", 0) / 1000);
		if (!rc)
			rc = rp_h_td_ms(out, rp_num(json_object_get(m, "down"), "median_us", 0) / 1000);
		if (!rc)
			rc = td_num(out, m, "rewrites");
		if (!rc)
			rc = rp_h_td_ms(out, rp_num(m, "write_block_us", 0) / 1000);
		if (!rc)
			rc = rp_h_td_recorded(out, json_is_true(json_object_get(m, "verify_failed"))
							   ? "failed"
							   : "ok");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc && json_array_size(json_object_get(rep, "migrations")))
		rc = end_table(out);
	const json_t *fid = json_object_get(rep, "rollback_fidelity");
	if (!rc && json_is_true(json_object_get(fid, "checked")))
		rc = para(
			out,
			json_is_true(json_object_get(fid, "identical"))
				? "Rollback fidelity: after every migration was applied and reverted, schema "
				  "and data were identical to the start."
				: "Rollback fidelity: after every migration was applied and reverted, the "
				  "database DIFFERED from the start.");
	if (!rc && json_is_true(json_object_get(rep, "no_pending")))
		rc = para(out, "There was nothing pending to rehearse: verify and the rules were measured.");
	return rc;
}

/* The chart of durations, oldest first, one bar per rehearsal colored by verdict. */
static int rehearsal_chart(sl_buf *out, const json_t *runs, size_t n)
{
	int rc = 0;
	char(*labels)[24] = calloc(n, sizeof(*labels));
	const char **lp = calloc(n, sizeof(*lp)), **fill = calloc(n, sizeof(*fill));
	double *y = calloc(n, sizeof(double));
	sl_buf desc = SL_BUF_INIT;
	if (!rc && (!labels || !lp || !fill || !y))
		rc = sl_error_nomem();
	size_t go = 0;
	for (size_t k = 0; !rc && k < n; k++) {
		const json_t *r = json_array_get(runs, n - 1 - k);
		snprintf(labels[k], sizeof(labels[0]), "#%lld", (long long)rp_int(r, "id", 0));
		lp[k] = labels[k];
		y[k] = json_is_number(json_object_get(r, "total_ms")) ? rp_num(r, "total_ms", 0) / 1000 : NAN;
		go += rp_is(r, "verdict", "GO");
		fill[k] = !strcmp(rp_badge_of(rp_str(r, "verdict")), RP_PASS) ? rp_palette[2] : rp_palette[1];
	}
	if (!rc)
		rc = sl_buf_printf(
			&desc,
			"Total time of the last %zu rehearsals in seconds, oldest first; %zu of them "
			"ended GO (green bars), the others NO-GO, a fault drill or unfinished (orange "
			"bars). The table below lists every figure.",
			n, go);
	rp_series se = { .name = "seconds", .y = y };
	rp_chart c = { .id = "chart-rehearsals",
		       .title = "How long each rehearsal took",
		       .desc = sl_buf_cstr(&desc),
		       .y_label = "seconds",
		       .x_labels = lp,
		       .nx = n,
		       .series = &se,
		       .nseries = 1,
		       .bars = true,
		       .bar_fill = fill };
	if (!rc)
		rc = sl_buf_puts(out, "<figure aria-labelledby=\"chart-rehearsals-cap\">\n"
				      "<figcaption id=\"chart-rehearsals-cap\">How long each rehearsal took "
				      "(seconds)</figcaption>\n");
	if (!rc)
		rc = rp_svg_chart(out, &c);
	if (!rc)
		rc = sl_buf_puts(out, "</figure>\n");
	sl_buf_free(&desc);
	free(labels);
	free(lp);
	free(fill);
	free(y);
	return rc;
}

static int rehearsals(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Rehearsal", "Started", "Database",
					     "Engine",    "Verdict", "Total time" };
	const json_t *runs = json_object_get(s, "runs"), *r, *latest = latest_rehearsal(s);
	size_t i, n = json_array_size(runs);
	int rc = 0;
	if (!n)
		return 0;
	if (json_array_size(json_object_get(s, "unrehearsed"))) {
		rc = sl_buf_puts(
			out,
			"<p>Pending migrations that no GO rehearsal covers as they are now:</p>\n<ul>\n");
		json_array_foreach(json_object_get(s, "unrehearsed"), i, r)
		{
			if (rc)
				break;
			rc = sl_buf_puts(out, "<li><code>");
			if (!rc)
				rc = rp_h_text(out, json_string_value(r));
			if (!rc)
				rc = sl_buf_puts(out, "</code></li>\n");
		}
		if (!rc)
			rc = sl_buf_puts(out, "</ul>\n");
	}
	if (!rc && latest) {
		rc = sl_buf_printf(out, "<h3>Rehearsal %lld</h3>\n", (long long)rp_int(latest, "id", 0));
		if (!rc)
			rc = rehearsal_figures(out, latest);
	}
	if (!rc)
		rc = rehearsal_chart(out, runs, n);
	if (!rc)
		rc = rp_h_caption_table(out, "Every rehearsal charted above, newest first", heads, 6);
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<tr><td class=\"n\">%lld</td>", (long long)rp_int(r, "id", 0));
		if (!rc)
			rc = td_str(out, r, "started_at");
		if (!rc)
			rc = td_str(out, r, "environment");
		if (!rc)
			rc = td_str(out, r, "engine");
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(r, "verdict"));
		if (!rc)
			rc = json_is_number(json_object_get(r, "total_ms"))
				     ? rp_h_td_ms(out, rp_num(r, "total_ms", 0))
				     : rp_h_td(out, "-", true);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : end_table(out);
}

/* ---- checks ---- */

static int check_results(sl_buf *out, const json_t *run)
{
	static const char *const heads[] = { "Rule",       "Area",         "Type",    "Status",
					     "Violations", "Rows checked", "Allowed", "Detail" };
	char cap[256];
	const json_t *x;
	size_t i;
	snprintf(cap, sizeof(cap), "Rules of check run %lld on %s", (long long)rp_int(run, "id", 0),
		 rp_str(run, "environment") ? rp_str(run, "environment") : "?");
	int rc = rp_h_caption_table(out, cap, heads, 8);
	json_array_foreach(json_object_get(run, "results"), i, x)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = td_str(out, x, "rule");
		if (!rc)
			rc = td_str(out, x, "domain");
		if (!rc)
			rc = td_str(out, x, "type");
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(x, "status"));
		if (!rc)
			rc = td_num(out, x, "violations");
		if (!rc)
			rc = rp_int(x, "rows_checked", -1) >= 0 ? td_num(out, x, "rows_checked")
								: rp_h_td(out, "unknown", true);
		if (!rc)
			rc = td_str(out, x, "threshold");
		if (!rc)
			rc = td_str(out, x, "message");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : end_table(out);
}

static int checks(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Run", "Started", "Database", "Status", "Rules", "Violations" };
	static const chart_spec cs = { "chart-checks", "Rule violations per check run",
				       "violations",   "Rule violations",
				       "violations",   by_env };
	const json_t *runs = json_object_get(s, "runs"), *r, *ix;
	size_t i;
	int rc = 0;
	if (!json_array_size(runs))
		return 0;
	rc = chart_runs(out, &cs, runs);
	if (!rc)
		rc = rp_h_caption_table(out, "Every check run charted above, newest first", heads, 6);
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<tr><td class=\"n\">%lld</td>", (long long)rp_int(r, "id", 0));
		if (!rc)
			rc = td_str(out, r, "started_at");
		if (!rc)
			rc = td_str(out, r, "environment");
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(r, "status"));
		if (!rc)
			rc = td_num(out, r, "rules");
		if (!rc)
			rc = td_num(out, r, "violations");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc)
		rc = end_table(out);
	json_array_foreach(json_object_get(s, "latest"), i, ix)
	{
		if (rc)
			break;
		rc = check_results(out, json_array_get(runs, (size_t)json_integer_value(ix)));
	}
	return rc;
}

/* ---- diffs and shadow reads ---- */

static int diff_tables(sl_buf *out, const json_t *run)
{
	static const char *const heads[] = { "Table", "Source rows", "Target rows", "Missing",
					     "Extra", "Changed",     "Note" };
	char cap[256];
	const json_t *x;
	size_t i;
	snprintf(cap, sizeof(cap), "Tables of comparison %lld, %s to %s", (long long)rp_int(run, "id", 0),
		 rp_str(run, "source") ? rp_str(run, "source") : "?",
		 rp_str(run, "target") ? rp_str(run, "target") : "?");
	int rc = rp_h_caption_table(out, cap, heads, 7);
	json_array_foreach(json_object_get(run, "tables"), i, x)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = td_str(out, x, "table_name");
		const char *cols[] = { "source_rows", "target_rows", "missing", "extra", "changed" };
		for (size_t k = 0; !rc && k < 5; k++)
			rc = rp_int(x, cols[k], 0) < 0 ? rp_h_td(out, "-", true) : td_num(out, x, cols[k]);
		if (!rc)
			rc = td_str(out, x, "note");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : end_table(out);
}

static int diffs(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = {
		"Run",           "Finished",  "Source \xE2\x86\x92 target", "Status", "Tables",
		"Discrepancies", "Threshold", "Tables not compared"
	};
	static const chart_spec cs = { "chart-diffs",   "Discrepancies per row comparison",
				       "discrepancies", "Discrepancies",
				       "discrepancies", by_pair };
	const json_t *runs = json_object_get(s, "runs"), *r, *ix;
	size_t i;
	char pair[256];
	int rc = 0;
	if (!json_array_size(runs))
		return 0;
	rc = chart_runs(out, &cs, runs);
	if (!rc)
		rc = rp_h_caption_table(out, "Every comparison charted above, newest first", heads, 8);
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<tr><td class=\"n\">%lld</td>", (long long)rp_int(r, "id", 0));
		if (!rc)
			rc = td_str(out, r, "finished_at");
		if (!rc)
			rc = rp_h_td(out, by_pair(r, pair, sizeof(pair)), false);
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(r, "status"));
		if (!rc)
			rc = td_num(out, r, "table_count");
		if (!rc)
			rc = td_num(out, r, "discrepancies");
		if (!rc)
			rc = td_num(out, r, "threshold");
		if (!rc)
			rc = td_num(out, r, "errors");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc)
		rc = end_table(out);
	json_array_foreach(json_object_get(s, "latest"), i, ix)
	{
		if (rc)
			break;
		rc = diff_tables(out, json_array_get(runs, (size_t)json_integer_value(ix)));
	}
	return rc;
}

static int shadow(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Query", "Source rows", "Target rows", "Rows differing",
					     "Error" };
	static const chart_spec cs = { "chart-shadow",   "Rows differing per shadow run",
				       "rows differing", "Rows differing",
				       "differences",    by_pair };
	const json_t *runs = json_object_get(s, "runs"), *x;
	size_t i;
	char cap[256];
	int rc = 0;
	if (!json_array_size(runs))
		return 0;
	rc = chart_runs(out, &cs, runs);
	const json_t *r = json_array_get(runs, 0);
	snprintf(cap, sizeof(cap), "Queries of shadow run %lld, %s against %s", (long long)rp_int(r, "id", 0),
		 rp_str(r, "source") ? rp_str(r, "source") : "?",
		 rp_str(r, "target") ? rp_str(r, "target") : "?");
	if (!rc)
		rc = rp_h_caption_table(out, cap, heads, 5);
	json_array_foreach(json_object_get(r, "results"), i, x)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = td_str(out, x, "query");
		if (!rc)
			rc = td_num(out, x, "source_rows");
		if (!rc)
			rc = td_num(out, x, "target_rows");
		if (!rc)
			rc = td_num(out, x, "differences");
		if (!rc)
			rc = td_str(out, x, "error");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : end_table(out);
}

/* ---- copies and snapshots ---- */

static int copies(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Copy",          "Finished",       "Source \xE2\x86\x92 target",
					     "Status",        "Tables",         "Rows written",
					     "Rows rejected", "Values changed", "Time" };
	static const char *const theads[] = {
		"Table", "Read", "Written", "Rejected", "Values changed", "Done"
	};
	const json_t *runs = json_object_get(s, "runs"), *r, *x;
	size_t i;
	char pair[256];
	int rc = 0;
	if (!json_array_size(runs))
		return 0;
	rc = rp_h_caption_table(out, "Copies, newest first", heads, 9);
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<tr><td class=\"n\">%lld</td>", (long long)rp_int(r, "id", 0));
		if (!rc)
			rc = td_str(out, r, "finished_at");
		if (!rc)
			rc = rp_h_td(out, by_pair(r, pair, sizeof(pair)), false);
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(r, "status"));
		if (!rc)
			rc = td_num(out, r, "table_count");
		if (!rc)
			rc = td_num(out, r, "rows_written");
		if (!rc)
			rc = td_num(out, r, "rows_rejected");
		if (!rc)
			rc = td_num(out, r, "values_changed");
		if (!rc)
			rc = rp_h_td_ms(out, rp_num(r, "seconds", 0) * 1000);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc)
		rc = end_table(out);
	r = json_array_get(runs, 0);
	if (!rc && rp_str(r, "error"))
		rc = para(out, rp_str(r, "error"));
	char cap[512];
	snprintf(cap, sizeof(cap), "Tables of copy %lld, %s", (long long)rp_int(r, "id", 0),
		 by_pair(r, pair, sizeof(pair)));
	if (!rc && json_array_size(json_object_get(r, "tables")))
		rc = rp_h_caption_table(out, cap, theads, 6);
	json_array_foreach(json_object_get(r, "tables"), i, x)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = td_str(out, x, "table_name");
		if (!rc)
			rc = td_num(out, x, "rows_read");
		if (!rc)
			rc = td_num(out, x, "rows_written");
		if (!rc)
			rc = td_num(out, x, "rows_rejected");
		if (!rc)
			rc = td_num(out, x, "values_changed");
		if (!rc)
			rc = rp_h_td(out,
				     rp_int(x, "done", 0) ? "yes"
				     : rp_str(x, "error") ? rp_str(x, "error")
							  : "no",
				     false);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc && json_array_size(json_object_get(r, "tables")))
		rc = end_table(out);
	return rc;
}

static int snapshots(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "Snapshot", "Finished",   "Source \xE2\x86\x92 target",
					     "Status",   "Rows",       "Leaks",
					     "Orphans",  "Duplicates", "Subset" };
	static const char *const cheads[] = { "Column", "Rule", "Values masked" };
	const json_t *runs = json_object_get(s, "runs"), *r, *x;
	size_t i;
	char pair[256];
	int rc = 0;
	if (!json_array_size(runs))
		return 0;
	rc = rp_h_caption_table(out, "Staging snapshots, newest first", heads, 9);
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<tr><td class=\"n\">%lld</td>", (long long)rp_int(r, "id", 0));
		if (!rc)
			rc = td_str(out, r, "finished_at");
		if (!rc)
			rc = rp_h_td(out, by_pair(r, pair, sizeof(pair)), false);
		if (!rc)
			rc = rp_h_td_recorded(out, rp_str(r, "status"));
		const char *cols[] = { "rows", "leaks", "orphans", "duplicates" };
		for (size_t k = 0; !rc && k < 4; k++)
			rc = td_num(out, r, cols[k]);
		if (!rc)
			rc = rp_h_td(out, rp_str(r, "subset") ? rp_str(r, "subset") : "every row", false);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc)
		rc = end_table(out);
	r = json_array_get(runs, 0);
	const json_t *cols = json_object_get(json_object_get(r, "report"), "columns");
	char cap[160];
	snprintf(cap, sizeof(cap), "Columns snapshot %lld masked", (long long)rp_int(r, "id", 0));
	if (!rc && json_array_size(cols))
		rc = rp_h_caption_table(out, cap, cheads, 3);
	json_array_foreach(cols, i, x)
	{
		if (rc)
			break;
		char col[300];
		snprintf(col, sizeof(col), "%s.%s", rp_str(x, "table") ? rp_str(x, "table") : "?",
			 rp_str(x, "column") ? rp_str(x, "column") : "?");
		rc = sl_buf_puts(out, "<tr>");
		if (!rc)
			rc = rp_h_td(out, col, false);
		if (!rc)
			rc = td_str(out, x, "rule");
		if (!rc)
			rc = td_num(out, x, "masked");
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	if (!rc && json_array_size(cols))
		rc = end_table(out);
	return rc;
}

/* ---- sync ---- */

static int row_kv(sl_buf *out, const char *k, const char *v)
{
	int rc = sl_buf_puts(out, "<tr><th scope=\"row\">");
	if (!rc)
		rc = rp_h_text(out, k);
	if (!rc)
		rc = sl_buf_puts(out, "</th>");
	if (!rc)
		rc = rp_h_td(out, v, false);
	return rc ? rc : sl_buf_puts(out, "</tr>\n");
}

static int sync_section(sl_buf *out, const json_t *s)
{
	static const char *const heads[] = { "What", "Value" };
	char num[64];
	sl_buf tables = SL_BUF_INIT;
	const json_t *x;
	size_t i;
	int rc = 0;
	if (!rp_str(s, "run_id"))
		return 0;
	json_array_foreach(json_object_get(s, "tables"), i, x) if (!rc) rc =
		sl_buf_printf(&tables, "%s%s", i ? ", " : "", json_string_value(x));
	if (!rc)
		rc = rp_h_caption_table(out, "The sync as its checkpoint records it", heads, 2);
	if (!rc)
		rc = row_kv(out, "Run", rp_str(s, "run_id"));
	if (!rc)
		rc = row_kv(out, "From", rp_str(s, "source"));
	if (!rc)
		rc = row_kv(out, "To", rp_str(s, "target"));
	if (!rc)
		rc = row_kv(out, "Tables",
			    json_array_size(json_object_get(s, "tables")) ? sl_buf_cstr(&tables)
									  : "unknown (source unreachable)");
	snprintf(num, sizeof(num), "%lld", (long long)rp_int(s, "applied", 0));
	if (!rc)
		rc = row_kv(out, "Changes applied", num);
	snprintf(num, sizeof(num), "%lld", (long long)rp_int(s, "behind", -1));
	if (!rc)
		rc = row_kv(out, "Changes waiting", rp_int(s, "behind", -1) >= 0 ? num : "unknown");
	if (!rc)
		rc = row_kv(out, "Started", rp_str(s, "started_at"));
	if (!rc)
		rc = row_kv(out, "Last checkpoint", rp_str(s, "updated_at"));
	if (!rc)
		rc = row_kv(out, "Paused", json_is_true(json_object_get(s, "paused")) ? "yes" : "no");
	if (!rc)
		rc = row_kv(out, "Last error", rp_str(s, "last_error") ? rp_str(s, "last_error") : "none");
	sl_buf_free(&tables);
	return rc ? rc : end_table(out);
}

int rp_html_runs(sl_buf *out, const char *key, const json_t *s)
{
	static const struct {
		const char *key;
		int (*fn)(sl_buf *, const json_t *);
	} renderers[] = {
		{ "migrations", migrations }, { "rehearsals", rehearsals }, { "checks", checks },
		{ "diffs", diffs },           { "shadow", shadow },         { "copies", copies },
		{ "snapshots", snapshots },   { "sync", sync_section },     { "cutover", rp_html_cutover },
		{ "watch", rp_html_watch },
	};
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (!strcmp(renderers[i].key, key))
			return renderers[i].fn(out, s);
	return 0;
}
