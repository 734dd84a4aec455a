/*
 * cmd_why.c - `sluice why OBJECT [TARGET]`: which migrations created and
 * changed a table, a column (table.column) or an index, and why.
 */
#include "cli.h"
#include "project.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *meta_of(const sl_mig_status *s, const char *key)
{
	if (s->file) {
		const char *v = sl_migration_meta_get(s->file, key);
		return v && *v ? v : NULL;
	}
	if (!s->row)
		return NULL;
	return !strcmp(key, "why") ? s->row->why : !strcmp(key, "ticket") ? s->row->ticket : s->row->pr;
}

static const char *title_of(const sl_mig_status *s)
{
	return s->file && s->file->title ? s->file->title : (s->row && s->row->title ? s->row->title : "");
}

static void print_json(const sl_why *w)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w->n; i++) {
		const sl_why_hit *x = &w->hits[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(x->status->id));
		json_object_set_new(o, "title", json_string(title_of(x->status)));
		json_object_set_new(o, "state", json_string(sl_mig_state_name(x->status->state)));
		json_object_set_new(o, "action", json_string(x->action));
		json_object_set_new(o, "statement", json_string(x->statement));
		const char *keys[] = { "why", "ticket", "pr" };
		for (size_t k = 0; k < 3; k++) {
			const char *v = meta_of(x->status, keys[k]);
			json_object_set_new(o, keys[k], v ? json_string(v) : json_null());
		}
		json_array_append_new(a, o);
	}
	char *text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		puts(text);
	free(text);
	json_decref(a);
}

/* One migration's heading: id, title, state, then its why (indented, line by line), ticket and pr. */
static void print_heading(const sl_mig_status *s, bool first)
{
	const char *why = meta_of(s, "why"), *tk = meta_of(s, "ticket"), *pr = meta_of(s, "pr");
	printf("%s%s  %s  [%s]\n", first ? "" : "\n", s->id, title_of(s), sl_mig_state_name(s->state));
	if (why) {
		fputs("    why:    ", stdout);
		for (const char *q = why; *q; q++) {
			if (*q == '\n')
				fputs("\n            ", stdout);
			else
				putchar(*q);
		}
		putchar('\n');
	}
	if (tk || pr)
		printf("    ticket: %s   pr: %s\n", tk ? tk : "-", pr ? pr : "-");
}

static void print_text(const sl_why *w, const char *name)
{
	if (!w->n)
		printf("no migration names %s\n", name);
	const sl_mig_status *last = NULL;
	for (size_t i = 0; i < w->n; i++) {
		const sl_why_hit *x = &w->hits[i];
		if (x->status != last)
			print_heading(x->status, last == NULL);
		last = x->status;
		printf("    %-18s %s\n", x->action, x->statement);
	}
}

int cmd_why(int argc, char **argv)
{
	cli_project p = { 0 };
	bool json = false;
	const char *dialect = NULL;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p),
				    { "json", 0, CLI_FLAG, NULL, "machine-readable output", &json },
				    { "dialect", 0, CLI_STRING, "sqlite|postgres|mysql",
				      "which variant of each file to read without a target (default sqlite)",
				      &dialect },
				    { 0 } };
	const char *pos[2];
	int npos = 0, prc = cli_parse("why", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos < 1)
		return cli_usage_error("why", "name a table, table.column or index");
	sl_engine d =
		dialect ? sl_dialect_engine_named(dialect, strlen(dialect), false) : sl_dialect_default();
	if (d == SL_ENGINE_NONE)
		return cli_usage_error("why", "unknown dialect \"%s\"", dialect);
	sl_conn *c = NULL;
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	sl_why *w = NULL;
	int rc = cli_project_load(&p, true);
	if (!rc && npos > 1)
		rc = cli_project_connect(&c, &p, pos[1]);
	if (!rc && c) {
		d = sl_conn_engine(c);
		rc = sl_history_load(&h, c, p.table);
	}
	if (!rc)
		rc = sl_migrate_status_build(&st, p.set, h, d);
	if (!rc)
		rc = sl_migrate_why(&w, st, d, pos[0]);
	if (!rc && json)
		print_json(w);
	else if (!rc)
		print_text(w, pos[0]);
	sl_why_free(w);
	sl_migrate_status_free(st);
	sl_history_free(h);
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
