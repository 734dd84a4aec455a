/*
 * lint_int.h - what lint_dynamic.c and lint_impact.c share (internal).
 */
#ifndef SLUICE_MIGRATE_LINT_INT_H
#define SLUICE_MIGRATE_LINT_INT_H

#include "sluice/lint.h"
#include "sluice/map.h"

/* The consumer rules' state across one dynamic lint run. */
typedef struct sl_lint_impact {
	sl_consumers *cs;            /* borrowed from the options */
	sl_map *map;                 /* built on the schema the current migration meets */
	bool *failed_before;         /* per query (consumers in order): it did not derive before the up */
	sl_lint_impact_fn on_impact; /* from the options */
	void *impact_ud;
} sl_lint_impact;

/* What the check after an up needs. */
typedef struct sl_lint_after {
	sl_lint_report *r;
	const sl_migration *m;
	sl_conn *scratch;
	const sl_schema *before, *after;
	/* the line of the first up statement naming word (then table) */
	size_t (*locate)(void *ud, const char *word, const char *table);
	void *locate_ud;
} sl_lint_after;

/* Before an up: derives the queries on scratch and builds the map of before. */
int sl_lint_impact_before(sl_lint_impact *x, sl_conn *scratch, const sl_schema *before);
/* After it: the impact of the changes, findings for undeclared consumers, on_impact. */
int sl_lint_impact_after(sl_lint_impact *x, const sl_lint_after *in);
void sl_lint_impact_free(sl_lint_impact *x);

/* The dialect lint_pg.c's rules read (they parse with libpg_query). */
extern const sl_engine lint_pg_dialect;

#endif
