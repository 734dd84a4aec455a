/*
 * html_cutover.c - the report page's cutover and watch sections. Per
 * cutover run: how it was judged and why, its phases, a timeline chart of
 * the steps and freeze windows (each window drawn against its budget), the
 * same figures as a table, the freeze windows, the approvals with the
 * digest of the evidence each one was bound to, the scorecard and the
 * rollbacks; the newest dry runs. For the watch: each watched database's
 * state since when and its open gap, a chart of each figure over the last
 * runs with their trend, the runs and the hook deliveries. Every chart is
 * followed by a table of the same figures.
 */
#include "signoff_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

/* A column of a table: a key of the row shown as text, a number, milliseconds, a recorded word, ... */
typedef enum { K_STR, K_TIME, K_INT, K_NUM, K_MS, K_WORD, K_OK, K_DIGEST, K_STATUS } kind;
typedef struct column {
	const char *head, *key;
	kind k;
} column;

static int cell(sl_buf *out, const json_t *row, const column *c)
{
	const json_t *v = json_object_get(row, c->key);
	char buf[16];
	int rc = 0;
	switch (c->k) {
	case K_STR:
		return rp_h_td(out, json_is_string(v) ? json_string_value(v) : NULL, false);
	case K_TIME:
		if (!json_is_string(v))
			return rp_h_td(out, NULL, false);
		rc = sl_buf_puts(out, "<td class=\"t\">");
		if (!rc)
			rc = rp_h_text(out, json_string_value(v));
		return rc ? rc : sl_buf_puts(out, "</td>");
	case K_INT:
		return json_is_number(v) ? rp_h_td_int(out, rp_int(row, c->key, 0))
					 : rp_h_td(out, NULL, true);
	case K_NUM:
		if (!json_is_number(v))
			return rp_h_td(out, NULL, true);
		snprintf(buf, sizeof(buf), "%g", json_number_value(v));
		return rp_h_td(out, buf, true);
	case K_MS:
		return json_is_number(v) ? rp_h_td_ms(out, json_number_value(v)) : rp_h_td(out, NULL, true);
	case K_WORD:
		return json_is_string(v) ? rp_h_td_recorded(out, json_string_value(v))
					 : rp_h_td(out, NULL, false);
	case K_STATUS:
	case K_OK:
		rc = sl_buf_puts(out, "<td>");
		if (!rc)
			rc = rp_h_badge(out, c->k == K_STATUS  ? json_string_value(v)
					     : json_is_true(v) ? RP_PASS
							       : RP_FAIL);
		return rc ? rc : sl_buf_puts(out, "</td>");
	case K_DIGEST: /* the first 12 hex digits, the whole digest in the title */
		if (!json_is_string(v))
			return rp_h_td(out, NULL, false);
		snprintf(buf, sizeof(buf), "%.12s", json_string_value(v));
		rc = sl_buf_puts(out, "<td><code title=\"");
		if (!rc)
			rc = sl_html_attr(out, json_string_value(v));
		if (!rc)
			rc = sl_buf_puts(out, "\">");
		if (!rc)
			rc = rp_h_text(out, buf);
		return rc ? rc : sl_buf_puts(out, "</code></td>");
	}
	return 0;
}

static int table(sl_buf *out, const char *caption, const json_t *rows, const column *cols, size_t n)
{
	const char *heads[12];
	const json_t *r;
	size_t i;
	int rc = 0;
	if (!json_array_size(rows))
		return 0;
	for (size_t k = 0; k < n && k < 12; k++)
		heads[k] = cols[k].head;
	rc = rp_h_caption_table(out, caption, heads, n < 12 ? n : 12);
	json_array_foreach(rows, i, r)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "<tr>");
		for (size_t k = 0; !rc && k < n && k < 12; k++)
			rc = cell(out, r, &cols[k]);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</tbody></table></div>\n");
}

static int heading(sl_buf *out, const char *tag, const char *text)
{
	int rc = rp_h_tag(out, tag, NULL, text);
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int figure_open(sl_buf *out, const char *id, const char *caption)
{
	int rc =
		sl_buf_printf(out, "<figure aria-labelledby=\"%s-cap\">\n<figcaption id=\"%s-cap\">", id, id);
	if (!rc)
		rc = rp_h_text(out, caption);
	return rc ? rc : sl_buf_puts(out, "</figcaption>\n");
}

/* ---- cutover ---- */

/* The spans of one run's chart, as they are gathered: the step attempts first,
 * then the freeze windows; labels[i] is the text spans[i].label points to. */
typedef struct {
	rp_span *spans;
	char (*labels)[160];
	size_t k, nsteps;
	double total, longest;
	const char *longest_step;
} tl_spans;

/* One span per step attempt of the timeline tl that has an offset. */
static void spans_of_steps(tl_spans *a, const json_t *tl)
{
	const json_t *x;
	size_t i;
	json_array_foreach(tl, i, x)
	{
		if (!json_is_number(json_object_get(x, "offset_ms")))
			continue;
		bool back = rp_is(x, "path", "rollback");
		snprintf(a->labels[a->k], sizeof(a->labels[0]), "%s%s",
			 rp_str(x, "step") ? rp_str(x, "step") : "?",
			 back                          ? " (rollback)"
			 : rp_int(x, "attempt", 1) > 1 ? " (again)"
						       : "");
		double d =
			json_is_number(json_object_get(x, "duration_ms")) ? rp_num(x, "duration_ms", 0) : -1;
		rp_span *sp = &a->spans[a->k];
		*sp = (rp_span){ .label = a->labels[a->k],
				 .start_ms = rp_num(x, "offset_ms", 0),
				 .dur_ms = d,
				 .status = rp_badge_of(rp_str(x, "status")),
				 .word = rp_str(x, "status") };
		a->total =
			sp->start_ms + (d > 0 ? d : 0) > a->total ? sp->start_ms + (d > 0 ? d : 0) : a->total;
		if (d > a->longest) {
			a->longest = d;
			a->longest_step = rp_str(x, "step");
		}
		a->k++;
	}
	a->nsteps = a->k;
}

/* One span per freeze window of fz that has an offset. */
static void spans_of_freezes(tl_spans *a, const json_t *fz)
{
	const json_t *x;
	size_t i;
	json_array_foreach(fz, i, x)
	{
		if (!json_is_number(json_object_get(x, "offset_ms")))
			continue;
		snprintf(a->labels[a->k], sizeof(a->labels[0]), "freeze %s (%s)",
			 rp_str(x, "phase") ? rp_str(x, "phase") : "?",
			 rp_str(x, "side") ? rp_str(x, "side") : "?");
		bool within = json_is_true(json_object_get(x, "within_budget"));
		a->spans[a->k] = (rp_span){ .label = a->labels[a->k],
					    .start_ms = rp_num(x, "offset_ms", 0),
					    .dur_ms = json_is_number(json_object_get(x, "window_ms"))
							      ? rp_num(x, "window_ms", 0)
							      : -1,
					    .budget_ms = rp_num(x, "budget_ms", 0),
					    .status = within ? RP_PASS : RP_FAIL,
					    .word = within ? "within budget" : "over budget" };
		a->k++;
	}
}

/* The chart's text description into desc: the step attempts, the longest step
 * and every freeze window of fz against its budget. */
static int timeline_desc(sl_buf *desc, const tl_spans *a, const json_t *fz)
{
	sl_buf tmp = SL_BUF_INIT;
	const json_t *x;
	size_t i;
	int rc = rp_fmt_ms(&tmp, a->total);
	if (!rc)
		rc = sl_buf_printf(desc, "%zu step %s in %s", a->nsteps,
				   a->nsteps == 1 ? "attempt" : "attempts", sl_buf_cstr(&tmp));
	if (!rc && a->longest_step) {
		sl_buf_clear(&tmp);
		rc = rp_fmt_ms(&tmp, a->longest);
		if (!rc)
			rc = sl_buf_printf(desc, "; the longest, %s, took %s", a->longest_step,
					   sl_buf_cstr(&tmp));
	}
	json_array_foreach(fz, i, x)
	{
		if (rc)
			break;
		sl_buf_clear(&tmp);
		rc = rp_fmt_ms(&tmp, rp_num(x, "window_ms", -1));
		if (!rc)
			rc = sl_buf_printf(desc, "; writes to %s were frozen %s ",
					   rp_str(x, "side") ? rp_str(x, "side") : "?", sl_buf_cstr(&tmp));
		sl_buf_clear(&tmp);
		if (!rc)
			rc = rp_fmt_ms(&tmp, rp_num(x, "budget_ms", 0));
		if (!rc)
			rc = sl_buf_printf(desc, "of a %s budget (%s)", sl_buf_cstr(&tmp),
					   json_is_true(json_object_get(x, "within_budget")) ? "within it"
											     : "over it");
	}
	if (!rc)
		rc = sl_buf_puts(desc, ". The tables below list every figure.");
	sl_buf_free(&tmp);
	return rc;
}

/* The steps and freeze windows of run r on one time axis. */
static int timeline_chart(sl_buf *out, const json_t *r)
{
	const json_t *tl = json_object_get(r, "timeline"), *fz = json_object_get(r, "freezes");
	size_t n = json_array_size(tl) + json_array_size(fz);
	tl_spans a = { .spans = calloc(n ? n : 1, sizeof(*a.spans)),
		       .labels = calloc(n ? n : 1, sizeof(*a.labels)),
		       .longest = -1 };
	char id[48], title[300];
	sl_buf desc = SL_BUF_INIT;
	int rc = a.spans && a.labels ? 0 : sl_error_nomem();
	if (rc)
		goto done;
	spans_of_steps(&a, tl);
	spans_of_freezes(&a, fz);
	if (!a.k)
		goto done;
	snprintf(id, sizeof(id), "chart-cutover-%lld", (long long)rp_int(r, "id", 0));
	snprintf(title, sizeof(title), "Runbook %s, run %lld: the steps and freeze windows over time",
		 rp_str(r, "runbook") ? rp_str(r, "runbook") : "?", (long long)rp_int(r, "id", 0));
	rc = timeline_desc(&desc, &a, fz);
	rp_timeline t = { .id = id, .title = title, .desc = sl_buf_cstr(&desc), .spans = a.spans, .n = a.k };
	if (!rc)
		rc = figure_open(out, id, title);
	if (!rc)
		rc = rp_svg_timeline(out, &t);
	if (!rc)
		rc = sl_buf_puts(out, "</figure>\n");
done:
	sl_buf_free(&desc);
	free(a.spans);
	free(a.labels);
	return rc;
}

static int cutover_run(sl_buf *out, const json_t *r)
{
	static const column ph[] = { { "Phase", "name", K_STR },
				     { "Status", "status", K_WORD },
				     { "Steps", "steps", K_INT },
				     { "Failed", "failed", K_INT },
				     { "Time", "duration_ms", K_MS } };
	static const column tl[] = { { "Step", "step", K_STR },       { "Path", "path", K_STR },
				     { "Attempt", "attempt", K_INT }, { "Started", "started_at", K_TIME },
				     { "Time", "duration_ms", K_MS }, { "Gate", "gate", K_WORD },
				     { "Outcome", "status", K_WORD }, { "Message", "message", K_STR } };
	static const column fz[] = {
		{ "Phase", "phase", K_STR },         { "Side", "side", K_STR },
		{ "Method", "method", K_STR },       { "Started", "started_at", K_TIME },
		{ "Window", "window_ms", K_MS },     { "Budget", "budget_ms", K_MS },
		{ "Lifted by", "lifted_by", K_STR }, { "Within budget", "within_budget", K_OK }
	};
	static const column rq[] = { { "Step", "step", K_STR },
				     { "Asked", "requested_at", K_TIME },
				     { "Evidence digest", "digest", K_DIGEST },
				     { "Approvals", "approvals", K_INT } };
	static const column ap[] = { { "Step", "step", K_STR },
				     { "Name", "name", K_STR },
				     { "Role", "role", K_STR },
				     { "Approved", "approved_at", K_TIME },
				     { "Evidence digest", "digest", K_DIGEST },
				     { "Note", "note", K_STR } };
	static const column sc[] = { { "Criterion", "criterion", K_STR }, { "Type", "type", K_STR },
				     { "Phase", "phase", K_STR },         { "Figure", "figure", K_STR },
				     { "Limit", "limit", K_STR },         { "Result", "ok", K_OK } };
	static const column rb[] = { { "At", "at", K_TIME },
				     { "Event", "kind", K_STR },
				     { "Step", "step", K_STR },
				     { "Detail", "detail", K_STR } };
	char text[400];
	int rc = 0;
	snprintf(text, sizeof(text), "Runbook %s, run %lld",
		 rp_str(r, "runbook") ? rp_str(r, "runbook") : "?", (long long)rp_int(r, "id", 0));
	rc = heading(out, "h3", text);
	if (!rc)
		rc = sl_buf_puts(out, "<p>");
	if (!rc)
		rc = rp_h_badge(out, rp_str(r, "judged"));
	if (!rc)
		rc = sl_buf_putc(out, ' ');
	snprintf(text, sizeof(text), "%s \xE2\x86\x92 %s, started %s: %s.",
		 rp_str(r, "source") ? rp_str(r, "source") : "?",
		 rp_str(r, "target") ? rp_str(r, "target") : "?",
		 rp_str(r, "started_at") ? rp_str(r, "started_at") : "?",
		 rp_str(r, "why") ? rp_str(r, "why") : "");
	if (!rc)
		rc = rp_h_text(out, text);
	if (!rc)
		rc = sl_buf_puts(out, "</p>\n");
	if (!rc)
		rc = table(out, "Phases, in the order they ran", json_object_get(r, "phases"), ph, 5);
	if (!rc)
		rc = timeline_chart(out, r);
	if (!rc)
		rc = table(out, "Timeline: every step attempt in the order it ran",
			   json_object_get(r, "timeline"), tl, 8);
	if (!rc)
		rc = table(out, "Freeze windows, measured by the database's clock, against their budget",
			   json_object_get(r, "freezes"), fz, 8);
	if (!rc)
		rc = table(out, "Approvals asked for, with the digest of the evidence shown",
			   json_object_get(r, "approval_requests"), rq, 4);
	if (!rc)
		rc = table(out, "Approvals: who signed, bound to the digest of the evidence",
			   json_object_get(r, "approvals"), ap, 6);
	if (!rc)
		rc = table(out, "Scorecard: the runbook's success criteria", json_object_get(r, "scorecard"),
			   sc, 6);
	if (!rc)
		rc = table(out, "Rollbacks and failed gates", json_object_get(r, "rollbacks"), rb, 4);
	return rc;
}

int rp_html_cutover(sl_buf *out, const json_t *s)
{
	static const column dry[] = { { "Run", "id", K_INT },
				      { "Runbook", "runbook", K_STR },
				      { "Started", "started_at", K_TIME },
				      { "Status", "status", K_WORD },
				      { "Judged", "judged", K_STATUS },
				      { "Why", "why", K_STR } };
	const json_t *runs = json_object_get(s, "runs"), *r;
	size_t i;
	int rc = 0;
	json_array_foreach(runs, i, r)
	{
		if (rc)
			break;
		rc = cutover_run(out, r);
	}
	return rc ? rc
		  : table(out, "Dry runs: the newest of each runbook", json_object_get(s, "dry_runs"), dry,
			  6);
}

/* ---- watch ---- */

/* Each figure over the last runs (at most six, the rest in the table). */
static int trend_chart(sl_buf *out, const json_t *s)
{
	const json_t *trend = json_object_get(s, "trend"), *runs = json_object_get(s, "runs");
	size_t nx = json_array_size(runs), ns = json_array_size(trend) < 6 ? json_array_size(trend) : 6;
	char(*labels)[24] = calloc(nx ? nx : 1, sizeof(*labels)), names[6][160];
	const char **lp = calloc(nx ? nx : 1, sizeof(*lp));
	double *ys = calloc((nx ? nx : 1) * 6, sizeof(double));
	rp_series se[6];
	sl_buf desc = SL_BUF_INIT;
	int rc = labels && lp && ys ? 0 : sl_error_nomem();
	if (rc || !nx || !ns)
		goto done;
	for (size_t i = 0; i < nx; i++) {
		snprintf(labels[i], sizeof(labels[0]), "#%lld",
			 (long long)rp_int(json_array_get(runs, nx - 1 - i), "id", 0));
		lp[i] = labels[i];
	}
	rc = sl_buf_printf(&desc, "The watch's figures over the last %zu %s, oldest first:", nx,
			   nx == 1 ? "run" : "runs");
	for (size_t k = 0; !rc && k < ns; k++) {
		const json_t *t = json_array_get(trend, k), *vals = json_object_get(t, "values");
		snprintf(names[k], sizeof(names[0]), "%s %s", rp_str(t, "check") ? rp_str(t, "check") : "?",
			 rp_str(t, "item") ? rp_str(t, "item") : "?");
		for (size_t i = 0; i < nx; i++) {
			const json_t *v = json_array_get(vals, i);
			ys[k * nx + i] = json_is_number(v) ? json_number_value(v) : NAN;
		}
		se[k] = (rp_series){ .name = names[k], .y = ys + k * nx };
		const json_t *last = json_object_get(t, "last");
		rc = sl_buf_printf(&desc, "%s %s is %s, now %g %s (%s)", k ? ";" : "", names[k],
				   rp_str(t, "direction") ? rp_str(t, "direction") : "steady",
				   json_is_number(last) ? json_number_value(last) : 0.0,
				   rp_str(t, "unit") ? rp_str(t, "unit") : "",
				   rp_str(t, "level") ? rp_str(t, "level") : "?");
	}
	if (!rc)
		rc = sl_buf_puts(&desc, ". The table below lists every figure.");
	rp_chart c = { .id = "chart-watch",
		       .title = "Watch: each figure over the last runs",
		       .desc = sl_buf_cstr(&desc),
		       .y_label = "value",
		       .x_labels = lp,
		       .nx = nx,
		       .series = se,
		       .nseries = ns };
	if (!rc)
		rc = figure_open(out, c.id, c.title);
	if (!rc)
		rc = rp_svg_chart(out, &c);
	if (!rc)
		rc = sl_buf_puts(out, "</figure>\n");
done:
	sl_buf_free(&desc);
	free(labels);
	free(lp);
	free(ys);
	return rc;
}

/* The runs with how many figures each had and why one was incomplete. */
static json_t *run_rows(const json_t *runs)
{
	json_t *a = json_array(), *r;
	size_t i;
	json_array_foreach(runs, i, r)
	{
		json_t *x = json_deep_copy(r);
		size_t bad = 0, k;
		json_t *f;
		json_array_foreach(json_object_get(r, "figures"), k, f) bad += !rp_is(f, "level", "ok");
		json_object_del(x, "figures");
		json_object_set_new(x, "figures",
				    json_integer((json_int_t)json_array_size(json_object_get(r, "figures"))));
		json_object_set_new(x, "not_ok", json_integer((json_int_t)bad));
		json_array_append_new(a, x);
	}
	return a;
}

/* Events that ran a hook, with what the hook did. */
static json_t *hook_rows(const json_t *events)
{
	json_t *a = json_array(), *e;
	size_t i;
	json_array_foreach(events, i, e)
	{
		if (!rp_str(e, "hook"))
			continue;
		json_t *x = json_deep_copy(e);
		char what[80];
		snprintf(what, sizeof(what), "%s%s%s", rp_str(e, "kind") ? rp_str(e, "kind") : "?",
			 rp_str(e, "state") ? " \xE2\x86\x92 " : "",
			 rp_str(e, "state") ? rp_str(e, "state") : "");
		json_object_set_new(x, "change", json_string(what));
		json_array_append_new(a, x);
	}
	return a;
}

int rp_html_watch(sl_buf *out, const json_t *s)
{
	static const column tg[] = { { "Database", "target", K_STR }, { "Judged", "status", K_STATUS },
				     { "State", "state", K_WORD },    { "Since", "since", K_TIME },
				     { "Runs", "runs", K_INT },       { "Newest run", "last_run_at", K_TIME },
				     { "Why", "why", K_STR } };
	static const column tr[] = { { "Check", "check", K_STR },  { "Item", "item", K_STR },
				     { "Unit", "unit", K_STR },    { "Latest", "last", K_NUM },
				     { "Level", "level", K_WORD }, { "Trend", "direction", K_STR } };
	static const column rn[] = { { "Run", "id", K_INT },          { "Started", "started_at", K_TIME },
				     { "Database", "target", K_STR }, { "Checks", "checks", K_STR },
				     { "Result", "status", K_WORD },  { "State after", "state", K_WORD },
				     { "Figures", "figures", K_INT }, { "Not ok", "not_ok", K_INT },
				     { "Time", "duration_ms", K_MS }, { "Gap", "gap_reason", K_STR } };
	static const column gp[] = { { "Database", "target", K_STR },
				     { "Started", "started_at", K_TIME },
				     { "Ended", "ended_at", K_TIME },
				     { "Runs", "runs", K_INT },
				     { "Reason", "reason", K_STR } };
	static const column hk[] = { { "At", "at", K_TIME },          { "Database", "target", K_STR },
				     { "Change", "change", K_STR },   { "Hook", "hook", K_WORD },
				     { "Exit", "hook_exit", K_INT },  { "Time", "hook_ms", K_MS },
				     { "Error", "hook_error", K_STR } };
	if (!json_array_size(json_object_get(s, "targets")))
		return 0;
	json_t *runs = run_rows(json_object_get(s, "runs")), *hooks = hook_rows(json_object_get(s, "events"));
	int rc = table(out, "Watched databases: the state now and since when", json_object_get(s, "targets"),
		       tg, 7);
	if (!rc)
		rc = trend_chart(out, s);
	if (!rc)
		rc = table(out, "Each figure's newest value and trend over the last runs",
			   json_object_get(s, "trend"), tr, 6);
	if (!rc)
		rc = table(out, "Watch runs, newest first", runs, rn, 10);
	if (!rc)
		rc = table(out, "Gaps: stretches of runs that could not reach a database",
			   json_object_get(s, "gaps"), gp, 5);
	if (!rc)
		rc = table(out, "Hook deliveries, newest first", hooks, hk, 7);
	json_decref(runs);
	json_decref(hooks);
	return rc;
}
