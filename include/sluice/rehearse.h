/*
 * rehearse.h - `sluice rehearse`: the measured dry run before a cutover.
 *
 * On a scratch copy of the database (never on the database itself, which a
 * rehearsal only reads): apply every pending migration statement by
 * statement, timed, watching the locks each takes and the tables it
 * rewrites; run verify and the integrity rules; revert every migration,
 * newest first, timed; and prove with a fingerprint of schema and data
 * (row count and an order-independent hash per table and column) that the
 * round trip restored the database exactly. Thresholds (sluice.yaml
 * `rehearsal:`) turn the figures into GO or NO-GO. Faults can be injected at
 * a chosen statement to prove that a failure leaves the database in exactly
 * the state sluice reports. docs/commands/rehearse.md describes every figure.
 *
 * Scratch databases are named prefix + run id and are dropped on every path
 * out of sl_rehearse_run(); sl_rehearse_cleanup() finds those a killed
 * process left behind. The engine-specific work (cloning, listing, lock
 * observation, rewrite detection, cutting a connection) is behind the driver
 * interface (include/sluice/sys/driver.h).
 */
#ifndef SLUICE_REHEARSE_H
#define SLUICE_REHEARSE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/migration.h"
#include "sluice/rules.h"
#include "sluice/state.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Opens a connection to the rehearsed database (scratch NULL), or to the
 * scratch database of that name beside it: the callee parses its URL, calls
 * sl_conn_scratch_url(beside, url, scratch), applies any password and
 * opens. beside is NULL when scratch is NULL. 0 or SL_E*. The rehearsal
 * opens every connection itself, so that none is open to the rehearsed
 * database while PostgreSQL clones it.
 */
typedef int (*sl_rehearse_connect_fn)(sl_conn **out, void *ud, const sl_conn *beside, const char *scratch);

/* Progress for a terminal: phase ("scratch", "up", "down", ...) and what. May be called often. */
typedef void (*sl_rehearse_progress_fn)(void *ud, const char *phase, const char *detail);

typedef struct sl_rehearse_opts {
	const sl_migration_set *set; /* the migration files */
	const char *table;           /* history table */
	const sl_config *cfg;        /* thresholds (rehearsal:) and domains; NULL: defaults */
	const sl_rules *rules;       /* integrity rules run on the scratch copy; NULL: none */
	const char *environment;     /* display name recorded (never a URL with a password) */
	sl_rehearse_connect_fn connect;
	void *connect_ud;
	sl_state *state;       /* where the verdict is recorded; NULL: not recorded */
	int repeat;            /* round trips (>= 1) for min / median / max */
	const char *fail_at;   /* "MIGRATION:STATEMENT": that up statement fails */
	const char *drop_at;   /* "MIGRATION:STATEMENT": the connection is cut before it */
	int64_t forecast_rows; /* > 0: forecast durations at this many rows (three samples) */
	const char *prefix;    /* scratch name prefix; NULL: cfg's, else "sluice_rehearse_" */
	sl_rehearse_progress_fn on_progress;
	void *progress_ud;
	/*
	 * May be NULL. Read between phases (scratch copy, fingerprints, each
	 * round's up, verify, rules, down): non-zero stops the rehearsal with
	 * SL_EINTERRUPTED, the scratch database dropped. Set it from a signal
	 * handler.
	 */
	const volatile sig_atomic_t *cancel;
} sl_rehearse_opts;

#define SL_REHEARSE_OPTS_INIT                                                                                \
	{                                                                                                    \
		.set = NULL, .table = "sluice_migrations", .cfg = NULL, .rules = NULL, .environment = NULL,  \
		.connect = NULL, .connect_ud = NULL, .state = NULL, .repeat = 1, .fail_at = NULL,            \
		.drop_at = NULL, .forecast_rows = 0, .prefix = NULL, .on_progress = NULL,                    \
		.progress_ud = NULL, .cancel = NULL                                                          \
	}

/* A lock one statement held on one table. */
typedef struct sl_rh_lock {
	char *table;
	char *mode;        /* engine's name, or "database write lock", "writes blocked (COPY)" */
	bool blocks_reads; /* else it blocks writes only */
	bool observed;     /* seen from a second session (else inferred: docs) */
	int64_t held_us;   /* from the statement's start to the lock's release (commit) */
	bool critical;     /* the table belongs to a critical domain */
} sl_rh_lock;

/* One statement of one run (up or down), in the order it ran. */
typedef struct sl_rh_stmt {
	char *migration;
	bool down;
	int round; /* 1-based repeat */
	size_t index, line;
	char *sql; /* on one line, cut at 200 bytes */
	int64_t us;
	int64_t changes;
	bool failed;
	char **rewritten; /* tables whose storage it replaced */
	char **rewrite_notes;
	size_t nrewritten;
	sl_rh_lock *locks;
	size_t nlocks;
} sl_rh_stmt;

typedef struct sl_rh_spread {
	int64_t min_us, median_us, max_us;
	size_t n;
} sl_rh_spread;

/* A per-migration duration forecast from three sample sizes. */
typedef struct sl_rh_forecast {
	bool done;
	char method[48];      /* "power law t = a*n^b" or "linear t = a + b*n" */
	double a, b;          /* the fitted parameters (n in rows, t in microseconds) */
	int64_t rows[3];      /* sample sizes (rows in the database) */
	int64_t us[3];        /* measured up durations */
	double max_rel_error; /* largest |fit - measured| / measured over the samples */
	int64_t forecast_us;  /* at opts->forecast_rows */
} sl_rh_forecast;

typedef struct sl_rh_migration {
	char *id;
	char *title;
	char checksum[SL_CHECKSUM_SIZE];
	bool transactional;
	sl_rh_spread up, down;
	size_t statements;
	size_t rewrites;   /* tables rewritten by its up (first round) */
	int64_t block_us;  /* longest lock against writers on a critical table */
	char *block_table; /* ... on this table */
	bool verify_failed;
	char *verify_error;
	sl_rh_forecast forecast;
} sl_rh_migration;

typedef struct sl_rh_rule {
	char *name;
	const char *status_before, *status_after; /* pass | warn | halt | error | skipped */
	int64_t before, after;                    /* violations on the scratch copy, -1 error */
	char *message;                            /* an error after up, or NULL */
} sl_rh_rule;

/* What --fail-at / --drop-connection-at did and what the database then held. */
typedef struct sl_rh_fault {
	const char *kind; /* "fail-at" or "drop-connection"; NULL when none was asked */
	char *migration;
	size_t statement;
	bool fired;
	char *error;              /* the error sluice reported */
	char *history_status;     /* the history row afterwards: "absent", "running", "dirty", "applied" */
	char *recorded_statement; /* the failed statement the history row names, or NULL */
	size_t statements_ran;    /* statements of the migration that ran before the fault */
	size_t earlier;           /* migrations of the run before the faulty one */
	size_t earlier_recorded;  /* ... that the history records as applied afterwards */
	bool truthful;            /* the database holds exactly what the report says */
	char *explanation;        /* why truthful or not, one paragraph */
} sl_rh_fault;

typedef struct sl_rehearsal {
	char *run_id;
	char *scratch;        /* the scratch database's name */
	char *scratch_method; /* "clone (backup API)", "clone (TEMPLATE)", "copy" */
	const char *engine;
	char *environment;
	char *server_version;
	int repeat;
	bool no_pending;
	int64_t scratch_us, fingerprint_us, verify_us, rules_us, total_us;
	sl_rh_migration *migrations;
	size_t nmigrations;
	sl_rh_stmt *stmts;
	size_t nstmts;
	sl_rh_rule *rules;
	size_t nrules;
	int64_t rule_discrepancies; /* new violations after up, summed, plus rules that broke */
	size_t verify_failures;
	bool fidelity_checked, fidelity_ok;
	char **fidelity_diffs; /* one line each: table, column or row that differs */
	size_t nfidelity_diffs;
	sl_rh_fault fault;
	int64_t forecast_rows;
	char **failed; /* the thresholds that failed, one line each */
	size_t nfailed;
	char **notes; /* what the reader must know (inferred locks, skipped checks, ...) */
	size_t nnotes;
	const char *verdict; /* "GO", "NO-GO", "DRILL OK", "DRILL FAILED" */
	char migrations_key[SL_CHECKSUM_SIZE];
	int64_t state_id; /* id in the state store, 0 when not recorded */
} sl_rehearsal;

void sl_rehearsal_free(sl_rehearsal *r);

/*
 * Runs the rehearsal. *out is filled on success and on most failures (with
 * what was measured); the caller frees it. Returns 0 when the rehearsal ran
 * to a verdict - GO or NO-GO alike, read (*out)->verdict - and SL_E* when it
 * could not (bad --fail-at, no history table, a database error outside the
 * migrations, ...). The scratch database is gone on every return.
 */
int sl_rehearse_run(sl_rehearsal **out, const sl_rehearse_opts *opts);

/*
 * Drops every scratch database with the prefix beside c's database (c:
 * a connection to the rehearsed database), except those of a rehearsal
 * still running on this machine, reporting each to fn as (name, "dropped")
 * or (name, "in use by process N").
 */
int sl_rehearse_cleanup(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);

/*
 * The key a cutover gate compares: "v1:" + SHA-256 of "id checksum\n" per
 * pending migration, in id order (the checksums the history table would
 * record on this engine).
 */
int sl_rehearse_migrations_key(char out[SL_CHECKSUM_SIZE], const sl_rehearsal *r);

/* Renderings. JSON holds every figure; text is a timeline with the slowest statements first. */
int sl_rehearsal_json(sl_buf *out, const sl_rehearsal *r);
int sl_rehearsal_text(sl_buf *out, const sl_rehearsal *r, bool color);
int sl_rehearsal_md(sl_buf *out, const sl_rehearsal *r);

#ifdef __cplusplus
}
#endif
#endif
