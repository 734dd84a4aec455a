/*
 * report.h - renderings of sluice's models for people and programs, and the
 * sign-off report (`sluice report`).
 *
 * Each function appends to out and returns 0 or a negative SL_E* code.
 * Nothing here opens a database: callers pass models already read (the
 * sign-off report reads the state store it is given).
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

/* ---- HTML escaping (src/report/signoff/escape.c) ---- */

/* Text content: & < > escaped; bytes that are not valid UTF-8 become U+FFFD; NUL and other C0
 * controls except tab and newline are dropped. */
int sl_html_text(sl_buf *out, const char *s);
/* A double-quoted attribute value: sl_html_text() and " ' escaped too. */
int sl_html_attr(sl_buf *out, const char *s);
/*
 * JSON text made safe inside <script type="application/json">: every <, >
 * and & (which JSON has only inside strings) becomes \u003c, \u003e,
 * \u0026, so no "</script>" or "<!--" can end or change the block.
 */
int sl_html_json(sl_buf *out, const char *json);

/* ---- the sign-off report (src/report/signoff/, docs/commands/report.md) ---- */

struct sl_state;
struct sl_map;
struct sl_sync_status;

/*
 * What the report is made from. Only environment is required; every
 * missing source becomes a section that says it has not been run yet.
 */
typedef struct sl_report_input {
	const char *title;                   /* the project; NULL: the map's title, else the environment */
	const char *environment;             /* the reported database's display name (never a password) */
	const char *engine;                  /* "sqlite", "postgres" or "mysql"; NULL: unknown */
	const char *generator;               /* "sluice 0.1.0": written into the page */
	struct sl_state *state;              /* NULL: no state store yet */
	const char *state_path;              /* as configured (shown to the reader) */
	const struct sl_map *map;            /* NULL: see map_error */
	const char *map_error;               /* why there is no map, or NULL */
	const sl_migrate_status *migrations; /* NULL: no migrations directory */
	const struct sl_sync_status *sync;   /* NULL: none found (or none looked for) */
	const char *sync_error;              /* why the sync status could not be read, or NULL */
	bool sync_checked;                   /* a sync was looked for (the caller named its target) */
	const char *now;                     /* the report's time (ISO 8601 UTC); NULL: the newest record's */
	size_t runs;                         /* runs shown per history; 0: 20 */
} sl_report_input;

typedef struct sl_report sl_report;

/* Reads every source into one model (the JSON document "sluice-report/1"). */
int sl_report_build(sl_report **out, const sl_report_input *in);
void sl_report_free(sl_report *r);
/* "GO" or "NO-GO". */
const char *sl_report_verdict(const sl_report *r);
/*
 * Renderings. The same model gives the same bytes: no clock, no random,
 * every list in a stable order. HTML is one self-contained page (inline
 * CSS and SVG, no script, the model embedded as JSON); Markdown is for a
 * pull request; JSON is the model.
 */
int sl_report_html(sl_buf *out, const sl_report *r);
int sl_report_md(sl_buf *out, const sl_report *r);
int sl_report_json(sl_buf *out, const sl_report *r);

#ifdef __cplusplus
}
#endif
#endif
