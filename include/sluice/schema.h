/*
 * schema.h - the portable schema model, filled by each engine's introspection
 * and (later) written out as DDL per dialect.
 *
 * Ownership: a sl_schema owns everything reachable from it; all strings and
 * arrays live in its arena and go away with sl_schema_free(). Pointers into a
 * schema are borrowed. Arrays are (ptr, count); "cap" fields are growth room
 * used by sl_arena_push() while the model is built.
 *
 * Names are stored exactly as the engine reports them (case preserved, no
 * quotes). Expressions (defaults, checks, index predicates, view bodies) are
 * the engine's own SQL text, trimmed.
 */
#ifndef SLUICE_SCHEMA_H
#define SLUICE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Portable column types. docs/types.md gives each engine's mapping. */
typedef enum sl_tkind {
	SL_T_UNKNOWN = 0,
	SL_T_BOOL,
	SL_T_INT16,
	SL_T_INT32,
	SL_T_INT64,
	SL_T_FLOAT32,
	SL_T_FLOAT64,
	SL_T_DECIMAL, /* precision/scale when known, 0/0 for unconstrained */
	SL_T_CHAR,    /* fixed length */
	SL_T_VARCHAR, /* length limit */
	SL_T_TEXT,
	SL_T_BLOB,
	SL_T_DATE,
	SL_T_TIME,
	SL_T_TIMESTAMP,   /* without zone */
	SL_T_TIMESTAMPTZ, /* with zone (PostgreSQL timestamptz, MySQL TIMESTAMP) */
	SL_T_INTERVAL,
	SL_T_UUID,
	SL_T_JSON,
	SL_T_ENUM,  /* labels in sl_type.labels (or the named enum type) */
	SL_T_SET,   /* MySQL SET */
	SL_T_ARRAY, /* element type name in sl_type.elem */
	SL_T_BIT,
	SL_T_GEOMETRY,
	SL_T_OTHER, /* anything else: decl_type says what */
	SL_T__COUNT
} sl_tkind;

typedef struct sl_type {
	sl_tkind kind;
	int length;          /* CHAR/VARCHAR/BIT length, 0 when none */
	int precision;       /* DECIMAL precision, fractional-second precision for temporals (-1 = default) */
	int scale;           /* DECIMAL scale */
	bool is_unsigned;    /* MySQL UNSIGNED */
	const char *elem;    /* ARRAY element type, ENUM type name (PostgreSQL) */
	const char **labels; /* ENUM/SET labels */
	size_t nlabels;
} sl_type;

typedef struct sl_column {
	const char *name;
	sl_type type;
	const char *decl_type; /* the engine's declared type, e.g. "varchar(255)" */
	bool nullable;
	const char *default_expr;   /* NULL when none */
	const char *generated_expr; /* NULL unless a generated column */
	bool generated_stored;      /* STORED rather than VIRTUAL */
	bool identity;              /* identity / auto_increment / INTEGER PRIMARY KEY rowid alias */
	const char *collation;      /* NULL when the table's default */
	const char *comment;
	/* what the engine sets the column to when an UPDATE changes the row and
	 * leaves the column alone: MySQL ON UPDATE "CURRENT_TIMESTAMP" or
	 * "CURRENT_TIMESTAMP(3)"; NULL when nothing */
	const char *on_update;
} sl_column;

/* A primary key or unique constraint. */
typedef struct sl_key {
	const char *name; /* may be NULL (SQLite) */
	const char **columns;
	size_t ncolumns;
} sl_key;

typedef struct sl_index {
	const char *name;
	bool unique;
	bool primary;         /* the index behind the primary key */
	const char **columns; /* column names; an expression element is its SQL text */
	bool *is_expression;  /* parallel to columns */
	size_t ncolumns;
	const char *where;  /* partial index predicate, NULL when none */
	const char *method; /* btree, hash, gin, FULLTEXT, ...; NULL when default */
	/* the engine's own text of the index: the whole CREATE INDEX statement
	 * (PostgreSQL, SQLite; NULL for an index behind an inline key), or the
	 * table-definition clause "KEY `name` (`a`,`b`(10))" on MySQL, which keeps no statement */
	const char *definition;
} sl_index;

typedef enum sl_fk_action {
	SL_FK_NO_ACTION = 0,
	SL_FK_RESTRICT,
	SL_FK_CASCADE,
	SL_FK_SET_NULL,
	SL_FK_SET_DEFAULT
} sl_fk_action;

typedef struct sl_fkey {
	const char *name;
	const char **columns;
	size_t ncolumns;
	const char *ref_schema; /* NULL when the same schema */
	const char *ref_table;
	const char **ref_columns;
	sl_fk_action on_delete;
	sl_fk_action on_update;
	bool deferrable;
	bool validated; /* false for PostgreSQL NOT VALID */
} sl_fkey;

typedef struct sl_check {
	const char *name; /* may be NULL */
	const char *expr; /* the boolean expression, without CHECK ( ) */
} sl_check;

typedef struct sl_table {
	const char *schema; /* PostgreSQL schema, MySQL database, SQLite "main" */
	const char *name;
	sl_column *columns;
	size_t ncolumns, cap_columns;
	sl_key *primary_key; /* NULL when the table has none */
	sl_key *uniques;
	size_t nuniques, cap_uniques;
	sl_index *indexes; /* every index, including those behind keys */
	size_t nindexes, cap_indexes;
	sl_fkey *fkeys;
	size_t nfkeys, cap_fkeys;
	sl_check *checks;
	size_t nchecks, cap_checks;
	int64_t row_count; /* exact when counted, else an estimate; -1 unknown */
	bool row_count_exact;
	const char *comment;
	/* the default collation of the table's text columns (MySQL; it names
	 * the character set too: "utf8mb4_bin"); NULL where tables have none */
	const char *collation;
} sl_table;

/* A column a view reads: table (and schema) plus column; column NULL = whole table. */
typedef struct sl_view_dep {
	const char *schema;
	const char *table;
	const char *column;
} sl_view_dep;

typedef struct sl_view {
	const char *schema;
	const char *name;
	const char *definition; /* the SELECT text */
	bool materialized;
	sl_view_dep *reads;
	size_t nreads, cap_reads;
} sl_view;

typedef struct sl_trigger {
	const char *schema;
	const char *name;
	const char *table;
	const char *timing; /* "BEFORE", "AFTER", "INSTEAD OF" */
	const char *events; /* "INSERT", "UPDATE OR DELETE", ... */
	bool for_each_row;
	const char *definition; /* full CREATE TRIGGER text, or body where that is all there is */
} sl_trigger;

typedef struct sl_sequence {
	const char *schema;
	const char *name;
	int64_t start;
	int64_t increment;
	int64_t last_value;         /* 0 when never used */
	const char *owned_by_table; /* identity/serial owner, NULL when free-standing */
	const char *owned_by_column;
} sl_sequence;

typedef struct sl_enum_type {
	const char *schema;
	const char *name;
	const char **labels;
	size_t nlabels;
} sl_enum_type;

/* Tables a model does not hold because their schema was not read (PostgreSQL). */
typedef struct sl_schema_other {
	const char *schema;
	int64_t ntables;
} sl_schema_other;

typedef struct sl_schema {
	sl_engine engine;
	const char *server_version;
	const char *database;       /* database / file name */
	const char *default_schema; /* PostgreSQL: current_schema() of the connection; NULL elsewhere */
	size_t nschemas;            /* schemas read (1 unless several PostgreSQL schemas were asked for) */
	sl_schema_other *others;    /* PostgreSQL: schemas not read that hold tables, by name */
	size_t nothers, cap_others;
	sl_table *tables;
	size_t ntables, cap_tables;
	sl_view *views;
	size_t nviews, cap_views;
	sl_trigger *triggers;
	size_t ntriggers, cap_triggers;
	sl_sequence *sequences;
	size_t nsequences, cap_sequences;
	sl_enum_type *enums;
	size_t nenums, cap_enums;
	sl_arena *arena;
} sl_schema;

/* A new empty model with its arena. */
int sl_schema_new(sl_schema **out, sl_engine engine);
void sl_schema_free(sl_schema *s);

/* Builders: append a zeroed element in the model's arena (NULL on ENOMEM). */
sl_table *sl_schema_add_table(sl_schema *s, const char *schema, const char *name);
sl_column *sl_table_add_column(sl_schema *s, sl_table *t, const char *name);
sl_index *sl_table_add_index(sl_schema *s, sl_table *t, const char *name);
sl_key *sl_table_add_unique(sl_schema *s, sl_table *t, const char *name);
sl_fkey *sl_table_add_fkey(sl_schema *s, sl_table *t, const char *name);
sl_check *sl_table_add_check(sl_schema *s, sl_table *t, const char *name, const char *expr);
sl_view *sl_schema_add_view(sl_schema *s, const char *schema, const char *name);
int sl_view_add_read(sl_schema *s, sl_view *v, const char *schema, const char *table, const char *column);
sl_trigger *sl_schema_add_trigger(sl_schema *s, const char *schema, const char *name);
sl_sequence *sl_schema_add_sequence(sl_schema *s, const char *schema, const char *name);
sl_enum_type *sl_schema_add_enum(sl_schema *s, const char *schema, const char *name);
/* Appends a copy of name to a (strings, n) list kept in the arena. */
int sl_schema_strlist_add(sl_schema *s, const char ***list, size_t *n, const char *name);
/* Duplicates into the model's arena (NULL in gives NULL out). */
const char *sl_schema_strdup(sl_schema *s, const char *str);

/* Sorts tables, views, triggers, sequences, enums, and each table's indexes,
 * uniques, fkeys and checks by name, so output and comparisons are stable. */
void sl_schema_sort(sl_schema *s);

/* Lookups by exact name (schema NULL matches any). Borrowed, NULL when absent. */
sl_table *sl_schema_find_table(const sl_schema *s, const char *schema, const char *name);
/*
 * The same, then ignoring case when no name matches exactly (a name typed
 * by a user, or read from an engine that folds case, against another
 * engine's model); a table without a schema matches any schema then.
 */
const sl_table *sl_schema_find_table_ci(const sl_schema *s, const char *schema, const char *name);
/* The table foreign key fk of t references (in t's schema unless fk names another), or NULL. */
sl_table *sl_schema_find_ref(const sl_schema *s, const sl_table *t, const sl_fkey *fk);

/*
 * The name a table goes by where the tables of several PostgreSQL schemas
 * share one namespace - copy's target, diff's pairing of tables, check's
 * rules (docs/schemas.md): its own name when the model holds one schema or
 * the table is in the default schema, else "<schema>__<name>". Appends to out.
 */
int sl_table_flat_name(sl_buf *out, const sl_schema *s, const sl_table *t);
/* The table whose flat name is name (exact, then ignoring case), or NULL. Borrowed. */
const sl_table *sl_schema_find_flat(const sl_schema *s, const char *name);
/* Tables the model leaves behind in schemas not read (the sum of s->others). */
int64_t sl_schema_others_count(const sl_schema *s);
sl_column *sl_table_find_column(const sl_table *t, const char *name);
/* By exact name, then ignoring case. Borrowed, NULL when absent. */
const sl_column *sl_table_find_column_ci(const sl_table *t, const char *name);

/*
 * The family a kind belongs to, for comparing models across engines: all
 * integer widths are SL_T_INT64, FLOAT32 is FLOAT64, CHAR/VARCHAR are TEXT,
 * TIMESTAMPTZ stays itself; every other kind is its own family.
 */
sl_tkind sl_tkind_family(sl_tkind k);
/* "int64", "decimal", ... as used in docs and JSON. */
const char *sl_tkind_name(sl_tkind k);
/* Whether k is one of the integer kinds (16, 32 or 64 bits). */
bool sl_tkind_is_int(sl_tkind k);
/* Portable type as text: "decimal(12,2)", "varchar(255)", "enum('a','b')". */
int sl_type_format(sl_buf *out, const sl_type *t);
const char *sl_fk_action_name(sl_fk_action a);

#ifdef __cplusplus
}
#endif
#endif
