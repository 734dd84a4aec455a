/*
 * report.h - renderings of sluice's models for people and programs.
 *
 * Each function appends to out and returns 0 or a negative SL_E* code.
 * Nothing here touches a database: callers pass models already read.
 */
#ifndef SLUICE_REPORT_H
#define SLUICE_REPORT_H

#include "sluice/buf.h"
#include "sluice/migrate.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A compact listing for a terminal: one block per table. */
int sl_report_schema_text(sl_buf *out, const sl_schema *s);
/* The whole model as JSON (format documented in docs/inspect.md). */
int sl_report_schema_json(sl_buf *out, const sl_schema *s);
/* A data map in Markdown for non-technical readers, with a Mermaid diagram. */
int sl_report_schema_md(sl_buf *out, const sl_schema *s, const char *title);

/* Appends lines of its own to a table's section (e.g. who uses the table); may append nothing. */
typedef int (*sl_report_table_note_fn)(void *ud, sl_buf *out, const sl_table *t);

typedef struct sl_report_md_opts {
	const char *title;                  /* NULL: the database's name */
	bool body_only;                     /* no title line and summary: the sections only */
	sl_report_table_note_fn table_note; /* NULL: none */
	void *ud;
} sl_report_md_opts;

/* sl_report_schema_md() with options (`sluice map` adds who uses each table). */
int sl_report_schema_md_ext(sl_buf *out, const sl_schema *s, const sl_report_md_opts *o);

/* The schema decision log: each migration with ticket, PR, why, rollback note, who and when. */
int sl_report_log_text(sl_buf *out, const sl_migrate_status *st);
int sl_report_log_md(sl_buf *out, const sl_migrate_status *st, const char *title);
int sl_report_log_json(sl_buf *out, const sl_migrate_status *st);

/* A unified diff of two texts (line based, bounded memory). */
int sl_report_udiff(sl_buf *out, const char *a, const char *b, const char *a_label, const char *b_label);

#ifdef __cplusplus
}
#endif
#endif
