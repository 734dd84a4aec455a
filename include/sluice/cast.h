/*
 * cast.h - the cast table: for every column of a source model, the type it
 * gets on a target engine, the exact type text of that dialect, the name it
 * gets there (identifiers are fitted to the target's length limit), its
 * translated default, and notes on everything that is not a faithful copy.
 *
 * docs/casts.md is the table this code implements; change both together.
 *
 * Severities: INFO says what happens; LOSSY says values or behaviour change
 * (rounded, shifted to UTC, rejected at load when they hold something the
 * target cannot store); ERROR says the plan cannot be carried out as it is
 * (two names collide on the target, a key is too long): sl_cast_plan_new()
 * still succeeds, the caller decides (sl_cast_plan_count(p, SL_CAST_ERROR)).
 *
 * Ownership: a plan owns everything reachable from it and borrows the source
 * model, which must outlive it. Pointers returned by accessors are borrowed
 * and valid until sl_cast_plan_free().
 */
#ifndef SLUICE_CAST_H
#define SLUICE_CAST_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/buf.h"
#include "sluice/schema.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_cast_severity { SL_CAST_INFO = 0, SL_CAST_LOSSY, SL_CAST_ERROR } sl_cast_severity;

typedef struct sl_cast_note {
	sl_cast_severity severity;
	const char *message; /* lowercase, no trailing period */
} sl_cast_note;

typedef struct sl_cast_column {
	const sl_column *src;    /* borrowed from the source model */
	const char *name;        /* name on the target (fitted to its limit) */
	sl_type type;            /* portable type of the target column */
	const char *type_sql;    /* exact type text, e.g. "NUMERIC(20,0)", "\"invoices_status\"" */
	const char *collation;   /* COLLATE to add on the target, NULL for the default */
	const char *default_sql; /* translated default, NULL when none or dropped */
	const char *enum_type;   /* PostgreSQL target: enum type to create for this column (fitted name), else
				    NULL */
	const char *check_sql; /* extra CHECK the cast needs (enum on SQLite, set labels on PostgreSQL), else
				  NULL */
	bool identity;  /* target auto-generates it (IDENTITY / AUTO_INCREMENT / INTEGER PRIMARY KEY) */
	bool generated; /* generated on the target too: the loader must not write it */
	/* the source's ON UPDATE (sl_column.on_update): on MySQL the clause's
	 * expression; elsewhere the table's on_update_trigger sets the column */
	const char *on_update_sql;
	const char
		*rule; /* the user rule that decided the type ("tinyint(1)", "t.c"), NULL for the default */
	sl_cast_note *notes;
	size_t nnotes;
} sl_cast_column;

typedef struct sl_cast_table {
	const sl_table *src;     /* borrowed from the source model */
	const char *name;        /* name on the target (fitted to its limit) */
	sl_cast_column *columns; /* parallel to src->columns */
	size_t ncolumns;
	sl_cast_note *notes; /* table-level: name collisions, key lengths */
	size_t nnotes;
	const char *collation; /* MySQL target: the table's default collation, NULL for the server's */
	/* PostgreSQL/SQLite target: the trigger (and PostgreSQL function) that
	 * does what MySQL's ON UPDATE did for the columns with on_update_sql; NULL when none */
	const char *on_update_trigger;
} sl_cast_table;

typedef struct sl_cast_plan sl_cast_plan;
typedef struct sl_cast_rules sl_cast_rules;

/* User cast rules, added before planning (the config module fills them). */
int sl_cast_rules_new(sl_cast_rules **out);
void sl_cast_rules_free(sl_cast_rules *r);
/*
 * A rule by source type. from is either a declared type ("tinyint(1)",
 * "bigint unsigned": matched case-insensitively against the column's decl
 * type, spaces ignored), a declared type name without arguments ("tinyint"
 * matches "tinyint(4)"), or a portable kind ("int64", "json", optionally
 * followed by " unsigned"). Exact declared types win over bare names, which
 * win over kinds; among equals the rule added last wins. to is the target
 * type text, used verbatim.
 */
int sl_cast_rules_add_type(sl_cast_rules *r, const char *from, const char *to);
/* A rule for one column, "table.column" (exact source names); wins over type rules. */
int sl_cast_rules_add_column(sl_cast_rules *r, const char *table_column, const char *to);

/*
 * Plans every table and column of src for target. rules may be NULL.
 * Fails only on bad arguments or memory; problems of the schema are notes.
 */
int sl_cast_plan_new(sl_cast_plan **out, const sl_schema *src, sl_engine target, const sl_cast_rules *rules);
void sl_cast_plan_free(sl_cast_plan *p);

sl_engine sl_cast_plan_source(const sl_cast_plan *p);
sl_engine sl_cast_plan_target(const sl_cast_plan *p);
size_t sl_cast_plan_ntables(const sl_cast_plan *p);
/* Tables in the order of the source model. */
const sl_cast_table *sl_cast_plan_table(const sl_cast_plan *p, size_t i);
/* By source name (schema NULL matches any); NULL when absent. */
const sl_cast_table *sl_cast_plan_find_table(const sl_cast_plan *p, const char *schema, const char *name);
/* The planned table foreign key fk of source table t references (t's schema unless fk names one), or NULL. */
const sl_cast_table *sl_cast_plan_find_ref(const sl_cast_plan *p, const sl_table *t, const sl_fkey *fk);
const sl_cast_column *sl_cast_table_find_column(const sl_cast_table *t, const char *src_name);
/* Notes about the whole plan (engine-wide limits such as NUL bytes in PostgreSQL text). */
size_t sl_cast_plan_nnotes(const sl_cast_plan *p);
const sl_cast_note *sl_cast_plan_note(const sl_cast_plan *p, size_t i);
/* Counts over every note of the plan. */
size_t sl_cast_plan_count(const sl_cast_plan *p, sl_cast_severity sev);

/*
 * Fits an identifier to target's length limit (PostgreSQL 63 bytes, MySQL 64
 * characters, SQLite none): a longer name keeps its head, cut on a character
 * boundary, and ends in "_" and 8 hex digits of a hash of the whole name, so
 * the result is deterministic and distinct names rarely meet. Appends to out.
 */
int sl_cast_fit_name(sl_buf *out, const char *name, sl_engine target);

/* "info", "lossy", "error". */
const char *sl_cast_severity_name(sl_cast_severity s);

/*
 * The plan as text for `sluice copy --plan`: one line per column,
 * "table.column: <source type> -> <target type>", each note on its own
 * indented line "  lossy: ...". Appends to out.
 */
int sl_cast_plan_text(sl_buf *out, const sl_cast_plan *p);
/* The plan as a JSON document (docs/casts.md gives its shape). Appends to out. */
int sl_cast_plan_json(sl_buf *out, const sl_cast_plan *p);

#ifdef __cplusplus
}
#endif
#endif
