/*
 * config.h - sluice.yaml: the project's configuration.
 *
 * sl_config_load() parses the file with libfyaml into typed fields, checks
 * every key (an unknown key is an error that suggests the nearest known
 * one) and replaces ${NAME} in string values from the environment. Errors
 * name file, line and column: "sluice.yaml:12:5: unknown key "requird" in
 * "migrations" (did you mean "required"?)". Sections read by other
 * modules (consumers, domains, criticality: consumers.h; rules, casts, copy,
 * check) are not checked here: read them with sl_config_section() and report positions with
 * sl_config_where(). Keys are documented in docs/config.md.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fy_document;
struct fy_node;

typedef enum sl_lint_level { SL_LINT_OFF = 0, SL_LINT_WARN, SL_LINT_ERROR } sl_lint_level;

/* lint.rules: one "name: off|warn|error" entry. */
typedef struct sl_config_lint_rule {
	const char *name;
	sl_lint_level level;
	size_t line, column;
} sl_config_lint_rule;

/* environments.<name> */
typedef struct sl_config_env {
	const char *name;
	const char *url;          /* ${NAME} replaced; may hold a secret: see url_secret */
	bool url_secret;          /* url took a value from the environment: never print it,
				     print sl_url_redacted-style output or the name only */
	const char *password_env; /* name of the variable holding the password, or NULL */
	const char *flavour;      /* flavour: the target flavour (flavour.h; --target-flavour), or NULL */
	size_t line, column;      /* of the environment's key */
} sl_config_env;

/*
 * rehearsal: the thresholds that make a `sluice rehearse` GO or NO-GO
 * (docs/config.md, docs/commands/rehearse.md). A limit of -1 is "none".
 */
typedef struct sl_config_rehearsal {
	int64_t max_migration_ms;      /* max_migration: one migration's up (default -1) */
	int64_t max_total_ms;          /* max_total: every up, verify, rules and down (default -1) */
	int64_t max_exclusive_lock_ms; /* max_exclusive_lock: on tables of critical domains (default -1) */
	const char **critical_domains; /* critical_domains: names under `domains` (none: every table) */
	size_t ncritical_domains;
	bool allow_rewrites;            /* allow_rewrites (default true) */
	int64_t max_rule_discrepancies; /* max_rule_discrepancies (default 0) */
	bool require_rollback_fidelity; /* require_rollback_fidelity (default true) */
	const char *scratch_prefix;     /* scratch_prefix (default "sluice_rehearse_") */
} sl_config_rehearsal;

/*
 * A loaded configuration. Read-only for callers; strings live in arena and
 * are valid until sl_config_free().
 */
typedef struct sl_config {
	const char *path;             /* as given to sl_config_load() */
	const char *base_dir;         /* directory of path: relative paths are resolved from it */
	const char *project;          /* NULL when absent */
	const char *migrations_dir;   /* default "migrations" */
	const char *migrations_table; /* default "sluice_migrations" */
	const char **required;        /* migrations.required: metadata every migration carries */
	size_t nrequired;
	sl_config_lint_rule *lint_rules;
	size_t nlint_rules;
	sl_config_env *envs;
	size_t nenvs;
	const char *state; /* default ".sluice/state.db" */
	sl_config_rehearsal rehearsal;
	sl_arena *arena;
	struct fy_document *doc; /* the parsed YAML, kept for sl_config_section() */
	const char *text;        /* the YAML text the document points into (positions inside values) */
	size_t text_len;
} sl_config;

/*
 * Parses a duration as written in sluice.yaml: a number and a unit, "500ms",
 * "30s", "1.5m", "2h". 0 or SL_EINVALID (message without position).
 */
int sl_config_parse_duration(const char *s, int64_t *ms);

/*
 * Loads and checks path. A missing file is SL_ENOTFOUND naming the path;
 * YAML and schema errors are SL_EINVALID naming "path:line:column".
 */
int sl_config_load(sl_config **out, const char *path);

/* The same from text; path is used in messages and for base_dir only. */
int sl_config_parse(sl_config **out, const char *path, const char *text, size_t len);

void sl_config_free(sl_config *c);

/* Borrowed: the URL of environment name (after ${} replacement), or NULL. */
const char *sl_config_env_url(const sl_config *c, const char *name);

/* Borrowed: environment name, or NULL. */
const sl_config_env *sl_config_env_get(const sl_config *c, const char *name);

/* The level of lint rule name, or dflt when sluice.yaml does not set it. */
sl_lint_level sl_config_lint_level(const sl_config *c, const char *name, sl_lint_level dflt);

/*
 * Borrowed: the node of top-level key (e.g. "consumers", "rules"), or NULL
 * when absent. Valid until sl_config_free(); do not modify the document.
 */
struct fy_node *sl_config_section(const sl_config *c, const char *key);

/* Writes "path:line:column" of node into buf and returns buf. */
const char *sl_config_where(const sl_config *c, struct fy_node *node, char *buf, size_t size);

/*
 * Writes "path:line:column" of byte offset inside the value of scalar node
 * (e.g. where an SQL parser points inside a query written in sluice.yaml),
 * following block scalars' lines and indentation. Returns buf.
 */
const char *sl_config_where_offset(const sl_config *c, struct fy_node *node, size_t offset, char *buf,
				   size_t size);

/*
 * Reads a scalar node of a reserved section as a string, replacing ${NAME}
 * from the environment. *out lives in the config's arena. *secret (may be
 * NULL) tells whether a variable was interpolated. what names the value in
 * errors, e.g. "rules.orders.sql". SL_EINVALID when node is not a string or
 * a variable is unset.
 */
int sl_config_string(const char **out, bool *secret, sl_config *c, struct fy_node *node, const char *what);

/*
 * The word of known (NULL-terminated) nearest to word, within an edit
 * distance of 2, for "did you mean" hints; NULL when none is that close.
 */
const char *sl_config_nearest(const char *word, const char *const *known);

/* path resolved against base_dir (unchanged when absolute). Lives in the arena. */
const char *sl_config_resolve(sl_config *c, const char *path);

/*
 * For other YAML files sluice reads (a cutover runbook): parses text with
 * the same checks as sluice.yaml (UTF-8, no NUL, libfyaml's errors as
 * "path:line:col: ..."). *out is NULL for an empty document. The document
 * points into text, which must outlive it; free with fy_document_destroy().
 */
int sl_yaml_parse(struct fy_document **out, const char *path, const char *text, size_t len);
/* Writes "path:line:column" of node (see sl_config_where) into buf and returns buf. */
const char *sl_yaml_where(const char *path, struct fy_node *node, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
