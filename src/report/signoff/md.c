/*
 * md.c - the sign-off report in Markdown, for a pull request or a ticket:
 * the verdict with what is red, every area at a glance, then per section
 * its summary and its runs as a table (newest first). Charts become the
 * tables of their figures. Cells are escaped so a name cannot break a table.
 */
#include "signoff_int.h"

#include <stdio.h>
#include <string.h>

#include "sluice/error.h"

int rp_md_cell(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && s && *s; s++) {
		if (*s == '|' || *s == '<')
			rc = sl_buf_putc(out, '\\');
		if (!rc)
			rc = sl_buf_putc(out, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
	return rc;
}

static const char *icon(const char *status)
{
	if (!status)
		return "\xE2\x9D\x94";
	return !strcmp(status, RP_PASS)      ? "\xE2\x9C\x85"             /* white heavy check mark */
	       : !strcmp(status, RP_WARN)    ? "\xE2\x9A\xA0\xEF\xB8\x8F" /* warning sign */
	       : !strcmp(status, RP_FAIL)    ? "\xE2\x9D\x8C"             /* cross mark */
	       : !strcmp(status, RP_NOT_RUN) ? "\xE2\x9E\x96"             /* heavy minus */
					     : "\xE2\x9D\x94";            /* grey question mark */
}

/* A column of a runs table: a key of the run, as text, a number, milliseconds or seconds. */
typedef enum { C_STR, C_INT, C_NUM, C_MS, C_SEC, C_PAIR, C_OK } col_kind;
typedef struct col {
	const char *head, *key;
	col_kind kind;
} col;

static int cell(sl_buf *out, const json_t *r, const col *c)
{
	char buf[64];
	const json_t *v = json_object_get(r, c->key);
	switch (c->kind) {
	case C_STR:
		return rp_md_cell(out, json_is_string(v) ? json_string_value(v) : "-");
	case C_INT:
		if (!json_is_number(v))
			return sl_buf_puts(out, "-");
		return sl_buf_printf(out, "%lld", (long long)rp_int(r, c->key, 0));
	case C_NUM:
		return json_is_number(v) ? sl_buf_printf(out, "%g", json_number_value(v))
					 : sl_buf_puts(out, "-");
	case C_OK:
		return sl_buf_puts(out, json_is_true(v) ? "PASS" : "FAIL");
	case C_MS:
	case C_SEC:
		if (!json_is_number(v))
			return sl_buf_puts(out, "-");
		return rp_fmt_ms(out, json_number_value(v) * (c->kind == C_SEC ? 1000 : 1));
	case C_PAIR:
		snprintf(buf, sizeof(buf), "%s", rp_str(r, "source") ? rp_str(r, "source") : "?");
		{
			int rc = rp_md_cell(out, buf);
			if (!rc)
				rc = sl_buf_puts(out, " \xE2\x86\x92 ");
			return rc ? rc : rp_md_cell(out, rp_str(r, "target") ? rp_str(r, "target") : "?");
		}
	}
	return 0;
}

static int table(sl_buf *out, const json_t *rows, const col *cols, size_t ncols, size_t max)
{
	const json_t *r;
	size_t i;
	int rc = 0;
	if (!json_array_size(rows))
		return 0;
	for (size_t k = 0; !rc && k < ncols; k++)
		rc = sl_buf_printf(out, "| %s ", cols[k].head);
	if (!rc)
		rc = sl_buf_puts(out, "|\n");
	for (size_t k = 0; !rc && k < ncols; k++)
		rc = sl_buf_puts(out, cols[k].kind == C_INT || cols[k].kind == C_NUM ||
						      cols[k].kind == C_MS || cols[k].kind == C_SEC
					      ? "|---:"
					      : "|---");
	if (!rc)
		rc = sl_buf_puts(out, "|\n");
	json_array_foreach(rows, i, r)
	{
		if (rc || i >= max)
			break;
		for (size_t k = 0; !rc && k < ncols; k++) {
			rc = sl_buf_puts(out, "| ");
			if (!rc)
				rc = cell(out, r, &cols[k]);
			if (!rc)
				rc = sl_buf_putc(out, ' ');
		}
		if (!rc)
			rc = sl_buf_puts(out, "|\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int items(sl_buf *out, const char *heading, const json_t *list)
{
	const json_t *it;
	size_t i;
	int rc = 0;
	if (!json_array_size(list))
		return 0;
	rc = sl_buf_printf(out, "**%s**\n\n", heading);
	json_array_foreach(list, i, it)
	{
		if (rc)
			break;
		rc = sl_buf_puts(out, "- **");
		if (!rc)
			rc = rp_md_cell(out, rp_str(it, "title"));
		if (!rc)
			rc = sl_buf_puts(out, "**: ");
		if (!rc)
			rc = rp_md_cell(out, rp_str(it, "text"));
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int head(sl_buf *out, const json_t *root)
{
	const json_t *v = json_object_get(root, "verdict");
	bool go = rp_is(v, "verdict", "GO");
	size_t nred = json_array_size(json_object_get(v, "red"));
	int rc = sl_buf_puts(out, "# Migration report: ");
	if (!rc)
		rc = rp_md_cell(out, rp_str(root, "title"));
	if (!rc)
		rc = sl_buf_printf(out, "\n\n## Verdict: %s **%s**\n\n", go ? icon(RP_PASS) : icon(RP_FAIL),
				   go ? "GO" : "NO-GO");
	if (!rc)
		rc = go ? sl_buf_puts(out, "Nothing is red: every required check was run and passed. ")
			: sl_buf_printf(out, "%zu %s red. ", nred, nred == 1 ? "area is" : "areas are");
	if (!rc)
		rc = sl_buf_puts(out, "Database `");
	if (!rc)
		rc = rp_md_cell(out, rp_str(root, "environment"));
	if (!rc)
		rc = sl_buf_puts(out, "`");
	if (!rc && rp_str(root, "engine")) {
		rc = sl_buf_puts(out, " (");
		if (!rc)
			rc = rp_md_cell(out, rp_str(root, "engine"));
		if (!rc)
			rc = sl_buf_putc(out, ')');
	}
	if (!rc)
		rc = sl_buf_puts(out, ", as of ");
	if (!rc)
		rc = rp_md_cell(out, rp_str(root, "as_of") ? rp_str(root, "as_of") : "no record yet");
	if (!rc)
		rc = sl_buf_puts(out, ".\n\n");
	if (!rc)
		rc = items(out, "What is red", json_object_get(v, "red"));
	if (!rc)
		rc = items(out, "Warnings", json_object_get(v, "amber"));
	if (!rc)
		rc = items(out, "Not run yet", json_object_get(v, "not_run"));
	return rc;
}

static int glance(sl_buf *out, const json_t *sections)
{
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	int rc = sl_buf_puts(out, "| Area | Status | What the evidence says |\n|---|---|---|\n");
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *s = json_object_get(sections, src[i].key);
		rc = sl_buf_printf(out, "| %s | %s %s | ", src[i].title, icon(rp_str(s, "status")),
				   rp_status_word(rp_str(s, "status")));
		if (!rc)
			rc = rp_md_cell(out, rp_str(s, "summary"));
		if (!rc)
			rc = sl_buf_puts(out, " |\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int consumers(sl_buf *out, const json_t *map)
{
	static const col cols[] = { { "Consumer", "name", C_STR },
				    { "Owner", "owner", C_STR },
				    { "Criticality", "criticality", C_STR },
				    { "Description", "detail", C_STR } };
	json_t *list = json_array(), *n;
	size_t i;
	json_array_foreach(json_object_get(map, "nodes"), i, n) if (rp_is(n, "kind", "consumer"))
		json_array_append(list, n);
	int rc = table(out, list, cols, 4, (size_t)-1);
	json_decref(list);
	return rc;
}

/* The rules that did not pass in each database's latest check run, one line each. */
static int failing_rules(sl_buf *out, const json_t *s)
{
	const json_t *runs = json_object_get(s, "runs"), *ix, *x;
	size_t i, k;
	int rc = 0, n = 0;
	json_array_foreach(json_object_get(s, "latest"), i, ix)
	{
		const json_t *run = json_array_get(runs, (size_t)json_integer_value(ix));
		json_array_foreach(json_object_get(run, "results"), k, x)
		{
			if (rc || rp_is(x, "status", "pass"))
				continue;
			rc = sl_buf_printf(out, "- %s **",
					   icon(rp_is(x, "status", "warn") ? RP_WARN : RP_FAIL));
			if (!rc)
				rc = rp_md_cell(out, rp_str(x, "rule"));
			if (!rc)
				rc = sl_buf_puts(out, "** on ");
			if (!rc)
				rc = rp_md_cell(out, rp_str(run, "environment"));
			if (!rc)
				rc = sl_buf_printf(out, ": %s, %lld violation%s",
						   rp_is(x, "status", "warn")   ? "warn"
						   : rp_is(x, "status", "halt") ? "halt"
										: "error",
						   (long long)rp_int(x, "violations", 0),
						   rp_int(x, "violations", 0) == 1 ? "" : "s");
			if (!rc && rp_str(x, "message")) {
				rc = sl_buf_puts(out, " (");
				if (!rc)
					rc = rp_md_cell(out, rp_str(x, "message"));
				if (!rc)
					rc = sl_buf_putc(out, ')');
			}
			if (!rc)
				rc = sl_buf_putc(out, '\n');
			n++;
		}
	}
	return rc || !n ? rc : sl_buf_putc(out, '\n');
}

/* Per cutover run: how it was judged, its phases, timeline, freezes, approvals, scorecard, rollbacks. */
static int cutover(sl_buf *out, const json_t *s)
{
	static const col ph[] = { { "Phase", "name", C_STR },
				  { "Status", "status", C_STR },
				  { "Steps", "steps", C_INT },
				  { "Failed", "failed", C_INT },
				  { "Time", "duration_ms", C_MS } };
	static const col tl[] = { { "Step", "step", C_STR },       { "Path", "path", C_STR },
				  { "Attempt", "attempt", C_INT }, { "Started", "started_at", C_STR },
				  { "Time", "duration_ms", C_MS }, { "Gate", "gate", C_STR },
				  { "Outcome", "status", C_STR },  { "Message", "message", C_STR } };
	static const col fz[] = { { "Freeze", "phase", C_STR },
				  { "Side", "side", C_STR },
				  { "Started", "started_at", C_STR },
				  { "Window", "window_ms", C_MS },
				  { "Budget", "budget_ms", C_MS },
				  { "Lifted by", "lifted_by", C_STR },
				  { "Within budget", "within_budget", C_OK } };
	static const col ap[] = { { "Approved step", "step", C_STR },
				  { "Name", "name", C_STR },
				  { "Role", "role", C_STR },
				  { "At", "approved_at", C_STR },
				  { "Evidence digest", "digest", C_STR } };
	static const col sc[] = { { "Criterion", "criterion", C_STR },
				  { "Figure", "figure", C_STR },
				  { "Limit", "limit", C_STR },
				  { "Result", "ok", C_OK } };
	static const col rb[] = { { "At", "at", C_STR },
				  { "Event", "kind", C_STR },
				  { "Step", "step", C_STR },
				  { "Detail", "detail", C_STR } };
	static const col dr[] = { { "Dry run", "id", C_INT },
				  { "Runbook", "runbook", C_STR },
				  { "Started", "started_at", C_STR },
				  { "Status", "status", C_STR },
				  { "Why", "why", C_STR } };
	const json_t *r;
	size_t i;
	int rc = 0;
	json_array_foreach(json_object_get(s, "runs"), i, r)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "### Runbook ");
		if (!rc)
			rc = rp_md_cell(out, rp_str(r, "runbook"));
		if (!rc)
			rc = sl_buf_printf(out, ", run %lld\n\n%s ", (long long)rp_int(r, "id", 0),
					   icon(rp_str(r, "judged")));
		if (!rc)
			rc = rp_md_cell(out, rp_str(r, "why"));
		if (!rc)
			rc = sl_buf_puts(out, ".\n\n");
		if (!rc)
			rc = table(out, json_object_get(r, "phases"), ph, 5, (size_t)-1);
		if (!rc)
			rc = table(out, json_object_get(r, "timeline"), tl, 8, (size_t)-1);
		if (!rc)
			rc = table(out, json_object_get(r, "freezes"), fz, 7, (size_t)-1);
		if (!rc)
			rc = table(out, json_object_get(r, "approvals"), ap, 5, (size_t)-1);
		if (!rc)
			rc = table(out, json_object_get(r, "scorecard"), sc, 4, (size_t)-1);
		if (!rc)
			rc = table(out, json_object_get(r, "rollbacks"), rb, 4, (size_t)-1);
	}
	return rc ? rc : table(out, json_object_get(s, "dry_runs"), dr, 5, (size_t)-1);
}

/* The watched databases, each figure's trend, the newest runs and the hook deliveries. */
static int watch(sl_buf *out, const json_t *s)
{
	static const col tg[] = { { "Database", "target", C_STR },
				  { "State", "state", C_STR },
				  { "Since", "since", C_STR },
				  { "Runs", "runs", C_INT },
				  { "Why", "why", C_STR } };
	static const col tr[] = { { "Check", "check", C_STR }, { "Item", "item", C_STR },
				  { "Unit", "unit", C_STR },   { "Latest", "last", C_NUM },
				  { "Level", "level", C_STR }, { "Trend", "direction", C_STR } };
	static const col rn[] = { { "Run", "id", C_INT },
				  { "Started", "started_at", C_STR },
				  { "Database", "target", C_STR },
				  { "Result", "status", C_STR },
				  { "State after", "state", C_STR },
				  { "Gap", "gap_reason", C_STR } };
	static const col hk[] = { { "Hook at", "at", C_STR },  { "Database", "target", C_STR },
				  { "Change", "kind", C_STR }, { "State", "state", C_STR },
				  { "Hook", "hook", C_STR },   { "Error", "hook_error", C_STR } };
	json_t *hooks = json_array(), *e;
	size_t i;
	json_array_foreach(json_object_get(s, "events"), i, e) if (rp_str(e, "hook"))
		json_array_append(hooks, e);
	int rc = table(out, json_object_get(s, "targets"), tg, 5, (size_t)-1);
	if (!rc)
		rc = table(out, json_object_get(s, "trend"), tr, 6, (size_t)-1);
	if (!rc)
		rc = table(out, json_object_get(s, "runs"), rn, 6, 10);
	if (!rc)
		rc = table(out, hooks, hk, 6, 10);
	json_decref(hooks);
	return rc;
}

static int section(sl_buf *out, const char *key, const json_t *s)
{
	static const col log[] = { { "Change", "id", C_STR },          { "Title", "title", C_STR },
				   { "Ticket", "ticket", C_STR },      { "Status", "state", C_STR },
				   { "Applied", "applied_at", C_STR }, { "By", "applied_by", C_STR } };
	static const col rh[] = { { "Rehearsal", "id", C_INT },         { "Started", "started_at", C_STR },
				  { "Database", "environment", C_STR }, { "Engine", "engine", C_STR },
				  { "Verdict", "verdict", C_STR },      { "Total", "total_ms", C_MS } };
	static const col ck[] = { { "Run", "id", C_INT },
				  { "Started", "started_at", C_STR },
				  { "Database", "environment", C_STR },
				  { "Status", "status", C_STR },
				  { "Rules", "rules", C_INT },
				  { "Violations", "violations", C_INT } };
	static const col df[] = { { "Run", "id", C_INT },
				  { "Finished", "finished_at", C_STR },
				  { "Source \xE2\x86\x92 target", "source", C_PAIR },
				  { "Status", "status", C_STR },
				  { "Tables", "table_count", C_INT },
				  { "Discrepancies", "discrepancies", C_INT } };
	static const col sh[] = { { "Run", "id", C_INT },
				  { "Started", "started_at", C_STR },
				  { "Source \xE2\x86\x92 target", "source", C_PAIR },
				  { "Queries", "queries", C_INT },
				  { "Rows differing", "differences", C_INT },
				  { "Failed", "errors", C_INT } };
	static const col cp[] = { { "Copy", "id", C_INT },
				  { "Finished", "finished_at", C_STR },
				  { "Source \xE2\x86\x92 target", "source", C_PAIR },
				  { "Status", "status", C_STR },
				  { "Rows written", "rows_written", C_INT },
				  { "Rejected", "rows_rejected", C_INT },
				  { "Time", "seconds", C_SEC } };
	static const col sn[] = { { "Snapshot", "id", C_INT },
				  { "Finished", "finished_at", C_STR },
				  { "Source \xE2\x86\x92 target", "source", C_PAIR },
				  { "Status", "status", C_STR },
				  { "Rows", "rows", C_INT },
				  { "Leaks", "leaks", C_INT } };
	const json_t *runs = json_object_get(s, "runs");
	const size_t max = 10;
	if (!strcmp(key, "map"))
		return consumers(out, json_object_get(s, "map"));
	if (!strcmp(key, "migrations"))
		return table(out, json_object_get(s, "log"), log, 6, (size_t)-1);
	if (!strcmp(key, "rehearsals"))
		return table(out, runs, rh, 6, max);
	if (!strcmp(key, "checks")) {
		int rc = table(out, runs, ck, 6, max);
		return rc ? rc : failing_rules(out, s);
	}
	if (!strcmp(key, "diffs"))
		return table(out, runs, df, 6, max);
	if (!strcmp(key, "shadow"))
		return table(out, runs, sh, 6, max);
	if (!strcmp(key, "copies"))
		return table(out, runs, cp, 7, max);
	if (!strcmp(key, "snapshots"))
		return table(out, runs, sn, 6, max);
	if (!strcmp(key, "cutover"))
		return cutover(out, s);
	if (!strcmp(key, "watch"))
		return watch(out, s);
	return 0;
}

int sl_report_md(sl_buf *out, const sl_report *r)
{
	const json_t *root = r->root, *sections = json_object_get(root, "sections");
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	int rc = head(out, root);
	if (!rc)
		rc = glance(out, sections);
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *s = json_object_get(sections, src[i].key);
		rc = sl_buf_printf(out, "## %s\n\n%s ", src[i].title, icon(rp_str(s, "status")));
		if (!rc)
			rc = rp_md_cell(out, rp_str(s, "summary"));
		if (!rc)
			rc = sl_buf_puts(out, "\n\n");
		if (!rc)
			rc = section(out, src[i].key, s);
	}
	if (!rc)
		rc = sl_buf_puts(out, "---\nMade by ");
	if (!rc)
		rc = rp_md_cell(out, rp_str(root, "generator") ? rp_str(root, "generator") : "sluice");
	if (!rc)
		rc = sl_buf_puts(out, " from the state store `");
	if (!rc)
		rc = rp_md_cell(out, rp_str(root, "state_store") ? rp_str(root, "state_store") : "-");
	if (!rc)
		rc = sl_buf_puts(
			out, "`. The HTML page (`sluice report --out report.html`) charts the history.\n");
	return rc;
}
