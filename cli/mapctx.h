/*
 * mapctx.h - what `sluice map` and `sluice impact` share: the project, a
 * connection to the mapped database, its schema, its migrations' status,
 * the consumers and domains of sluice.yaml resolved against that schema,
 * and the data map built from all of them.
 */
#ifndef SLUICE_CLI_MAPCTX_H
#define SLUICE_CLI_MAPCTX_H

#include "project.h"

#include "sluice/consumers.h"
#include "sluice/map.h"

typedef struct cli_mapctx {
	cli_project p;
	sl_conn *conn;
	const char *url;          /* borrowed from the project: may hold a password, never printed */
	const sl_config_env *env; /* NULL for a plain URL */
	sl_schema *schema;
	sl_history *history;
	sl_migrate_status *status;
	sl_consumers *consumers;
	sl_map *map;
	sl_config *empty; /* an empty config when there is no sluice.yaml */
} cli_mapctx;

/* Loads everything for target (URL, environment or NULL for the default). */
int cli_mapctx_open(cli_mapctx *x, const char *target, bool exact_counts);
void cli_mapctx_close(cli_mapctx *x);

#endif
