/*
 * report.c - a rehearsal as text (the verdict, the failed thresholds, a
 * timeline of statements with the slowest first, per-migration spread,
 * rules, rollback fidelity), as JSON (every figure; what the state store
 * keeps) and as Markdown for a pull-request comment. Times in JSON are
 * microseconds; in text and Markdown, milliseconds.
 */
#include "rehearse/rehearse_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static json_t *str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *lines(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *spread(const sl_rh_spread *s)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "min_us", (json_int_t)s->min_us, "median_us",
			 (json_int_t)s->median_us, "max_us", (json_int_t)s->max_us, "runs", (json_int_t)s->n);
}

static json_t *stmt_json(const sl_rh_stmt *s)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:b}", "migration", s->migration,
			      "direction", s->down ? "down" : "up", "round", (json_int_t)s->round,
			      "statement", (json_int_t)s->index, "line", (json_int_t)s->line, "sql",
			      s->sql ? s->sql : "", "duration_us", (json_int_t)s->us, "rows_changed",
			      (json_int_t)s->changes, "failed", s->failed);
	json_t *rw = json_array(), *lk = json_array();
	for (size_t i = 0; i < s->nrewritten; i++)
		json_array_append_new(rw, json_pack("{s:s, s:s}", "table", s->rewritten[i], "how",
						    s->rewrite_notes[i]));
	for (size_t i = 0; i < s->nlocks; i++) {
		const sl_rh_lock *l = &s->locks[i];
		json_array_append_new(lk, json_pack("{s:s, s:s, s:s, s:b, s:b, s:I}", "table", l->table,
						    "mode", l->mode, "blocks",
						    l->blocks_reads ? "reads and writes" : "writes",
						    "observed", l->observed, "critical", l->critical,
						    "held_us", (json_int_t)l->held_us));
	}
	json_object_set_new(o, "rewrites", rw);
	json_object_set_new(o, "locks", lk);
	return o;
}

static json_t *mig_json(const sl_rh_migration *m)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:b, s:I, s:o, s:o, s:I, s:I, s:o, s:b}", "id", m->id, "title",
			      str(m->title), "checksum", m->checksum, "transactional", m->transactional,
			      "statements", (json_int_t)m->statements, "up", spread(&m->up), "down",
			      spread(&m->down), "rewrites", (json_int_t)m->rewrites, "write_block_us",
			      (json_int_t)m->block_us, "write_block_table", str(m->block_table),
			      "verify_failed", m->verify_failed);
	if (m->verify_error)
		json_object_set_new(o, "verify_error", json_string(m->verify_error));
	if (m->forecast.done) {
		const sl_rh_forecast *f = &m->forecast;
		json_t *s = json_array();
		for (int i = 0; i < 3; i++)
			json_array_append_new(s, json_pack("{s:I, s:I}", "rows", (json_int_t)f->rows[i],
							   "up_us", (json_int_t)f->us[i]));
		json_object_set_new(o, "forecast",
				    json_pack("{s:s, s:f, s:f, s:o, s:f, s:I}", "method", f->method, "a",
					      f->a, "b", f->b, "samples", s, "max_relative_error",
					      f->max_rel_error, "up_us", (json_int_t)f->forecast_us));
	}
	return o;
}

int sl_rehearsal_json(sl_buf *out, const sl_rehearsal *r)
{
	json_t *o = json_object(), *a;
	json_object_set_new(o, "verdict", str(r->verdict));
	json_object_set_new(o, "failed", lines(r->failed, r->nfailed));
	json_object_set_new(o, "run_id", str(r->run_id));
	json_object_set_new(o, "environment", str(r->environment));
	json_object_set_new(o, "engine", str(r->engine));
	json_object_set_new(o, "server_version", str(r->server_version));
	json_object_set_new(o, "scratch", str(r->scratch));
	json_object_set_new(o, "scratch_method", str(r->scratch_method));
	json_object_set_new(o, "migrations_key", json_string(r->migrations_key));
	json_object_set_new(o, "repeat", json_integer(r->repeat));
	json_object_set_new(o, "no_pending", json_boolean(r->no_pending));
	json_object_set_new(o, "timings_us",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "scratch", (json_int_t)r->scratch_us,
				      "fingerprint", (json_int_t)r->fingerprint_us, "verify",
				      (json_int_t)r->verify_us, "rules", (json_int_t)r->rules_us, "total",
				      (json_int_t)r->total_us));
	a = json_array();
	for (size_t i = 0; i < r->nmigrations; i++)
		json_array_append_new(a, mig_json(&r->migrations[i]));
	json_object_set_new(o, "migrations", a);
	a = json_array();
	for (size_t i = 0; i < r->nstmts; i++)
		json_array_append_new(a, stmt_json(&r->stmts[i]));
	json_object_set_new(o, "statements", a);
	a = json_array();
	for (size_t i = 0; i < r->nrules; i++) {
		const sl_rh_rule *u = &r->rules[i];
		json_array_append_new(a,
				      json_pack("{s:s, s:s, s:I, s:s, s:I, s:o}", "rule", u->name, "before",
						u->status_before, "violations_before", (json_int_t)u->before,
						"after", u->status_after, "violations_after",
						(json_int_t)u->after, "message", str(u->message)));
	}
	json_object_set_new(o, "rules", a);
	json_object_set_new(o, "rule_discrepancies", json_integer(r->rule_discrepancies));
	json_object_set_new(o, "verify_failures", json_integer((json_int_t)r->verify_failures));
	json_object_set_new(o, "rollback_fidelity",
			    json_pack("{s:b, s:b, s:o}", "checked", r->fidelity_checked, "identical",
				      r->fidelity_ok, "differences",
				      lines(r->fidelity_diffs, r->nfidelity_diffs)));
	if (r->fault.kind) {
		const sl_rh_fault *f = &r->fault;
		json_object_set_new(o, "fault",
				    json_pack("{s:s, s:o, s:I, s:b, s:o, s:o, s:o, s:I, s:b, s:o}", "kind",
					      f->kind, "migration", str(f->migration), "statement",
					      (json_int_t)f->statement, "fired", f->fired, "error",
					      str(f->error), "history_status", str(f->history_status),
					      "recorded_statement", str(f->recorded_statement),
					      "statements_ran", (json_int_t)f->statements_ran, "truthful",
					      f->truthful, "explanation", str(f->explanation)));
	} else {
		json_object_set_new(o, "fault", json_null());
	}
	if (r->forecast_rows > 0)
		json_object_set_new(o, "forecast_rows", json_integer(r->forecast_rows));
	json_object_set_new(o, "notes", lines(r->notes, r->nnotes));
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return sl_error_nomem();
	int rc = sl_buf_puts(out, s);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(s);
	return rc;
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* Statement indexes ordered by duration, slowest first (qsort_r: no global). */
static int by_duration(const void *a, const void *b, void *ud)
{
	const sl_rehearsal *r = ud;
	int64_t x = r->stmts[*(const size_t *)a].us, y = r->stmts[*(const size_t *)b].us;
	return (x < y) - (x > y);
}

static int lock_text(sl_buf *b, const sl_rh_stmt *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->nlocks; i++) {
		const sl_rh_lock *l = &s->locks[i];
		rc = sl_buf_printf(b, "%s%s %s on %s %.1f ms%s%s", i ? "; " : "",
				   l->blocks_reads ? "reads+writes blocked" : "writes blocked", l->mode,
				   strcmp(l->table, "*") == 0 ? "every table" : l->table, ms(l->held_us),
				   l->observed ? "" : " (inferred)", l->critical ? " [critical]" : "");
	}
	return rc;
}

/* One migration's line: up and down times, how it ran, rewrites, blocked writers, and its forecast. */
static int migration_text(sl_buf *out, const sl_rehearsal *r, const sl_rh_migration *m)
{
	int rc =
		sl_buf_printf(out,
			      "  %s %s\n    up %.1f / %.1f / %.1f   down %.1f / %.1f / %.1f   %s, %zu "
			      "statement(s), %zu rewrite(s), writers blocked %.1f ms%s%s\n",
			      m->id, m->title ? m->title : "", ms(m->up.min_us), ms(m->up.median_us),
			      ms(m->up.max_us), ms(m->down.min_us), ms(m->down.median_us), ms(m->down.max_us),
			      m->transactional ? "one transaction" : "statement by statement", m->statements,
			      m->rewrites, ms(m->block_us), m->block_table ? " on " : "",
			      !m->block_table                    ? ""
			      : strcmp(m->block_table, "*") == 0 ? "every table"
								 : m->block_table);
	if (!rc && m->forecast.done)
		rc = sl_buf_printf(out,
				   "    forecast at %lld rows: %.1f ms (%s, a=%.4g b=%.4g; samples "
				   "%lld/%lld/%lld "
				   "rows took %.1f/%.1f/%.1f ms; largest error on them %.0f%%)\n",
				   (long long)r->forecast_rows, ms(m->forecast.forecast_us),
				   m->forecast.method, m->forecast.a, m->forecast.b,
				   (long long)m->forecast.rows[0], (long long)m->forecast.rows[1],
				   (long long)m->forecast.rows[2], ms(m->forecast.us[0]),
				   ms(m->forecast.us[1]), ms(m->forecast.us[2]),
				   m->forecast.max_rel_error * 100);
	return rc;
}

/* The statements, slowest first, with what each rewrote and locked. */
static int timeline_text(sl_buf *out, const sl_rehearsal *r)
{
	int rc = 0;
	size_t *idx = malloc(r->nstmts * sizeof(*idx));
	if (!idx)
		return sl_error_nomem();
	for (size_t i = 0; i < r->nstmts; i++)
		idx[i] = i;
	qsort_r(idx, r->nstmts, sizeof(*idx), by_duration, (void *)r);
	rc = sl_buf_puts(out, "\ntimeline, slowest first (ms, migration:statement, what it did)\n");
	for (size_t k = 0; !rc && k < r->nstmts; k++) {
		const sl_rh_stmt *s = &r->stmts[idx[k]];
		rc = sl_buf_printf(out, "  %9.2f  %-4s %s:%zu%s  %s\n", ms(s->us), s->down ? "down" : "up",
				   s->migration, s->index, s->failed ? " FAILED" : "", s->sql);
		for (size_t j = 0; !rc && j < s->nrewritten; j++)
			rc = sl_buf_printf(out, "             rewrote %s: %s\n", s->rewritten[j],
					   s->rewrite_notes[j]);
		if (!rc && s->nlocks) {
			rc = sl_buf_puts(out, "             locks: ");
			if (!rc)
				rc = lock_text(out, s);
			if (!rc)
				rc = sl_buf_putc(out, '\n');
		}
	}
	free(idx);
	return rc;
}

int sl_rehearsal_text(sl_buf *out, const sl_rehearsal *r, bool color)
{
	const char *on = "", *off = "";
	if (color) {
		on = r->verdict && strcmp(r->verdict, "GO") == 0         ? "\033[1;32m"
		     : r->verdict && strcmp(r->verdict, "DRILL OK") == 0 ? "\033[1;32m"
									 : "\033[1;31m";
		off = "\033[0m";
	}
	int rc = sl_buf_printf(out, "rehearsal %s of %s (%s %s) on scratch copy %s (%s)\n", r->run_id,
			       r->environment, r->engine ? r->engine : "?",
			       r->server_version ? r->server_version : "", r->scratch ? r->scratch : "-",
			       r->scratch_method ? r->scratch_method : "-");
	if (!rc)
		rc = sl_buf_printf(out, "verdict: %s%s%s\n", on, r->verdict ? r->verdict : "?", off);
	for (size_t i = 0; !rc && i < r->nfailed; i++)
		rc = sl_buf_printf(out, "  failed %s\n", r->failed[i]);
	if (!rc && r->no_pending)
		rc = sl_buf_puts(
			out, "no pending migrations: nothing to apply; verify and the rules were measured\n");
	if (!rc)
		rc = sl_buf_printf(
			out,
			"\ntime: total %.1f ms = scratch copy %.1f + fingerprints %.1f + verify %.1f + rules "
			"%.1f + up/down (below)\n",
			ms(r->total_us), ms(r->scratch_us), ms(r->fingerprint_us), ms(r->verify_us),
			ms(r->rules_us));
	if (!rc && r->nmigrations)
		rc = sl_buf_printf(out, "\nmigrations (%d round%s: min / median / max ms)\n", r->repeat,
				   r->repeat == 1 ? "" : "s");
	for (size_t i = 0; !rc && i < r->nmigrations; i++)
		rc = migration_text(out, r, &r->migrations[i]);
	if (!rc && r->nstmts)
		rc = timeline_text(out, r);
	if (!rc && r->nrules)
		rc = sl_buf_printf(out,
				   "\nrules (violations before up -> after up): %lld new discrepancies\n",
				   (long long)r->rule_discrepancies);
	for (size_t i = 0; !rc && i < r->nrules; i++) {
		const sl_rh_rule *u = &r->rules[i];
		rc = sl_buf_printf(out, "  %-40s %s %lld -> %s %lld%s%s\n", u->name, u->status_before,
				   (long long)u->before, u->status_after, (long long)u->after,
				   u->message ? ": " : "", u->message ? u->message : "");
	}
	if (!rc && r->fidelity_checked)
		rc = sl_buf_printf(out, "\nrollback fidelity: %s\n",
				   r->fidelity_ok ? "identical schema and data after up + down" : "DIFFERS");
	for (size_t i = 0; !rc && i < r->nfidelity_diffs; i++)
		rc = sl_buf_printf(out, "  %s\n", r->fidelity_diffs[i]);
	if (!rc && r->fault.kind) {
		const sl_rh_fault *f = &r->fault;
		rc = sl_buf_printf(out,
				   "\n%s at %s:%zu: %s\n  sluice reported: %s\n  history row: %s%s%s\n  %s\n",
				   f->kind, f->migration ? f->migration : "?", f->statement,
				   f->truthful ? "the database holds exactly what sluice reported"
					       : "the database does NOT hold what sluice reported",
				   f->error ? f->error : "(no error)",
				   f->history_status ? f->history_status : "?",
				   f->recorded_statement ? ", failed statement recorded: " : "",
				   f->recorded_statement ? f->recorded_statement : "",
				   f->explanation ? f->explanation : "");
	}
	for (size_t i = 0; !rc && i < r->nnotes; i++)
		rc = sl_buf_printf(out, "%snote: %s\n", i ? "" : "\n", r->notes[i]);
	return rc;
}

static int md_cell(sl_buf *b, const char *s)
{
	int rc = 0;
	for (; !rc && s && *s; s++)
		rc = *s == '|' ? sl_buf_puts(b, "\\|") : sl_buf_putc(b, *s);
	return rc;
}

int sl_rehearsal_md(sl_buf *out, const sl_rehearsal *r)
{
	bool go = r->verdict && (strcmp(r->verdict, "GO") == 0 || strcmp(r->verdict, "DRILL OK") == 0);
	int rc = sl_buf_printf(out, "### Rehearsal of %s: %s **%s**\n\n", r->environment, go ? "✅" : "❌",
			       r->verdict ? r->verdict : "?");
	if (!rc)
		rc = sl_buf_printf(
			out,
			"%s %s, scratch copy by %s, %d round(s); total %.1f ms (scratch copy %.1f ms). "
			"Migrations key `%s`.\n\n",
			r->engine ? r->engine : "?", r->server_version ? r->server_version : "",
			r->scratch_method ? r->scratch_method : "-", r->repeat, ms(r->total_us),
			ms(r->scratch_us), r->migrations_key);
	for (size_t i = 0; !rc && i < r->nfailed; i++) {
		rc = sl_buf_puts(out, "- ❌ ");
		if (!rc)
			rc = md_cell(out, r->failed[i]);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	if (!rc && r->nfailed)
		rc = sl_buf_putc(out, '\n');
	if (!rc && r->nmigrations)
		rc = sl_buf_puts(
			out,
			"| migration | up ms (median) | down ms (median) | rewrites | writers blocked ms | "
			"verify |\n|---|---:|---:|---:|---:|---|\n");
	for (size_t i = 0; !rc && i < r->nmigrations; i++) {
		const sl_rh_migration *m = &r->migrations[i];
		rc = sl_buf_printf(out, "| %s ", m->id);
		if (!rc)
			rc = md_cell(out, m->title);
		if (!rc)
			rc = sl_buf_printf(out, " | %.1f | %.1f | %zu | %.1f | %s |\n", ms(m->up.median_us),
					   ms(m->down.median_us), m->rewrites, ms(m->block_us),
					   m->verify_failed ? "❌" : "✅");
	}
	if (!rc && r->nstmts) {
		size_t *idx = malloc(r->nstmts * sizeof(*idx));
		if (!idx)
			return sl_error_nomem();
		for (size_t i = 0; i < r->nstmts; i++)
			idx[i] = i;
		qsort_r(idx, r->nstmts, sizeof(*idx), by_duration, (void *)r);
		rc = sl_buf_puts(
			out, "\n<details><summary>Slowest statements</summary>\n\n| ms | statement | SQL |\n"
			     "|---:|---|---|\n");
		for (size_t k = 0; !rc && k < r->nstmts && k < 10; k++) {
			const sl_rh_stmt *s = &r->stmts[idx[k]];
			rc = sl_buf_printf(out, "| %.2f | %s %s:%zu | `", ms(s->us), s->down ? "down" : "up",
					   s->migration, s->index);
			if (!rc)
				rc = md_cell(out, s->sql);
			if (!rc)
				rc = sl_buf_puts(out, "` |\n");
		}
		if (!rc)
			rc = sl_buf_puts(out, "\n</details>\n");
		free(idx);
	}
	if (!rc && r->fidelity_checked)
		rc = sl_buf_printf(out, "\nRollback fidelity: %s\n",
				   r->fidelity_ok ? "identical after up + down ✅" : "**differs** ❌");
	for (size_t i = 0; !rc && i < r->nfidelity_diffs; i++) {
		rc = sl_buf_puts(out, "- ");
		if (!rc)
			rc = md_cell(out, r->fidelity_diffs[i]);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	if (!rc && r->fault.kind)
		rc = sl_buf_printf(out, "\nFault drill (%s at %s:%zu): %s\n", r->fault.kind,
				   r->fault.migration ? r->fault.migration : "?", r->fault.statement,
				   r->fault.explanation ? r->fault.explanation : "");
	return rc;
}
