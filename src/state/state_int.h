/*
 * state_int.h - what the files of the state store share: its connection
 * (state.c owns it) for the tables other files add (shadow.c).
 */
#ifndef SLUICE_STATE_INT_H
#define SLUICE_STATE_INT_H

#include "sluice/conn.h"
#include "sluice/state.h"

/* Borrowed: the store's SQLite connection, valid until sl_state_close(). */
sl_conn *sl_state_conn(sl_state *s);

#endif
