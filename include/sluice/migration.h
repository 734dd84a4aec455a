/*
 * migration.h - versioned migration files: parsing, checksums, templates.
 *
 * One file per change, migrations/<id>_<slug>.sql: a metadata header in SQL
 * comments ("-- key: value"), then sections opened by "-- +sluice up",
 * "-- +sluice down", "-- +sluice verify" directives (or, for an
 * expand/contract migration, "-- +sluice expand" instead of up), optionally
 * per dialect and outside a transaction. The format is described in
 * docs/migration-format.md. This module only reads files; the runner
 * (history table, up/down/status) builds on it.
 *
 * Every error names the file and, when there is one, the line:
 * "migrations/20261121_x.sql:7: unknown directive "+sluice upp"".
 */
#ifndef SLUICE_MIGRATION_H
#define SLUICE_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/sql.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_section {
	SL_SECTION_UP = 0,
	SL_SECTION_DOWN,
	SL_SECTION_VERIFY,
	SL_SECTION_EXPAND /* expand/contract operations (docs/expand-contract.md), instead of up */
} sl_section;

/* One "-- key: value" header entry; continuation lines are joined with "\n". */
typedef struct sl_migration_meta {
	const char *key;   /* lowercase */
	const char *value; /* trimmed; "" when the field is present but empty */
	size_t line;       /* line of "-- key:" */
} sl_migration_meta;

/* One section of a file: a "-- +sluice ..." directive and the text under it. */
typedef struct sl_migration_part {
	sl_section section;
	sl_engine dialect; /* SL_ENGINE_NONE: the generic variant */
	bool no_tx;        /* "no-transaction": run outside a transaction */
	const char *sql;   /* NUL-terminated: the exact bytes up to the next directive */
	size_t len;
	size_t line; /* file line of sql's first byte (the directive line + 1) */
	size_t directive_line;
	const char *version; /* expand: "version=NAME" of the directive, or NULL */
} sl_migration_part;

/*
 * A parsed file. Read-only for callers; everything it points to lives in
 * its arena and is freed by sl_migration_free().
 */
typedef struct sl_migration {
	const char *path;
	const char *id;           /* digits: "id:" metadata, else the file name's prefix */
	const char *slug;         /* file name between "<id>_" and ".sql", or NULL */
	const char *title;        /* "title:" or NULL */
	const char *irreversible; /* "irreversible:" reason, or NULL */
	const char **requires;    /* ids from "requires:" */
	size_t nrequires;
	sl_migration_meta *meta; /* every header field, known or not, in file order */
	size_t nmeta;
	sl_migration_part *parts; /* sections in file order */
	size_t nparts;
	sl_arena *arena;
} sl_migration;

/* Migrations of a directory, sorted by id (numerically). Owns its migrations. */
typedef struct sl_migration_set {
	sl_migration **items;
	size_t n;
} sl_migration_set;

/* "v1:" + 64 hex digits + NUL */
#define SL_CHECKSUM_SIZE 68

/*
 * Parses text[0..len) of the file at path (used for messages and for the id
 * and slug in its name; it is not read). Metadata fields are not required
 * here: see sl_migration_check_required(). On SL_EINVALID the message reads
 * "path:line: what is wrong".
 */
int sl_migration_parse(sl_migration **out, const char *path, const char *text, size_t len);

/* Reads and parses path. A missing file is SL_ENOTFOUND, other read errors SL_EIO. */
int sl_migration_load(sl_migration **out, const char *path);

void sl_migration_free(sl_migration *m);

/*
 * Loads every "*.sql" file directly in dir (other files, hidden files and
 * subdirectories are ignored). A .sql file whose name is not <id>_<slug>.sql,
 * an id that differs from the name's, and two files with one id are errors.
 * Gaps between ids are fine.
 */
int sl_migration_dir_load(sl_migration_set **out, const char *dir);
void sl_migration_set_free(sl_migration_set *set);
/* Borrowed: the migration with this id, or NULL. */
const sl_migration *sl_migration_set_find(const sl_migration_set *set, const char *id);

/* <0, 0, >0 comparing two digit strings numerically (leading zeros ignored). */
int sl_migration_id_cmp(const char *a, const char *b);

/* Borrowed: a header field's value, or NULL when absent. key is lowercase. */
const char *sl_migration_meta_get(const sl_migration *m, const char *key);

/*
 * The part of section s to run on dialect: the dialect's variant when the
 * file has one, else the generic one, else NULL. Borrowed.
 */
const sl_migration_part *sl_migration_part_get(const sl_migration *m, sl_section s, sl_engine dialect);

/* Shorthand for sl_migration_part_get(): its text (NULL when absent), length and no_tx. */
const char *sl_migration_section(const sl_migration *m, sl_section s, sl_engine dialect, size_t *len,
				 bool *no_tx);

/*
 * Splits the chosen part of section s into statements for dialect, with
 * lines counted in the file. *out is overwritten. SL_ENOTFOUND when the
 * file has no such section; split errors read "path:line: ...".
 */
int sl_migration_statements(sl_stmt_list *out, const sl_migration *m, sl_section s, sl_engine dialect);

/* SL_EINVALID naming the file and the first of fields that is absent or empty. */
int sl_migration_check_required(const sl_migration *m, const char *const *fields, size_t n);

/*
 * Checksum of the up section sluice would run on dialect, after
 * normalization v1 (docs/migration-format.md): "v1:<sha-256 hex>".
 * SL_ENOTFOUND when there is no up section for dialect.
 */
int sl_migration_checksum(char out[SL_CHECKSUM_SIZE], const sl_migration *m, sl_engine dialect);

/* The same for any text: normalization v1, then SHA-256. */
int sl_checksum_sql(char out[SL_CHECKSUM_SIZE], const char *sql, size_t len);

/*
 * Appends a new migration file to out: the id and title, every required
 * field present and empty, and empty up and down sections. id must be
 * digits; title must be one line.
 */
int sl_migration_render_template(sl_buf *out, const char *id, const char *title,
				 const char *const *required_fields, size_t n);

/* True when m is an expand/contract migration (an expand section instead of up). */
bool sl_migration_is_expand(const sl_migration *m);

/* "up", "down", "verify", "expand". */
const char *sl_section_name(sl_section s);

#ifdef __cplusplus
}
#endif
#endif
