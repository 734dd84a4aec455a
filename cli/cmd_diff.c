/*
 * cmd_diff.c - `sluice diff SOURCE TARGET`: compares every table present on
 * both sides (or --tables) row by row with sl_diff_table (diff.h),  and reports
 * per table rows on each side, equal, changed, missing and extra; the first
 * --limit discrepancies as text, all of them as JSON lines with --json or
 * --out FILE. Exit 1 when the discrepancies exceed --threshold. --mode
 * bisect uses sl_diff_bisect, which reports the same rows reading only the
 * segments that differ.
 * docs/commands/diff.md describes the output.
 *
 * Tables are paired and columns planned by the library (sl_diff_each_pair,
 * sl_diff_plan_columns): this file parses the options and prints, naming
 * event rows as they stream by the plan's event-row order.
 */
#include "cli.h"
#include "dist_cli.h"
#include "project.h"

#include "sluice/copy.h"
#include "sluice/diff.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct diff_cli {
	long limit;
	bool json;
	FILE *out; /* JSON lines (stdout with --json, the --out file, or NULL) */
	bool text; /* text report on stdout */
	/* current table */
	const char *table;
	const char **names; /* column names in event-row order (borrowed from the table's plan) */
	size_t nnames;
	size_t *key; /* indexes into names */
	size_t nkey;
	/* the run */
	const struct diff_args *args;
	sl_conn *src, *dst;
	int nerrors; /* tables whose diff failed (reported, the others go on) */
	long shown;
	/* totals */
	int64_t discrepancies;
	int64_t rows_read_src, rows_read_dst;
	/* per table, for the state store (names and notes malloc'd) */
	sl_state_diff_table *tabs;
	size_t ntabs, cap;
} diff_cli;

/* Keeps one table's counts for the record of the run (best effort: a failed allocation drops it). */
static void note_table(diff_cli *x, const char *name, int64_t src_rows, int64_t dst_rows, int64_t missing,
		       int64_t extra, int64_t changed, const char *note)
{
	if (x->ntabs == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		sl_state_diff_table *t = realloc(x->tabs, cap * sizeof(*t));
		if (!t)
			return;
		x->tabs = t;
		x->cap = cap;
	}
	x->tabs[x->ntabs++] = (sl_state_diff_table){ .table = strdup(name),
						     .source_rows = src_rows,
						     .target_rows = dst_rows,
						     .missing = missing,
						     .extra = extra,
						     .changed = changed,
						     .note = note ? strdup(note) : NULL };
}

/* Splits a comma-separated list into a NULL-terminated array of trimmed names (one allocation). */
static char **split_list(const char *s, size_t *n)
{
	size_t count = 1, len = strlen(s);
	for (const char *p = s; *p; p++)
		count += *p == ',';
	char **v = malloc((count + 1) * sizeof(char *) + len + 1);
	if (!v)
		return NULL;
	char *copy = (char *)(v + count + 1);
	memcpy(copy, s, len + 1);
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *e = tok + strlen(tok);
		while (e > tok && e[-1] == ' ')
			*--e = '\0';
		if (*tok)
			v[(*n)++] = tok;
	}
	v[*n] = NULL;
	return v;
}

/* Text form of a value for people: NULL, "text" quoted, others in display form; long ones cut. */
static void show_value(sl_buf *b, const sl_value *v)
{
	if (v->type == SL_V_NULL) {
		sl_buf_puts(b, "NULL");
		return;
	}
	sl_buf tmp = SL_BUF_INIT;
	sl_value_format(&tmp, v);
	bool quote = v->type == SL_V_TEXT || v->type == SL_V_JSON;
	if (quote)
		sl_buf_putc(b, '"');
	if (tmp.len > 80)
		sl_buf_printf(b, "%.77s...", sl_buf_cstr(&tmp));
	else
		sl_buf_puts(b, sl_buf_cstr(&tmp));
	if (quote)
		sl_buf_putc(b, '"');
	sl_buf_free(&tmp);
}

static json_t *json_value(const sl_value *v)
{
	switch (v->type) {
	case SL_V_NULL:
		return json_null();
	case SL_V_BOOL:
		return json_boolean(v->u.b);
	case SL_V_INT:
		return json_integer(v->u.i);
	default: {
		sl_buf tmp = SL_BUF_INIT;
		sl_value_format(&tmp, v);
		json_t *s = json_stringn(tmp.ptr ? tmp.ptr : "", tmp.len);
		sl_buf_free(&tmp);
		return s ? s : json_string("(not UTF-8)");
	}
	}
}

static void show_key(sl_buf *b, const diff_cli *x, const sl_value *row)
{
	for (size_t k = 0; k < x->nkey; k++) {
		sl_buf_printf(b, "%s%s=", k ? ", " : "", x->names[x->key[k]]);
		show_value(b, &row[x->key[k]]);
	}
}

static json_t *json_row(const diff_cli *x, const sl_value *row, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; row && i < n && i < x->nnames; i++)
		json_object_set_new(o, x->names[i], json_value(&row[i]));
	return o;
}

static const char *kind_name(sl_diff_kind k)
{
	return k == SL_DIFF_MISSING ? "missing" : k == SL_DIFF_EXTRA ? "extra" : "changed";
}

static void emit_json(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, f);
		fputc('\n', f);
	}
	free(s);
	json_decref(o);
}

static void print_event_text(diff_cli *x, const sl_diff_event *ev)
{
	sl_buf b = SL_BUF_INIT;
	const sl_value *row = ev->kind == SL_DIFF_EXTRA ? ev->dst_row : ev->src_row;
	bool keyed = x->nkey && !ev->keyless;
	sl_buf_printf(&b, "    %-8s ", kind_name(ev->kind));
	if (keyed && row) {
		show_key(&b, x, row);
	} else {
		sl_buf_printf(&b, "%lld row(s) ", (long long)ev->count);
		if (row) {
			sl_buf_putc(&b, '(');
			for (size_t i = 0; i < ev->ncolumns && i < x->nnames; i++) {
				sl_buf_printf(&b, "%s%s=", i ? ", " : "", x->names[i]);
				show_value(&b, &row[i]);
			}
			sl_buf_putc(&b, ')');
		} else {
			sl_buf_printf(&b, "with hash %016llx%016llx", (unsigned long long)ev->hash[1],
				      (unsigned long long)ev->hash[0]);
		}
	}
	if (ev->kind == SL_DIFF_CHANGED) {
		sl_buf_putc(&b, ':');
		for (size_t i = 0; i < ev->nchanged; i++) {
			size_t c = ev->changed[i];
			sl_buf_printf(&b, "%s %s: ", i ? ";" : "", c < x->nnames ? x->names[c] : "?");
			show_value(&b, &ev->src_row[c]);
			sl_buf_puts(&b, " -> ");
			show_value(&b, &ev->dst_row[c]);
		}
	} else if (keyed) {
		sl_buf_puts(&b,
			    ev->kind == SL_DIFF_MISSING ? " (only in the source)" : " (only in the target)");
	}
	puts(sl_buf_cstr(&b));
	sl_buf_free(&b);
}

static int on_event(const sl_diff_event *ev, void *ud)
{
	diff_cli *x = ud;
	if (x->text && x->shown < x->limit)
		print_event_text(x, ev);
	x->shown++;
	/* the total counts what is listed, as it is listed: a keyless line stands for count rows */
	x->discrepancies += ev->count;
	if (x->out) {
		json_t *o = json_object();
		const sl_value *row = ev->kind == SL_DIFF_EXTRA ? ev->dst_row : ev->src_row;
		json_object_set_new(o, "table", json_string(x->table));
		json_object_set_new(o, "kind", json_string(kind_name(ev->kind)));
		if (x->nkey && !ev->keyless && row) {
			json_t *k = json_object();
			for (size_t i = 0; i < x->nkey; i++)
				json_object_set_new(k, x->names[x->key[i]], json_value(&row[x->key[i]]));
			json_object_set_new(o, "key", k);
		} else {
			char h[40];
			snprintf(h, sizeof(h), "%016llx%016llx", (unsigned long long)ev->hash[1],
				 (unsigned long long)ev->hash[0]);
			json_object_set_new(o, "count", json_integer(ev->count));
			json_object_set_new(o, "hash", json_string(h));
		}
		if (ev->kind == SL_DIFF_CHANGED) {
			json_t *c = json_object();
			for (size_t i = 0; i < ev->nchanged; i++) {
				size_t ci = ev->changed[i];
				json_t *pair = json_object();
				json_object_set_new(pair, "source", json_value(&ev->src_row[ci]));
				json_object_set_new(pair, "target", json_value(&ev->dst_row[ci]));
				json_object_set_new(c, ci < x->nnames ? x->names[ci] : "?", pair);
			}
			json_object_set_new(o, "changed", c);
		} else {
			json_object_set_new(o, "row", row ? json_row(x, row, ev->ncolumns) : json_null());
		}
		emit_json(x->out, o);
	}
	return 0;
}

typedef struct diff_args {
	char **tables, **cols, **key;
	size_t ntables, ncols, nkey;
	const char *where;
	sl_diff_opts opts;
	cli_list schemas;
	bool all_schemas;
} diff_args;

static void print_summary(diff_cli *x, const sl_diff_result *r, const sl_diff_side *st,
			  const sl_diff_side *dt, bool bisect)
{
	note_table(x, st->name, r->src_rows, r->dst_rows, r->missing, r->extra, r->changed, NULL);
	if (x->text) {
		printf("  %lld source rows, %lld target rows: %lld equal, %lld changed, %lld missing, %lld "
		       "extra%s\n",
		       (long long)r->src_rows, (long long)r->dst_rows, (long long)r->equal,
		       (long long)r->changed, (long long)r->missing, (long long)r->extra,
		       r->keyless ? " (keyless: compared as multisets)" : "");
		if (r->keyless_note[0])
			printf("    compared keyless: %s\n", r->keyless_note);
		if (x->shown > x->limit)
			printf("    ... %ld more (all of them with --json or --out FILE)\n",
			       x->shown - x->limit);
		if (r->bisected)
			printf("    bisection: %lld segments compared, rows read: %lld source, %lld target\n",
			       (long long)r->segments_compared, (long long)r->src_rows_read,
			       (long long)r->dst_rows_read);
		else if (bisect)
			printf("    bisection not used: %s; compared every row with the keyed diff\n",
			       r->bisect_note);
		for (size_t i = 0; i < r->nsrc_only; i++)
			printf("    column \"%s\" is only in the source (not compared)\n", r->src_only[i]);
		for (size_t i = 0; i < r->ndst_only; i++)
			printf("    column \"%s\" is only in the target (not compared)\n", r->dst_only[i]);
	}
	if (x->out) {
		json_t *o = json_object();
		json_object_set_new(o, "table", json_string(st->name));
		json_object_set_new(o, "kind", json_string("summary"));
		json_object_set_new(o, "target_table", json_string(dt->name));
		json_object_set_new(o, "keyless", json_boolean(r->keyless));
		if (r->keyless_note[0])
			json_object_set_new(o, "keyless_note", json_string(r->keyless_note));
		json_object_set_new(o, "source_rows", json_integer(r->src_rows));
		json_object_set_new(o, "target_rows", json_integer(r->dst_rows));
		json_object_set_new(o, "equal", json_integer(r->equal));
		json_object_set_new(o, "changed", json_integer(r->changed));
		json_object_set_new(o, "missing", json_integer(r->missing));
		json_object_set_new(o, "extra", json_integer(r->extra));
		if (bisect) {
			json_object_set_new(o, "bisected", json_boolean(r->bisected));
			if (!r->bisected)
				json_object_set_new(o, "bisect_note", json_string(r->bisect_note));
			json_object_set_new(o, "segments_compared", json_integer(r->segments_compared));
			json_object_set_new(o, "source_rows_read", json_integer(r->src_rows_read));
			json_object_set_new(o, "target_rows_read", json_integer(r->dst_rows_read));
		}
		emit_json(x->out, o);
	}
}

/*
 * Only --mode bisect bisects (sl_diff_bisect falls back to the keyed diff,
 * with a note, for tables it cannot bisect). auto never does: the segment
 * fingerprints cost the servers an md5 per row per level, which pays only
 * when moving rows is the bottleneck (a slow network); on a fast link the
 * streaming keyed diff runs at the speed of reading both sides, and bisection
 * was measured 6x slower (bench/RESULTS.md).
 */
static bool use_bisect(const diff_args *a)
{
	return a->opts.mode == SL_DIFF_BISECT;
}

static int diff_one(diff_cli *x, const diff_args *a, sl_conn *src, sl_conn *dst, const sl_diff_side *s,
		    const sl_diff_side *d)
{
	sl_diff_columns dc = { 0 };
	sl_diff_result *r = NULL;
	int rc = sl_diff_plan_columns(&dc, s->t, d->t, (const char *const *)a->cols, a->ncols,
				      (const char *const *)a->key, a->nkey, a->opts.mode == SL_DIFF_KEYLESS);
	if (rc)
		goto done;
	x->names = dc.names;
	x->nnames = dc.nnames;
	x->key = dc.key_ix;
	x->nkey = dc.nkey;
	x->table = s->name;
	x->shown = 0;
	if (x->text)
		printf("%s\n", s->name);
	sl_diff_spec spec = { .src_schema = s->schema,
			      .src_table = s->t->name,
			      .dst_schema = d->schema,
			      .dst_table = d->t->name,
			      .key = dc.nkey ? dc.key : NULL,
			      .nkey = dc.nkey,
			      .columns = dc.cols,
			      .ncolumns = dc.ncols,
			      .where = a->where,
			      .src_model = s->t,
			      .dst_model = d->t };
	bool bisect = use_bisect(a);
	if (bisect)
		rc = sl_diff_bisect(&r, src, dst, &spec, &a->opts, on_event, x);
	else
		rc = sl_diff_table(&r, src, dst, &spec, &a->opts, on_event, x);
	if (rc)
		goto done;
	print_summary(x, r, s, d, bisect);
done:
	sl_diff_result_free(r);
	sl_diff_columns_free(&dc);
	x->names = NULL;
	x->key = NULL;
	return rc;
}

/*
 * A table on one side only: every row of it is a difference (an empty one
 * still counts one), listed as one line with that count.
 */
static int one_sided_table(diff_cli *x, const diff_args *a, sl_conn *c, const sl_diff_side *t, bool in_source)
{
	int64_t rows = 0;
	int rc = sl_diff_count_rows(&rows, c, t->schema, t->t->name, a->where);
	if (rc && a->where) /* --where may name columns this table lacks: count it whole */
		rc = sl_diff_count_rows(&rows, c, t->schema, t->t->name, NULL);
	if (rc)
		return rc;
	x->discrepancies += rows > 0 ? rows : 1;
	note_table(x, t->name, in_source ? rows : -1, in_source ? -1 : rows, in_source ? rows : 0,
		   in_source ? 0 : rows, 0, in_source ? "only in the source" : "only in the target");
	if (x->text)
		printf("%s: only in the %s (%lld row%s)\n", t->name, in_source ? "source" : "target",
		       (long long)rows, rows == 1 ? "" : "s");
	if (x->out) {
		json_t *o = json_object();
		json_object_set_new(o, "table", json_string(t->name));
		json_object_set_new(o, "kind", json_string(in_source ? "table_missing" : "table_extra"));
		json_object_set_new(o, "rows", json_integer(rows));
		emit_json(x->out, o);
	}
	return 0;
}

/* Tables of PostgreSQL schemas the diff does not read are never skipped in silence. */
static void on_models(void *ud, const sl_schema *src, const sl_schema *dst)
{
	sl_buf b = SL_BUF_INIT;
	(void)ud;
	(void)dst;
	if (sl_schema_others_count(src) > 0 && !sl_copy_left_behind(&b, src))
		fprintf(stderr, "%s", sl_buf_cstr(&b));
	sl_buf_free(&b);
}

/* One table: compared when both sides have it (a failure is reported and counted), else listed. */
static int on_pair(void *ud, const sl_diff_side *s, const sl_diff_side *d)
{
	diff_cli *x = ud;
	if (!s->t || !d->t)
		return one_sided_table(x, x->args, s->t ? x->src : x->dst, s->t ? s : d, s->t != NULL);
	int rc = diff_one(x, x->args, x->src, x->dst, s, d);
	if (rc) {
		cli_report_error(rc);
		note_table(x, s->name, -1, -1, 0, 0, 0, sl_error_last()->message);
		x->nerrors++;
	}
	return 0;
}

static int diff_all(diff_cli *x, const diff_args *a, sl_conn *src, sl_conn *dst, int *nerrors)
{
	sl_diff_pairing p = { .tables = (const char *const *)a->tables,
			      .ntables = a->ntables,
			      .schemas = a->schemas.v,
			      .nschemas = a->schemas.n,
			      .all_schemas = a->all_schemas,
			      .on_models = on_models };
	x->args = a;
	x->src = src;
	x->dst = dst;
	int rc = sl_diff_each_pair(src, dst, &p, on_pair, x);
	*nerrors += x->nerrors;
	return rc;
}

/* The run as the state store records it (`sluice report`), through cli_project_record. */
typedef struct diff_record {
	cli_project *p;
	const char *source, *target;
	sl_state_diff d;
} diff_record;

static int record(sl_state *st, void *ud)
{
	diff_record *r = ud;
	char s[512], t[512];
	cli_project_display(r->p, r->source, s, sizeof(s));
	cli_project_display(r->p, r->target, t, sizeof(t));
	r->d.source = s;
	r->d.target = t;
	return sl_state_diff_record(st, &r->d, NULL);
}

/* The command line of `sluice diff`: the options as given and the positional arguments. */
typedef struct diff_cmd {
	cli_project p;
	diff_cli x;
	diff_args a;
	const char *tables, *cols, *key, *out_path, *mode, *tol;
	bool ci;
	long threshold, chunk_rows, lease, max_attempts;
	dist_cli_diff_args da;
	const char *pos[2];
	int npos;
} diff_cmd;

/* Parses the options of `sluice diff` into c; returns as cli_parse does. */
static int parse_diff(diff_cmd *c, int argc, char **argv)
{
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file, for environment names (default sluice.yaml)", &c->p.config_path },
		{ "tables", 0, CLI_STRING, "LIST", "compare only these tables (comma-separated)",
		  &c->tables },
		{ "key", 0, CLI_STRING, "COLS", "match rows on these columns instead of the primary key",
		  &c->key },
		{ "where", 0, CLI_STRING, "SQL", "compare only rows matching this condition (both sides)",
		  &c->a.where },
		{ "columns", 0, CLI_STRING, "LIST", "compare only these columns (the key is always compared)",
		  &c->cols },
		{ "limit", 0, CLI_INT, "N", "discrepancies printed per table as text (default 20)",
		  &c->x.limit },
		{ "json", 0, CLI_FLAG, NULL, "every discrepancy and summary as JSON lines on stdout",
		  &c->x.json },
		{ "out", 0, CLI_STRING, "FILE", "write every discrepancy as JSON lines to FILE",
		  &c->out_path },
		{ "threshold", 0, CLI_INT, "N", "exit 1 only when discrepancies exceed N (default 0)",
		  &c->threshold },
		{ "mode", 0, CLI_STRING, "auto|keyed|keyless|bisect", "how rows are matched (default auto)",
		  &c->mode },
		{ "float-tolerance", 0, CLI_STRING, "X", "floats equal within X (absolute)", &c->tol },
		{ "ci-text", 0, CLI_FLAG, NULL, "compare text ignoring case", &c->ci },
		{ "schema", 0, CLI_LIST, "NAME",
		  "PostgreSQL: compare the tables of this schema (default: the search path's first)",
		  &c->a.schemas },
		{ "all-schemas", 0, CLI_FLAG, NULL,
		  "PostgreSQL: compare the tables of every schema but the system ones", &c->a.all_schemas },
		{ "distributed", 0, CLI_STRING, "STATE_URL",
		  "share the comparison with `sluice worker` processes through a work table in this "
		  "PostgreSQL "
		  "database (docs/commands/distributed.md)",
		  &c->da.url },
		{ "chunk-rows", 0, CLI_INT, "N",
		  "--distributed: rows per chunk, by the source's estimate (default 100000)",
		  &c->chunk_rows },
		{ "lease", 0, CLI_INT, "SECONDS", "--distributed: a worker's hold on a chunk (default 30)",
		  &c->lease },
		{ "detach", 0, CLI_FLAG, NULL, "--distributed: plan, print the run id and return",
		  &c->da.detach },
		{ "finish", 0, CLI_FLAG, NULL, "--distributed: wait for a planned run and report it",
		  &c->da.finish },
		{ "run", 0, CLI_STRING, "ID", "--finish: the run (default: the newest)", &c->da.run },
		{ "max-attempts", 0, CLI_INT, "N",
		  "--distributed: tries of a chunk that fails transiently (lost connection, deadlock) "
		  "(default 3)",
		  &c->max_attempts },
		{ "retry-failed", 0, CLI_FLAG, NULL,
		  "--finish: put the run's failed chunks back for the workers first", &c->da.retry_failed },
		{ 0 }
	};
	return cli_parse("diff", opts, argc, argv, c->pos, 2, &c->npos);
}

/* --distributed: checks the options that go with it and hands the run to dist_cli_diff. */
static int diff_distributed(diff_cmd *c)
{
	diff_args *a = &c->a;
	if (c->key || c->cols || a->where || c->out_path || c->x.json || c->tol || c->ci ||
	    strcmp(c->mode, "auto") != 0)
		return cli_usage_error(
			"diff", "--distributed compares whole rows by the primary key: no --key, "
				"--columns, --where, --json, --out, --mode, --float-tolerance or --ci-text");
	if (c->da.detach && c->da.finish)
		return cli_usage_error("diff", "--detach and --finish exclude each other");
	if (c->chunk_rows < 1 || c->lease < 1 || c->max_attempts < 1 || c->threshold < 0)
		return cli_usage_error("diff",
				       "--chunk-rows, --lease and --max-attempts take a positive number");
	if (c->da.retry_failed && !c->da.finish)
		return cli_usage_error("diff", "--retry-failed goes with --distributed URL --finish");
	if (c->da.finish ? c->npos != 0 : c->npos != 2)
		return cli_usage_error("diff",
				       c->da.finish
					       ? "--finish takes no SOURCE or TARGET"
					       : "give a SOURCE and a TARGET (URLs or environment names)");
	if (c->tables && !(a->tables = split_list(c->tables, &a->ntables)))
		return cli_fail(sl_error_nomem());
	sl_diff_pairing pairing = { .tables = (const char *const *)a->tables,
				    .ntables = a->ntables,
				    .schemas = a->schemas.v,
				    .nschemas = a->schemas.n,
				    .all_schemas = a->all_schemas };
	c->da.source = c->npos ? c->pos[0] : NULL;
	c->da.target = c->npos ? c->pos[1] : NULL;
	c->da.pairing = &pairing;
	c->da.chunk_rows = c->chunk_rows;
	c->da.lease = (int)c->lease;
	c->da.max_attempts = (int)c->max_attempts;
	c->da.threshold = c->threshold;
	int drc = cli_project_load(&c->p, false);
	int dex = drc ? cli_fail(drc) : dist_cli_diff(&c->p, &c->da);
	free(a->tables);
	cli_project_free(&c->p);
	return dex;
}

/* The usage checks of a local diff: sets the mode and the canonical form; 0 or EXIT_USAGE. */
static int check_usage(diff_cmd *c)
{
	diff_args *a = &c->a;
	if (c->npos != 2)
		return cli_usage_error("diff", "give a SOURCE and a TARGET (URLs or environment names)");
	if (c->x.limit < 0 || c->threshold < 0)
		return cli_usage_error("diff", "--limit and --threshold must be at least 0");
	if (a->schemas.n && a->all_schemas)
		return cli_usage_error("diff", "--schema and --all-schemas exclude each other");
	if (strcmp(c->mode, "auto") == 0)
		a->opts.mode = SL_DIFF_AUTO;
	else if (strcmp(c->mode, "keyed") == 0)
		a->opts.mode = SL_DIFF_KEYED;
	else if (strcmp(c->mode, "keyless") == 0)
		a->opts.mode = SL_DIFF_KEYLESS;
	else if (strcmp(c->mode, "bisect") == 0)
		a->opts.mode = SL_DIFF_BISECT;
	else
		return cli_usage_error("diff", "--mode must be auto, keyed, keyless or bisect, not \"%s\"",
				       c->mode);
	if (c->tol) {
		char *end = NULL;
		errno = 0;
		double d = strtod(c->tol, &end);
		if (end == c->tol || *end || errno || !isfinite(d) || d < 0)
			return cli_usage_error("diff",
					       "--float-tolerance expects a number of at least 0, got \"%s\"",
					       c->tol);
		a->opts.canon.float_abs_tol = d;
	}
	if (c->ci)
		a->opts.canon.ci_text = SL_CANON_CI_ALL;
	return EXIT_OK;
}

/* Splits the lists, refuses options that exclude each other and opens the output. */
static int prepare_local(diff_cmd *c)
{
	diff_args *a = &c->a;
	diff_cli *x = &c->x;
	int rc = 0;
	if ((c->tables && !(a->tables = split_list(c->tables, &a->ntables))) ||
	    (c->cols && !(a->cols = split_list(c->cols, &a->ncols))) ||
	    (c->key && !(a->key = split_list(c->key, &a->nkey)))) {
		rc = sl_error_nomem();
		goto done;
	}
	if (c->tol && a->opts.mode == SL_DIFF_BISECT) {
		rc = sl_error_set(SL_EINVALID,
				  "diff: --float-tolerance and --mode bisect exclude each other (floats "
				  "are never fingerprinted)");
		goto done;
	}
	if (a->key && a->opts.mode == SL_DIFF_KEYLESS) {
		rc = sl_error_set(SL_EINVALID, "diff: --key and --mode keyless exclude each other");
		goto done;
	}
	x->text = !x->json;
	if (x->json)
		x->out = stdout;
	if (c->out_path) {
		if (x->json) {
			rc = sl_error_set(SL_EINVALID, "diff: give --json or --out, not both");
			goto done;
		}
		if (!(x->out = fopen(c->out_path, "w"))) {
			rc = sl_error_set(SL_EIO, "diff: open \"%s\": %s", c->out_path, strerror(errno));
			goto done;
		}
	}
done:
	return rc;
}

/* Prints the total, records the run in the state store and returns the exit code. */
static int report_total(diff_cmd *c, int nerrors, double t0)
{
	diff_cli *x = &c->x;
	long threshold = c->threshold;
	int exit_code = EXIT_OK;
	if (x->text)
		printf("\n%lld discrepanc%s (threshold %ld)\n", (long long)x->discrepancies,
		       x->discrepancies == 1 ? "y" : "ies", threshold);
	if (x->out) {
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string("total"));
		json_object_set_new(o, "discrepancies", json_integer(x->discrepancies));
		json_object_set_new(o, "threshold", json_integer(threshold));
		json_object_set_new(o, "errors", json_integer(nerrors));
		emit_json(x->out, o);
	}
	if (nerrors)
		exit_code = EXIT_DATABASE;
	else if (x->discrepancies > threshold)
		exit_code = EXIT_PROBLEMS;
	diff_record dr = { .p = &c->p,
			   .source = c->pos[0],
			   .target = c->pos[1],
			   .d = { .status = nerrors                        ? "error"
					    : x->discrepancies > threshold ? "problems"
									   : "ok",
				  .discrepancies = x->discrepancies,
				  .threshold = threshold,
				  .errors = (size_t)nerrors,
				  .seconds = sl_now_s() - t0,
				  .tables = x->tabs,
				  .ntables = x->ntabs } };
	cli_project_record(&c->p, record, &dr);
	return exit_code;
}

int cmd_diff(int argc, char **argv)
{
	double t0 = sl_now_s();
	diff_cmd c = { .x = { .limit = 20 },
		       .a = { .opts = SL_DIFF_OPTS_INIT },
		       .mode = "auto",
		       .chunk_rows = 100000,
		       .lease = 30,
		       .max_attempts = 3 };
	diff_cli *x = &c.x;
	int nerrors = 0, rc = 0, exit_code = EXIT_OK;
	sl_conn *src = NULL, *dst = NULL;
	int prc = parse_diff(&c, argc, argv);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if ((c.da.detach || c.da.finish || c.da.run) && !c.da.url)
		return cli_usage_error("diff",
				       "--detach, --finish and --run go with --distributed STATE_URL");
	if (c.da.url)
		return diff_distributed(&c);
	int uex = check_usage(&c);
	if (uex)
		return uex;
	if ((rc = prepare_local(&c)) != 0)
		goto done;
	if ((rc = cli_project_load(&c.p, false)) != 0 ||
	    (rc = cli_project_connect(&src, &c.p, c.pos[0])) != 0 ||
	    (rc = cli_project_connect(&dst, &c.p, c.pos[1])) != 0 ||
	    (rc = sl_conn_refuse_same_database(src, dst, "diff")) != 0)
		goto done;
	if ((rc = diff_all(x, &c.a, src, dst, &nerrors)) != 0)
		goto done;
	exit_code = report_total(&c, nerrors, t0);
done:
	if (x->out && x->out != stdout && fclose(x->out) != 0 && !rc)
		rc = sl_error_set(SL_EIO, "diff: write \"%s\": %s", c.out_path, strerror(errno));
	sl_conn_close(src);
	sl_conn_close(dst);
	free(c.a.tables);
	free(c.a.cols);
	free(c.a.key);
	for (size_t i = 0; i < x->ntabs; i++) {
		free((char *)x->tabs[i].table);
		free((char *)x->tabs[i].note);
	}
	free(x->tabs);
	cli_project_free(&c.p);
	return rc ? cli_fail(rc) : exit_code;
}
