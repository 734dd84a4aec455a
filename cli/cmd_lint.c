/*
 * cmd_lint.c - `sluice lint [TARGET]`: check migrations before they run.
 *
 * Without TARGET every migration file gets the static rules; with TARGET
 * only pending ones do, and the dynamic rules apply them to a scratch
 * database on the target's server (never to the target), and follow their
 * changes to sluice.yaml's consumers (consumer-broken, consumer-affected;
 * a "breaks:" header declares a break). Output: one line
 * per finding "file:line: level: rule: message" and a summary, or --json.
 * Exit 1 when a finding is at level error. Rules: docs/lint/<id>.md.
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/lint.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_text(const sl_lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const sl_lint_finding *f = &r->items[i];
		printf("%s:%zu: %s: %s: %s\n", f->path, f->line, sl_lint_level_name(f->level), f->rule,
		       f->message);
	}
	printf("%s%zu migration(s) checked: %zu error(s), %zu warning(s)\n", r->n ? "\n" : "", r->nchecked,
	       r->nerrors, r->nwarnings);
}

static void print_json(const sl_lint_report *r)
{
	json_t *root = json_object(), *a = json_array(), *n = json_object();
	for (size_t i = 0; i < r->n; i++) {
		const sl_lint_finding *f = &r->items[i];
		json_t *o = json_object();
		char doc[128];
		snprintf(doc, sizeof(doc), "docs/lint/%s.md", f->rule);
		json_object_set_new(o, "file", json_string(f->path));
		json_object_set_new(o, "line", json_integer((json_int_t)f->line));
		json_object_set_new(o, "level", json_string(sl_lint_level_name(f->level)));
		json_object_set_new(o, "rule", json_string(f->rule));
		json_object_set_new(o, "migration", json_string(f->migration_id));
		json_object_set_new(o, "message", json_string(f->message));
		json_object_set_new(o, "doc", json_string(doc));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "findings", a);
	json_object_set_new(n, "checked", json_integer((json_int_t)r->nchecked));
	json_object_set_new(n, "errors", json_integer((json_int_t)r->nerrors));
	json_object_set_new(n, "warnings", json_integer((json_int_t)r->nwarnings));
	json_object_set_new(root, "counts", n);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		puts(text);
	free(text);
	json_decref(root);
}

/* Static rules on every file (no target) or on the target's pending migrations. */
static int lint_files(sl_lint_report *r, const cli_project *p, sl_conn *c, const sl_lint_opts *o)
{
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	int rc = 0;
	if (!c) {
		for (size_t i = 0; !rc && i < p->set->n; i++)
			rc = sl_lint_static(r, p->set->items[i], o);
		goto done;
	}
	if ((rc = sl_history_load(&h, c, p->table)) ||
	    (rc = sl_migrate_status_build(&st, p->set, h, o->dialect)))
		goto done;
	for (size_t i = 0; !rc && i < st->n; i++)
		if (st->items[i].state == SL_MIG_PENDING && st->items[i].file)
			rc = sl_lint_static(r, st->items[i].file, o);
done:
	sl_migrate_status_free(st);
	sl_history_free(h);
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	cli_project p = { 0 };
	bool json = false;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p),
				    { "json", 0, CLI_FLAG, NULL, "machine-readable output", &json },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("lint", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	sl_conn *c = NULL;
	sl_lint_report *r = NULL;
	cli_scratch sx = { 0 };
	sl_consumers *cs = NULL;
	sl_config *empty = NULL;
	sl_lint_opts o = SL_LINT_OPTS_INIT;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = sl_lint_check_config(p.cfg);
	if (!rc && !p.cfg)
		rc = sl_config_parse(&empty, "sluice.yaml", "", 0);
	if (!rc)
		rc = sl_consumers_load(&cs, p.cfg ? p.cfg : empty);
	if (!rc && npos)
		rc = cli_project_resolve(&p, pos[0], &sx.url, &sx.env);
	if (!rc && npos)
		rc = cli_project_open(&c, sx.url, sx.env, NULL, false);
	sx.target = c;
	if (!rc)
		rc = sl_lint_report_new(&r, p.cfg);
	if (!rc) {
		o.config = p.cfg;
		o.dialect = c ? sl_conn_engine(c) : SL_ENGINE_NONE;
		o.table = p.table;
		o.open_scratch = cli_open_scratch;
		o.ud = &sx;
		o.consumers = cs;
		rc = lint_files(r, &p, c, &o);
	}
	if (!rc && c)
		rc = sl_lint_dynamic(r, c, p.set, &o);
	int exit_code = EXIT_OK;
	if (!rc) {
		if (json)
			print_json(r);
		else
			print_text(r);
		exit_code = r->nerrors ? EXIT_PROBLEMS : EXIT_OK;
	}
	sl_lint_report_free(r);
	sl_conn_close(c);
	sl_consumers_free(cs);
	sl_config_free(empty);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : exit_code;
}
