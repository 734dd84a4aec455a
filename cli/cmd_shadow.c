/*
 * cmd_shadow.c - `sluice shadow SOURCE TARGET`: runs the workflow queries of
 * sluice.yaml `shadow:` (or one --sql) on both databases, compares the
 * results canonically (src/check/shadow.c), prints the differences like
 * diff and records the run in the state store (docs/commands/shadow.md).
 *
 *   shadow:
 *     - name: revenue_by_currency
 *       sql: SELECT currency, sum(total) FROM invoices GROUP BY currency
 *     - name: latest_invoices
 *       ordered: true
 *       sql:
 *         postgres: SELECT ... ORDER BY issued DESC LIMIT 10
 *         mysql: SELECT ... ORDER BY issued DESC LIMIT 10
 *         default: SELECT ...
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/shadow.h"
#include "sluice/state.h"

#include <inttypes.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(cli_project *p, struct fy_node *n, const char *what)
{
	char where[256];
	return sl_error_set(SL_EINVALID, "%s: %s", sl_config_where(p->cfg, n, where, sizeof(where)), what);
}

static int load_query(sl_shadow_query *q, cli_project *p, struct fy_node *item)
{
	struct fy_node *name = fy_node_mapping_lookup_by_string(item, "name", FY_NT);
	struct fy_node *sql = fy_node_mapping_lookup_by_string(item, "sql", FY_NT);
	struct fy_node *ord = fy_node_mapping_lookup_by_string(item, "ordered", FY_NT);
	const char *s = NULL;
	int rc = 0;
	memset(q, 0, sizeof(*q));
	if (!fy_node_is_mapping(item) || !name || !sql)
		return bad(p, item, "a shadow query needs \"name\" and \"sql\"");
	rc = sl_config_string(&q->name, NULL, p->cfg, name, "shadow.name");
	if (!rc && ord) {
		rc = sl_config_string(&s, NULL, p->cfg, ord, "shadow.ordered");
		if (!rc && strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			rc = bad(p, ord, "\"ordered\" must be true or false");
		q->ordered = !rc && strcmp(s, "true") == 0;
	}
	if (!rc && fy_node_is_scalar(sql))
		rc = sl_config_string(&q->sql, NULL, p->cfg, sql, "shadow.sql");
	else if (!rc && fy_node_is_mapping(sql)) {
		void *it = NULL;
		struct fy_node_pair *pair;
		while (!rc && (pair = fy_node_mapping_iterate(sql, &it)) != NULL) {
			const char *key = NULL, *text = NULL;
			rc = sl_config_string(&key, NULL, p->cfg, fy_node_pair_key(pair), "shadow.sql");
			if (!rc)
				rc = sl_config_string(&text, NULL, p->cfg, fy_node_pair_value(pair),
						      "shadow.sql");
			if (rc)
				break;
			sl_engine e = sl_dialect_engine_named(key, strlen(key), false);
			if (strcmp(key, "default") == 0)
				q->sql = text;
			else if (e != SL_ENGINE_NONE)
				q->sql_for[e] = text;
			else
				rc = bad(p, fy_node_pair_key(pair),
					 "\"sql\" keys are sqlite, postgres, mysql or default");
		}
	} else if (!rc)
		rc = bad(p, sql, "\"sql\" is a query, or a mapping of engine to query");
	return rc;
}

static int load_queries(sl_shadow_query **out, size_t *n, cli_project *p, const char *only)
{
	struct fy_node *sec = p->cfg ? sl_config_section(p->cfg, "shadow") : NULL;
	*out = NULL;
	*n = 0;
	if (!sec)
		return sl_error_set(SL_EINVALID, "%s: no \"shadow\" queries (or give one with --sql)",
				    p->cfg ? p->cfg->path : "sluice.yaml (not found)");
	if (!fy_node_is_sequence(sec))
		return bad(p, sec, "\"shadow\" must be a list of {name, sql, ordered}");
	sl_shadow_query *q = calloc((size_t)fy_node_sequence_item_count(sec) + 1, sizeof(*q));
	if (!q)
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(sec, &it)) != NULL) {
		rc = load_query(&q[*n], p, item);
		for (size_t i = 0; !rc && i < *n; i++)
			if (strcmp(q[i].name, q[*n].name) == 0)
				rc = bad(p, item, "two shadow queries have the same name");
		if (!rc && (!only || strcmp(only, q[*n].name) == 0))
			(*n)++;
	}
	if (!rc && only && *n == 0)
		rc = sl_error_set(SL_EINVALID, "%s: no shadow query \"%s\"", p->cfg->path, only);
	if (rc) {
		free(q);
		*n = 0;
		return rc;
	}
	*out = q;
	return 0;
}

static void print_result(const sl_shadow_result *r)
{
	printf("%s (%s)\n", r->name, r->ordered ? "ordered" : "multiset");
	if (r->error) {
		printf("  error: %s\n", r->error);
		return;
	}
	printf("  %" PRId64 " source rows, %" PRId64 " target rows: %" PRId64
	       " differences (%.3fs / %.3fs)\n",
	       r->source_rows, r->target_rows, r->differences, r->seconds_source, r->seconds_target);
	for (size_t i = 0; i < r->nexamples; i++) {
		const sl_shadow_example *e = &r->examples[i];
		if (e->kind == 'c')
			printf("    changed  row %" PRId64 ": %s -> %s\n", e->row, e->source_row,
			       e->target_row);
		else if (e->kind == 'm')
			printf("    missing  %s\n", e->source_row);
		else
			printf("    extra    %s\n", e->target_row);
	}
	if ((int64_t)r->nexamples < r->differences)
		printf("    ... %" PRId64 " more\n", r->differences - (int64_t)r->nexamples);
}

static int history_row(int64_t run_id, const char *started_at, const sl_state_shadow_row *row, void *ud)
{
	(void)ud;
	printf("%6lld  %-24s  %-32s  %-8s  %8lld  %8lld  %6lld  %s\n", (long long)run_id, started_at,
	       row->query, row->ordered ? "ordered" : "multiset", (long long)row->source_rows,
	       (long long)row->target_rows, (long long)row->differences, row->error ? row->error : "");
	return 0;
}

static int record(cli_project *p, sl_conn *src, sl_conn *dst, const sl_shadow_result *res, size_t n)
{
	sl_state *st = NULL;
	sl_buf *ex = calloc(n + 1, sizeof(*ex));
	sl_state_shadow_row *rows = calloc(n + 1, sizeof(*rows));
	const char *path = p->cfg ? sl_config_resolve(p->cfg, p->cfg->state) : ".sluice/state.db";
	int rc = ex && rows ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		rc = sl_shadow_examples_json(&ex[i], &res[i]);
		rows[i] = (sl_state_shadow_row){
			.query = res[i].name,
			.ordered = res[i].ordered,
			.source_rows = res[i].source_rows,
			.target_rows = res[i].target_rows,
			.differences = res[i].differences,
			.examples = sl_buf_cstr(&ex[i]),
			.error = res[i].error,
			.duration_ms = (int64_t)((res[i].seconds_source + res[i].seconds_target) * 1000)
		};
	}
	if (!rc)
		rc = sl_state_open(&st, path);
	if (!rc)
		rc = sl_state_shadow_record(st, NULL, sl_conn_display(src), sl_conn_display(dst), rows, n);
	sl_state_close(st);
	for (size_t i = 0; ex && i < n; i++)
		sl_buf_free(&ex[i]);
	free(ex);
	free(rows);
	return rc;
}

int cmd_shadow(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *only = NULL, *adhoc = NULL;
	bool json = false, ordered = false, history = false, no_record = false;
	long examples = 10, max_rows = 1000000;
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default sluice.yaml): queries under shadow:", &p.config_path },
		{ "query", 'q', CLI_STRING, "NAME", "run only this query of sluice.yaml", &only },
		{ "sql", 0, CLI_STRING, "SQL", "run this query (the same text on both sides) instead",
		  &adhoc },
		{ "ordered", 0, CLI_FLAG, NULL, "with --sql: compare row by row in order", &ordered },
		{ "examples", 0, CLI_INT, "N", "differences shown per query (default 10)", &examples },
		{ "max-rows", 0, CLI_INT, "N", "refuse results larger than N rows (default 1000000)",
		  &max_rows },
		{ "json", 0, CLI_FLAG, NULL, "print the results as JSON", &json },
		{ "no-record", 0, CLI_FLAG, NULL, "do not record the run in the state store", &no_record },
		{ "history", 0, CLI_FLAG, NULL, "list past shadow runs from the state store, then exit",
		  &history },
		{ 0 }
	};
	const char *pos[2];
	int npos = 0, prc = cli_parse("shadow", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (!history && npos != 2)
		return cli_usage_error("shadow",
				       "expected SOURCE and TARGET (database URLs or environments)");
	if (only && adhoc)
		return cli_usage_error("shadow", "--query and --sql exclude each other");
	if (examples < 0 || max_rows < 1)
		return cli_usage_error("shadow", "--examples takes 0 or more, --max-rows a positive number");
	sl_shadow_query *qs = NULL, one = { .name = "sql", .sql = adhoc, .ordered = ordered };
	sl_shadow_result *res = NULL;
	sl_conn *src = NULL, *dst = NULL;
	size_t nq = 0, done = 0;
	int64_t diffs = 0, errors = 0;
	int ex = EXIT_OK, rc = cli_project_load(&p, false);
	if (!rc && history) {
		sl_state *st = NULL;
		rc = sl_state_open(&st, p.cfg ? sl_config_resolve(p.cfg, p.cfg->state) : ".sluice/state.db");
		if (!rc)
			printf("%6s  %-24s  %-32s  %-8s  %8s  %8s  %6s  %s\n", "run", "started (UTC)",
			       "query", "compare", "source", "target", "diffs", "error");
		if (!rc)
			rc = sl_state_shadow_history(st, 20, history_row, NULL);
		sl_state_close(st);
		goto done;
	}
	if (!rc && !adhoc)
		rc = load_queries(&qs, &nq, &p, only);
	if (!rc && adhoc) {
		qs = &one;
		nq = 1;
	}
	if (!rc && !(res = calloc(nq + 1, sizeof(*res))))
		rc = sl_error_nomem();
	if (!rc && (rc = cli_project_connect(&src, &p, pos[0])) != 0)
		sl_error_prefix("source");
	if (!rc && (rc = cli_project_connect(&dst, &p, pos[1])) != 0)
		sl_error_prefix("target");
	sl_shadow_opts so = SL_SHADOW_OPTS_INIT;
	so.max_examples = (size_t)examples;
	so.max_rows = (size_t)max_rows;
	for (; !rc && done < nq; done++) {
		rc = sl_shadow_run(&res[done], src, dst, &qs[done], &so);
		if (rc)
			break;
		diffs += res[done].differences;
		errors += res[done].error != NULL;
		if (!json)
			print_result(&res[done]);
	}
	if (!rc && json) {
		sl_buf b = SL_BUF_INIT;
		if (!(rc = sl_shadow_json(&b, res, done)))
			fwrite(b.ptr, 1, b.len, stdout);
		sl_buf_free(&b);
	} else if (!rc)
		printf("\n%" PRId64 " differences in %zu quer%s, %" PRId64 " failed\n", diffs, nq,
		       nq == 1 ? "y" : "ies", errors);
	if (!rc && !no_record)
		rc = record(&p, src, dst, res, done);
done:
	if (rc)
		ex = cli_fail(rc);
	else if (errors)
		ex = EXIT_DATABASE;
	else if (diffs)
		ex = EXIT_PROBLEMS;
	for (size_t i = 0; res && i < nq; i++)
		sl_shadow_result_clear(&res[i]);
	free(res);
	if (qs != &one)
		free(qs);
	sl_conn_close(src);
	sl_conn_close(dst);
	cli_project_free(&p);
	return ex;
}
