/*
 * sys/expand_dialect.h - the SQL an engine writes for expand/contract
 * migrations (for driver authors; users see include/sluice/expand.h).
 *
 * The core (src/expand/) decides what happens in which phase and in which
 * order, as a sequence of actions on engine-neutral descriptions: add this
 * column, keep these columns in step, expose this table in that version.
 * A driver's sl_expand_dialect writes each action as statements of its
 * engine (src/db/expand_<engine>.c): trigger bodies, view schemas, lock
 * timeouts, online DDL, NOT VALID constraints. The core runs them with the
 * lock timeout and retries; nothing above src/db/ knows an engine's syntax.
 *
 * Names given here are unquoted; dialects quote them. "physical" names are
 * columns of the base table; other names are as a version shows them.
 */
#ifndef SLUICE_SYS_EXPAND_DIALECT_H
#define SLUICE_SYS_EXPAND_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/expand.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A name an expression may use, and what is behind it. */
typedef struct sl_xscope_col {
	const char *name;     /* as the expression writes it */
	const char *physical; /* the base table's column */
	const char *decl;     /* its declared type (engines that declare variables need it) */
} sl_xscope_col;

/* target := expr, kept by the triggers. */
typedef struct sl_xassign {
	const char *target;   /* physical column written */
	const char *expr;     /* over the assignment's scope (up: old shape, down: new shape) */
	const char **sources; /* physical columns the expression reads */
	size_t nsources;
	bool insert_only; /* only for inserts (drop column's down: rows the new version adds) */
} sl_xassign;

/*
 * The triggers of one base table. Writes of the old version get the up
 * assignments, writes of the new version the down ones:
 *  - an insert belongs to the new version when it comes through the
 *    version's views (PostgreSQL: the version schema is first in
 *    search_path; MySQL: the session's database is the version; SQLite:
 *    the view's INSTEAD OF trigger), to the old version otherwise;
 *  - an update applies an assignment when one of its sources changed and
 *    its target did not (so a write of either version is carried to the
 *    other side, and a row both sides changed keeps what was written);
 *  - writes of the backfill session (backfill_session) are left alone;
 *  - not_null targets refuse NULL where the engine has no NOT VALID check.
 * Trigger bodies write nothing but the row itself (or, on SQLite, the row
 * by its key, guarded so the trigger's own write fires nothing again).
 */
typedef struct sl_xsync {
	const char *base;    /* the base table's schema (PostgreSQL), database (MySQL), "main" */
	const char *table;   /* base table */
	const char *name;    /* prefix for trigger and function names, at most 40 bytes, [a-z0-9_] */
	const char *version; /* the new version */
	sl_xscope_col *old_scope, *new_scope;
	size_t nold, nnew;
	sl_xassign *up, *down;
	size_t nup, ndown;
	const char **not_null; /* physical columns the new shape requires */
	size_t nnot_null;
	const char **key; /* physical key columns */
	size_t nkey;
} sl_xsync;

/* One column of a version's view. */
typedef struct sl_xview_col {
	const char *name;         /* in the view */
	const char *physical;     /* in the base table */
	const char *default_expr; /* the base column's default (SQLite fills it for omitted columns) */
	bool identity;            /* rowid alias / auto-increment: NULL means "pick one" */
	bool generated;           /* computed by the engine: never written */
} sl_xview_col;

typedef struct sl_xview {
	const char *version; /* container */
	const char *name;    /* the table's name in that version */
	const char *base;    /* base schema / database */
	const char *table;   /* base table */
	sl_xview_col *cols;
	size_t ncols;
	const char **key; /* view columns of the key (SQLite update/delete triggers); none: insert only */
	size_t nkey;
	const char **key_physical;
	const sl_xsync
		*sync; /* the table's sync, when it has one (SQLite: the view triggers write the down side) */
} sl_xview;

typedef enum sl_xact_kind {
	SL_XA_ADD_COLUMN = 0,     /* table, column, decl, default_expr, not_null */
	SL_XA_DROP_COLUMN,        /* table, column */
	SL_XA_RENAME_COLUMN,      /* table, column -> to */
	SL_XA_RENAME_TABLE,       /* table -> to */
	SL_XA_SET_NOT_NULL,       /* table, column, decl, default_expr, name (the validated check to reuse) */
	SL_XA_ADD_NOT_NULL_CHECK, /* table, column, name: NOT VALID "column IS NOT NULL" (engines with one) */
	SL_XA_ADD_CHECK,          /* table, name, expr: added without checking existing rows */
	SL_XA_ADD_FOREIGN_KEY,    /* table, name, cols, ref_table, ref_cols, on_delete, on_update: likewise */
	SL_XA_VALIDATE,           /* table, name, what (the kind that added it), column/expr/cols as added */
	SL_XA_DROP_CONSTRAINT,    /* table, name, what */
	SL_XA_ADD_INDEX,          /* table, name, cols, unique: online / concurrently where possible */
	SL_XA_DROP_INDEX,         /* table, name */
	SL_XA_RENAME_INDEX,       /* table, name -> to; cols, unique (engines that rebuild instead) */
	SL_XA_ATTACH_UNIQUE, /* table, name (index) -> to (constraint): a unique index becomes a constraint */
	SL_XA_SYNC_CREATE,   /* sync */
	SL_XA_SYNC_DROP,     /* sync */
	SL_XA_VERSION_CREATE, /* version */
	SL_XA_VERSION_DROP,   /* version: drops it when it holds nothing but views sluice made */
	SL_XA_VIEW_CREATE,    /* view (replaces one of the same name) */
	SL_XA_VIEW_DROP,      /* view (version, name) */
	/*
	 * version, cols (view names): locks these views of version, and through
	 * them their tables, for the rest of the transaction, in the order an
	 * application's statement takes them (view, then table), so contract
	 * cannot deadlock with the new version's clients. Nothing where DDL
	 * does not run in one transaction.
	 */
	SL_XA_LOCK_VIEWS,
	SL_XA__COUNT
} sl_xact_kind;

typedef struct sl_xact {
	sl_xact_kind kind;
	const char *base; /* schema / database of the base tables */
	const char *table;
	const char *column;
	const char *to;
	const char *decl;
	const char *default_expr;
	bool not_null;
	const char *name;
	sl_xact_kind what; /* VALIDATE, DROP_CONSTRAINT: the action that added the constraint */
	const char *expr;
	const char *const *cols;
	size_t ncols;
	const char *ref_table;
	const char *const *ref_cols;
	size_t nref_cols;
	const char *on_delete, *on_update;
	bool unique;
	const char *version;
	const sl_xsync *sync;
	const sl_xview *view;
} sl_xact;

/* Flags of a rendered statement. */
enum {
	SL_XS_NO_TX = 1u << 0,        /* must run outside a transaction (CREATE INDEX CONCURRENTLY) */
	SL_XS_EXPECT_EMPTY = 1u << 1, /* a query that must return no rows (a validation) */
	SL_XS_SESSION = 1u << 2,      /* a session setting: no lock, no retry */
	SL_XS_CLEANUP = 1u << 3       /* runs even when an earlier statement of the action failed */
};

typedef struct sl_xstmt {
	char *sql;
	unsigned flags;
} sl_xstmt;

/* Statements of one action, run in order (in one transaction where the engine allows). */
typedef struct sl_xsql {
	sl_xstmt *items;
	size_t n, cap;
} sl_xsql;

/* Appends a statement (copied). */
int sl_xsql_add(sl_xsql *s, unsigned flags, const char *sql);
int sl_xsql_addf(sl_xsql *s, unsigned flags, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends buf's text as a statement and clears buf. */
int sl_xsql_add_buf(sl_xsql *s, unsigned flags, sl_buf *buf);
void sl_xsql_free(sl_xsql *s);

/* A session of the database; see sl_expand_dialect.sessions. */
typedef int (*sl_xclient_fn)(void *ud, const sl_xclient *cl);

typedef struct sl_expand_dialect {
	/* Renders action a as statements; c is for quoting and for reading the catalog. */
	int (*render)(sl_conn *c, const sl_xact *a, sl_xsql *out);
	/*
	 * Optional: rewrites the statements of one unit before they run, e.g.
	 * folds consecutive changes of one table into one statement (MySQL, so
	 * the new version's views are invalid for as short a time as can be).
	 */
	int (*coalesce)(sl_xsql *q);
	/* A statement that makes every later lock wait of this session give up after ms. */
	int (*lock_timeout)(sl_buf *out, long ms);
	/* True when e is a lock wait that gave up or a deadlock: the statement may be retried. */
	bool (*lock_failed)(const sl_error *e);
	/* Statements that mark this session as the backfill, whose writes the triggers leave alone. */
	int (*backfill_session)(sl_conn *c, sl_xsql *out);
	/*
	 * Calls fn for every other client session on c's database, with
	 * cl->version set to the one of versions[0..n) it shows it uses ("" for
	 * the base tables in base), or NULL when nothing shows. NULL hook: the
	 * engine cannot see sessions (SQLite).
	 */
	int (*sessions)(sl_conn *c, const char *base, const char *const *versions, size_t n, sl_xclient_fn fn,
			void *ud);
	/*
	 * True when sessions() is evidence enough to contract without an
	 * explicit confirmation once every session uses the new version
	 * (PostgreSQL, where applications name their version in
	 * application_name); false when a session could use the old shape
	 * without showing it (MySQL: a session may name tables of another
	 * database).
	 */
	bool sessions_conclusive;
	/*
	 * What the engine cannot run, and why (messages that name the engine):
	 * refusals[kind] for an operation kind (NULL: it can), refuse_add_not_null
	 * for "add column ... not null" without a default, refuse_replace_not_null
	 * for replacing a NOT NULL column (change type). NULL: no refusals.
	 */
	const char *const *refusals;
	const char *refuse_add_not_null;
	const char *refuse_replace_not_null;
	/*
	 * False when a UNIQUE written in a table's definition cannot be dropped
	 * without rebuilding the table (SQLite): its columns cannot be replaced
	 * or dropped.
	 */
	bool drops_inline_unique;
	/* The column type of sluice's state tables for long text ("TEXT", MySQL "LONGTEXT"). */
	const char *text_type;
	/* Most bytes in a name (63 PostgreSQL, 64 MySQL; SQLite has no limit). */
	size_t max_name;
	/*
	 * True when a version is a named container the engine resolves names in
	 * (schema, database); false when views carry the version in their name
	 * ("<version>_<table>", SQLite).
	 */
	bool version_is_container;
} sl_expand_dialect;

/* The expand dialect of c's driver, or NULL when the engine has none. */
const sl_expand_dialect *sl_expand_dialect_of(const sl_conn *c);
/* The expand dialect of engine e's driver (lint, without a connection), or NULL. */
const sl_expand_dialect *sl_expand_dialect_for(sl_engine e);

extern const sl_expand_dialect sl_expand_postgres, sl_expand_mysql, sl_expand_sqlite;

#ifdef __cplusplus
}
#endif
#endif
