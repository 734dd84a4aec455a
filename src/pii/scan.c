/*
 * scan.c - `sluice pii scan`: every column of every table is judged by its
 * name (detect.c) and, for text and JSON columns, by a sample of its values
 * (the first sample_rows rows the engine returns: plain SQL with LIMIT, the
 * same on every engine). A JSON column is walked path by path ("$.a.b",
 * arrays as "[*]"): a path is flagged by its key's name or its values. Each
 * finding carries a suggested rule that fits the column's type.
 */
#include "pii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/strmap.h"

#define THRESHOLD     0.5  /* share of sampled values that must match */
#define TEXT_EMAILS   0.05 /* share of free-text values holding an email */
#define MAX_JSON_PATH 48

typedef struct counts {
	int n; /* non-NULL sampled values */
	int hit[SL_PII__COUNT];
	int embedded_email;
	int distinct_names; /* distinct values among the name-like ones */
	int known_names;    /* name-like values with a common given or family name */
	sl_strmap *names;
} counts;

/* Per JSON path: its name-kind and value counts. */
typedef struct jpath {
	char path[200];
	sl_pii_kind by_name;
	counts c;
} jpath;

typedef struct jstats {
	jpath p[MAX_JSON_PATH];
	size_t n;
} jstats;

static bool text_kind(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT || k == SL_T_OTHER || k == SL_T_UNKNOWN;
}

static void count_value(counts *c, const char *s, size_t n)
{
	c->n++;
	if (sl_pii_is_email(s, n))
		c->hit[SL_PII_EMAIL]++;
	else if (sl_pii_is_ip(s, n))
		c->hit[SL_PII_IP]++;
	else if (sl_pii_is_card(s, n))
		c->hit[SL_PII_CARD]++;
	else if (sl_pii_is_phone(s, n))
		c->hit[SL_PII_PHONE]++;
	else if (sl_pii_is_person_name(s, n)) {
		bool created = false;
		c->hit[SL_PII_NAME]++;
		if (!c->names && sl_strmap_new(&c->names))
			return;
		if (sl_strmap_slot(c->names, s, n, &created) && created)
			c->distinct_names++;
		if (sl_pii_known_name(s, n))
			c->known_names++;
	} else if (sl_pii_has_email(s, n))
		c->embedded_email++;
}

/* The value kind most sampled values have, with its count; NONE below the threshold. */
static sl_pii_kind value_kind(const counts *c, int *hits)
{
	static const sl_pii_kind order[] = { SL_PII_EMAIL, SL_PII_IP, SL_PII_CARD, SL_PII_PHONE,
					     SL_PII_NAME };
	*hits = 0;
	if (c->n == 0)
		return SL_PII_NONE;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (c->hit[order[i]] >= THRESHOLD * c->n &&
		    (order[i] != SL_PII_NAME || (c->distinct_names >= c->hit[order[i]] / 2 &&
						 c->known_names * 10 >= c->hit[order[i]] * 3))) {
			*hits = c->hit[order[i]];
			return order[i];
		}
	if (c->embedded_email >= TEXT_EMAILS * c->n && c->embedded_email > 0) {
		*hits = c->embedded_email;
		return SL_PII_FREE_TEXT;
	}
	return SL_PII_NONE;
}

static jpath *path_of(jstats *js, const char *path, const char *key)
{
	for (size_t i = 0; i < js->n; i++)
		if (strcmp(js->p[i].path, path) == 0)
			return &js->p[i];
	if (js->n == MAX_JSON_PATH)
		return NULL;
	jpath *p = &js->p[js->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->by_name = key ? sl_pii_kind_of_name(key) : SL_PII_NONE;
	return p;
}

/* True when key can be written as ".key" in a path. */
static bool plain_key(const char *k)
{
	if (!*k)
		return false;
	for (const char *p = k; *p; p++)
		if (*p == '.' || *p == '[' || *p == ']' || *p == '\'' || *p == '"' || *p == ' ')
			return false;
	return true;
}

static void walk_json(jstats *js, json_t *node, const char *path, const char *key, int depth)
{
	char sub[200];
	if (depth > 8)
		return;
	if (json_is_object(node)) {
		const char *k;
		json_t *v;
		json_object_foreach(node, k, v)
		{
			if (plain_key(k))
				snprintf(sub, sizeof(sub), "%s.%s", path, k);
			else if (!strchr(k, '\''))
				snprintf(sub, sizeof(sub), "%s['%s']", path, k);
			else
				continue;
			walk_json(js, v, sub, k, depth + 1);
		}
	} else if (json_is_array(node)) {
		snprintf(sub, sizeof(sub), "%s[*]", path);
		for (size_t i = 0; i < json_array_size(node); i++)
			walk_json(js, json_array_get(node, i), sub, key, depth + 1);
	} else if (json_is_string(node)) {
		jpath *p = path_of(js, path, key);
		if (p)
			count_value(&p->c, json_string_value(node), json_string_length(node));
	} else if (!json_is_null(node)) {
		jpath *p = path_of(js, path, key);
		if (p)
			p->c.n++;
	}
}

static const char *suggest_for(sl_pii_kind k, const sl_column *c)
{
	bool text = text_kind(c->type.kind);
	switch (k) {
	case SL_PII_EMAIL:
		return text ? "email" : "hash";
	case SL_PII_NAME:
		return text ? "name" : "hash";
	case SL_PII_FIRST_NAME:
		return text ? "{ rule: name, part: first }" : "hash";
	case SL_PII_LAST_NAME:
		return text ? "{ rule: name, part: last }" : "hash";
	case SL_PII_PHONE:
		return "phone";
	case SL_PII_ADDRESS:
		return text ? "address" : "hash";
	case SL_PII_POSTCODE:
		return text ? "{ rule: partial, first: 2 }" : "hash";
	case SL_PII_IP:
		return text ? "ip" : "hash";
	case SL_PII_CARD:
		return text ? "{ rule: partial, last: 4 }" : "hash";
	case SL_PII_BIRTH_DATE:
		return "{ rule: date_shift, days: 180 }";
	case SL_PII_FREE_TEXT:
	case SL_PII_SECRET:
		if (c->nullable)
			return "null";
		return text ? "{ rule: fixed, value: \"\" }" : "hash";
	default:
		return "hash";
	}
}

/* A rule for a value inside JSON. */
static const char *suggest_json(sl_pii_kind k)
{
	switch (k) {
	case SL_PII_EMAIL:
		return "email";
	case SL_PII_NAME:
		return "name";
	case SL_PII_FIRST_NAME:
		return "{ rule: name, part: first }";
	case SL_PII_LAST_NAME:
		return "{ rule: name, part: last }";
	case SL_PII_PHONE:
		return "phone";
	case SL_PII_ADDRESS:
		return "address";
	case SL_PII_IP:
		return "ip";
	case SL_PII_CARD:
		return "{ rule: partial, last: 4 }";
	case SL_PII_FREE_TEXT:
	case SL_PII_SECRET:
		return "null";
	default:
		return "hash";
	}
}

typedef struct scan {
	sl_pii_report *r;
	size_t cap;
} scan;

static int add_finding(scan *sc, const sl_table *t, const sl_column *c, sl_pii_kind kind, const char *reason,
		       const char *suggest)
{
	sl_pii_column *f = sl_arena_push(sc->r->a, &sc->r->cols, &sc->r->ncols, &sc->cap, sizeof(*f));
	if (!f)
		return sl_error_nomem();
	f->table = sl_arena_strdup(sc->r->a, t->name);
	f->column = sl_arena_strdup(sc->r->a, c->name);
	f->kind = kind;
	f->reason = sl_arena_strdup(sc->r->a, reason);
	f->suggest = suggest;
	return f->table && f->column && f->reason ? 0 : sl_error_nomem();
}

/* Judges column c from its name and the counts of its sampled values. */
static int judge(scan *sc, const sl_table *t, const sl_column *c, const counts *cn, jstats *js)
{
	char reason[300];
	int hits = 0;
	sl_pii_kind by_name = sl_pii_kind_of_name(c->name), by_value = value_kind(cn, &hits);
	if (js && js->n) {
		sl_pii_column tmp = { 0 };
		size_t cap = 0;
		sl_buf sug = SL_BUF_INIT;
		int rc = sl_buf_puts(&sug, "{ rule: json, paths: { ");
		for (size_t i = 0; !rc && i < js->n; i++) {
			const jpath *p = &js->p[i];
			int h = 0;
			sl_pii_kind k = p->by_name ? p->by_name : value_kind(&p->c, &h);
			if (k == SL_PII_NONE)
				continue;
			sl_pii_path *pp = sl_arena_push(sc->r->a, &tmp.paths, &tmp.npaths, &cap, sizeof(*pp));
			if (!pp)
				return sl_error_nomem();
			pp->path = sl_arena_strdup(sc->r->a, p->path);
			pp->kind = k;
			pp->reason = p->by_name ? "key name"
						: sl_arena_printf(sc->r->a, "%d of %d values", h, p->c.n);
			rc = sl_buf_printf(&sug, "%s\"%s\": %s", tmp.npaths > 1 ? ", " : "", p->path,
					   suggest_json(k));
		}
		if (!rc)
			rc = sl_buf_puts(&sug, " } }");
		if (!rc && tmp.npaths) {
			snprintf(reason, sizeof(reason), "%zu path%s inside the JSON hold%s personal data",
				 tmp.npaths, tmp.npaths == 1 ? "" : "s", tmp.npaths == 1 ? "s" : "");
			const char *s = sl_arena_strdup(sc->r->a, sug.ptr);
			rc = s ? add_finding(sc, t, c, SL_PII_JSON, reason, s) : sl_error_nomem();
			if (!rc) {
				sc->r->cols[sc->r->ncols - 1].paths = tmp.paths;
				sc->r->cols[sc->r->ncols - 1].npaths = tmp.npaths;
			}
		}
		sl_buf_free(&sug);
		if (rc || tmp.npaths)
			return rc;
	}
	if (by_name == SL_PII_NONE && by_value == SL_PII_NONE)
		return 0;
	sl_pii_kind k = by_name ? by_name : by_value;
	/* a column named "name" is a person's name only when its values look like one */
	if (by_value == SL_PII_NAME && by_name == SL_PII_NONE && hits < cn->n * 0.6)
		return 0;
	if (by_name && by_value && by_value != SL_PII_NAME)
		k = by_name == SL_PII_FREE_TEXT ? by_name : by_value;
	if (by_name && hits)
		snprintf(reason, sizeof(reason), "column name; %d of %d sampled values match", hits, cn->n);
	else if (by_name)
		snprintf(reason, sizeof(reason), "column name");
	else if (by_value == SL_PII_FREE_TEXT)
		snprintf(reason, sizeof(reason), "%d of %d sampled values hold email addresses", hits, cn->n);
	else
		snprintf(reason, sizeof(reason), "%d of %d sampled values match", hits, cn->n);
	return add_finding(sc, t, c, k, reason, suggest_for(k, c));
}

/* Samples t's text and JSON columns and judges every column. */
static int scan_table(scan *sc, sl_conn *src, const sl_table *t, int sample)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	size_t *which = calloc(t->ncolumns + 1, sizeof(*which)), nw = 0;
	counts *cn = calloc(t->ncolumns + 1, sizeof(*cn));
	jstats *js = calloc(t->ncolumns + 1, sizeof(*js));
	int rc = which && cn && js ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		if (text_kind(t->columns[i].type.kind) || t->columns[i].type.kind == SL_T_JSON)
			which[nw++] = i;
	if (!rc && nw && sample > 0) {
		rc = sl_buf_puts(&sql, "SELECT ");
		for (size_t j = 0; !rc && j < nw; j++) {
			if (j)
				rc = sl_buf_puts(&sql, ", ");
			if (!rc)
				rc = sl_conn_quote_ident(src, &sql, t->columns[which[j]].name);
		}
		if (!rc)
			rc = sl_buf_puts(&sql, " FROM ");
		if (!rc && sl_conn_has(src, SL_CAP_SCHEMAS) && t->schema) {
			rc = sl_conn_quote_ident(src, &sql, t->schema);
			if (!rc)
				rc = sl_buf_putc(&sql, '.');
		}
		if (!rc)
			rc = sl_conn_quote_ident(src, &sql, t->name);
		if (!rc)
			rc = sl_buf_printf(&sql, " LIMIT %d", sample);
		if (!rc)
			rc = sl_conn_query(&cur, src, sql.ptr);
		if (!rc)
			rc = sl_batch_init(&b, nw, 256);
		while (!rc) {
			sl_batch_reset(&b);
			int got = sl_cursor_fetch(cur, &b, 256);
			if (got <= 0) {
				rc = got;
				break;
			}
			for (size_t r = 0; r < b.nrows; r++) {
				const sl_value *row = sl_batch_row(&b, r);
				for (size_t j = 0; j < nw; j++) {
					const sl_value *v = &row[j];
					if (v->type != SL_V_TEXT && v->type != SL_V_JSON)
						continue;
					if (t->columns[which[j]].type.kind == SL_T_JSON) {
						json_t *doc = json_loadb(v->u.s.ptr, v->u.s.len,
									 JSON_DECODE_ANY, NULL);
						if (doc)
							walk_json(&js[which[j]], doc, "$", NULL, 0);
						json_decref(doc);
						continue;
					}
					if (v->u.s.len)
						count_value(&cn[which[j]], v->u.s.ptr, v->u.s.len);
				}
			}
		}
		sl_cursor_close(cur);
	}
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		rc = judge(sc, t, &t->columns[i], &cn[i], &js[i]);
	if (rc)
		sl_error_prefix("pii scan \"%s\"", t->name);
	for (size_t i = 0; cn && i < t->ncolumns; i++)
		sl_strmap_free(cn[i].names);
	for (size_t i = 0; js && i < t->ncolumns; i++)
		for (size_t k = 0; k < js[i].n; k++)
			sl_strmap_free(js[i].p[k].c.names);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	free(which);
	free(cn);
	free(js);
	return rc;
}

int sl_pii_scan(sl_pii_report **out, sl_conn *src, const sl_schema *s, const sl_pii_opts *o)
{
	sl_pii_report *r = calloc(1, sizeof(*r));
	scan sc = { .r = r };
	int rc = 0;
	*out = NULL;
	if (!r || !(r->a = sl_arena_new(0))) {
		free(r);
		return sl_error_nomem();
	}
	r->sample = o && o->sample_rows >= 0 ? o->sample_rows : 200;
	for (size_t i = 0; !rc && i < s->ntables; i++)
		rc = scan_table(&sc, src, &s->tables[i], r->sample);
	if (rc) {
		sl_pii_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void sl_pii_report_free(sl_pii_report *r)
{
	if (!r)
		return;
	sl_arena_free(r->a);
	free(r);
}
