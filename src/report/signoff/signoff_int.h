/*
 * signoff_int.h - what the files of the sign-off report share (internal;
 * the public API is the "sign-off report" part of include/sluice/report.h).
 *
 *   model.c     sl_report_build: runs every source, the time, the verdict
 *   sources.c   one small function per source of evidence (map, decision
 *               log, rehearsals, checks, diffs, shadow reads, copies,
 *               snapshots, sync), each giving one section
 *   src_cutover.c, src_watch.c   the cutover journal and the watch records
 *   verdict.c   GO / NO-GO from the sections, with what is red
 *   escape.c    HTML text and attribute escaping, JSON inside <script>
 *   svg.c       line and bar charts as inline SVG, with text alternatives
 *   html.c, html_map.c, html_runs.c, html_cutover.c   the HTML page
 *   md.c        the Markdown variant
 *
 * The model is one JSON document ("sluice-report/1", docs/commands/report.md):
 * the JSON variant prints it, the HTML page embeds it, and every renderer
 * reads only it, so the three variants cannot disagree.
 */
#ifndef SLUICE_SIGNOFF_INT_H
#define SLUICE_SIGNOFF_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/report.h"

struct sl_report {
	json_t *root;
};

/* Section statuses, worst last. */
#define RP_NOT_RUN     "not_run"
#define RP_PASS        "pass"
#define RP_WARN        "warn"
#define RP_FAIL        "fail"
#define RP_UNAVAILABLE "unavailable"

/* ---- reading the model (NULL, or dflt, when absent or of another type) ---- */
const char *rp_str(const json_t *o, const char *key);
int64_t rp_int(const json_t *o, const char *key, int64_t dflt);
double rp_num(const json_t *o, const char *key, double dflt);
bool rp_is(const json_t *o, const char *key, const char *value);
/* A new section object {"status", "summary"} (summary printf-style). */
json_t *rp_section(const char *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- sources.c ---- */
/*
 * A source fills one section of the model from the input: returns the
 * section object (never NULL unless out of memory); a source with nothing
 * recorded returns status RP_NOT_RUN and a summary saying what to run.
 */
typedef json_t *(*rp_source_fn)(const sl_report_input *in, size_t runs, int *rc);
typedef struct rp_source {
	const char *key;   /* the section's key in the model */
	const char *title; /* its heading */
	rp_source_fn read;
	bool required; /* GO needs it run */
} rp_source;
/* The sources in report order; *n gets their count. */
const rp_source *rp_sources(size_t *n);
/* The cutover journal (src_cutover.c) and the watch records (src_watch.c). */
json_t *rp_src_cutover(const sl_report_input *in, size_t runs, int *rc);
json_t *rp_src_watch(const sl_report_input *in, size_t runs, int *rc);
/* UTC microseconds as ISO 8601 with milliseconds, or null (0 or less). */
json_t *rp_iso_us(int64_t us);
/* Milliseconds since 1970 of an ISO 8601 UTC time ("2026-03-01T12:00:03.123Z"), -1 when it is not one. */
int64_t rp_iso_ms(const char *iso);

/* ---- verdict.c ---- */
/* Adds root["verdict"] from root["sections"]. */
int rp_verdict(json_t *root);

/* ---- escape.c (public in report.h: sl_html_text, sl_html_attr, sl_html_json) ---- */

/* ---- svg.c ---- */
typedef struct rp_series {
	const char *name;
	const double *y; /* nx values; NaN: no value at that x */
	const char *color, *dash;
} rp_series;

typedef struct rp_chart {
	const char *id;    /* unique in the page: ids of the title and description derive from it */
	const char *title; /* what it shows */
	const char *desc;  /* the text alternative: what the reader should take from it */
	const char *y_label;
	const char *const *x_labels; /* nx labels */
	size_t nx;
	const rp_series *series;
	size_t nseries;
	bool bars;                   /* bars (one series) instead of lines */
	const char *const *bar_fill; /* bars: a color per bar, or NULL */
} rp_chart;

/* A chart as inline SVG (role="img", title and desc; no script, no style attribute). */
int rp_svg_chart(sl_buf *out, const rp_chart *c);

/* One bar of a timeline: from start_ms for dur_ms, against a budget (a dashed box) when budget_ms > 0. */
typedef struct rp_span {
	const char *label;  /* the row's name */
	double start_ms;    /* from the start of the timeline */
	double dur_ms;      /* < 0: not known (still running) */
	double budget_ms;   /* <= 0: none */
	const char *status; /* RP_PASS, RP_WARN, RP_FAIL or RP_NOT_RUN: the bar's color */
	const char *word;   /* what happened ("done", "failed"): in the tooltip and beside the bar */
} rp_span;

typedef struct rp_timeline {
	const char *id, *title, *desc; /* as rp_chart's */
	const rp_span *spans;
	size_t n;
} rp_timeline;

/* A timeline (one row per span, time across) as inline SVG, with the same accessibility as rp_svg_chart. */
int rp_svg_timeline(sl_buf *out, const rp_timeline *t);
/* Colors the charts use, chosen for contrast on white and for color-blind readers. */
extern const char *const rp_palette[6];
extern const char *const rp_dashes[6];

/* ---- html*.c ---- */
int rp_html_map(sl_buf *out, const json_t *section);
int rp_html_runs(sl_buf *out, const char *key, const json_t *section);
int rp_html_cutover(sl_buf *out, const json_t *section); /* html_cutover.c */
int rp_html_watch(sl_buf *out, const json_t *section);
/* The badge status (pass, warn, fail, not_run) of a word a record uses ("done", "breach", ...). */
const char *rp_badge_of(const char *word);
int rp_h_td_recorded(sl_buf *out, const char *word); /* the word, colored by rp_badge_of */
int rp_h_td_ms(sl_buf *out, double ms);
/* Small builders shared by the HTML files. */
int rp_h_text(sl_buf *out, const char *s); /* escaped text, "" for NULL */
int rp_h_rich(sl_buf *out, const char *s); /* escaped text with `spans` as <code> (summaries) */
int rp_h_tag(sl_buf *out, const char *tag, const char *cls, const char *text); /* <tag class>text</tag> */
int rp_h_badge(sl_buf *out, const char *status); /* a status word with its symbol */
int rp_h_caption_table(sl_buf *out, const char *caption, const char *const *heads, size_t n);
int rp_h_td(sl_buf *out, const char *text, bool num);
int rp_h_td_int(sl_buf *out, int64_t v);
int rp_h_summary(sl_buf *out, const json_t *section);
/* Milliseconds as "1.2 s" / "340 ms". */
int rp_fmt_ms(sl_buf *out, double ms);
const char *rp_status_word(const char *status);

/* ---- md.c helpers ---- */
int rp_md_cell(sl_buf *out, const char *s);

#endif
