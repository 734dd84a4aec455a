/*
 * freeze.h - write freeze fences for `sluice cutover` (docs/runbook.md,
 * "freeze"; the driver hooks are in include/sluice/sys/driver.h).
 *
 * A fence denies writes to chosen tables with BEFORE triggers that raise an
 * error while the fence's row in SL_FREEZE_TABLE has a deadline ahead of the
 * server's clock. The deadline is checked by the trigger itself, on the
 * server's clock, at every write: when the agreed downtime budget runs out,
 * writes go through again even if nothing removes the fence (sluice killed,
 * its machine gone). sl_freeze_lift() removes the triggers and the row.
 *
 * Where DDL is transactional (PostgreSQL, SQLite) a fence is installed and
 * lifted in one transaction: every table is fenced at the same instant. On
 * MySQL the tables are fenced one after another, the row first. Creating a
 * trigger waits for the transactions holding locks on the table, so when
 * sl_freeze_install() returns every earlier write has committed and every
 * later one is denied.
 */
#ifndef SLUICE_FREEZE_H
#define SLUICE_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the database holds about one fence. Times are the server's clock, UTC microseconds. */
typedef struct sl_freeze_state {
	bool armed;          /* the token's row exists */
	int64_t started_us;  /* when it was armed */
	int64_t deadline_us; /* when it stops denying writes by itself */
	int64_t now_us;      /* the server's clock when read */
	size_t fenced;       /* tables of the call that carry its triggers */
} sl_freeze_state;

/*
 * Arms token (letters, digits, '_', '-'; at most 64 bytes) with a deadline
 * budget_ms from the server's now, and fences tables[0..n). SL_ECONFLICT when
 * one of them already carries a fence; SL_EINVALID when the engine has none.
 * *out (may be NULL) gets the state right after: started_us is the moment the
 * fence took effect.
 */
int sl_freeze_install(sl_conn *c, const char *token, const char *const *tables, size_t n, int64_t budget_ms,
		      sl_freeze_state *out);

/*
 * Removes the fence of tables[0..n) and token's row; the fence table and
 * helpers go when no fence is left. Idempotent. *ended_us (may be NULL) is
 * the server's clock when the fence was gone.
 */
int sl_freeze_lift(sl_conn *c, const char *token, const char *const *tables, size_t n, int64_t *ended_us);

/* The fence of token on tables[0..n) as the database holds it (armed false when there is none). */
int sl_freeze_read(sl_conn *c, const char *token, const char *const *tables, size_t n, sl_freeze_state *out);

/* The server's clock, UTC microseconds. */
int sl_freeze_clock(sl_conn *c, int64_t *now_us);

/*
 * Marks the current transaction of c as one that writes through fences (on),
 * or clears the mark before commit (off). No-op on engines without fences.
 * sync's applier calls it around every batch.
 */
int sl_freeze_pass(sl_conn *c, bool on);

/* Appends "table<TAB>trigger\n" for every fence trigger in c's database. */
int sl_freeze_list(sl_conn *c, sl_buf *out);

/* The trigger name base of a table's fence ("sluice_freeze_<table>_<hash>"): out holds 64 bytes. */
void sl_freeze_trigger_base(char out[64], const char *table);

#ifdef __cplusplus
}
#endif
#endif
