/*
 * model.c - the sign-off report's model (report.h, signoff_int.h): one JSON
 * document, "sluice-report/1" (docs/commands/report.md). sl_report_build()
 * runs every source in report order, takes the report's time from the
 * caller or from the newest record (never from the clock), and adds the
 * verdict. The JSON variant is this document as it is.
 */
#include "signoff_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/map.h"

const char *rp_str(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t rp_int(const json_t *o, const char *key, int64_t dflt)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	return json_is_real(v) ? (int64_t)json_real_value(v) : dflt;
}

double rp_num(const json_t *o, const char *key, double dflt)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_number(v) ? json_number_value(v) : dflt;
}

bool rp_is(const json_t *o, const char *key, const char *value)
{
	const char *s = rp_str(o, key);
	return s && strcmp(s, value) == 0;
}

json_t *rp_section(const char *status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "summary", json_string(text));
	return o;
}

/* Every string under j whose key ends in "_at" (a recorded time): the newest into *best. */
static void newest_time(const json_t *j, const char **best)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_array(j)) {
		for (i = 0; i < json_array_size(j); i++)
			newest_time(json_array_get(j, i), best);
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach((json_t *)j, k, v)
	{
		const char *suffix = strrchr(k, '_');
		if (json_is_string(v) && suffix && strcmp(suffix, "_at") == 0) {
			const char *t = json_string_value(v);
			/* ISO 8601 UTC: compare the seconds, then what follows ("Z" or ".123Z") */
			if (strlen(t) >= 19 && (!*best || strncmp(t, *best, 19) > 0 ||
						(strncmp(t, *best, 19) == 0 && strcmp(t, *best) > 0)))
				*best = t;
		} else if (json_is_object(v) || json_is_array(v)) {
			newest_time(v, best);
		}
	}
}

static const char *title_of(const sl_report_input *in)
{
	if (in->title)
		return in->title;
	if (in->map && in->map->title)
		return in->map->title;
	return in->environment ? in->environment : "database";
}

int sl_report_build(sl_report **out, const sl_report_input *in)
{
	sl_report *r = calloc(1, sizeof(*r));
	json_t *sections = json_object();
	size_t n = 0, runs = in->runs ? in->runs : 20;
	const rp_source *src = rp_sources(&n);
	int rc = r && sections ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc && !(r->root = json_object()))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *s = src[i].read(in, runs, &rc);
		if (!rc && !s)
			rc = sl_error_nomem();
		if (rc) {
			json_decref(s);
			sl_error_prefix("report: read %s", src[i].title);
			break;
		}
		json_object_set_new(s, "title", json_string(src[i].title));
		json_object_set_new(s, "required", json_boolean(src[i].required));
		json_object_set_new(sections, src[i].key, s);
	}
	if (!rc) {
		const char *newest = NULL;
		newest_time(sections, &newest);
		json_t *root = r->root;
		json_object_set_new(root, "format", json_string("sluice-report/1"));
		json_object_set_new(root, "title", json_string(title_of(in)));
		json_object_set_new(root, "environment", json_string(in->environment ? in->environment : ""));
		json_object_set_new(root, "engine", in->engine ? json_string(in->engine) : json_null());
		json_object_set_new(root, "generator",
				    in->generator ? json_string(in->generator) : json_null());
		json_object_set_new(root, "as_of",
				    in->now  ? json_string(in->now)
				    : newest ? json_string(newest)
					     : json_null());
		json_object_set_new(root, "as_of_from",
				    json_string(in->now  ? "given"
						: newest ? "newest record"
							 : "no record"));
		json_object_set_new(root, "state_store",
				    in->state_path ? json_string(in->state_path) : json_null());
		json_object_set_new(root, "state_store_found", json_boolean(in->state != NULL));
		json_object_set_new(root, "sections", sections);
		sections = NULL;
		rc = rp_verdict(root);
	}
	json_decref(sections);
	if (rc) {
		sl_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void sl_report_free(sl_report *r)
{
	if (!r)
		return;
	json_decref(r->root);
	free(r);
}

const char *sl_report_verdict(const sl_report *r)
{
	const char *v = rp_str(json_object_get(r->root, "verdict"), "verdict");
	return v ? v : "NO-GO";
}

int sl_report_json(sl_buf *out, const sl_report *r)
{
	char *text = json_dumps(r->root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return sl_error_nomem();
	int rc = sl_buf_puts(out, text);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(text);
	return rc;
}
