/*
 * migrate.h - applying migrations and keeping their history in the database.
 *
 * The history table (default "sluice_migrations", docs/migration-format.md)
 * lives in the migrated database and records, per migration: its checksum,
 * the decision-log metadata (title, ticket, pr, author, why, rollback note,
 * domain), who applied it, when and for how long, its status, and the SQL that
 * ran. Status is one of:
 *   applied   ran and committed
 *   baseline  adopted by `baseline` without running
 *   running   started on an engine without transactional DDL and never
 *             finished (the process died): treated as dirty
 *   dirty     failed part-way on an engine without transactional DDL; the
 *             failed statement and the error are recorded; `up` refuses until
 *             `repair`
 *   expanding an expand/contract migration whose expand phase has not
 *             finished (a killed backfill): `up` resumes it, `down` undoes it
 *   expanded  an expand/contract migration whose old and new versions are
 *             both live: `contract` completes it, `down` undoes it
 *
 * Safety: every run that changes anything first takes a lock that cannot go
 * stale (a session advisory lock on PostgreSQL and MySQL, the write lock of
 * the database file on SQLite). Where DDL is transactional, a migration and
 * its history row commit together or not at all.
 */
#ifndef SLUICE_MIGRATE_H
#define SLUICE_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/conn.h"
#include "sluice/expand.h"
#include "sluice/migration.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_history_row {
	const char *id;
	const char *checksum;
	const char *title, *ticket, *pr, *author, *why, *rollback, *domain;
	const char *applied_at; /* ISO 8601 UTC */
	const char *applied_by;
	int64_t duration_ms;
	const char *status; /* "applied", "baseline", "running", "dirty" */
	const char *failed_statement;
	const char *error;
	const char *up_sql, *down_sql, *verify_sql;
} sl_history_row;

typedef struct sl_history {
	sl_history_row *rows; /* ordered by id */
	size_t n, cap;
	sl_arena *arena;
} sl_history;

/* Creates the history table when missing. */
int sl_history_ensure(sl_conn *c, const char *table);
/* Whether c's database has the history table (*out); the table is only read. */
int sl_history_exists(sl_conn *c, const char *table, bool *out);
/* Creates the history table in dst and writes every row of h into it (a scratch copy's history). */
int sl_history_replicate(sl_conn *dst, const char *table, const sl_history *h);
/* Reads the history; an absent table gives an empty history. */
int sl_history_load(sl_history **out, sl_conn *c, const char *table);
void sl_history_free(sl_history *h);
const sl_history_row *sl_history_find(const sl_history *h, const char *id);

typedef enum sl_mig_state {
	SL_MIG_PENDING = 0,
	SL_MIG_APPLIED,
	SL_MIG_BASELINE,
	SL_MIG_DIRTY,        /* dirty or running */
	SL_MIG_DRIFTED,      /* applied, but the file's checksum changed since */
	SL_MIG_MISSING_FILE, /* recorded, but no file has its id */
	SL_MIG_EXPAND /* expand/contract migration in expand: both versions live (or the expand unfinished) */
} sl_mig_state;

const char *sl_mig_state_name(sl_mig_state s);

typedef struct sl_mig_status {
	const char *id;
	const sl_migration *file;  /* NULL for SL_MIG_MISSING_FILE */
	const sl_history_row *row; /* NULL for SL_MIG_PENDING */
	sl_mig_state state;
	char checksum[SL_CHECKSUM_SIZE]; /* the file's checksum for this dialect, "" without file */
} sl_mig_status;

typedef struct sl_migrate_status {
	sl_mig_status *items; /* ordered by id */
	size_t n;
	size_t npending, napplied, ndirty, ndrifted, nmissing;
	size_t nexpand; /* in expand (SL_MIG_EXPAND) */
} sl_migrate_status;

/* Joins files and history. Borrowed pointers into set and h: keep them alive. */
int sl_migrate_status_build(sl_migrate_status **out, const sl_migration_set *set, const sl_history *h,
			    sl_engine dialect);
void sl_migrate_status_free(sl_migrate_status *st);

typedef enum sl_migrate_event_kind {
	SL_MEV_START,         /* a migration begins (up or down) */
	SL_MEV_STATEMENT,     /* about to run a statement (or would, in a dry run) */
	SL_MEV_DONE,          /* a migration finished; duration_ms set */
	SL_MEV_FAILED,        /* a migration failed; the error is in sl_error_last() */
	SL_MEV_VERIFY_FAILED, /* a verify query returned rows; detail holds the first */
	SL_MEV_REPAIRED,      /* repair changed a record; detail says what */
	SL_MEV_WAITING,       /* waiting for the lock */
	SL_MEV_STATEMENT_DONE /* a statement ran (or failed: detail "failed"); duration_us set */
} sl_migrate_event_kind;

typedef struct sl_migrate_event {
	sl_migrate_event_kind kind;
	bool down;
	const sl_migration *migration; /* may be NULL when only the history knows it */
	const char *id;
	const char *statement;
	const char *detail;
	int64_t duration_ms;
	/* STATEMENT and STATEMENT_DONE: position of the statement in its section */
	size_t index;        /* 1-based */
	size_t line;         /* line in the file */
	int64_t duration_us; /* STATEMENT_DONE: time the statement took */
	int64_t changes;     /* STATEMENT_DONE: rows it changed (engine's count), -1 unknown */
} sl_migrate_event;

typedef struct sl_migrate_opts {
	const char *table;      /* history table */
	const char *to;         /* up: last id to apply; down: revert everything after it */
	long steps;             /* down: how many to revert (default 1 when to is NULL) */
	bool dry_run;           /* print what would run, change nothing */
	bool out_of_order;      /* allow applying a pending id older than an applied one */
	bool mark_applied;      /* repair: record dirty migrations as applied instead of forgetting them */
	long lock_timeout_ms;   /* 0: fail at once when locked; <0 wait forever */
	const char *applied_by; /* recorded in history; NULL: $USER */
	void (*on_event)(void *ud, const sl_migrate_event *ev);
	void *ud;
	const sl_expand_opts *expand; /* backfill, lock timeouts, contract; NULL: defaults */
} sl_migrate_opts;

#define SL_MIGRATE_OPTS_INIT                                                                                 \
	{                                                                                                    \
		.table = "sluice_migrations", .to = NULL, .steps = 0, .dry_run = false,                      \
		.out_of_order = false, .mark_applied = false, .lock_timeout_ms = 0, .applied_by = NULL,      \
		.on_event = NULL, .ud = NULL, .expand = NULL                                                 \
	}

/*
 * Applies pending migrations in id order (up to opts->to). Refuses with
 * SL_ECONFLICT when a recorded migration is dirty or drifted, when a
 * requirement is missing, or when a pending id is older than an applied one
 * (unless out_of_order). SL_ELOCKED when another run holds the lock.
 * *applied (may be NULL) counts migrations applied.
 */
int sl_migrate_up(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *applied);
/* Reverts applied migrations, newest first: opts->steps of them, or all after opts->to. */
int sl_migrate_down(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *reverted);
/*
 * Completes the expand/contract migration in expand: removes its old shape
 * (sl_expand_contract) and records it as applied. SL_ECONFLICT when no
 * migration is in expand, and while clients may use the old shape.
 * *contracted (may be NULL) gets the migration's id (malloc'd).
 */
int sl_migrate_contract(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts,
			char **contracted);
/* Runs the verify section of every applied migration; *failed counts those returning rows. */
int sl_migrate_verify(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *failed);
/* Records every migration up to id as baseline without running it (adopting an existing database). */
int sl_migrate_baseline(sl_conn *c, const sl_migration_set *set, const char *id, const sl_migrate_opts *opts);
/* Resolves dirty records (forgets them, or marks them applied) and realigns drifted checksums. */
int sl_migrate_repair(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *repaired);

/* One statement of one migration that names the object asked about. */
typedef struct sl_why_hit {
	const sl_mig_status *status; /* the migration (file and/or history row) */
	char action[64];             /* "create table", "alter table (add)", "create index", ... */
	char *statement;             /* the statement, on one line, cut at 300 bytes */
	size_t line;                 /* line in the file */
} sl_why_hit;

typedef struct sl_why {
	sl_why_hit *hits; /* in migration order */
	size_t n;
} sl_why;

/*
 * Finds the migrations whose up statements name object ("table",
 * "table.column" or an index name). Uses the files, or the SQL recorded in
 * the history for migrations whose file is gone. st must outlive the result.
 */
int sl_migrate_why(sl_why **out, const sl_migrate_status *st, sl_engine dialect, const char *object);

/* Called once per statement naming objects[object]; st and action are borrowed for the call. */
typedef int (*sl_why_fn)(void *ud, size_t object, const sl_mig_status *s, const char *action,
			 const sl_stmt *st);
/* sl_migrate_why() for many objects in one pass over the migrations (each split once). */
int sl_migrate_why_many(const sl_migrate_status *st, sl_engine dialect, const char *const *objects, size_t n,
			sl_why_fn fn, void *ud);
void sl_why_free(sl_why *w);

#ifdef __cplusplus
}
#endif
#endif
