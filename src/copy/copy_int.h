/*
 * copy_int.h - what the files of the copy module share (src/copy/ except
 * cast*.c): the plan with its per-table load decisions (plan.c), value
 * conversion per cast (convert.c), the state and rejects tables in the target
 * (state.c), the per-part pump (pump.c) and the run (run.c).
 *
 * Threads: a plan is read-only once built and shared by every worker; each
 * worker owns its connections, batches and buffers.
 */
#ifndef SLUICE_COPY_INT_H
#define SLUICE_COPY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/conn.h"
#include "sluice/copy.h"
#include "sluice/ddl.h"
#include "sluice/schema.h"
#include "sluice/value.h"

#define SL_COPY_STATE_TABLE      "sluice_copy_state"
#define SL_COPY_REJECTS_TABLE    "sluice_rejects"
#define SL_COPY_REJECT_VALUE_MAX 200

/* One selected table with its load decisions. */
typedef struct sl_copy_tplan {
	const sl_table *src;       /* borrowed from the plan's model */
	const char *ref;           /* its name in the copy state, events and results: the flat name
				      (docs/schemas.md), which is the source name within one schema */
	const sl_cast_table *cast; /* borrowed from the cast plan */
	const char **key;          /* source key columns (NULL when keyless) */
	size_t nkey;
	bool keyless;
	bool int_key;  /* one integer key column: can be split into ranges */
	size_t *wcols; /* indexes of written (non-generated) columns */
	size_t nwcols;
	const char **wnames; /* their target names */
	size_t *key_in_row;  /* key columns' positions in the source select list */
} sl_copy_tplan;

struct sl_copy_plan {
	sl_schema *schema;
	sl_cast_plan *casts;
	sl_ddl *ddl;
	sl_ddl *ddl_ine; /* same with IF NOT EXISTS (non-transactional DDL targets) */
	sl_engine source, target;
	sl_copy_tplan *tables;
	size_t ntables;
	sl_arena *arena;
	const char *ddl_check; /* what sl_copy_plan_validate did, NULL when it did not run */
};

/* Conversion context: fixed per pump. */
typedef struct sl_copy_conv {
	sl_engine source, target;
	unsigned target_caps;
	bool same;            /* same engine: values pass through unchanged */
	const sl_dialect *sd; /* the source's and the target's dialects (NULL: looked up from the engines) */
	const sl_dialect *td;
} sl_copy_conv;

/* The source's and the target's dialects of cx. */
static inline const sl_dialect *sl_copy_conv_src(const sl_copy_conv *cx)
{
	return cx->sd ? cx->sd : sl_dialect_of(cx->source);
}
static inline const sl_dialect *sl_copy_conv_dst(const sl_copy_conv *cx)
{
	return cx->td ? cx->td : sl_dialect_of(cx->target);
}

/*
 * Converts source value v for cast column cc. Payload bytes that must be made
 * go to dst's arena; otherwise out borrows v's. Returns 0 (converted; *loss
 * says which lossy cast changed the value, SL_COPY_LOSS_NONE when none), 1
 * when the value is refused (the reason appended to reason, lowercase, naming
 * the value), or a negative SL_E* code.
 */
int sl_copy_convert(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		    const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason);
/*
 * convert_row.c: converts one source row (the select list of sl_copy_select_sql:
 * written columns first) into out[0..t->nwcols). 0, 1 when a value is refused
 * (*refused_column names it, reason says why), or a negative SL_E* code.
 */
int sl_copy_convert_row(sl_value *out, const sl_value *row, const sl_copy_tplan *t, const sl_copy_conv *cx,
			sl_batch *dst, sl_buf *reason, const char **refused_column);
/* The conversion context between two connections. */
void sl_copy_conv_init(sl_copy_conv *cx, const sl_conn *src, const sl_conn *dst);
/* A short display of v for messages and the rejects table (truncated to max bytes). */
int sl_copy_value_text(sl_buf *out, const sl_value *v, size_t max);

/* state.c: the state and rejects tables in the target. */
typedef struct sl_copy_part {
	char *table; /* source table name */
	int part, nparts;
	bool has_lo, has_hi;
	int64_t lo, hi; /* key range [lo, hi) */
	char *last_key; /* JSON array of [type, text] pairs, NULL: nothing yet */
	int64_t read, written, rejected;
	char *losses; /* JSON {"column": {"rounded_to_scale": n, ...}}, NULL: none */
	bool done;
	bool failed; /* the target refused the table's CREATE TABLE: no rows, retried on --resume */
	int64_t expected;
	int attempt; /* the fence: checkpoints commit only while the target's number is this one */
	/*
	 * The run-wide reject budget of a part run by a worker (part_runner.c):
	 * every checkpoint takes its new rejects from the run row's counter in
	 * the batch's transaction, and fails (SL_ECHECK, the batch rolled back)
	 * once the run has rejected more than budget_max rows.
	 */
	bool budget;
	int64_t budget_max;
	int64_t saved_rejected; /* p->rejected at the last checkpoint */
} sl_copy_part;

/* Brings a state table an earlier version of sluice made up to date (adds missing columns). */
int sl_copy_state_upgrade(sl_conn *c);
int sl_copy_state_create(sl_conn *c);
/*
 * The run row: 0 and *run_id (malloc'd) / *phase / *data_only (may be NULL:
 * the run loaded into tables it did not create), or SL_ENOTFOUND when no run
 * is recorded.
 */
int sl_copy_state_run(sl_conn *c, char **run_id, char **phase, bool *data_only);
int sl_copy_state_set_phase(sl_conn *c, const char *run_id, const char *phase);
/* The flavour recorded for a run planned for the base engine (no --target-flavour). */
#define SL_COPY_NO_FLAVOUR "none"
/* A new run row; flavour: the target flavour's name, NULL for none. */
int sl_copy_state_new_run(sl_conn *c, const char *run_id, const char *phase, bool data_only,
			  const char *flavour);
/* The run row's flavour (malloc'd; NULL when the run did not record one). */
int sl_copy_state_flavour(sl_conn *c, char **flavour);
int sl_copy_state_clear(sl_conn *c);
int sl_copy_state_add_part(sl_conn *c, const char *run_id, const sl_copy_part *p);
/* Records that the target refused the table's CREATE TABLE (one part, status 'failed'). */
int sl_copy_state_add_failed(sl_conn *c, const char *run_id, const char *table);
/* Forgets the failed tables' rows, before they are tried again. */
int sl_copy_state_clear_failed(sl_conn *c);
int sl_copy_state_parts(sl_conn *c, sl_copy_part **out, size_t *n);
void sl_copy_parts_free(sl_copy_part *p, size_t n);
/* SL_ECONFLICT when the part's attempt in the target is no longer p->attempt. */
int sl_copy_state_save(sl_conn *c, sl_copy_part *p);
/* Raises the part's attempt to attempt (its own transaction); SL_ECONFLICT when it is already higher. */
int sl_copy_state_claim(sl_conn *c, const char *table, int part, int attempt);
int64_t sl_copy_state_total_rejects(sl_conn *c);
/* Appends one reject row (in the caller's transaction). */
int sl_copy_reject_insert(sl_conn *c, const char *run_id, const char *table, const char *key_json,
			  const char *column, const char *value, const char *reason);

/* Key encoding for checkpoints: a JSON array of [type, text]. */
int sl_copy_key_encode(sl_buf *out, const sl_value *vals, size_t n);
/* Decodes into vals (payloads in arena). */
int sl_copy_key_decode(sl_value *vals, size_t n, const char *json, sl_arena *a);
/* The key as a JSON object {"col": value} for the rejects table. */
int sl_copy_key_object(sl_buf *out, const char *const *names, const sl_value *vals, size_t n);

/* pump.c: copies one part; the worker's connections are set up by the caller. */
typedef struct sl_copy_shared sl_copy_shared;
int sl_copy_pump(sl_copy_shared *sh, sl_conn *src, sl_conn *dst, const sl_copy_tplan *t, sl_copy_part *p);

/* run.c: shared state of a run, used by the pump. */
struct sl_copy_shared {
	const sl_copy_opts *opts;
	const sl_copy_plan *plan;
	const char *run_id;
	void *mutex; /* pthread_mutex_t*, guards what follows */
	int64_t total_rejects;
	bool stop;        /* halt: no more batches */
	bool halted;      /* stopped by max_rejects */
	bool interrupted; /* stopped because opts->interrupted said so (Ctrl-C) */
};

bool sl_copy_should_stop(sl_copy_shared *sh);
/* Adds n rejects; true when the limit is now exceeded (and sets halted/stop). */
bool sl_copy_add_rejects(sl_copy_shared *sh, int64_t n);
void sl_copy_emit(sl_copy_shared *sh, const sl_copy_event *ev);
void sl_copy_notice(const sl_copy_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ddl_check.c: which part of a refused CREATE TABLE the target refuses. */
#define SL_COPY_WHOLE_TABLE ((size_t)-1)

typedef struct sl_copy_fault {
	size_t column;   /* index in the table's columns, or SL_COPY_WHOLE_TABLE */
	bool in_default; /* the column's default is refused, not its type */
	char *message;   /* the engine's message for this piece */
} sl_copy_fault;

typedef struct sl_copy_diag {
	sl_copy_fault *v;
	size_t n;
} sl_copy_diag;

/*
 * Tries t's CREATE TABLE again in pieces on c (in savepoints that are rolled
 * back where DDL is transactional, so c must be in a transaction there;
 * created and dropped elsewhere) and fills out with the pieces refused;
 * message is the whole statement's error, used when no piece fails alone.
 */
int sl_copy_diagnose(sl_copy_diag *out, sl_conn *c, const sl_copy_plan *p, const sl_copy_tplan *t,
		     const char *message);
void sl_copy_diag_free(sl_copy_diag *d);
/* True when only defaults are at fault (--force creates the table without them). */
bool sl_copy_diag_defaults_only(const sl_copy_diag *d);
/* The faults as one line: column, what the engine refuses, its message and the fix. */
int sl_copy_diag_text(sl_buf *out, const sl_copy_diag *d, const sl_copy_tplan *t, sl_engine target);

/* mask.c: sensitive columns and masking their values in rejects (docs/copy.md, "Rejects"). */
#define SL_COPY_MASK "***"
/* The naming rule alone: password, secret, token, ssn, card numbers... */
bool sl_copy_name_sensitive(const char *column);
/* patterns (sluice.yaml copy.sensitive) first, then the naming rule. */
bool sl_copy_sensitive(const char *const *patterns, size_t n, const char *table, const char *column);
/* Replaces each occurrence of secret in *text (malloc'd, replaced) by SL_COPY_MASK. */
int sl_copy_mask_in(char **text, const char *secret);
/*
 * A refused row of t (row: the source values in select order): masks *value
 * when column is sensitive, and in *reason every value of a sensitive column
 * of the row (both malloc'd, replaced).
 */
int sl_copy_mask_reject(const sl_copy_opts *o, const sl_copy_tplan *t, const sl_value *row,
			const char *column, char **value, char **reason);
/* Replaces the values of sensitive key columns in kv (t->nkey values) by the mask. */
void sl_copy_mask_key(const sl_copy_opts *o, const sl_copy_tplan *t, sl_value *kv);

/* plan.c helpers */
/* By ref (the name in the copy state). */
const sl_copy_tplan *sl_copy_plan_find(const sl_copy_plan *p, const char *table);
/*
 * Builds "SELECT cols FROM t [WHERE ...] ORDER BY key" for a part on the
 * source; hooks (may be NULL) give column expressions and a row filter.
 */
int sl_copy_select_sql(sl_buf *out, sl_conn *src, const sl_copy_tplan *t, const sl_copy_part *p,
		       const sl_value *last, const sl_copy_hooks *hooks);

#endif
