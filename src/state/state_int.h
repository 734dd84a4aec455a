/*
 * state_int.h - what the files of the state store share: the store itself
 * (state.c opens it) and the schema of each kind of record, kept in the
 * file that writes it (snapshot.c: snapshot reports).
 */
#ifndef SLUICE_STATE_INT_H
#define SLUICE_STATE_INT_H

#include "sluice/conn.h"
#include "sluice/state.h"

struct sl_state {
	sl_conn *conn;
	char *path;
};

/* Creates the snapshot report tables when absent (snapshot.c). */
int sl_state_snapshot_schema(sl_conn *c);

#endif
