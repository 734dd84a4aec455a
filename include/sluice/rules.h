/*
 * rules.h - integrity rules from sluice.yaml's `rules` section, run as SQL
 * generated per engine, each judged pass / warn / halt by its severity and
 * threshold. The foundation of `sluice check`; docs/rules.md describes every
 * rule type, its SQL and what a violation counts.
 *
 * Life of a rule set: sl_rules_load() parses and checks the YAML (unknown
 * type or key, bad threshold: errors with file:line:col and the rule's
 * name); sl_rule_validate() checks tables and columns against a database;
 * sl_rule_run() (or sl_rule_reconcile() for reconcile rules) counts
 * violations; sl_rule_judge() turns counts into a status. Every generated
 * query only reads; sl_rules_read_only() makes the session refuse writes
 * for user-written `sql` rules too.
 */
#ifndef SLUICE_RULES_H
#define SLUICE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_rule_type {
	SL_RULE_NOT_NULL = 1,
	SL_RULE_UNIQUE,
	SL_RULE_RELATIONSHIP,
	SL_RULE_ACCEPTED_VALUES,
	SL_RULE_RANGE,
	SL_RULE_ROW_COUNT,
	SL_RULE_FRESHNESS,
	SL_RULE_SQL,
	SL_RULE_RECONCILE
} sl_rule_type;

typedef enum sl_rule_severity { SL_SEVERITY_HALT = 0, SL_SEVERITY_WARN } sl_rule_severity;

typedef enum sl_rule_status {
	SL_RULE_PASS = 0,
	SL_RULE_WARN,
	SL_RULE_HALT,
	SL_RULE_ERROR /* the rule could not run (database error) */
} sl_rule_status;

/* A reconcile measure: count(*) is { "count", NULL }. */
typedef struct sl_rule_measure {
	const char *fn;     /* count | sum | min | max | avg */
	const char *column; /* NULL for count(*) */
	const char *text;   /* as written, e.g. "sum(total)" */
	const char *where;  /* "file:line:col" */
} sl_rule_measure;

/*
 * One rule. Strings live in the set's arena. where_* are "file:line:col"
 * positions for messages (never NULL: the rule's own position at worst).
 */
typedef struct sl_rule {
	const char *name;
	const char *domain; /* the mapping key it sits under; NULL for a plain list */
	sl_rule_type type;
	sl_rule_severity severity;  /* default halt */
	const char *threshold_text; /* as written; "0" by default */
	double threshold;           /* a count, or a fraction (0.001 for "0.1%") */
	bool threshold_ratio;
	const char *table;    /* NULL for sql rules */
	const char **columns; /* not_null, unique, relationship; `column` gives one */
	const char **where_columns;
	size_t ncolumns;
	bool case_insensitive; /* unique, accepted_values */
	const char *ref_table; /* relationship */
	const char **ref_columns;
	const char **where_ref_columns;
	size_t nref_columns;
	const char **values; /* accepted_values */
	size_t nvalues;
	const char *min, *max;       /* range, row_count: literal text, NULL when absent */
	int64_t max_age_s;           /* freshness */
	const char *sql;             /* sql: returns the violating rows */
	const char *filter;          /* `where`: an SQL condition limiting the rows checked */
	const char *source, *target; /* reconcile: environment names or URLs */
	const char **group_by;
	const char **where_group_by;
	size_t ngroup_by;
	sl_rule_measure *measures;
	size_t nmeasures;
	double tolerance; /* reconcile: numeric measures equal within it */
	const char *where, *where_table, *where_ref_table;
} sl_rule;

typedef struct sl_rules {
	sl_rule *rules;
	size_t n;
	sl_arena *arena;
} sl_rules;

/* The name used in YAML ("not_null"), and back (0 when unknown). */
const char *sl_rule_type_name(sl_rule_type t);
sl_rule_type sl_rule_type_from_name(const char *name);
const char *sl_rule_status_name(sl_rule_status s);

/*
 * Parses cfg's `rules` section (absent: an empty set). Errors are
 * SL_EINVALID "file:line:col: rule "NAME": ...".
 */
int sl_rules_load(sl_rules **out, sl_config *cfg);
/* The same from YAML text (for tests and fuzzing); path names it in messages. */
int sl_rules_parse(sl_rules **out, sl_config **cfg_out, const char *path, const char *yaml, size_t len);
void sl_rules_free(sl_rules *r);
/* Borrowed: the rule called name, or NULL. */
const sl_rule *sl_rules_find(const sl_rules *r, const char *name);

/*
 * Checks that r's tables and columns exist in schema (introspected from the
 * database r will run on). SL_EINVALID naming the position and the rule:
 *   sluice.yaml:14:9: rule "known currencies": column "currncy" does not exist in table "invoices"
 * Reconcile rules are validated against each side separately.
 */
int sl_rule_validate(const sl_rule *r, const sl_schema *schema);

/* Outcome of one rule on one database (or one source/target pair). */
typedef struct sl_rule_result {
	int64_t violations;
	int64_t rows_checked; /* -1 when unknown (sql rules) */
	char **examples;      /* up to SL_RULE_EXAMPLES, human-readable */
	size_t nexamples;
	char *summary;     /* one line, e.g. "3 of 120 rows have NULL" or NULL */
	int64_t rows_read; /* rows fetched by sluice (examples, sql rule rows, groups) */
} sl_rule_result;

#define SL_RULE_EXAMPLES 5

void sl_rule_result_free(sl_rule_result *res);

/* Makes c's session read-only (PostgreSQL, MySQL) or query-only (SQLite). */
int sl_rules_read_only(sl_conn *c);

/*
 * Runs a non-reconcile rule on c. schema is c's model (for column types and
 * primary keys). The run is read-only. *out is the caller's to free.
 */
int sl_rule_run(sl_rule_result **out, const sl_rule *r, sl_conn *c, const sl_schema *schema);

/* Runs a reconcile rule: the same aggregates on src and dst, groups compared. */
int sl_rule_reconcile(sl_rule_result **out, const sl_rule *r, sl_conn *src, const sl_schema *src_schema,
		      sl_conn *dst, const sl_schema *dst_schema);

/* Pass when violations are within the threshold, else the rule's severity. */
sl_rule_status sl_rule_judge(const sl_rule *r, int64_t violations, int64_t rows_checked);

/*
 * The finding's table in schema: by exact name, then case-insensitively; with
 * several PostgreSQL schemas read, by the name it goes by (sl_table_flat_name).
 * Borrowed; NULL when absent.
 */
const sl_table *sl_rules_find_table(const sl_schema *schema, const char *name);
const sl_column *sl_rules_find_column(const sl_table *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
