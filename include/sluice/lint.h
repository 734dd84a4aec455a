/*
 * lint.h - `sluice lint`: checks of migrations before they run.
 *
 * Every rule has an id, a default level and a page in docs/lint/<id>.md;
 * sluice.yaml's lint.rules overrides levels (off, warn, error). Static rules
 * read the files only; PostgreSQL rules parse the up statements with
 * libpg_query; dynamic rules apply each pending migration to a scratch
 * database (never to the target) and compare schema models before and after
 * with sl_schema_diff() (schemadiff.h). docs/commands/lint.md describes the
 * command, the scratch database and each rule's limits.
 */
#ifndef SLUICE_LINT_H
#define SLUICE_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/consumers.h"
#include "sluice/migration.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A rule: its id, its level when sluice.yaml says nothing, and what it checks. */
typedef struct sl_lint_rule {
	const char *id;
	sl_lint_level default_level;
	bool dynamic;        /* needs a database (sluice lint TARGET) */
	const char *summary; /* one line */
} sl_lint_rule;

/* Borrowed: every rule, in documentation order. */
const sl_lint_rule *sl_lint_rules(size_t *n);
/* Borrowed: the rule with this id, or NULL. */
const sl_lint_rule *sl_lint_rule_find(const char *id);

/* One finding. Strings live in the report's arena. */
typedef struct sl_lint_finding {
	const char *rule;
	sl_lint_level level; /* never SL_LINT_OFF: findings of disabled rules are not kept */
	const char *path;    /* the migration file */
	size_t line;         /* 1-based line in path */
	const char *migration_id;
	const char *message; /* lowercase, no trailing period, without file or rule */
} sl_lint_finding;

/* Findings in the order they were found, with counts per level. Owns its strings. */
typedef struct sl_lint_report {
	sl_lint_finding *items;
	size_t n, cap;
	size_t nerrors, nwarnings;
	size_t nchecked;         /* migrations checked */
	const sl_config *config; /* borrowed, for levels; may be NULL */
	sl_arena *arena;
} sl_lint_report;

/*
 * Opens a connection to another database (name) on the target's server, with
 * the target's credentials. The CLI implements it from the target URL; the
 * library cannot, since a connection does not keep its password.
 */
typedef int (*sl_lint_open_fn)(sl_conn **out, void *ud, const char *database);

struct sl_impact;

/*
 * Called with the impact of each migration the dynamic rules apply (when
 * consumers are given): before is the scratch schema it met, after the one
 * it left. The impact is freed after the call.
 */
typedef int (*sl_lint_impact_fn)(void *ud, const sl_migration *m, const struct sl_impact *im);

typedef struct sl_lint_opts {
	const sl_config *config;      /* levels and migrations.required; NULL: defaults, nothing required */
	sl_engine dialect;            /* the target's engine; SL_ENGINE_NONE without a target */
	const char *table;            /* history table (dynamic) */
	sl_lint_open_fn open_scratch; /* needed for dynamic rules: opens a scratch database by name */
	void *ud;
	const char *scratch_dir;     /* unused: scratch databases go beside the target (sl_conn_scratch_*) */
	sl_consumers *consumers;     /* sluice.yaml's consumers: the consumer rules and breaks:
					declarations (NULL: those rules do not run) */
	const char *only;            /* dynamic: apply only this migration id, after every one before it
					(applied or pending), and only its up section (`sluice impact`) */
	sl_lint_impact_fn on_impact; /* dynamic, with consumers: each migration's impact */
	void *impact_ud;
} sl_lint_opts;

#define SL_LINT_OPTS_INIT                                                                                    \
	{                                                                                                    \
		.config = NULL, .dialect = SL_ENGINE_NONE, .table = "sluice_migrations",                     \
		.open_scratch = NULL, .ud = NULL, .scratch_dir = NULL, .consumers = NULL, .only = NULL,      \
		.on_impact = NULL, .impact_ud = NULL                                                         \
	}

/* One entry of a migration's "breaks:" header: "consumer TICKET". */
typedef struct sl_breaks_entry {
	const char *consumer;
	const char *ticket;
} sl_breaks_entry;

/*
 * Parses a "breaks:" value: entries "consumer-name TICKET" separated by
 * commas or line breaks. Strings live in a. SL_EINVALID naming the entry
 * when one lacks a ticket or holds more than two words.
 */
int sl_breaks_parse(sl_arena *a, const char *value, sl_breaks_entry **out, size_t *n);

int sl_lint_report_new(sl_lint_report **out, const sl_config *config);
void sl_lint_report_free(sl_lint_report *r);

/*
 * The level a rule runs at: sluice.yaml's lint.rules entry, else its
 * default. SL_LINT_OFF for an unknown id.
 */
sl_lint_level sl_lint_level_of(const sl_lint_report *r, const char *rule);
/* "off", "warn", "error". */
const char *sl_lint_level_name(sl_lint_level l);

/*
 * Adds a finding of rule at path:line unless the rule is off. The message
 * is formatted like printf.
 */
int sl_lint_add(sl_lint_report *r, const char *rule, const sl_migration *m, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * SL_EINVALID naming "path:line:column" when lint.rules names a rule that
 * does not exist (suggesting the nearest id).
 */
int sl_lint_check_config(const sl_config *config);

/*
 * Static rules (required-metadata, missing-down, destructive-statement,
 * empty-verify, breaks-declaration) and, when the target is PostgreSQL or m
 * has a postgres up variant, the PostgreSQL parse-tree rules. Findings go
 * into r.
 */
int sl_lint_static(sl_lint_report *r, const sl_migration *m, const sl_lint_opts *opts);

/*
 * The expand/contract rules (expand-candidate, expand-unsupported) on m's
 * up and expand sections; called by sl_lint_static().
 */
int sl_lint_expand(sl_lint_report *r, const sl_migration *m, const sl_lint_opts *opts);

/* Only the PostgreSQL parse-tree rules, on the statements of part (an up part of m). */
int sl_lint_pg(sl_lint_report *r, const sl_migration *m, const sl_migration_part *part);

/*
 * Dynamic rules for every pending migration of set on target: builds a
 * scratch database (SQLite: a temporary file; PostgreSQL, MySQL: CREATE
 * DATABASE sluice_lint_<pid>_<n> through target, opened with
 * opts->open_scratch), replays the applied migrations from their files,
 * then applies each pending one, reverts it, and applies it again,
 * comparing models. With opts->consumers, each up's changes are followed
 * through the data map (map.h) to the consumers they reach: the rules
 * consumer-broken and consumer-affected, unless the migration's "breaks:"
 * header declares the consumer. The scratch database is dropped at the end,
 * also on failure. target is only read: its history, schema and row
 * presence.
 */
int sl_lint_dynamic(sl_lint_report *r, sl_conn *target, const sl_migration_set *set,
		    const sl_lint_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
