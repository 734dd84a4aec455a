/*
 * capture.h - change capture and apply through the driver (for src/sync/).
 *
 * Thin wrappers over the driver's sync hooks (sys/driver.h, sl_sync_ops):
 * the change-log table, the capture triggers per table, the staging table
 * and idempotent merge used to apply changes, and the session mode that
 * applies without foreign key checks. Every one fails with SL_EINVALID when
 * the engine has no capture (sl_conn_has(c, SL_CAP_CAPTURE) is false).
 */
#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include "sluice/conn.h"
#include "sluice/sys/driver.h"

#ifdef __cplusplus
extern "C" {
#endif

int sl_capture_log_create(sl_conn *c);
int sl_capture_log_session(sl_conn *c);
/* Deletes the log rows of these seqs (in the caller's transaction). */
int sl_capture_log_delete(sl_conn *c, const int64_t *seqs, size_t n);
int sl_capture_add(sl_conn *c, const sl_capture_table *t);
int sl_capture_drop(sl_conn *c, const sl_capture_table *t);
/* Appends "table<TAB>trigger\n" for every trigger named sluice_sync_* in the database. */
int sl_capture_list(sl_conn *c, sl_buf *out);
int sl_stage_create(sl_conn *c, const char *table, const char *stage);
int sl_stage_merge(sl_conn *c, const char *table, const char *stage, const char *const *cols, size_t ncols,
		   const char *const *key, size_t nkey);
int sl_conn_apply_mode(sl_conn *c, bool replica);

#ifdef __cplusplus
}
#endif
#endif
