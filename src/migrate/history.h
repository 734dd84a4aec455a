/*
 * history.h - writing rows of the history table (internal to src/migrate).
 * Reading and creating it are public: include/sluice/migrate.h.
 */
#ifndef SLUICE_MIGRATE_HISTORY_H
#define SLUICE_MIGRATE_HISTORY_H

#include "sluice/migrate.h"

int sl_history_insert(sl_conn *c, const char *table, const sl_history_row *r);
/* Sets status, duration and failure fields; checksum/up_sql too when non-NULL. */
int sl_history_update(sl_conn *c, const char *table, const char *id, const char *status, int64_t duration_ms,
		      const char *failed_statement, const char *error, const char *checksum,
		      const char *up_sql);
int sl_history_delete(sl_conn *c, const char *table, const char *id);

#endif
