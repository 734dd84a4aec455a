/*
 * mapctx.c - loading the data map for `sluice map` and `sluice impact`
 * (see mapctx.h). The migrations directory is optional here: without it the
 * map has no provenance and every object no consumer uses is unowned.
 */
#include "mapctx.h"

#include "sluice/error.h"

#include <string.h>
#include <sys/stat.h>

int cli_mapctx_open(cli_mapctx *x, const char *target, bool exact_counts)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	struct stat st;
	int rc = cli_project_load(&x->p, false);
	if (!rc && stat(x->p.dir_resolved, &st) == 0)
		rc = sl_migration_dir_load(&x->p.set, x->p.dir_resolved);
	if (!rc && !x->p.cfg)
		rc = sl_config_parse(&x->empty, "sluice.yaml", "", 0);
	if (!rc)
		rc = sl_consumers_load(&x->consumers, x->p.cfg ? x->p.cfg : x->empty);
	if (!rc)
		rc = cli_project_resolve(&x->p, target, &x->url, &x->env);
	if (!rc)
		rc = cli_project_open(&x->conn, x->url, x->env, NULL, false);
	io.exact_counts = exact_counts;
	if (!rc)
		rc = sl_conn_introspect(&x->schema, x->conn, &io);
	if (!rc)
		rc = sl_history_load(&x->history, x->conn, x->p.table);
	if (!rc && x->p.set)
		rc = sl_migrate_status_build(&x->status, x->p.set, x->history, sl_conn_engine(x->conn));
	if (!rc)
		rc = sl_consumers_resolve(x->consumers, x->conn, x->schema);
	if (!rc) {
		sl_map_input in = { .schema = x->schema,
				    .consumers = x->consumers,
				    .migrations = x->status,
				    .dialect = sl_conn_engine(x->conn),
				    .title = x->p.cfg && x->p.cfg->project ? x->p.cfg->project : NULL };
		rc = sl_map_build(&x->map, &in);
	}
	return rc;
}

void cli_mapctx_close(cli_mapctx *x)
{
	sl_map_free(x->map);
	sl_consumers_free(x->consumers);
	sl_migrate_status_free(x->status);
	sl_history_free(x->history);
	sl_schema_free(x->schema);
	sl_conn_close(x->conn);
	sl_config_free(x->empty);
	cli_project_free(&x->p);
	memset(x, 0, sizeof(*x));
}
