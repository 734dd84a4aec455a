/*
 * diff.h - streaming comparison of one table on two connections (any two
 * engines), with bounded memory. The foundation of `sluice diff`.
 *
 * Keyed tables: both sides are read ordered by the key (binary order for
 * text keys, forced in SQL) and merged batch by batch; only one batch per
 * side is held. Keyless tables: both sides are compared as multisets of
 * 128-bit row hashes, spilled to hash-partitioned temp files above a memory
 * cap. Values compare by their canonical encoding (canon.h). docs/diff.md
 * explains the engine, its memory bounds and what counts as a difference.
 */
#ifndef SLUICE_DIFF_H
#define SLUICE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/canon.h"
#include "sluice/conn.h"
#include "sluice/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to compare. Strings are borrowed for the duration of the call. */
typedef struct sl_diff_spec {
	const char *src_schema; /* NULL: the connection's default */
	const char *src_table;
	const char *dst_schema; /* NULL: the connection's default */
	const char *dst_table;  /* NULL: same name as src_table */
	const char *const *key; /* key column names; NULL: the source's primary key */
	size_t nkey;
	const char *const *columns; /* compared columns; NULL: every column both sides have, source order */
	size_t ncolumns;
	const char *where; /* SQL condition applied on both sides, NULL: none */
	/*
	 * Optional per-column override, parallel to the result's column list
	 * (key columns missing from columns come first, then columns). NULL:
	 * merged from both sides' introspected columns (sl_canon_col_merge).
	 */
	const sl_canon_col *canon;
	/*
	 * Optional: both tables as already introspected (sl_diff_each_pair hands
	 * them), borrowed for the call. NULL: sl_diff_table introspects both
	 * sides itself, a fixed cost of a few dozen catalog queries per table.
	 */
	const sl_table *src_model, *dst_model;
} sl_diff_spec;

typedef enum sl_diff_mode {
	SL_DIFF_AUTO = 0, /* keyed when there is a key, else keyless */
	SL_DIFF_KEYED,    /* fail when no key can be found */
	SL_DIFF_KEYLESS,  /* multiset of row hashes even when a key exists */
	SL_DIFF_BISECT    /* sl_diff_bisect(): segment fingerprints; sl_diff_table treats it as AUTO */
} sl_diff_mode;

typedef struct sl_diff_opts {
	sl_canon_opts canon;
	sl_diff_mode mode;
	size_t batch_rows;       /* rows fetched per batch and side (default 2000) */
	size_t mem_cap;          /* keyless: bytes of hashes held before spilling (default 64 MiB) */
	const char *tmp_dir;     /* keyless spill directory (NULL: $TMPDIR, else /tmp) */
	bool keyless_examples;   /* keyless: re-read a side to find one example row per differing hash */
	size_t max_examples;     /* ... for at most this many distinct hashes (default 100) */
	size_t bisect_fanout;    /* sl_diff_bisect: sub-segments per differing segment (default 16) */
	size_t bisect_leaf_rows; /* ... row-diff a segment once it holds at most this many rows (default 2000)
				  */
} sl_diff_opts;

#define SL_DIFF_OPTS_INIT                                                                                    \
	{                                                                                                    \
		.canon = SL_CANON_OPTS_INIT, .mode = SL_DIFF_AUTO, .batch_rows = 2000,                       \
		.mem_cap = (size_t)64 << 20, .tmp_dir = NULL, .keyless_examples = true, .max_examples = 100, \
		.bisect_fanout = 16, .bisect_leaf_rows = 2000                                                \
	}

typedef enum sl_diff_kind {
	SL_DIFF_MISSING = 1, /* in the source, not in the target */
	SL_DIFF_EXTRA,       /* in the target, not in the source */
	SL_DIFF_CHANGED      /* same key, some column differs */
} sl_diff_kind;

/*
 * One difference. Everything is borrowed and valid only during the callback.
 * Rows hold ncolumns values in the result's column order (key columns are
 * among them, at result->key[i]). For keyless tables, count says how many
 * more times the row is on that side, hash is its row hash, and the row is
 * an example (NULL when not looked up).
 */
typedef struct sl_diff_event {
	sl_diff_kind kind;
	const sl_value *src_row; /* MISSING, CHANGED */
	const sl_value *dst_row; /* EXTRA, CHANGED */
	size_t ncolumns;
	const size_t *changed; /* CHANGED: indexes of the differing columns */
	size_t nchanged;
	int64_t count;    /* 1 for keyed tables */
	uint64_t hash[2]; /* keyless only */
	bool keyless;     /* the table is compared keyless (also when its key held NULL) */
} sl_diff_event;

/* Returns 0 to go on; anything else stops the diff, which returns that code. */
typedef int (*sl_diff_cb)(const sl_diff_event *ev, void *ud);

/*
 * Per-table outcome. Counts always add up:
 *   src_rows = equal + changed + missing,  dst_rows = equal + changed + extra.
 */
typedef struct sl_diff_result {
	char *src_table, *dst_table;
	char **columns; /* compared columns (source names) */
	size_t ncolumns;
	size_t *key; /* indexes into columns; nkey == 0 when keyless */
	size_t nkey;
	sl_canon_col *canon;         /* per compared column */
	char **src_only, **dst_only; /* columns on one side only (not compared) */
	size_t nsrc_only, ndst_only;
	bool keyless;
	char keyless_note[256]; /* why a table with a key was compared keyless ("" when it has none) */
	int64_t src_rows, dst_rows;
	int64_t equal, changed, missing, extra;
	/* memory accounting, for tests and logs */
	size_t batches_held;    /* most row batches held at once (keyed: 4) */
	size_t peak_batch_rows; /* most rows in one batch */
	size_t peak_bytes;      /* most bytes held in batches (keyed) or hashes (keyless) */
	bool spilled;           /* keyless: hashes went to temp files */
	/*
	 * sl_diff_bisect only (zero from sl_diff_table). bisected is false when
	 * the table was compared with the full diff instead; bisect_note says
	 * why. Rows read count every row a side returned: fingerprint rows (one
	 * per segment), row-diff rows, and for a local SQLite side every row
	 * streamed to fingerprint it in C.
	 */
	bool bisected;
	char bisect_note[256];
	int64_t src_rows_read, dst_rows_read;
	int64_t segments_compared;   /* segment fingerprints compared */
	int64_t fingerprint_queries; /* per side */
	int64_t leaf_rows_diffed;    /* source + target rows read by the row diffs of differing segments */
} sl_diff_result;

void sl_diff_result_free(sl_diff_result *r);

/* Rows of table (in schema, or the connection's default when NULL) matching where (NULL: all). */
int sl_diff_count_rows(int64_t *out, sl_conn *c, const char *schema, const char *table, const char *where);

/*
 * Compares spec's table on src and dst, reporting each difference through
 * on_diff (may be NULL) and the counts in *out (also filled when the
 * callback stops the diff; NULL on other failures). src and dst must be
 * different connections (two connections may open the same database).
 * opts may be NULL for defaults. A keyed diff reads each side in a thread of
 * its own: on_diff runs in the caller's thread and must not use src or dst.
 */
int sl_diff_table(sl_diff_result **out, sl_conn *src, sl_conn *dst, const sl_diff_spec *spec,
		  const sl_diff_opts *opts, sl_diff_cb on_diff, void *ud);

/*
 * Same contract as sl_diff_table (same events, same counts, same *out), but
 * for a table keyed by one integer column whose compared columns can be
 * fingerprinted identically on both engines, reads only what differs: the
 * key range is split into opts->bisect_fanout segments, each side returns
 * per segment a row count and the sum of a 60-bit md5 prefix of each row's
 * canonical text (computed in SQL on PostgreSQL and MySQL/MariaDB, in C
 * while streaming a SQLite side), and only segments whose fingerprints
 * differ are split again, down to opts->bisect_leaf_rows rows, where the
 * keyed diff runs on the key range. Tables that cannot be bisected (no
 * single integer key, a float/json/blob/CHAR... column, both sides SQLite,
 * NULL or non-integer keys) are compared with sl_diff_table instead and
 * (*out)->bisected is false with the reason in bisect_note.
 * docs/diff.md, "Bisection", gives the per-type SQL and the limits.
 */
int sl_diff_bisect(sl_diff_result **out, sl_conn *src, sl_conn *dst, const sl_diff_spec *spec,
		   const sl_diff_opts *opts, sl_diff_cb on_diff, void *ud);

/* ---- a whole database: which tables pair up, which columns are compared ---- */

/* A table of one side with the name it goes by (its flat name: docs/schemas.md). */
typedef struct sl_diff_side {
	const sl_table *t; /* NULL when the side lacks it */
	char name[512];
	const char *schema; /* to qualify it with; NULL where the engine has no schemas */
} sl_diff_side;

/*
 * Finds table name in model s of connection c: by its flat name, else by
 * the name copy fitted it to on c's engine (sl_dialect_fit_name). False
 * when neither is there (out->t NULL).
 */
bool sl_diff_find_side(sl_diff_side *out, const sl_schema *s, const sl_conn *c, const char *name);

/*
 * The compared columns and key of a pair of tables, and how event rows lay
 * them out: "key columns not among cols, then cols" (names), with the
 * position of each key column in it (key_ix). Owns its arrays; the strings
 * are borrowed from the tables.
 */
typedef struct sl_diff_columns {
	const char **cols; /* spec.columns */
	size_t ncols;
	const char **key; /* spec.key (empty: the engine's choice, or keyless) */
	size_t nkey;
	const char **names; /* event-row order */
	size_t nnames;
	size_t *key_ix; /* per key column, its index in names */
} sl_diff_columns;

/*
 * Plans the columns of st (source) against dt: the user's columns (on both
 * sides) or every source column the target also has, and the user's key or
 * the source's primary key (none with keyless). SL_EINVALID names a column
 * that is missing.
 */
int sl_diff_plan_columns(sl_diff_columns *out, const sl_table *st, const sl_table *dt,
			 const char *const *cols, size_t ncols, const char *const *key, size_t nkey,
			 bool keyless);
void sl_diff_columns_free(sl_diff_columns *c);

/* Which tables a database diff pairs up. */
typedef struct sl_diff_pairing {
	const char *const *tables; /* only these (flat names), in this order; none: every table */
	size_t ntables;
	const char *const *schemas; /* PostgreSQL source schemas (as sl_introspect_opts) */
	size_t nschemas;
	bool all_schemas;
	/* called once with both models before the first pair (may be NULL) */
	void (*on_models)(void *ud, const sl_schema *src, const sl_schema *dst);
} sl_diff_pairing;

/*
 * Called per table: both sides set, or one side's t NULL for a table on one
 * side only. A non-zero return stops the walk and is returned.
 */
typedef int (*sl_diff_pair_fn)(void *ud, const sl_diff_side *src, const sl_diff_side *dst);

/*
 * Introspects both databases and calls fn for each table: with tables, for
 * each named one (SL_ENOTFOUND when one is on neither side); else for every
 * source table by its flat name, then every target table the source lacks.
 */
int sl_diff_each_pair(sl_conn *src, sl_conn *dst, const sl_diff_pairing *p, sl_diff_pair_fn fn, void *ud);

#ifdef __cplusplus
}
#endif
#endif
