/*
 * state_int.h - what the files of the state store share (internal to
 * src/state/): the handle, two helpers, and the schema of each kind of
 * record kept in the file that writes it (snapshot.c: snapshot reports;
 * shadow.c: shadow runs; journal.c: the cutover journal; watch.c: watch runs; copies.c: copy and
 * diff runs). The public API is include/sluice/state.h.
 */
#ifndef SLUICE_STATE_INT_H
#define SLUICE_STATE_INT_H

#include <stddef.h>

#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/state.h"

struct sl_state {
	sl_conn *conn; /* the SQLite file, through the ordinary driver */
	char *path;
};

/* Appends a text literal, or NULL for a NULL string. */
int sl_state_put_text(sl_state *s, sl_buf *b, const char *text);
/* Now in UTC, ISO 8601 with milliseconds. */
void sl_state_now_utc(char *out, size_t n);

/* Creates the snapshot report tables when absent (snapshot.c). */
int sl_state_snapshot_schema(sl_conn *c);
/* Creates the shadow run tables when absent (shadow.c). */
int sl_state_shadow_schema(sl_conn *c);
/* Creates the copy and diff run tables when absent (copies.c). */
int sl_state_copies_schema(sl_conn *c);
/* Creates the watch tables when absent (watch.c). */
int sl_state_watch_schema(sl_conn *c);
/* Creates the cutover journal tables when absent (journal.c). */
int sl_state_journal_schema(sl_conn *c);

#endif
