/*
 * snapshot.h - `sluice snapshot`: an anonymized, referentially complete copy
 * of a database for staging, on any engine pair (docs/commands/snapshot.md).
 *
 * A snapshot is a copy (sluice/copy.h) with hooks: every column with a
 * masking rule (sluice.yaml snapshot.masks, sluice/mask.h) is masked in the
 * copy's pump before its value reaches the target, and with a subset
 * (sluice/subset.h) only the chosen rows are read. It resumes like a copy;
 * a resume with another key, other rules or other chosen rows is refused.
 *
 * Fail closed: a column that looks like personal data (sluice/pii.h) and has
 * no rule stops the snapshot before anything is written, naming the
 * columns. After the copy a report checks the target: rows per table, the
 * rule of every column, orphans of every relationship, duplicates in unique
 * keys over masked columns, and a scan of the target for the source values
 * of masked columns. The key is never printed, logged or stored.
 */
#ifndef SLUICE_SNAPSHOT_H
#define SLUICE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/copy.h"
#include "sluice/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One masked column as configured (snapshot.masks.TABLE.COLUMN). */
typedef struct sl_snapshot_mask {
	const char *table, *column;
	const char *where_table, *where_column; /* "file:line:col" of the keys */
	sl_mask_rule rule;
} sl_snapshot_mask;

/* The snapshot section of sluice.yaml (docs/config.md). */
typedef struct sl_snapshot_config {
	sl_snapshot_mask *masks;
	size_t nmasks;
	const char *key_env;           /* snapshot.key_env: default of --key-env */
	const char *subset;            /* snapshot.subset: default of --subset */
	struct fy_node *relationships; /* checked against the source schema when the snapshot runs */
	sl_config *cfg;                /* borrowed */
	sl_arena *a;
} sl_snapshot_config;

/* Reads cfg's snapshot section (cfg may be NULL: no rules). Keys and rules are checked here. */
int sl_snapshot_config_load(sl_snapshot_config **out, sl_config *cfg);
void sl_snapshot_config_free(sl_snapshot_config *c);

typedef struct sl_snapshot_opts {
	sl_copy_opts copy; /* connect, events, jobs, resume/restart, tables ...; hooks are the snapshot's */
	const sl_snapshot_config *config;
	const void *key; /* the masking key, NULL when none was given */
	size_t key_len;
	const char *subset;  /* "customers: 5%"; NULL: every row */
	int pii_sample;      /* rows sampled per table by the fail-closed check (default 200) */
	int64_t scan_values; /* distinct source values per column the leak scan looks for (default 1000000) */
	bool checks;         /* run the checks after the copy (default true) */
} sl_snapshot_opts;

#define SL_SNAPSHOT_OPTS_INIT                                                                                \
	{                                                                                                    \
		.copy = SL_COPY_OPTS_INIT, .config = NULL, .key = NULL, .key_len = 0, .subset = NULL,        \
		.pii_sample = 200, .scan_values = 1000000, .checks = true                                    \
	}

typedef struct sl_snapshot_table {
	char *table, *target;
	int64_t source_rows; /* the source's count (an estimate on some engines) */
	int64_t chosen;      /* rows the subset chose; -1: every row */
	int64_t written;
} sl_snapshot_table;

typedef struct sl_snapshot_column {
	char *table, *column;
	char *rule;      /* "email", "hash(length=16)", ... */
	char *flagged;   /* why it looks like personal data, NULL when it does not */
	int64_t masked;  /* values the rule changed (NULLs stay NULL; keep changes nothing) */
	bool unique_map; /* outputs kept unique across the column */
} sl_snapshot_column;

typedef enum sl_snapshot_check_kind {
	SL_SNAPSHOT_ORPHANS = 1, /* rows whose reference does not resolve in the target */
	SL_SNAPSHOT_UNIQUE,      /* duplicate groups in a unique key over masked columns */
	SL_SNAPSHOT_LEAK         /* source values of a masked column found in the target */
} sl_snapshot_check_kind;

typedef struct sl_snapshot_check {
	sl_snapshot_check_kind kind;
	char *table;     /* target table (LEAK: the masked source table) */
	char *object;    /* relationship, key columns, or the masked column */
	int64_t found;   /* orphans, duplicate groups, leaked values */
	int64_t allowed; /* ORPHANS: already orphans in the source; LEAK: coincidences with generated fakes */
	int64_t checked; /* rows, groups or source values looked at */
	char *detail;    /* where leaked values were found ("users.display_name"), notes */
	bool ok;
} sl_snapshot_check;

typedef struct sl_snapshot_report {
	char *source, *target; /* display names: never a password */
	char *subset;          /* the --subset text, NULL when none */
	bool keyed;
	sl_snapshot_table *tables;
	size_t ntables;
	sl_snapshot_column *columns;
	size_t ncolumns;
	sl_snapshot_check *checks;
	size_t nchecks;
	int64_t rows, orphans, duplicates, leaks, coincidences;
	bool checked; /* the checks ran */
	bool ok;      /* copy finished, no new orphan, no duplicate, nothing leaked */
	sl_copy_result *copy;
	char *started_at; /* UTC, ISO 8601 */
	double seconds, copy_seconds, check_seconds;
} sl_snapshot_report;

/*
 * Runs the snapshot. *out is filled when the run got as far as the copy
 * (also on failure, with what was done); the caller frees it. Returns 0
 * when the copy finished and the checks ran (see report->ok), SL_EINVALID
 * for configuration problems (unknown tables or columns, a rule that does
 * not fit its column, unmasked personal data, a missing key), SL_ECONFLICT
 * when a resume does not match the unfinished snapshot, and copy's codes.
 */
int sl_snapshot_run(sl_snapshot_report **out, const sl_snapshot_opts *o);
void sl_snapshot_report_free(sl_snapshot_report *r);

/* The report as JSON (--json, and what the state store keeps). */
int sl_snapshot_report_json(sl_buf *out, const sl_snapshot_report *r);
/* The report as text for a terminal. */
int sl_snapshot_report_text(sl_buf *out, const sl_snapshot_report *r);

#ifdef __cplusplus
}
#endif
#endif
