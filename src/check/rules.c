/*
 * rules.c - parsing sluice.yaml's `rules` section into sl_rule values (see
 * include/sluice/rules.h, docs/rules.md, which must list every key accepted
 * here) and checking them against a database's schema.
 *
 * The section is a mapping of domains to lists of rules, or a plain list.
 * Every error names file:line:col and the rule; positions come from
 * sl_config_where(), so they follow libfyaml's marks (collections take the
 * position of their first scalar).
 */
#include "sluice/rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include "sluice/error.h"
#include "sluice/util.h"

static const char *const type_names[] = {
	NULL,  "not_null",  "unique", "relationship", "accepted_values", "range", "row_count", "freshness",
	"sql", "reconcile", NULL
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]) - 1)

/* Keys every rule may have, then the keys of each type (indexed by sl_rule_type). */
static const char *const common_keys[] = { "name", "type", "severity", "threshold", "description", NULL };
static const char *const type_keys[NTYPES][10] = {
	[SL_RULE_NOT_NULL] = { "table", "columns", "column", "where", NULL },
	[SL_RULE_UNIQUE] = { "table", "columns", "column", "case_insensitive", "where", NULL },
	[SL_RULE_RELATIONSHIP] = { "table", "columns", "column", "references", "where", NULL },
	[SL_RULE_ACCEPTED_VALUES] = { "table", "column", "values", "case_insensitive", "where", NULL },
	[SL_RULE_RANGE] = { "table", "column", "min", "max", "where", NULL },
	[SL_RULE_ROW_COUNT] = { "table", "min", "max", "where", NULL },
	[SL_RULE_FRESHNESS] = { "table", "column", "max_age", "where", NULL },
	[SL_RULE_SQL] = { "sql", NULL },
	[SL_RULE_RECONCILE] = { "source", "target", "table", "group_by", "measures", "tolerance", "where",
				NULL },
};

/* Parsing context: the config (for positions and ${} strings) and the rule being read. */
typedef struct parse_ctx {
	sl_config *cfg;
	sl_arena *a;
	sl_rule *r;
	char where[256]; /* position of the rule */
} parse_ctx;

const char *sl_rule_type_name(sl_rule_type t)
{
	return (size_t)t < NTYPES && t ? type_names[t] : "unknown";
}

sl_rule_type sl_rule_type_from_name(const char *name)
{
	for (size_t i = 1; name && i < NTYPES; i++)
		if (strcmp(type_names[i], name) == 0)
			return (sl_rule_type)i;
	return 0;
}

const char *sl_rule_status_name(sl_rule_status s)
{
	switch (s) {
	case SL_RULE_PASS:
		return "pass";
	case SL_RULE_WARN:
		return "warn";
	case SL_RULE_HALT:
		return "halt";
	case SL_RULE_ERROR:
		return "error";
	}
	return "error";
}

/* Levenshtein distance of two short strings (longer ones count as far apart). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];
	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The nearest of the candidates (NULL-terminated lists) within distance 2, or NULL. */
static const char *nearest(const char *word, const char *const *l1, const char *const *l2)
{
	const char *best = NULL;
	size_t bd = 3;
	const char *const *lists[] = { l1, l2 };
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; lists[k] && lists[k][i]; i++) {
			size_t d = edit_distance(word, lists[k][i]);
			if (d < bd) {
				bd = d;
				best = lists[k][i];
			}
		}
	return best;
}

static int err(parse_ctx *x, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* SL_EINVALID "file:line:col: rule "NAME": <message>" at n (the rule's position when n is NULL). */
static int err(parse_ctx *x, struct fy_node *n, const char *fmt, ...)
{
	char pos[256], msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		sl_config_where(x->cfg, n, pos, sizeof(pos));
	else
		snprintf(pos, sizeof(pos), "%s", x->where);
	if (x->r && x->r->name)
		return sl_error_set(SL_EINVALID, "%s: rule \"%s\": %s", pos, x->r->name, msg);
	return sl_error_set(SL_EINVALID, "%s: %s", pos, msg);
}

static const char *where_of(parse_ctx *x, struct fy_node *n)
{
	char pos[256];
	sl_config_where(x->cfg, n, pos, sizeof(pos));
	return sl_arena_strdup(x->a, pos);
}

static bool is_scalar(struct fy_node *n)
{
	return n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) != FYNS_ALIAS;
}

/* A non-empty scalar as a string with ${NAME} replaced. */
static int get_str(parse_ctx *x, struct fy_node *n, const char *key, const char **out)
{
	size_t len = 0;
	const char *s = is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;
	if (!s || len == 0 || (fy_node_get_style(n) == FYNS_PLAIN && len == 1 && s[0] == '~') ||
	    (fy_node_get_style(n) == FYNS_PLAIN && len == 4 && memcmp(s, "null", 4) == 0))
		return err(x, n, "\"%s\" must be a non-empty string", key);
	if (memchr(s, '\0', len))
		return err(x, n, "\"%s\" holds a NUL byte", key);
	return sl_config_string(out, NULL, x->cfg, n, key);
}

static int get_bool(parse_ctx *x, struct fy_node *n, const char *key, bool *out)
{
	const char *s = NULL;
	int rc = get_str(x, n, key, &s);
	if (rc)
		return rc;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
		*out = false;
	else
		return err(x, n, "\"%s\" must be true or false, not \"%s\"", key, s);
	return 0;
}

/* A list of strings; a single scalar counts as a list of one when allow_one. */
static int get_list(parse_ctx *x, struct fy_node *n, const char *key, const char ***out, const char ***where,
		    size_t *count)
{
	size_t cap = 0, nw = 0, cap_w = 0;
	void *it = NULL;
	struct fy_node *item;
	*count = 0;
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE)
		return err(x, n, "\"%s\" must be a list", key);
	while ((item = fy_node_sequence_iterate(n, &it)) != NULL) {
		const char *s = NULL;
		int rc = get_str(x, item, key, &s);
		if (rc)
			return rc;
		const char **slot = sl_arena_push(x->a, out, count, &cap, sizeof(**out));
		if (!slot)
			return sl_error_nomem();
		*slot = s;
		if (where) {
			const char **w = sl_arena_push(x->a, where, &nw, &cap_w, sizeof(**where));
			if (!w || !(*w = where_of(x, item)))
				return sl_error_nomem();
		}
	}
	if (*count == 0)
		return err(x, n, "\"%s\" must not be empty", key);
	return 0;
}

/* threshold: a count ("0", "5") or a ratio ("0.1%"). */
static int get_threshold(parse_ctx *x, struct fy_node *n)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = get_str(x, n, "threshold", &s);
	if (rc)
		return rc;
	x->r->threshold_text = s;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		goto bad;
	if (*end == '%' && end[1] == '\0') {
		if (v > 100)
			goto bad;
		x->r->threshold = v / 100.0;
		x->r->threshold_ratio = true;
		return 0;
	}
	if (*end != '\0' || v != floor(v) || v > 9e15)
		goto bad;
	x->r->threshold = v;
	return 0;
bad:
	return err(x, n,
		   "bad threshold \"%s\": give a count of violations allowed (\"0\", \"5\") or a "
		   "percentage of rows checked (\"0.1%%\")",
		   s);
}

/* max_age: a number followed by s, m, h, d or w ("30d"); a bare number is seconds. */
static int get_age(parse_ctx *x, struct fy_node *n)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = get_str(x, n, "max_age", &s);
	if (rc)
		return rc;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	long long mult = 0;
	if (end == s || errno || v <= 0)
		goto bad;
	switch (*end) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		goto bad;
	}
	if (*end && end[1] != '\0')
		goto bad;
	if (v > INT64_MAX / mult / 1000000)
		goto bad;
	x->r->max_age_s = v * mult;
	return 0;
bad:
	return err(x, n,
		   "bad max_age \"%s\": give a number and a unit, e.g. \"90m\", \"12h\", \"30d\", \"2w\"", s);
}

static int get_number(parse_ctx *x, struct fy_node *n, const char *key, double *out)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = get_str(x, n, key, &s);
	if (rc)
		return rc;
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(*out) || *out < 0)
		return err(x, n, "\"%s\" must be a number of at least 0, not \"%s\"", key, s);
	return 0;
}

/* references: { table: T, columns: [..] } (or column: C). */
static int get_references(parse_ctx *x, struct fy_node *n)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = 0;
	if (!n || fy_node_get_type(n) != FYNT_MAPPING)
		return err(x, n, "\"references\" must be a mapping with \"table\" and \"columns\"");
	while (!rc && (p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = NULL;
		static const char *const keys[] = { "table", "columns", "column", NULL };
		if ((rc = get_str(x, k, "references", &key)) != 0)
			break;
		if (strcmp(key, "table") == 0) {
			rc = get_str(x, v, "references.table", &x->r->ref_table);
			if (!rc)
				x->r->where_ref_table = where_of(x, v);
		} else if (strcmp(key, "columns") == 0) {
			rc = get_list(x, v, "references.columns", &x->r->ref_columns,
				      &x->r->where_ref_columns, &x->r->nref_columns);
		} else if (strcmp(key, "column") == 0) {
			const char *c = NULL;
			rc = get_str(x, v, "references.column", &c);
			if (!rc) {
				x->r->ref_columns = sl_arena_calloc(x->a, 1, sizeof(char *));
				x->r->where_ref_columns = sl_arena_calloc(x->a, 1, sizeof(char *));
				if (!x->r->ref_columns || !x->r->where_ref_columns)
					return sl_error_nomem();
				x->r->ref_columns[0] = c;
				x->r->where_ref_columns[0] = where_of(x, v);
				x->r->nref_columns = 1;
			}
		} else {
			const char *near = nearest(key, keys, NULL);
			rc = near ? err(x, k, "unknown key \"%s\" in \"references\" (did you mean \"%s\"?)",
					key, near)
				  : err(x, k, "unknown key \"%s\" in \"references\"", key);
		}
	}
	if (!rc && !x->r->ref_table)
		rc = err(x, n, "\"references\" needs \"table\"");
	return rc;
}

/* measures: [count, sum(total), min(issued_on), ...] */
static int get_measures(parse_ctx *x, struct fy_node *n)
{
	const char **texts = NULL, **where = NULL;
	size_t count = 0;
	int rc = get_list(x, n, "measures", &texts, &where, &count);
	if (rc)
		return rc;
	x->r->measures = sl_arena_calloc(x->a, count, sizeof(sl_rule_measure));
	if (!x->r->measures)
		return sl_error_nomem();
	for (size_t i = 0; i < count; i++) {
		sl_rule_measure *m = &x->r->measures[i];
		const char *t = texts[i], *open = strchr(t, '(');
		m->text = t;
		m->where = where[i];
		if (strcmp(t, "count") == 0 || strcmp(t, "count(*)") == 0) {
			m->fn = "count";
			continue;
		}
		size_t tl = strlen(t);
		if (!open || t[tl - 1] != ')' || open + 1 >= t + tl - 1)
			goto bad;
		m->fn = sl_arena_strndup(x->a, t, (size_t)(open - t));
		m->column = sl_arena_strndup(x->a, open + 1, (size_t)(t + tl - 1 - open - 1));
		if (!m->fn || !m->column)
			return sl_error_nomem();
		if (strcmp(m->fn, "sum") && strcmp(m->fn, "min") && strcmp(m->fn, "max") &&
		    strcmp(m->fn, "avg") && strcmp(m->fn, "count"))
			goto bad;
		for (const char *c = m->column; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '_' || (unsigned char)*c >= 0x80))
				goto bad;
		continue;
	bad:
		return sl_error_set(SL_EINVALID,
				    "%s: rule \"%s\": bad measure \"%s\": use count, count(COLUMN), "
				    "sum(COLUMN), min(COLUMN), max(COLUMN) or avg(COLUMN)",
				    where[i], x->r->name, t);
	}
	x->r->nmeasures = count;
	return 0;
}

/* Which type (other than t) accepts key, or 0. */
static sl_rule_type type_with_key(const char *key)
{
	for (size_t t = 1; t < NTYPES; t++)
		if (sl_str_in(key, type_keys[t], SL_STRV_NULL_ENDED))
			return (sl_rule_type)t;
	return 0;
}

/* One key/value pair of a rule, after name and type are known. */
static int rule_key(parse_ctx *x, struct fy_node *k, struct fy_node *v, const char *key)
{
	sl_rule *r = x->r;
	if (!sl_str_in(key, common_keys, SL_STRV_NULL_ENDED) &&
	    !sl_str_in(key, type_keys[r->type], SL_STRV_NULL_ENDED)) {
		const char *near = nearest(key, common_keys, type_keys[r->type]);
		if (near)
			return err(x, k, "unknown key \"%s\" (did you mean \"%s\"?)", key, near);
		if (type_with_key(key))
			return err(x, k, "key \"%s\" does not apply to rule type \"%s\"", key,
				   type_names[r->type]);
		return err(x, k, "unknown key \"%s\"", key);
	}
	if (strcmp(key, "name") == 0 || strcmp(key, "type") == 0)
		return 0;
	if (strcmp(key, "description") == 0) {
		const char *d;
		return get_str(x, v, key, &d);
	}
	if (strcmp(key, "severity") == 0) {
		const char *s = NULL;
		int rc = get_str(x, v, key, &s);
		if (rc)
			return rc;
		if (strcmp(s, "halt") == 0)
			r->severity = SL_SEVERITY_HALT;
		else if (strcmp(s, "warn") == 0)
			r->severity = SL_SEVERITY_WARN;
		else
			return err(x, v, "severity must be \"halt\" or \"warn\", not \"%s\"", s);
		return 0;
	}
	if (strcmp(key, "threshold") == 0)
		return get_threshold(x, v);
	if (strcmp(key, "table") == 0) {
		r->where_table = where_of(x, v);
		return get_str(x, v, key, &r->table);
	}
	if (strcmp(key, "columns") == 0 || strcmp(key, "column") == 0) {
		if (r->ncolumns)
			return err(x, k, "give either \"column\" or \"columns\", not both");
		if (strcmp(key, "columns") == 0)
			return get_list(x, v, key, &r->columns, &r->where_columns, &r->ncolumns);
		r->columns = sl_arena_calloc(x->a, 1, sizeof(char *));
		r->where_columns = sl_arena_calloc(x->a, 1, sizeof(char *));
		if (!r->columns || !r->where_columns || !(r->where_columns[0] = where_of(x, v)))
			return sl_error_nomem();
		r->ncolumns = 1;
		return get_str(x, v, key, &r->columns[0]);
	}
	if (strcmp(key, "case_insensitive") == 0)
		return get_bool(x, v, key, &r->case_insensitive);
	if (strcmp(key, "references") == 0)
		return get_references(x, v);
	if (strcmp(key, "values") == 0) {
		/* Values may legitimately be anything, so only scalars are refused. */
		return get_list(x, v, key, &r->values, NULL, &r->nvalues);
	}
	if (strcmp(key, "min") == 0)
		return get_str(x, v, key, &r->min);
	if (strcmp(key, "max") == 0)
		return get_str(x, v, key, &r->max);
	if (strcmp(key, "max_age") == 0)
		return get_age(x, v);
	if (strcmp(key, "sql") == 0)
		return get_str(x, v, key, &r->sql);
	if (strcmp(key, "where") == 0)
		return get_str(x, v, key, &r->filter);
	if (strcmp(key, "source") == 0)
		return get_str(x, v, key, &r->source);
	if (strcmp(key, "target") == 0)
		return get_str(x, v, key, &r->target);
	if (strcmp(key, "group_by") == 0)
		return get_list(x, v, key, &r->group_by, &r->where_group_by, &r->ngroup_by);
	if (strcmp(key, "measures") == 0)
		return get_measures(x, v);
	if (strcmp(key, "tolerance") == 0)
		return get_number(x, v, key, &r->tolerance);
	return err(x, k, "unknown key \"%s\"", key);
}

/* Keys each type cannot do without. */
static int check_required(parse_ctx *x, struct fy_node *n)
{
	sl_rule *r = x->r;
	const char *missing = NULL;
	if (r->type != SL_RULE_SQL && !r->table)
		missing = "table";
	else if ((r->type == SL_RULE_NOT_NULL || r->type == SL_RULE_UNIQUE ||
		  r->type == SL_RULE_RELATIONSHIP) &&
		 !r->ncolumns)
		missing = "columns";
	else if ((r->type == SL_RULE_ACCEPTED_VALUES || r->type == SL_RULE_RANGE ||
		  r->type == SL_RULE_FRESHNESS) &&
		 !r->ncolumns)
		missing = "column";
	else if (r->type == SL_RULE_RELATIONSHIP && !r->ref_table)
		missing = "references";
	else if (r->type == SL_RULE_ACCEPTED_VALUES && !r->nvalues)
		missing = "values";
	else if (r->type == SL_RULE_FRESHNESS && !r->max_age_s)
		missing = "max_age";
	else if (r->type == SL_RULE_SQL && !r->sql)
		missing = "sql";
	else if (r->type == SL_RULE_RECONCILE && !r->source)
		missing = "source";
	else if (r->type == SL_RULE_RECONCILE && !r->target)
		missing = "target";
	if (missing)
		return err(x, n, "rule type \"%s\" needs \"%s\"", type_names[r->type], missing);
	if ((r->type == SL_RULE_RANGE || r->type == SL_RULE_ROW_COUNT) && !r->min && !r->max)
		return err(x, n, "rule type \"%s\" needs \"min\", \"max\" or both", type_names[r->type]);
	if (r->type == SL_RULE_RELATIONSHIP && r->nref_columns != r->ncolumns)
		return err(x, n, "\"references\" must list as many columns (%zu) as \"columns\" (%zu)",
			   r->nref_columns, r->ncolumns);
	if (r->type == SL_RULE_SQL && r->threshold_ratio)
		return err(x, n, "a percentage threshold needs rows to count: sql rules take a count");
	if (r->type == SL_RULE_ROW_COUNT) {
		const char *lims[] = { r->min, r->max };
		for (size_t i = 0; i < 2; i++) {
			char *end = NULL;
			if (!lims[i])
				continue;
			errno = 0;
			long long v = strtoll(lims[i], &end, 10);
			if (end == lims[i] || *end || errno || v < 0)
				return err(x, n, "row_count \"%s\" must be a whole number, not \"%s\"",
					   i ? "max" : "min", lims[i]);
		}
	}
	if (r->type == SL_RULE_RECONCILE && !r->nmeasures) {
		static sl_rule_measure count = { .fn = "count", .column = NULL, .text = "count" };
		r->measures = &count;
		r->nmeasures = 1;
	}
	return 0;
}

/* Reads one rule mapping; name and type first so that every later error can name the rule. */
static int parse_rule(parse_ctx *x, struct fy_node *n, const char *domain, size_t index)
{
	void *it = NULL;
	struct fy_node_pair *p;
	struct fy_node *name_n, *type_n;
	const char *type = NULL;
	int rc;

	sl_config_where(x->cfg, n, x->where, sizeof(x->where));
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return err(x, n, "rule %zu%s%s%s must be a mapping with \"name\" and \"type\"", index + 1,
			   domain ? " of \"" : "", domain ? domain : "", domain ? "\"" : "");
	x->r->where = sl_arena_strdup(x->a, x->where);
	x->r->domain = domain;
	x->r->threshold_text = "0";
	name_n = fy_node_mapping_lookup_by_string(n, "name", 4);
	if (!name_n)
		return err(x, n, "rule %zu%s%s%s has no \"name\"", index + 1, domain ? " of \"" : "",
			   domain ? domain : "", domain ? "\"" : "");
	if ((rc = get_str(x, name_n, "name", &x->r->name)) != 0)
		return rc;
	type_n = fy_node_mapping_lookup_by_string(n, "type", 4);
	if (!type_n)
		return err(x, n,
			   "no \"type\" (one of not_null, unique, relationship, accepted_values, range, "
			   "row_count, freshness, sql, reconcile)");
	if ((rc = get_str(x, type_n, "type", &type)) != 0)
		return rc;
	x->r->type = sl_rule_type_from_name(type);
	if (!x->r->type) {
		const char *near = nearest(type, type_names + 1, NULL);
		return near ? err(x, type_n, "unknown rule type \"%s\" (did you mean \"%s\"?)", type, near)
			    : err(x, type_n,
				  "unknown rule type \"%s\" (one of not_null, unique, relationship, "
				  "accepted_values, range, row_count, freshness, sql, reconcile)",
				  type);
	}
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		const char *key = NULL;
		struct fy_node *k = fy_node_pair_key(p);
		if ((rc = get_str(x, k, "key", &key)) != 0)
			return rc;
		if ((rc = rule_key(x, k, fy_node_pair_value(p), key)) != 0)
			return rc;
	}
	return check_required(x, n);
}

static int parse_list(parse_ctx *x, sl_rules *set, struct fy_node *list, const char *domain, size_t *cap)
{
	void *it = NULL;
	struct fy_node *item;
	size_t index = 0;
	if (!list || fy_node_get_type(list) != FYNT_SEQUENCE) {
		x->r = NULL;
		return err(x, list, "domain \"%s\" must hold a list of rules", domain ? domain : "");
	}
	while ((item = fy_node_sequence_iterate(list, &it)) != NULL) {
		sl_rule *r = sl_arena_push(x->a, &set->rules, &set->n, cap, sizeof(sl_rule));
		if (!r)
			return sl_error_nomem();
		memset(r, 0, sizeof(*r));
		x->r = r;
		int rc = parse_rule(x, item, domain, index++);
		if (rc)
			return rc;
		for (size_t i = 0; i + 1 < set->n; i++)
			if (strcmp(set->rules[i].name, r->name) == 0)
				return err(x, NULL, "a rule of this name is already defined at %s",
					   set->rules[i].where);
	}
	return 0;
}

static int load_section(sl_rules *set, sl_config *cfg)
{
	parse_ctx x = { .cfg = cfg, .a = set->arena };
	struct fy_node *sec = sl_config_section(cfg, "rules");
	size_t cap = 0;
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = 0;

	if (!sec)
		return 0;
	snprintf(x.where, sizeof(x.where), "%s", cfg->path);
	if (fy_node_get_type(sec) == FYNT_SEQUENCE)
		return parse_list(&x, set, sec, NULL, &cap);
	if (fy_node_get_type(sec) != FYNT_MAPPING)
		return err(&x, sec, "\"rules\" must map domains to lists of rules");
	while (!rc && (p = fy_node_mapping_iterate(sec, &it)) != NULL) {
		const char *domain = NULL;
		x.r = NULL;
		if ((rc = get_str(&x, fy_node_pair_key(p), "domain", &domain)) != 0)
			break;
		rc = parse_list(&x, set, fy_node_pair_value(p), domain, &cap);
	}
	return rc;
}

int sl_rules_load(sl_rules **out, sl_config *cfg)
{
	sl_rules *set = calloc(1, sizeof(*set));
	int rc;
	*out = NULL;
	if (!set || !(set->arena = sl_arena_new(8192))) {
		free(set);
		return sl_error_nomem();
	}
	rc = load_section(set, cfg);
	if (rc)
		sl_rules_free(set);
	else
		*out = set;
	return rc;
}

int sl_rules_parse(sl_rules **out, sl_config **cfg_out, const char *path, const char *yaml, size_t len)
{
	sl_config *cfg = NULL;
	int rc;
	*out = NULL;
	*cfg_out = NULL;
	rc = sl_config_parse(&cfg, path, yaml, len);
	if (!rc)
		rc = sl_rules_load(out, cfg);
	if (rc)
		sl_config_free(cfg);
	else
		*cfg_out = cfg;
	return rc;
}

void sl_rules_free(sl_rules *r)
{
	if (!r)
		return;
	sl_arena_free(r->arena);
	free(r);
}

const sl_rule *sl_rules_find(const sl_rules *r, const char *name)
{
	for (size_t i = 0; r && name && i < r->n; i++)
		if (strcmp(r->rules[i].name, name) == 0)
			return &r->rules[i];
	return NULL;
}

static const char *several_schemas(const sl_schema *s)
{
	return s->nschemas > 1
		       ? " (with several schemas, a table outside the default one is named schema__table)"
		       : "";
}

const sl_table *sl_rules_find_table(const sl_schema *schema, const char *name)
{
	return sl_schema_find_flat(schema, name);
}

const sl_column *sl_rules_find_column(const sl_table *t, const char *name)
{
	return sl_table_find_column_ci(t, name);
}

static int no_column(const sl_rule *r, const char *where, const char *col, const sl_table *t)
{
	return sl_error_set(SL_EINVALID, "%s: rule \"%s\": column \"%s\" does not exist in table \"%s\"",
			    where ? where : r->where, r->name, col, t->name);
}

static int check_columns(const sl_rule *r, const sl_table *t, const char *const *cols,
			 const char *const *where, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sl_rules_find_column(t, cols[i]))
			return no_column(r, where ? where[i] : NULL, cols[i], t);
	return 0;
}

int sl_rule_validate(const sl_rule *r, const sl_schema *schema)
{
	const sl_table *t, *rt;
	int rc;
	if (r->type == SL_RULE_SQL)
		return 0;
	t = sl_rules_find_table(schema, r->table);
	if (!t)
		return sl_error_set(SL_EINVALID,
				    "%s: rule \"%s\": table \"%s\" does not exist in database \"%s\"%s",
				    r->where_table ? r->where_table : r->where, r->name, r->table,
				    schema->database ? schema->database : "?", several_schemas(schema));
	if ((rc = check_columns(r, t, r->columns, r->where_columns, r->ncolumns)) != 0)
		return rc;
	if (r->type == SL_RULE_RELATIONSHIP) {
		rt = sl_rules_find_table(schema, r->ref_table);
		if (!rt)
			return sl_error_set(SL_EINVALID,
					    "%s: rule \"%s\": referenced table \"%s\" does not exist in "
					    "database \"%s\"%s",
					    r->where_ref_table ? r->where_ref_table : r->where, r->name,
					    r->ref_table, schema->database ? schema->database : "?",
					    several_schemas(schema));
		if ((rc = check_columns(r, rt, r->ref_columns, r->where_ref_columns, r->nref_columns)) != 0)
			return rc;
	}
	if (r->type == SL_RULE_RECONCILE) {
		if ((rc = check_columns(r, t, r->group_by, r->where_group_by, r->ngroup_by)) != 0)
			return rc;
		for (size_t i = 0; i < r->nmeasures; i++)
			if (r->measures[i].column && !sl_rules_find_column(t, r->measures[i].column))
				return no_column(r, r->measures[i].where, r->measures[i].column, t);
	}
	return 0;
}

sl_rule_status sl_rule_judge(const sl_rule *r, int64_t violations, int64_t rows_checked)
{
	bool ok;
	if (r->threshold_ratio)
		ok = (double)violations <=
		     r->threshold * (double)(rows_checked > 0 ? rows_checked : 0) + 1e-9;
	else
		ok = (double)violations <= r->threshold;
	if (ok)
		return SL_RULE_PASS;
	return r->severity == SL_SEVERITY_WARN ? SL_RULE_WARN : SL_RULE_HALT;
}
