/*
 * cmd_impact.c - `sluice impact MIGRATION|OBJECT [ENV]`: everything a
 * migration or an object reaches - views over views, triggers, foreign
 * keys, consumers, domains - with criticality and owners.
 *
 * A MIGRATION (an id, or a file of the migrations directory) is applied to a
 * scratch database after every migration before it, as `sluice lint` does
 * (the target is only read), and the schemas before and after are followed
 * through the data map. An OBJECT is looked up in the map of the target and
 * shows what would break if it were dropped or renamed.
 * docs/commands/impact.md.
 */
#include "cli.h"
#include "mapctx.h"

#include "sluice/error.h"
#include "sluice/lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct render_ctx {
	const char *format;
	sl_buf out;
	bool done;
} render_ctx;

static int render(render_ctx *x, const sl_impact *im)
{
	x->done = true;
	if (!strcmp(x->format, "json"))
		return sl_impact_render_json(&x->out, im);
	if (!strcmp(x->format, "md"))
		return sl_impact_render_md(&x->out, im);
	return sl_impact_render_text(&x->out, im);
}

static int on_impact(void *ud, const sl_migration *m, const sl_impact *im)
{
	(void)m;
	return render(ud, im);
}

/* The migration arg names: an id, a file path or a file name of the set; NULL when none. */
static const sl_migration *find_migration(const sl_migration_set *set, const char *arg)
{
	const char *base = strrchr(arg, '/');
	base = base ? base + 1 : arg;
	for (size_t i = 0; set && i < set->n; i++) {
		const sl_migration *m = set->items[i];
		const char *mb = strrchr(m->path, '/');
		mb = mb ? mb + 1 : m->path;
		if (strcmp(m->path, arg) == 0 || strcmp(mb, base) == 0 ||
		    (strspn(arg, "0123456789") == strlen(arg) && sl_migration_id_cmp(m->id, arg) == 0))
			return m;
	}
	return NULL;
}

static int impact_of_migration(render_ctx *rx, cli_project *p, const sl_migration *m, const char *target)
{
	cli_scratch sx = { 0 };
	sl_conn *c = NULL;
	sl_consumers *cs = NULL;
	sl_config *empty = NULL;
	sl_lint_report *r = NULL;
	sl_lint_opts o = SL_LINT_OPTS_INIT;
	int rc = 0;
	if (!p->cfg)
		rc = sl_config_parse(&empty, "sluice.yaml", "", 0);
	if (!rc)
		rc = sl_consumers_load(&cs, p->cfg ? p->cfg : empty);
	if (!rc)
		rc = cli_project_resolve(p, target, &sx.url, &sx.env);
	if (!rc)
		rc = cli_project_open(&c, sx.url, sx.env, NULL, false);
	sx.target = c;
	if (!rc)
		rc = sl_lint_report_new(&r, p->cfg);
	if (rc)
		goto done;
	o.config = p->cfg;
	o.dialect = sl_conn_engine(c);
	o.table = p->table;
	o.open_scratch = cli_open_scratch;
	o.ud = &sx;
	o.consumers = cs;
	o.only = m->id;
	o.on_impact = on_impact;
	o.impact_ud = rx;
	if ((rc = sl_lint_dynamic(r, c, p->set, &o)))
		goto done;
	for (size_t i = 0; !rx->done && i < r->n; i++)
		if (strcmp(r->items[i].rule, "apply-failed") == 0)
			rc = sl_error_set(SL_ECHECK, "%s:%zu: %s", r->items[i].path, r->items[i].line,
					  r->items[i].message);
	if (!rc && !rx->done)
		rc = sl_error_set(SL_ECHECK, "migration %s could not be applied to a scratch database",
				  m->id);
done:
	sl_lint_report_free(r);
	sl_conn_close(c);
	sl_consumers_free(cs);
	sl_config_free(empty);
	return rc;
}

static int impact_of_object(render_ctx *rx, cli_mapctx *x, const char *name, const char *target)
{
	sl_impact *im = NULL;
	size_t node;
	int rc = cli_mapctx_open(x, target, false);
	if (!rc)
		rc = sl_map_lookup(x->map, name, &node);
	if (!rc)
		rc = sl_impact_of_node(&im, x->map, node);
	if (!rc)
		rc = render(rx, im);
	sl_impact_free(im);
	return rc;
}

int cmd_impact(int argc, char **argv)
{
	cli_mapctx x = { 0 };
	render_ctx rx = { .format = "text", .out = SL_BUF_INIT };
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&x.p),
				    { "format", 'f', CLI_STRING, "text|md|json",
				      "output format (default text)", &rx.format },
				    { 0 } };
	const char *pos[2];
	int npos = 0, prc = cli_parse("impact", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos < 1)
		return cli_usage_error("impact",
				       "name a migration (id or file) or an object (table, table.column, "
				       "view, ...)");
	if (strcmp(rx.format, "text") && strcmp(rx.format, "md") && strcmp(rx.format, "json"))
		return cli_usage_error("impact", "unknown format \"%s\" (expected text, md or json)",
				       rx.format);
	const char *target = npos > 1 ? pos[1] : NULL;
	cli_project p = { .config_path = x.p.config_path, .dir = x.p.dir, .table = x.p.table };
	const sl_migration *m = NULL;
	size_t len = strlen(pos[0]);
	bool file = len > 4 && strcmp(pos[0] + len - 4, ".sql") == 0,
	     id = strspn(pos[0], "0123456789") == len;
	struct stat st;
	int rc = cli_project_load(&p, false);
	/* an id or a file names a migration; without a migrations directory an id can only be an object */
	if (!rc && (file || (id && stat(p.dir_resolved, &st) == 0)))
		rc = sl_migration_dir_load(&p.set, p.dir_resolved);
	if (!rc && p.set && !(m = find_migration(p.set, pos[0])))
		rc = sl_error_set(SL_ENOTFOUND, "no migration \"%s\" in %s", pos[0], p.dir_resolved);
	if (!rc && m)
		rc = impact_of_migration(&rx, &p, m, target);
	else if (!rc)
		rc = impact_of_object(&rx, &x, pos[0], target);
	if (!rc)
		fwrite(rx.out.ptr, 1, rx.out.len, stdout);
	sl_buf_free(&rx.out);
	cli_project_free(&p);
	cli_mapctx_close(&x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
