/*
 * sync_int.h - what the files of the sync module share: names of sync's
 * objects (names.c), the source meta table and the target state table
 * (meta.c), change-log keys as JSON arrays (keys.c), one applied batch
 * (apply.c), and the run loop (run.c). docs/sync.md describes the tables.
 *
 * Only portable SQL is written here; everything engine-specific goes through
 * include/sluice/capture.h (the drivers' sync hooks).
 */
#ifndef SLUICE_SYNC_INT_H
#define SLUICE_SYNC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/capture.h"
#include "sluice/conn.h"
#include "sluice/sync.h"

#include "../copy/copy_int.h"

#define SL_SYNC_NAME_MAX 64

/* names.c */
/* "sluice_sync_<table, [a-z0-9_], at most 24>_<8 hex of a hash of the name>" */
void sl_sync_trigger_base(char out[SL_SYNC_NAME_MAX], const char *table);
/* "sluice_stage_..." likewise, for the target's staging table of table */
void sl_sync_stage_name(char out[SL_SYNC_NAME_MAX], const char *table);
/* A new run id: 16 hex digits. */
int sl_sync_new_run_id(char out[17]);
int64_t sl_sync_now_us(void);
/* Schema fingerprint of a table: names, declared types, nullability and key. 16 hex digits. */
void sl_sync_fingerprint(char out[17], const sl_table *t);

/* meta.c: the source's meta table, one row per captured table. */
typedef struct sl_sync_meta_row {
	char *table, *trigger, *fingerprint;
} sl_sync_meta_row;

typedef struct sl_sync_meta {
	char *run_id;
	char *target; /* display name */
	int64_t started_us;
	sl_sync_meta_row *rows;
	size_t nrows;
} sl_sync_meta;

/*
 * *out = whether `SELECT ... FROM name` works on c. Fails (with the
 * connection's error) only when c itself is broken.
 */
int sl_sync_table_exists(sl_conn *c, const char *name, bool *out);
int sl_sync_meta_create(sl_conn *c);
int sl_sync_meta_add(sl_conn *c, const char *run_id, const char *table, const char *trigger,
		     const char *fingerprint, const char *target, int64_t started_us);
/* SL_ENOTFOUND when the table is absent or empty. */
int sl_sync_meta_read(sl_sync_meta *out, sl_conn *c);
void sl_sync_meta_free(sl_sync_meta *m);

/* The target's checkpoint row (one per run). */
typedef struct sl_sync_state {
	char *run_id, *source, *last_error;
	int64_t applied, batches, last_seq, heartbeat_us, updated_us, started_us;
	double rate;
	bool paused;
} sl_sync_state;

int sl_sync_state_create(sl_conn *c, const char *run_id, const char *source, int64_t started_us);
/* SL_ENOTFOUND when no row of run_id (or no table). */
int sl_sync_state_read(sl_sync_state *out, sl_conn *c, const char *run_id);
void sl_sync_state_free(sl_sync_state *s);
/* Adds a batch to the checkpoint, in the caller's transaction. */
int sl_sync_state_advance(sl_conn *c, const char *run_id, int64_t consumed, int64_t last_seq,
			  int64_t heartbeat_us, double rate);
/* Records (or clears, msg NULL) the last error; autocommit. */
int sl_sync_state_error(sl_conn *c, const char *run_id, const char *msg);
int sl_sync_state_pause(sl_conn *c, bool paused);

/* keys.c: a change-log key, a flat JSON array of scalars. */
typedef struct sl_sync_key {
	sl_value v[16]; /* numbers as SL_V_DECIMAL text, strings SL_V_TEXT, true/false, null */
	size_t n;
} sl_sync_key;

/* Parses text (len bytes); string payloads are copied into a. SL_EINVALID when malformed. */
int sl_sync_key_parse(sl_sync_key *out, const char *text, size_t len, sl_arena *a);

/* apply.c: applies one batch of log rows read from src into dst. */
typedef struct sl_sync_applier sl_sync_applier;

typedef struct sl_sync_batch_result {
	int64_t rows;     /* log rows read (0: the log is empty) */
	int64_t consumed; /* of which changes (heartbeats excluded) */
	int64_t upserts, deletes, rejects;
	int64_t last_seq;
	int64_t heartbeat_us; /* newest heartbeat in the batch, 0 when none */
} sl_sync_batch_result;

int sl_sync_applier_new(sl_sync_applier **out, const sl_copy_plan *plan, const char *run_id);
void sl_sync_applier_free(sl_sync_applier *a);
/* Binds new connections (after a reconnect): stages are created again. */
int sl_sync_applier_connect(sl_sync_applier *a, sl_conn *src, sl_conn *dst);
/* Reads up to max log rows and applies them; res->consumed 0 when the log is empty. */
int sl_sync_apply_batch(sl_sync_applier *a, size_t max, double rate, sl_sync_batch_result *res);
/* The source table whose query failed last (for schema-change messages), or NULL. */
const char *sl_sync_applier_failed_table(const sl_sync_applier *a);

/* run.c helpers shared with start.c */
int sl_sync_connect(sl_conn **out, const sl_sync_opts *o, sl_copy_side side);
int sl_sync_check_schema(sl_conn *src, const sl_sync_meta *m);
/* The plan of the captured tables (the meta's rows), for dst's engine. */
int sl_sync_plan(sl_copy_plan **out, sl_conn *src, sl_engine target, const sl_sync_meta *m,
		 const sl_cast_rules *rules);
void sl_sync_notice(const sl_sync_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
