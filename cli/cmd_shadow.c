/*
 * cmd_shadow.c - `sluice shadow SOURCE TARGET`: runs the workflow queries of
 * sluice.yaml `shadow:` (read by sl_shadow_queries_load, or one --sql) on
 * both databases, compares the results canonically (src/check/shadow.c),
 * prints the differences like diff and records the run in the state store
 * (docs/commands/shadow.md).
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/shadow.h"
#include "sluice/state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* `--history`: the past shadow runs of the state store. */
static int print_history(cli_project *p)
{
	int rc = 0;
	sl_state *st = NULL;
	rc = sl_state_open(&st, p->cfg ? sl_config_resolve(p->cfg, p->cfg->state) : ".sluice/state.db");
	if (!rc)
		printf("%6s  %-24s  %-32s  %-8s  %8s  %8s  %6s  %s\n", "run", "started (UTC)", "query",
		       "compare", "source", "target", "diffs", "error");
	if (!rc)
		rc = sl_state_shadow_history(st, 20, history_row, NULL);
	sl_state_close(st);
	return rc;
}

/* The queries to run: sluice.yaml's (only the one named, if any), or the one given with --sql. */
static int load_queries(sl_shadow_query **qs, size_t *nq, cli_project *p, const char *only,
			sl_shadow_query *adhoc)
{
	int rc = 0;
	if (adhoc) {
		*qs = adhoc;
		*nq = 1;
		return 0;
	}
	if ((rc = sl_shadow_queries_load(qs, nq, p->cfg, only)) == SL_ENOTFOUND)
		rc = sl_error_set(SL_EINVALID, "%s (give one with --sql)", sl_error_last()->message);
	return rc;
}

/* The results as JSON, or the total line after each query's. */
static int print_results(const sl_shadow_result *res, size_t done, size_t nq, int64_t diffs, int64_t errors,
			 bool json)
{
	int rc = 0;
	if (json) {
		sl_buf b = SL_BUF_INIT;
		if (!(rc = sl_shadow_json(&b, res, done)))
			fwrite(b.ptr, 1, b.len, stdout);
		sl_buf_free(&b);
	} else
		printf("\n%" PRId64 " differences in %zu quer%s, %" PRId64 " failed\n", diffs, nq,
		       nq == 1 ? "y" : "ies", errors);
	return rc;
}

/* The exit code: a failure's, then EXIT_DATABASE when a query failed, EXIT_PROBLEMS when results differ. */
static int shadow_exit(int rc, int64_t errors, int64_t diffs)
{
	if (rc)
		return cli_fail(rc);
	if (errors)
		return EXIT_DATABASE;
	return diffs ? EXIT_PROBLEMS : EXIT_OK;
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
	int ex, rc = cli_project_load(&p, false);
	if (!rc && history) {
		rc = print_history(&p);
		goto done;
	}
	if (!rc)
		rc = load_queries(&qs, &nq, &p, only, adhoc ? &one : NULL);
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
	if (!rc)
		rc = print_results(res, done, nq, diffs, errors, json);
	if (!rc && !no_record)
		rc = record(&p, src, dst, res, done);
done:
	ex = shadow_exit(rc, errors, diffs);
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
