/*
 * prefetch.h - reads a cursor one batch ahead of its consumer, in a thread
 * of its own, so that the engine's work (SQLite's VM, a server's rows
 * arriving and being decoded) overlaps with what the caller does with the
 * batch before (compare, convert, write). Not installed.
 *
 * While a prefetch runs, the cursor and its connection belong to its thread:
 * the caller must not use that connection until sl_prefetch_stop. Memory: two
 * batches of at most batch_rows rows (the one the caller holds and the one
 * being filled).
 */
#ifndef SLUICE_DB_PREFETCH_H
#define SLUICE_DB_PREFETCH_H

#include "sluice/conn.h"

typedef struct sl_prefetch sl_prefetch;

/* Starts reading cur in batches of at most batch_rows rows. Without a thread
 * (pthread_create failed) every sl_prefetch_next fetches in the caller. */
int sl_prefetch_start(sl_prefetch **out, sl_cursor *cur, size_t batch_rows);

/*
 * Hands the next batch, borrowed until the next call or sl_prefetch_stop, and
 * returns its number of rows: 0 at the end, a negative SL_E* on failure with
 * the reader's message (code, SQLSTATE, engine code) as the caller's last error.
 */
int sl_prefetch_next(sl_prefetch *p, sl_batch **out);

/* Waits for a fetch under way, ends the thread and frees the batches; the
 * cursor stays open and is the caller's again. NULL is ignored. */
void sl_prefetch_stop(sl_prefetch *p);

#endif
