/*
 * decision_log.c - the schema decision log (sluice log): every migration
 * with its ticket, pull request, reason, rollback note, and who applied it
 * when - as text, Markdown or JSON. Metadata comes from the file when it
 * exists, else from what the history table recorded when it was applied.
 */
#include "sluice/report.h"

#include "sluice/error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A metadata field: the file's value, else the recorded one. */
static const char *field(const sl_mig_status *s, const char *key)
{
	if (s->file) {
		if (strcmp(key, "title") == 0)
			return s->file->title;
		const char *v = sl_migration_meta_get(s->file, key);
		return v && *v ? v : NULL;
	}
	if (!s->row)
		return NULL;
	const sl_history_row *r = s->row;
	if (!strcmp(key, "title"))
		return r->title;
	if (!strcmp(key, "ticket"))
		return r->ticket;
	if (!strcmp(key, "pr"))
		return r->pr;
	if (!strcmp(key, "author"))
		return r->author;
	if (!strcmp(key, "why"))
		return r->why;
	if (!strcmp(key, "rollback"))
		return r->rollback;
	if (!strcmp(key, "domain"))
		return r->domain;
	return NULL;
}

static const char *const keys[] = { "ticket", "pr", "author", "domain", "why", "rollback" };
static const char *const labels[] = { "ticket", "pr", "author", "domain", "why", "rollback" };
static const char *const md_labels[] = { "Ticket", "Pull request", "Author", "Domain", "Why", "Rollback" };

/* Text with each newline followed by the indent, so multi-line metadata stays aligned. */
static int put_folded(sl_buf *out, const char *s, const char *indent)
{
	int rc = 0;
	for (; !rc && *s; s++)
		rc = *s == '\n' ? sl_buf_printf(out, "\n%s", indent) : sl_buf_putc(out, *s);
	return rc;
}

static int applied_line(sl_buf *out, const sl_mig_status *s, const char *prefix)
{
	if (!s->row)
		return sl_buf_printf(out, "%snot applied yet\n", prefix);
	return sl_buf_printf(out, "%s%s %s by %s (%lld ms)\n", prefix, sl_mig_state_name(s->state),
			     s->row->applied_at ? s->row->applied_at : "?",
			     s->row->applied_by ? s->row->applied_by : "?", (long long)s->row->duration_ms);
}

int sl_report_log_text(sl_buf *out, const sl_migrate_status *st)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		const char *t = field(s, "title");
		rc = sl_buf_printf(out, "%s  %s\n", s->id, t ? t : "(untitled)");
		if (!rc)
			rc = applied_line(out, s, "    status:   ");
		for (size_t k = 0; !rc && k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v = field(s, keys[k]);
			if (!v)
				continue;
			rc = sl_buf_printf(out, "    %-9s ", labels[k]);
			if (!rc)
				rc = put_folded(out, v, "              ");
			if (!rc)
				rc = sl_buf_putc(out, '\n');
		}
		if (!rc && s->file && s->file->irreversible)
			rc = sl_buf_printf(out, "    %-9s %s\n", "irreversible", s->file->irreversible);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	return rc;
}

/* Markdown text with newlines folded, for a list item. */
static int md_text(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && *s; s++)
		rc = sl_buf_putc(out, *s == '\n' ? ' ' : *s);
	return rc;
}

int sl_report_log_md(sl_buf *out, const sl_migrate_status *st, const char *title)
{
	int rc = sl_buf_printf(out, "# Schema decision log%s%s\n\n", title ? ": " : "", title ? title : "");
	if (!rc)
		rc = sl_buf_printf(out, "%zu changes: %zu applied, %zu pending%s.\n\n", st->n, st->napplied,
				   st->npending, st->ndirty ? ", some dirty (see below)" : "");
	if (!rc)
		rc = sl_buf_puts(out, "| Change | Ticket | Pull request | Status |\n|---|---|---|---|\n");
	for (size_t i = 0; !rc && i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		const char *t = field(s, "title"), *tk = field(s, "ticket"), *pr = field(s, "pr");
		rc = sl_buf_printf(out, "| [%s %s](#m%s) | %s | %s | %s |\n", s->id, t ? t : "", s->id,
				   tk ? tk : "-", pr ? pr : "-",
				   s->row ? sl_mig_state_name(s->state) : "pending");
	}
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	for (size_t i = 0; !rc && i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		const char *t = field(s, "title");
		rc = sl_buf_printf(out, "<a id=\"m%s\"></a>\n## %s — %s\n\n", s->id, s->id,
				   t ? t : "(untitled)");
		if (!rc)
			rc = applied_line(out, s, "- **Status:** ");
		for (size_t k = 0; !rc && k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v = field(s, keys[k]);
			if (!v)
				continue;
			rc = sl_buf_printf(out, "- **%s:** ", md_labels[k]);
			if (!rc)
				rc = md_text(out, v);
			if (!rc)
				rc = sl_buf_putc(out, '\n');
		}
		if (!rc && s->file && s->file->irreversible)
			rc = sl_buf_printf(out, "- **Irreversible:** %s\n", s->file->irreversible);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	return rc;
}

int sl_report_log_json(sl_buf *out, const sl_migrate_status *st)
{
	json_t *a = json_array();
	if (!a)
		return sl_error_nomem();
	for (size_t i = 0; i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(s->id));
		const char *t = field(s, "title");
		json_object_set_new(o, "title", t ? json_string(t) : json_null());
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v = field(s, keys[k]);
			json_object_set_new(o, keys[k], v ? json_string(v) : json_null());
		}
		json_object_set_new(o, "state", json_string(sl_mig_state_name(s->state)));
		json_object_set_new(o, "applied_at",
				    s->row && s->row->applied_at ? json_string(s->row->applied_at)
								 : json_null());
		json_object_set_new(o, "applied_by",
				    s->row && s->row->applied_by ? json_string(s->row->applied_by)
								 : json_null());
		json_object_set_new(o, "duration_ms",
				    s->row ? json_integer(s->row->duration_ms) : json_null());
		json_array_append_new(a, o);
	}
	char *text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!text)
		return sl_error_nomem();
	int rc = sl_buf_puts(out, text);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(text);
	return rc;
}
