/*
 * cmd_status.c - `sluice status [TARGET]`: every migration, applied or not,
 * with what the history table says; the difference for edited files.
 * Exit 5 when a migration is dirty or drifted, so CI can gate on it.
 */
#include "cli.h"
#include "dist_cli.h"
#include "project.h"

#include "sluice/report.h"
#include "sluice/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char *vname(const char *v)
{
	return v && *v ? v : "the base tables";
}

static json_t *clients_json(const sl_xclient *cl, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "session", json_integer(cl[i].session));
		json_object_set_new(o, "application", json_string(cl[i].application));
		json_object_set_new(o, "user", json_string(cl[i].user));
		json_object_set_new(o, "client", json_string(cl[i].client));
		json_array_append_new(a, o);
	}
	return a;
}

/* The expand/contract part of status: migrations with their phase, backfill progress, live versions. */
static json_t *expand_json(const sl_xstatus *xs)
{
	json_t *root = json_object(), *a = json_array(), *live = json_array();
	for (size_t i = 0; xs && i < xs->n; i++) {
		const sl_xrecord *r = &xs->items[i];
		json_t *o = json_object(), *p = json_array();
		json_object_set_new(o, "id", json_string(r->id));
		json_object_set_new(o, "phase", json_string(sl_xphase_name(r->phase)));
		json_object_set_new(o, "version", json_string(r->version));
		json_object_set_new(o, "old_version", sl_json_str(r->old_version));
		json_object_set_new(o, "started_at", sl_json_str(r->started_at));
		json_object_set_new(o, "expanded_at", sl_json_str(r->expanded_at));
		json_object_set_new(o, "contracted_at", sl_json_str(r->contracted_at));
		for (size_t k = 0; k < r->nprogress; k++) {
			json_t *q = json_object();
			json_object_set_new(q, "table", json_string(r->progress[k].table));
			json_object_set_new(q, "rows_done", json_integer(r->progress[k].rows_done));
			json_object_set_new(q, "rows_total", json_integer(r->progress[k].rows_total));
			json_object_set_new(q, "batches", json_integer(r->progress[k].batches));
			json_object_set_new(q, "done", json_boolean(r->progress[k].done));
			json_array_append_new(p, q);
		}
		json_object_set_new(o, "backfill", p);
		if (r->clients_known) {
			json_object_set_new(o, "clients_new", clients_json(r->clients_new, r->nclients_new));
			json_object_set_new(o, "clients_old", clients_json(r->clients_old, r->nclients_old));
			json_object_set_new(o, "clients_unknown",
					    json_integer((json_int_t)r->nclients_unknown));
		}
		json_array_append_new(a, o);
	}
	for (size_t i = 0; xs && i < 2 && xs->live[i]; i++)
		json_array_append_new(live, json_string(xs->live[i]));
	json_object_set_new(root, "migrations", a);
	json_object_set_new(root, "live_versions", live);
	return root;
}

static void print_expand_text(const sl_xstatus *xs)
{
	const sl_xrecord *act = sl_xstatus_active(xs);
	if (!xs || !xs->n)
		return;
	printf("\nexpand/contract:\n");
	for (size_t i = 0; i < xs->n; i++) {
		const sl_xrecord *r = &xs->items[i];
		if (r != act && r->phase == SL_XPHASE_CONTRACTED && i + 1 < xs->n)
			continue; /* history: only the newest contracted one matters */
		printf("  %-16s %-12s version %s (replaces %s)", r->id, sl_xphase_name(r->phase), r->version,
		       vname(r->old_version));
		if (r->contracted_at)
			printf(", contracted %s", r->contracted_at);
		else if (r->expanded_at)
			printf(", expanded %s", r->expanded_at);
		putchar('\n');
		for (size_t k = 0; k < r->nprogress; k++) {
			const sl_xprogress *p = &r->progress[k];
			printf("      backfill %s: %lld rows", p->table, (long long)p->rows_done);
			if (p->rows_total >= 0 && !p->done)
				printf(" of ~%lld (%d%%)", (long long)p->rows_total,
				       p->rows_total ? (int)(p->rows_done * 100 /
							     (p->rows_total > p->rows_done ? p->rows_total
											   : p->rows_done))
						     : 100);
			printf(", %lld batches%s\n", (long long)p->batches,
			       p->done ? ", done" : " (interrupted: `sluice up` resumes)");
		}
		if (r->clients_known && r->phase == SL_XPHASE_CONTRACTED)
			printf("      sessions: %zu on %s, %zu showing no version\n", r->nclients_new,
			       r->version, r->nclients_unknown + r->nclients_old);
		else if (r->clients_known)
			printf("      sessions: %zu on %s, %zu on %s, %zu showing no version\n",
			       r->nclients_new, r->version, r->nclients_old, vname(r->old_version),
			       r->nclients_unknown);
	}
	printf("  live versions: ");
	for (size_t i = 0; i < 2 && xs->live[i]; i++)
		printf("%s%s", i ? ", " : "", vname(xs->live[i]));
	if (act && act->phase == SL_XPHASE_EXPANDED)
		printf(" (old and new side by side: `sluice contract` once no client uses %s)",
		       vname(act->old_version));
	else if (act)
		printf(" (the new version appears once the expand finishes: `sluice up`)");
	putchar('\n');
}

static void print_json(const sl_migrate_status *st, const sl_conn *c, const char *table, const sl_xstatus *xs)
{
	json_t *root = json_object(), *a = json_array();
	json_object_set_new(root, "target", json_string(sl_conn_display(c)));
	json_object_set_new(root, "table", json_string(table));
	for (size_t i = 0; i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(s->id));
		json_object_set_new(o, "state", json_string(sl_mig_state_name(s->state)));
		json_object_set_new(o, "title",
				    sl_json_str(s->file ? s->file->title : (s->row ? s->row->title : NULL)));
		json_object_set_new(o, "file", sl_json_str(s->file ? s->file->path : NULL));
		json_object_set_new(o, "checksum", sl_json_str(s->file ? s->checksum : NULL));
		if (s->row) {
			json_object_set_new(o, "recorded_checksum", sl_json_str(s->row->checksum));
			json_object_set_new(o, "status", sl_json_str(s->row->status));
			json_object_set_new(o, "applied_at", sl_json_str(s->row->applied_at));
			json_object_set_new(o, "applied_by", sl_json_str(s->row->applied_by));
			json_object_set_new(o, "duration_ms", json_integer(s->row->duration_ms));
			json_object_set_new(o, "failed_statement", sl_json_str(s->row->failed_statement));
			json_object_set_new(o, "error", sl_json_str(s->row->error));
		}
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "migrations", a);
	json_t *n = json_object();
	json_object_set_new(n, "applied", json_integer((json_int_t)st->napplied));
	json_object_set_new(n, "pending", json_integer((json_int_t)st->npending));
	json_object_set_new(n, "dirty", json_integer((json_int_t)st->ndirty));
	json_object_set_new(n, "drifted", json_integer((json_int_t)st->ndrifted));
	json_object_set_new(n, "missing_file", json_integer((json_int_t)st->nmissing));
	json_object_set_new(n, "in_expand", json_integer((json_int_t)st->nexpand));
	json_object_set_new(root, "counts", n);
	json_object_set_new(root, "expand", expand_json(xs));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		puts(text);
	free(text);
	json_decref(root);
}

static void print_text(const sl_migrate_status *st, const sl_conn *c, const char *table, const char *dir,
		       const sl_xstatus *xs)
{
	printf("migrations in %s against %s (history table %s)\n\n", dir, sl_conn_display(c), table);
	for (size_t i = 0; i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		const char *title = s->file && s->file->title
					    ? s->file->title
					    : (s->row && s->row->title ? s->row->title : "");
		printf("  %-12s %-16s %s", sl_mig_state_name(s->state), s->id, title);
		if (s->row && s->row->applied_at)
			printf("  (%s by %s, %lld ms)", s->row->applied_at,
			       s->row->applied_by ? s->row->applied_by : "?", (long long)s->row->duration_ms);
		putchar('\n');
		if (s->state == SL_MIG_DIRTY)
			printf("      %s at: %s\n      error: %s\n",
			       s->row->failed_statement ? "failed" : "interrupted",
			       s->row->failed_statement ? s->row->failed_statement
							: "(the process stopped before finishing)",
			       s->row->error ? s->row->error : "(none recorded)");
	}
	printf("\n%zu migration(s): %zu applied, %zu pending, %zu dirty, %zu drifted, %zu without a file",
	       st->n, st->napplied, st->npending, st->ndirty, st->ndrifted, st->nmissing);
	if (st->nexpand)
		printf(", %zu in expand", st->nexpand);
	putchar('\n');
	print_expand_text(xs);
	for (size_t i = 0; i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		if (s->state != SL_MIG_DRIFTED)
			continue;
		sl_buf d = SL_BUF_INIT;
		char a_label[128], b_label[512];
		snprintf(a_label, sizeof(a_label), "%s as applied (%.20s...)", s->id, s->row->checksum);
		snprintf(b_label, sizeof(b_label), "%s now (%.20s...)", s->file->path, s->checksum);
		if (sl_report_udiff(&d, s->row->up_sql ? s->row->up_sql : "",
				    sl_migration_section(s->file, SL_SECTION_UP, sl_conn_engine(c), NULL,
							 NULL),
				    a_label, b_label) == 0)
			printf("\nmigration %s was edited after it was applied:\n%s", s->id, sl_buf_cstr(&d));
		sl_buf_free(&d);
	}
}

int cmd_status(int argc, char **argv)
{
	cli_project p = { 0 };
	bool json = false;
	const char *dist = NULL, *run = NULL;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p),
				    { "json", 0, CLI_FLAG, NULL, "machine-readable output", &json },
				    { "distributed", 0, CLI_STRING, "STATE_URL",
				      "show a distributed copy or diff instead: chunks and rows per table "
				      "and per worker, rows/s, ETA, the source snapshot, failed attempts "
				      "(--json: every attempt with its binlog position)",
				      &dist },
				    { "run", 0, CLI_STRING, "ID",
				      "--distributed: the run (default: the newest)", &run },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("status", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (run && !dist)
		return cli_usage_error("status", "--run goes with --distributed STATE_URL");
	if (dist) {
		if (npos)
			return cli_usage_error("status", "--distributed takes no TARGET");
		int drc = dist_cli_status(dist, run, json);
		return drc == SL_EINVALID ? (cli_report_error(drc), EXIT_USAGE)
		       : drc              ? cli_fail(drc)
					  : EXIT_OK;
	}
	sl_conn *c = NULL;
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	sl_xstatus *xs = NULL;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect(&c, &p, npos ? pos[0] : NULL);
	if (!rc)
		rc = sl_history_load(&h, c, p.table);
	if (!rc)
		rc = sl_migrate_status_build(&st, p.set, h, sl_conn_engine(c));
	if (!rc)
		rc = sl_expand_status(&xs, c, p.table, true);
	int exit_code = EXIT_OK;
	if (!rc) {
		if (json)
			print_json(st, c, p.table, xs);
		else
			print_text(st, c, p.table, p.dir_resolved, xs);
		if (st->ndirty || st->ndrifted)
			exit_code = cli_error(
				EXIT_CONFLICT,
				"%zu dirty and %zu drifted migration(s): `sluice up` refuses to run "
				"until `sluice repair`",
				st->ndirty, st->ndrifted);
	}
	sl_xstatus_free(xs);
	sl_migrate_status_free(st);
	sl_history_free(h);
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : exit_code;
}
