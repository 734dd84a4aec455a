/*
 * ddl.h - writes a portable schema model out as DDL for one dialect, in the
 * phases a copy runs them: tables first (no secondary indexes, no foreign
 * keys, no checks, so rows load fast and in any order), then indexes,
 * constraints, foreign keys, sequence resets, views and triggers.
 *
 * Types, target names and defaults come from a cast plan (cast.h) made for
 * the same model and target; the generator never decides a type itself.
 * What cannot be carried to the target (a cross-dialect view, an expression
 * index MySQL cannot hold, a default that is engine SQL) becomes a
 * "not translated" item with the original text, never a statement.
 *
 * Dialect notes (docs/casts.md, "DDL"): SQLite cannot add foreign keys or
 * checks to an existing table, so for SQLite both go inline in CREATE TABLE
 * (foreign keys are only enforced when the loader turns foreign_keys on);
 * PostgreSQL foreign keys are added NOT VALID and validated separately.
 *
 * Ownership: a sl_ddl owns all its strings; accessors return borrowed
 * pointers valid until sl_ddl_free().
 */
#ifndef SLUICE_DDL_H
#define SLUICE_DDL_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/flavour.h"
#include "sluice/schema.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_ddl_phase {
	SL_DDL_TABLES = 0,   /* enum types, CREATE TABLE with primary keys */
	SL_DDL_INDEXES,      /* unique constraints, secondary indexes */
	SL_DDL_CONSTRAINTS,  /* CHECK constraints (PostgreSQL, MySQL) */
	SL_DDL_FOREIGN_KEYS, /* ADD FOREIGN KEY (PostgreSQL: NOT VALID, then VALIDATE) */
	SL_DDL_SEQUENCES,    /* identity / auto_increment past the loaded maximum */
	SL_DDL_VIEWS,
	SL_DDL_TRIGGERS,
	SL_DDL__NPHASES
} sl_ddl_phase;

typedef struct sl_ddl_stmt {
	const char *sql;       /* one statement, no trailing semicolon */
	const char *table;     /* target name of the table it belongs to, NULL for types and views */
	const char *ref_table; /* foreign keys: target name of the referenced table, else NULL */
	bool parallel;         /* may run on several connections at once with the parallel statements
				  next to it, once the statements before them are done (VALIDATE) */
	bool flavour;          /* a call of the target flavour (Citus' create_distributed_table): --plan's
				  check on a server of the base engine skips it */
} sl_ddl_stmt;

/* Something the generator did not carry over, with the reason and the source text. */
typedef struct sl_ddl_item {
	sl_ddl_phase phase;
	const char *kind;  /* "view", "trigger", "index", "check", "foreign key", "sequence" */
	const char *table; /* source table, NULL for views */
	const char *name;  /* source name */
	const char *reason;
	const char *original; /* the source definition, NULL when the model has none */
} sl_ddl_item;

typedef struct sl_ddl_opts {
	const char *target_schema; /* PostgreSQL: qualify every name with it; NULL for the search_path */
	bool if_not_exists;        /* CREATE TABLE / INDEX IF NOT EXISTS */
	/*
	 * PostgreSQL target: a primary key the source enforces over integer
	 * columns (sl_ddl_key_after_load) is added by the first statement of
	 * its table in INDEXES (ALTER TABLE ... ADD PRIMARY KEY), after the
	 * rows, instead of in CREATE TABLE. For a copy: one index build by
	 * sort instead of a B-tree insert per row.
	 */
	bool keys_after_load;
	/*
	 * The target's flavour (flavour.h), NULL: the base engine. With one that
	 * shards, shard_tables[i] (a table's target or source name) goes on column
	 * shard_columns[i], or on every node when that is "reference"; a table not
	 * listed goes on the first column of its primary key, on every node
	 * without one.
	 */
	const sl_flavour *flavour;
	const char *const *shard_tables;
	const char *const *shard_columns;
	size_t nshard;
} sl_ddl_opts;

#define SL_DDL_OPTS_INIT                                                                                     \
	{                                                                                                    \
		.target_schema = NULL, .if_not_exists = false, .keys_after_load = false, .flavour = NULL,    \
		.shard_tables = NULL, .shard_columns = NULL, .nshard = 0                                     \
	}

typedef struct sl_ddl sl_ddl;

/*
 * Generates every phase for src on target. plan must come from
 * sl_cast_plan_new(src, target, ...). opts may be NULL. A plan with ERROR notes
 * still generates (the statements may then fail); the caller checks first.
 */
int sl_ddl_generate(sl_ddl **out, const sl_schema *src, const sl_cast_plan *plan, sl_engine target,
		    const sl_ddl_opts *opts);
void sl_ddl_free(sl_ddl *d);

/* Whether ct's primary key can be built after the rows (sl_ddl_opts.keys_after_load). */
bool sl_ddl_key_after_load(const sl_cast_plan *plan, const sl_cast_table *ct);

size_t sl_ddl_count(const sl_ddl *d, sl_ddl_phase phase);
const sl_ddl_stmt *sl_ddl_statement(const sl_ddl *d, sl_ddl_phase phase, size_t i);
size_t sl_ddl_nitems(const sl_ddl *d);
const sl_ddl_item *sl_ddl_item_at(const sl_ddl *d, size_t i);

/*
 * What the target flavour changed, as text (NULL without a flavour): its
 * notes, where each table went (sharded on which column, or on every node),
 * and for a flavour described beside the DDL (Vitess) that description.
 */
const char *sl_ddl_flavour_text(const sl_ddl *d);

/* "tables", "indexes", "constraints", "foreign_keys", "sequences", "views", "triggers". */
const char *sl_ddl_phase_name(sl_ddl_phase phase);

/*
 * The whole result as one script: each phase under a comment header, each
 * statement ending in ";\n", then the not-translated items as comments.
 */
int sl_ddl_render(sl_buf *out, const sl_ddl *d);

/*
 * Appends the CREATE TABLE statement (no semicolon) of one table of the plan
 * (t must be a table of the plan's source model). PostgreSQL enum types the
 * table needs are not included; use sl_ddl_generate for those.
 */
int sl_ddl_create_table(sl_buf *out, const sl_table *t, const sl_cast_plan *plan, sl_engine target);

/*
 * The same for a cast table given directly (ct need not be one of the plan's
 * own: a copy with some defaults or columns removed, to find which part of a
 * statement a target refuses). With if_not_exists, CREATE TABLE IF NOT EXISTS.
 */
int sl_ddl_create_cast_table(sl_buf *out, const sl_cast_table *ct, const sl_cast_plan *plan, sl_engine target,
			     bool if_not_exists);

/* Appends ident quoted for target: "a""b" (PostgreSQL, SQLite), `a``b` (MySQL). */
int sl_ddl_quote_ident(sl_buf *out, sl_engine target, const char *ident);
/* Appends s as a string literal for target ('' doubled; MySQL also doubles backslashes). */
int sl_ddl_quote_string(sl_buf *out, sl_engine target, const char *s);

#ifdef __cplusplus
}
#endif
#endif
