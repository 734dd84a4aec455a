/*
 * project.h - what the migration commands share: loading sluice.yaml and
 * the migrations directory, resolving a target (URL or environment name),
 * opening it with the password taken from the environment when configured,
 * and printing run events.
 */
#ifndef SLUICE_CLI_PROJECT_H
#define SLUICE_CLI_PROJECT_H

#include "sluice/cast.h"
#include "sluice/config.h"
#include "sluice/flavour.h"
#include "sluice/conn.h"
#include "sluice/migrate.h"
#include "sluice/migration.h"
#include "sluice/state.h"

typedef struct cli_project {
	const char *config_path; /* -C; default "sluice.yaml" */
	const char *dir;         /* --dir; default from config, else "migrations" */
	const char *table;       /* --table; default from config */
	sl_config *cfg;          /* NULL when there is no sluice.yaml and none was asked for */
	sl_migration_set *set;
	char *dir_resolved;
} cli_project;

/* The options every migration command takes, pointing into p. Terminated by { 0 }. */
/* clang-format off */
#define CLI_PROJECT_OPTIONS(p) \
	{ "config", 'C', CLI_STRING, "FILE", "project file (default sluice.yaml)", &(p)->config_path }, \
	{ "dir", 0, CLI_STRING, "DIR", "migrations directory (default: from sluice.yaml, else migrations)", &(p)->dir }, \
	{ "table", 0, CLI_STRING, "NAME", "history table (default sluice_migrations)", &(p)->table }
/* clang-format on */

/* Loads the config (when present or named) and, when load_set, the migration files. */
int cli_project_load(cli_project *p, bool load_set);
void cli_project_free(cli_project *p);
/*
 * What target names: a URL, an environment name, or NULL ($SLUICE_URL, else
 * the only environment). *url is borrowed (may hold a secret: never print
 * it); *env is the environment or NULL for a plain URL.
 */
int cli_project_resolve(const cli_project *p, const char *target, const char **url,
			const sl_config_env **env);
/*
 * Opens url with env's password_env applied; database, when not NULL, replaces
 * the URL's. create: a SQLite file that does not exist is created (a target a
 * command writes); otherwise it is an error, never a new empty database.
 */
int cli_project_open(sl_conn **out, const char *url, const sl_config_env *env, const char *database,
		     bool create);
/* cli_project_resolve() then cli_project_open() of a database that must exist (a source). */
int cli_project_connect(sl_conn **out, cli_project *p, const char *target);
/* The same for a target the command writes: a new SQLite file is created (copy's target, up, baseline). */
int cli_project_connect_target(sl_conn **out, cli_project *p, const char *target);
/* The name target is shown and recorded by: its environment's name, else the URL with the password masked. */
void cli_project_display(const cli_project *p, const char *target, char *out, size_t n);
/*
 * When there is a sluice.yaml, opens its state store and calls fn with it
 * (a run recording itself for `sluice report`); a failure is a warning on
 * stderr, never the command's error.
 */
void cli_project_record(cli_project *p, int (*fn)(sl_state *st, void *ud), void *ud);
/* What a scratch opener needs to reach another database of the target's server (lint, impact). */
typedef struct cli_scratch {
	const char *url;          /* the target's URL: may hold a password, never printed */
	const sl_config_env *env; /* its environment (password_env), or NULL */
	const sl_conn *target;    /* the target's connection: scratch databases go beside it */
} cli_scratch;
/* Applies env's password_env (if any) to u. */
int cli_url_apply_env(sl_url *u, const sl_config_env *env);
/* Opens url (with env's password); with scratch, the scratch database of that name beside `beside`. */
int cli_project_open_beside(sl_conn **out, const char *url, const sl_config_env *env, const sl_conn *beside,
			    const char *scratch);
/* The sl_lint_open_fn of lint and impact: ud is a cli_scratch. */
int cli_open_scratch(sl_conn **out, void *ud, const char *database);

/*
 * sluice.yaml domains: the tables of domain name, as `billing: [a, b]` or
 * `billing: { tables: [a, b], ... }`. *out is malloc'd; the strings live in
 * the config.
 */
int cli_project_domain(cli_project *p, const char *name, const char ***out, size_t *n);
/* Splits "a,b,c" in place into a malloc'd array of pointers into list (empty items skipped). */
int cli_split_list(char *list, const char ***out, size_t *n);
/* sluice.yaml casts: into *out (NULL when there are none). */
int cli_project_cast_rules(sl_cast_rules **out, cli_project *p);
/* sluice.yaml copy.sensitive: "table.column" patterns; *out is malloc'd, the strings live in the config. */
int cli_project_sensitive(cli_project *p, const char ***out, size_t *n);
/* sluice.yaml's copy.distribution: parallel lists of tables and their shard column (or "reference"). */
int cli_project_distribution(cli_project *p, const char ***tables, const char ***columns, size_t *n);
/*
 * The target flavour for a copy into target: name (--target-flavour) or else
 * the target environment's flavour:, checked against the target URL's engine
 * (SL_EINVALID, exit 2, for an unknown name or another engine's flavour).
 */
int cli_project_flavour(const sl_flavour **out, const cli_project *p, const char *target, const char *name);
/* Options for the runner with the table filled in. */
sl_migrate_opts cli_project_migrate_opts(const cli_project *p);
/* Prints run events to stderr (progress) - the on_event callback. */
void cli_print_event(void *ud, const sl_migrate_event *ev);

/* What a migration command does once its target is connected: o holds the project's runner options. */
typedef int (*cli_migrate_fn)(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud);
/*
 * The body the migration commands (up, down, repair, baseline, verify)
 * share: loads the project, connects to target (a URL, an environment, or
 * NULL for the default; created when it is a new SQLite file and create is
 * set), sets the lock wait (seconds, -1: forever), runs fn, closes, frees
 * the project. 0 or the first failure.
 */
int cli_migrate_run(cli_project *p, const char *target, bool create, long lock_timeout_s, cli_migrate_fn fn,
		    void *ud);

#endif
