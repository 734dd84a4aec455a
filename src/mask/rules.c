/*
 * rules.c - masking rules as written in sluice.yaml (docs/masking.md, which
 * must list every rule and key accepted here): parsing with file:line:col
 * and "did you mean" in every error, the rule's stable text, and which rules
 * need the key or depend on the value alone.
 *
 * A rule is a scalar naming a rule without parameters ("email") or a
 * mapping {rule: NAME, PARAM: VALUE, ...}. A json rule holds a mapping of
 * paths to nested rules.
 */
#include "sluice/mask.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "mask_int.h"
#include "sluice/error.h"

static const char *const kind_names[] = { "keep",    "null",    "fixed", "hash",       "email", "name",
					  "phone",   "address", "ip",    "date_shift", "noise", "shuffle",
					  "partial", "json",    "sql",   NULL };

/* Parameters per rule; "rule" itself is always accepted. */
static const char *const rule_keys[SL_MASK__COUNT][6] = {
	[SL_MASK_KEEP] = { NULL },
	[SL_MASK_NULL] = { NULL },
	[SL_MASK_FIXED] = { "value", NULL },
	[SL_MASK_HASH] = { "length", NULL },
	[SL_MASK_EMAIL] = { "keep_domain", "domain", NULL },
	[SL_MASK_NAME] = { "part", NULL },
	[SL_MASK_PHONE] = { "keep", NULL },
	[SL_MASK_ADDRESS] = { NULL },
	[SL_MASK_IP] = { NULL },
	[SL_MASK_DATE_SHIFT] = { "days", "by", NULL },
	[SL_MASK_NOISE] = { "ratio", "by", NULL },
	[SL_MASK_SHUFFLE] = { NULL },
	[SL_MASK_PARTIAL] = { "first", "last", "char", NULL },
	[SL_MASK_JSON] = { "paths", NULL },
	[SL_MASK_SQL] = { "expr", NULL },
};

const char *sl_mask_kind_name(sl_mask_kind k)
{
	return (unsigned)k < SL_MASK__COUNT ? kind_names[k] : "unknown";
}

typedef struct pctx {
	sl_config *cfg;
	sl_arena *a;
	const char *what;
} pctx;

static int err(pctx *x, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err(pctx *x, struct fy_node *n, const char *fmt, ...)
{
	char pos[300], msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_config_where(x->cfg, n, pos, sizeof(pos));
	return sl_error_set(SL_EINVALID, "%s: \"%s\": %s", pos, x->what, msg);
}

static bool is_scalar(struct fy_node *n)
{
	return n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) != FYNS_ALIAS;
}

static int get_str(pctx *x, struct fy_node *n, const char *key, const char **out)
{
	size_t len = 0;
	const char *s = is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;
	if (!s || len == 0)
		return err(x, n, "\"%s\" must be a non-empty string", key);
	if (memchr(s, '\0', len))
		return err(x, n, "\"%s\" holds a NUL byte", key);
	return sl_config_string(out, NULL, x->cfg, n, key);
}

static int get_int(pctx *x, struct fy_node *n, const char *key, int lo, int hi, int *out)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = get_str(x, n, key, &s);
	if (rc)
		return rc;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return err(x, n, "\"%s\" must be a whole number from %d to %d, not \"%s\"", key, lo, hi, s);
	*out = (int)v;
	return 0;
}

static int get_bool(pctx *x, struct fy_node *n, const char *key, bool *out)
{
	const char *s = NULL;
	int rc = get_str(x, n, key, &s);
	if (rc)
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return err(x, n, "\"%s\" must be true or false, not \"%s\"", key, s);
	return 0;
}

/* ratio: "0.1" or "10%", strictly between 0 and 1. */
static int get_ratio(pctx *x, struct fy_node *n, double *out)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = get_str(x, n, "ratio", &s);
	if (rc)
		return rc;
	errno = 0;
	double v = strtod(s, &end);
	if (end != s && *end == '%' && end[1] == '\0') {
		v /= 100;
		end++;
	}
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v >= 1)
		return err(x, n, "\"ratio\" must be above 0 and below 1 (\"0.1\" or \"10%%\"), not \"%s\"",
			   s);
	*out = v;
	return 0;
}

static bool is_column_name(const char *s)
{
	return *s && !strpbrk(s, "\"`'");
}

static int parse_kind(pctx *x, struct fy_node *n, sl_mask_kind *out)
{
	size_t len = 0;
	const char *raw = is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;
	char s[40];
	/* read as written: a plain `null` names the null rule */
	if (!raw || len == 0 || len >= sizeof(s))
		return err(x, n, "\"rule\" must name a rule (email, hash, keep, ...)");
	memcpy(s, raw, len);
	s[len] = '\0';
	for (int k = 0; k < SL_MASK__COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (sl_mask_kind)k;
			return 0;
		}
	const char *near = sl_config_nearest(s, kind_names);
	if (near)
		return err(x, n, "unknown rule \"%s\" (did you mean \"%s\"?)", s, near);
	return err(x, n,
		   "unknown rule \"%s\": use keep, null, fixed, hash, email, name, phone, address, ip, "
		   "date_shift, noise, shuffle, partial, json or sql",
		   s);
}

static int parse_paths(pctx *x, sl_mask_rule *r, struct fy_node *n)
{
	void *it = NULL;
	struct fy_node_pair *p;
	size_t cap = 0;
	if (!n || fy_node_get_type(n) != FYNT_MAPPING || fy_node_mapping_item_count(n) < 1)
		return err(x, n, "\"paths\" must map JSON paths to rules, e.g. { \"$.email\": email }");
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *path = NULL;
		char why[200];
		char pos[300];
		int rc = get_str(x, k, "paths", &path);
		if (rc)
			return rc;
		if (sl_mask_json_path_check(path, why, sizeof(why)))
			return err(x, k, "bad JSON path \"%s\": %s", path, why);
		sl_mask_rule *sub = sl_arena_calloc(x->a, 1, sizeof(*sub));
		sl_mask_path *slot = sl_arena_push(x->a, &r->paths, &r->npaths, &cap, sizeof(*slot));
		if (!sub || !slot)
			return sl_error_nomem();
		const char *what = sl_arena_printf(x->a, "%s.paths.%s", x->what, path);
		if (!what)
			return sl_error_nomem();
		rc = sl_mask_rule_parse(sub, x->cfg, v, what, true, x->a);
		if (rc)
			return rc;
		slot->path = path;
		slot->rule = sub;
		slot->where = sl_arena_strdup(x->a, sl_config_where(x->cfg, k, pos, sizeof(pos)));
		if (!slot->where)
			return sl_error_nomem();
	}
	return 0;
}

static int parse_param(pctx *x, sl_mask_rule *r, const char *key, struct fy_node *k, struct fy_node *v)
{
	(void)k;
	if (!strcmp(key, "value")) {
		/* the one string that may be empty: `fixed ""` empties a NOT NULL text column */
		size_t len = 0;
		const char *raw = is_scalar(v) ? fy_node_get_scalar(v, &len) : NULL;
		if (raw && len == 0 && fy_node_get_style(v) != FYNS_PLAIN) {
			r->value = "";
			return 0;
		}
		return get_str(x, v, key, &r->value);
	}
	if (!strcmp(key, "length"))
		return get_int(x, v, key, 1, 64, &r->length);
	if (!strcmp(key, "keep_domain"))
		return get_bool(x, v, key, &r->keep_domain);
	if (!strcmp(key, "domain"))
		return get_str(x, v, key, &r->domain);
	if (!strcmp(key, "keep"))
		return get_int(x, v, key, 0, 6, &r->keep);
	if (!strcmp(key, "days"))
		return get_int(x, v, key, 1, 36500, &r->days);
	if (!strcmp(key, "ratio"))
		return get_ratio(x, v, &r->ratio);
	if (!strcmp(key, "first"))
		return get_int(x, v, key, 0, 1000, &r->first);
	if (!strcmp(key, "last"))
		return get_int(x, v, key, 0, 1000, &r->last);
	if (!strcmp(key, "expr"))
		return get_str(x, v, key, &r->expr);
	if (!strcmp(key, "paths"))
		return parse_paths(x, r, v);
	if (!strcmp(key, "by")) {
		int rc = get_str(x, v, key, &r->by);
		if (!rc && !is_column_name(r->by))
			rc = err(x, v, "\"by\" must name a column of the same table, not \"%s\"", r->by);
		return rc;
	}
	if (!strcmp(key, "part")) {
		const char *s = NULL;
		int rc = get_str(x, v, key, &s);
		if (rc)
			return rc;
		if (!strcmp(s, "full"))
			r->part = SL_MASK_NAME_FULL;
		else if (!strcmp(s, "first"))
			r->part = SL_MASK_NAME_FIRST;
		else if (!strcmp(s, "last"))
			r->part = SL_MASK_NAME_LAST;
		else
			return err(x, v, "\"part\" must be full, first or last, not \"%s\"", s);
		return 0;
	}
	if (!strcmp(key, "char")) {
		int rc = get_str(x, v, key, &r->fill);
		if (!rc && sl_mask_utf8_chars(r->fill, strlen(r->fill)) != 1)
			rc = err(x, v, "\"char\" must be one character, not \"%s\"", r->fill);
		return rc;
	}
	return err(x, k, "unknown key \"%s\"", key);
}

static bool has_key(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return true;
	return false;
}

/* Which other rule takes key, or NULL. */
static const char *rule_with_key(const char *key)
{
	for (int k = 0; k < SL_MASK__COUNT; k++)
		if (has_key(rule_keys[k], key))
			return kind_names[k];
	return NULL;
}

static int parse_mapping(pctx *x, sl_mask_rule *r, struct fy_node *n)
{
	struct fy_node *kn = fy_node_mapping_lookup_by_string(n, "rule", FY_NT);
	void *it = NULL;
	struct fy_node_pair *p;
	int rc;
	if (!kn)
		return err(x, n,
			   "a rule written as a mapping needs \"rule\" (e.g. { rule: hash, length: 16 })");
	if ((rc = parse_kind(x, kn, &r->kind)) != 0)
		return rc;
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = NULL;
		if ((rc = get_str(x, k, "key", &key)) != 0)
			return rc;
		if (!strcmp(key, "rule"))
			continue;
		if (!has_key(rule_keys[r->kind], key)) {
			const char *all[8] = { "rule" };
			size_t na = 1;
			for (size_t i = 0; rule_keys[r->kind][i] && na < 7; i++)
				all[na++] = rule_keys[r->kind][i];
			all[na] = NULL;
			const char *near = sl_config_nearest(key, all), *other = rule_with_key(key);
			if (near)
				return err(x, k, "unknown key \"%s\" for rule \"%s\" (did you mean \"%s\"?)",
					   key, kind_names[r->kind], near);
			if (other)
				return err(x, k, "key \"%s\" belongs to rule \"%s\", not \"%s\"", key, other,
					   kind_names[r->kind]);
			return err(x, k, "unknown key \"%s\" for rule \"%s\"", key, kind_names[r->kind]);
		}
		if ((rc = parse_param(x, r, key, k, v)) != 0)
			return rc;
	}
	return 0;
}

static int check_complete(pctx *x, sl_mask_rule *r, struct fy_node *n, bool nested)
{
	if (r->kind == SL_MASK_FIXED && !r->value)
		return err(x, n, "rule \"fixed\" needs \"value\"");
	if (r->kind == SL_MASK_DATE_SHIFT && !r->days)
		return err(x, n, "rule \"date_shift\" needs \"days\" (the largest shift, e.g. 30)");
	if (r->kind == SL_MASK_JSON && !r->npaths)
		return err(x, n, "rule \"json\" needs \"paths\"");
	if (r->kind == SL_MASK_SQL && !r->expr)
		return err(x, n, "rule \"sql\" needs \"expr\" (an SQL expression of the source database)");
	if (r->kind == SL_MASK_PARTIAL && !r->first && !r->last)
		return err(x, n, "rule \"partial\" needs \"first\" or \"last\" (characters kept)");
	if (r->kind == SL_MASK_EMAIL && r->keep_domain && r->domain)
		return err(x, n, "rule \"email\": give \"keep_domain\" or \"domain\", not both");
	if (nested && (r->kind == SL_MASK_JSON || r->kind == SL_MASK_SHUFFLE || r->kind == SL_MASK_SQL ||
		       r->kind == SL_MASK_DATE_SHIFT || r->by))
		return err(x, n, "rule \"%s\"%s cannot be used inside a json rule", kind_names[r->kind],
			   r->by ? " with \"by\"" : "");
	if (r->kind == SL_MASK_NOISE && r->ratio == 0)
		r->ratio = 0.1;
	if (r->kind == SL_MASK_PARTIAL && !r->fill)
		r->fill = "*";
	return 0;
}

int sl_mask_rule_parse(sl_mask_rule *out, sl_config *cfg, struct fy_node *n, const char *what, bool nested,
		       sl_arena *a)
{
	pctx x = { .cfg = cfg, .a = a, .what = what };
	char pos[300];
	int rc;
	memset(out, 0, sizeof(*out));
	if (!n)
		return err(&x, n, "give a rule (e.g. email, hash, keep)");
	out->where = sl_arena_strdup(a, sl_config_where(cfg, n, pos, sizeof(pos)));
	if (!out->where)
		return sl_error_nomem();
	if (fy_node_get_type(n) == FYNT_MAPPING)
		rc = parse_mapping(&x, out, n);
	else if (is_scalar(n))
		rc = parse_kind(&x, n, &out->kind);
	else
		return err(&x, n,
			   "a rule is a name (email, hash, keep, ...) or a mapping { rule: NAME, ... }");
	if (!rc)
		rc = check_complete(&x, out, n, nested);
	return rc;
}

int sl_mask_rule_text(sl_buf *out, const sl_mask_rule *r)
{
	int rc = sl_buf_puts(out, kind_names[r->kind]);
	char sep = '(';
#define PARAM(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!rc && (cond)) {                                                                         \
			rc = sl_buf_putc(out, sep);                                                          \
			if (!rc)                                                                             \
				rc = sl_buf_printf(out, __VA_ARGS__);                                        \
			sep = ',';                                                                           \
		}                                                                                            \
	} while (0)
	PARAM(r->kind == SL_MASK_FIXED, "value=%s", r->value);
	PARAM(r->length, "length=%d", r->length);
	PARAM(r->keep_domain, "keep_domain");
	PARAM(r->domain, "domain=%s", r->domain);
	PARAM(r->kind == SL_MASK_NAME && r->part != SL_MASK_NAME_FULL, "part=%s",
	      r->part == SL_MASK_NAME_FIRST ? "first" : "last");
	PARAM(r->keep, "keep=%d", r->keep);
	PARAM(r->days, "days=%d", r->days);
	PARAM(r->kind == SL_MASK_NOISE, "ratio=%g", r->ratio);
	PARAM(r->by, "by=%s", r->by);
	PARAM(r->first, "first=%d", r->first);
	PARAM(r->last, "last=%d", r->last);
	PARAM(r->kind == SL_MASK_PARTIAL && strcmp(r->fill, "*") != 0, "char=%s", r->fill);
	PARAM(r->expr, "expr=%s", r->expr);
	for (size_t i = 0; !rc && i < r->npaths; i++) {
		PARAM(1, "%s=", r->paths[i].path);
		if (!rc)
			rc = sl_mask_rule_text(out, r->paths[i].rule);
	}
#undef PARAM
	if (!rc && sep == ',')
		rc = sl_buf_putc(out, ')');
	return rc;
}

bool sl_mask_rule_keyed(const sl_mask_rule *r)
{
	switch (r->kind) {
	case SL_MASK_KEEP:
	case SL_MASK_NULL:
	case SL_MASK_FIXED:
	case SL_MASK_SQL:
		return false;
	case SL_MASK_JSON:
		for (size_t i = 0; i < r->npaths; i++)
			if (sl_mask_rule_keyed(r->paths[i].rule))
				return true;
		return false;
	default:
		return true;
	}
}

bool sl_mask_rule_value_only(const sl_mask_rule *r)
{
	switch (r->kind) {
	case SL_MASK_HASH:
	case SL_MASK_EMAIL:
	case SL_MASK_NAME:
	case SL_MASK_PHONE:
	case SL_MASK_ADDRESS:
	case SL_MASK_IP:
	case SL_MASK_PARTIAL:
		return true;
	case SL_MASK_NOISE:
		return r->by == NULL;
	default:
		return false;
	}
}
