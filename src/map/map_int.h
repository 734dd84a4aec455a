/*
 * map_int.h - what the files of src/map share (internal; not installed).
 */
#ifndef SLUICE_MAP_INT_H
#define SLUICE_MAP_INT_H

#include "sluice/consumers.h"

/* Adds (or merges the access bits of) a touch of consumer c; query -1 for a declared one. */
int sl_consumer_add_touch(sl_consumers *cs, sl_consumer *c, const char *table, const char *column,
			  unsigned access, int query, size_t line, size_t col);

#endif
