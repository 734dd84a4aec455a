/*
 * shadow.h - shadow reads: run the same workflow query (a report, a job)
 * on two databases and compare the results through the canonical encoding
 * (canon.h), as ordered lists of rows or as multisets (docs/commands/shadow.md).
 *
 * A query may be written once or once per engine where dialects differ. The
 * columns of the two results are compared by position; each column's kind
 * is merged from what the two sides return (a DECIMAL beside a DOUBLE
 * compares as a number, text beside a timestamp as a timestamp), so the same
 * logical result compares equal across engines.
 */
#ifndef SLUICE_SHADOW_H
#define SLUICE_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_shadow_query {
	const char *name;
	const char *sql;        /* for every engine, unless sql_for has one */
	const char *sql_for[4]; /* by sl_engine (SL_ENGINE_SQLITE...): engine-specific text */
	bool ordered;           /* compare row by row in order (the query orders its rows) */
} sl_shadow_query;

/*
 * The queries of cfg's `shadow:` section (only the one called only, when
 * not NULL). *out is malloc'd (free() it); its strings live in cfg.
 * SL_ENOTFOUND when sluice.yaml has no `shadow:` section; SL_EINVALID
 * "file:line:col: ..." for a malformed one or an unknown only.
 */
int sl_shadow_queries_load(sl_shadow_query **out, size_t *n, sl_config *cfg, const char *only);

typedef struct sl_shadow_opts {
	size_t max_rows;     /* refuse results larger than this (default 1,000,000) */
	size_t max_examples; /* differences kept as examples (default 10) */
} sl_shadow_opts;

#define SL_SHADOW_OPTS_INIT                                                                                  \
	{                                                                                                    \
		.max_rows = 1000000, .max_examples = 10                                                      \
	}

typedef struct sl_shadow_example {
	char kind;        /* 'm' only in the source, 'x' only in the target, 'c' changed (ordered) */
	int64_t row;      /* 1-based row number (ordered), 0 for multisets */
	char *source_row; /* "v1 | v2 | ..." or NULL */
	char *target_row;
} sl_shadow_example;

typedef struct sl_shadow_result {
	char *name;
	bool ordered;
	int64_t source_rows, target_rows;
	int64_t differences; /* rows only in one side, plus changed rows (ordered) */
	sl_shadow_example *examples;
	size_t nexamples;
	double seconds_source, seconds_target;
	char *error; /* the query failed: why (then the counts are 0) */
} sl_shadow_result;

/*
 * The queries of sluice.yaml `shadow:` (only: just the one of that name).
 * *out is malloc'd (free() it); its strings live in cfg. SL_EINVALID with
 * file:line:col for a malformed section or a missing query.
 */
int sl_shadow_queries_load(sl_shadow_query **out, size_t *n, sl_config *cfg, const char *only);

/*
 * Runs q on src and dst and compares. A query that fails on either side is
 * not an error of this function: out->error says why (a database that cannot
 * be reached is). 0 or a negative SL_E* code.
 */
int sl_shadow_run(sl_shadow_result *out, sl_conn *src, sl_conn *dst, const sl_shadow_query *q,
		  const sl_shadow_opts *opts);
void sl_shadow_result_clear(sl_shadow_result *r);

/* The results as one JSON document (for --json). Appends to out. */
int sl_shadow_json(sl_buf *out, const sl_shadow_result *r, size_t n);
/* One result's examples as a JSON array (for the state store). Appends to out. */
int sl_shadow_examples_json(sl_buf *out, const sl_shadow_result *r);

#ifdef __cplusplus
}
#endif
#endif
