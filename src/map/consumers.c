/*
 * consumers.c - the "criticality", "consumers" and "domains" sections of
 * sluice.yaml (include/sluice/consumers.h; keys in docs/config.md, which
 * must list every key accepted here).
 *
 * Loading checks shape and keys only; names are checked against a schema by
 * sl_consumers_resolve() in consumers_resolve.c. Every string lives in the
 * set's arena; positions are taken from the config's document.
 */
#include "sluice/consumers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "map/map_int.h"
#include "sluice/error.h"

static const char *const default_levels[] = { "revenue", "compliance", "customer-facing", "internal" };
static const char *const crit_keys[] = { "levels", "blocking", "default", NULL };
static const char *const consumer_keys[] = { "description", "kind",   "owner", "criticality", "ticket_prefix",
					     "reads",       "writes", "query", NULL };
static const char *const domain_keys[] = { "tables", "criticality", "owner", "description", NULL };

typedef struct loader {
	sl_consumers *cs;
	sl_config *c;
} loader;

static int err_at(loader *l, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int err_at(loader *l, struct fy_node *n, const char *fmt, ...)
{
	char where[512], msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: %s", sl_config_where(l->c, n, where, sizeof(where)), msg);
}

static void pos(loader *l, struct fy_node *n, size_t *line, size_t *col)
{
	char where[512];
	const char *w = sl_config_where(l->c, n, where, sizeof(where));
	const char *p = strrchr(w, ':'), *q;
	*line = *col = 0;
	if (!p || p == w)
		return;
	for (q = p - 1; q > w && isdigit((unsigned char)*q); q--)
		;
	if (*q != ':')
		return;
	*line = strtoul(q + 1, NULL, 10);
	*col = strtoul(p + 1, NULL, 10);
}

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] +
				     (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

const char *sl_nearest_name(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bd = 4;
	for (size_t i = 0; s && i < n; i++) {
		size_t d = names[i] ? distance(s, names[i]) : 64;
		if (d < bd && d < strlen(s)) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

static int unknown_key(loader *l, struct fy_node *k, const char *name, const char *where,
		       const char *const *known)
{
	size_t n = 0;
	while (known[n])
		n++;
	const char *best = sl_nearest_name(name, known, n);
	if (best)
		return err_at(l, k, "unknown key \"%s\" in \"%s\" (did you mean \"%s\"?)", name, where, best);
	return err_at(l, k, "unknown key \"%s\" in \"%s\"", name, where);
}

static int key_of(loader *l, struct fy_node_pair *p, const char *where, const char **out)
{
	struct fy_node *k = fy_node_pair_key(p);
	size_t len;
	const char *s;
	*out = NULL;
	if (!k || fy_node_get_type(k) != FYNT_SCALAR || !(s = fy_node_get_scalar(k, &len)))
		return err_at(l, k, "keys in \"%s\" must be strings", where);
	if (!(*out = sl_arena_strndup(l->cs->arena, s, len)))
		return sl_error_nomem();
	return 0;
}

static int string_of(loader *l, struct fy_node *n, struct fy_node *key, const char *what, const char **out)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR)
		return err_at(l, n ? n : key, "\"%s\" must be a string", what);
	return sl_config_string(out, NULL, l->c, n, what);
}

static bool good_name(const char *s)
{
	if (!*s || !(isalnum((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

static int level_of(loader *l, struct fy_node *n, struct fy_node *key, const char *what, int *out)
{
	const char *s;
	int rc = string_of(l, n, key, what, &s);
	if (rc)
		return rc;
	if ((*out = sl_criticality_find(&l->cs->crit, s)) >= 0)
		return 0;
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < l->cs->crit.nlevels; i++)
		sl_buf_printf(&b, "%s%s", i ? ", " : "", l->cs->crit.levels[i]);
	const char *best = sl_nearest_name(s, l->cs->crit.levels, l->cs->crit.nlevels);
	if (best)
		rc = err_at(l, n, "\"%s\": unknown criticality \"%s\" (did you mean \"%s\"?)", what, s, best);
	else
		rc = err_at(l, n, "\"%s\": unknown criticality \"%s\" (levels: %s)", what, s,
			    sl_buf_cstr(&b));
	sl_buf_free(&b);
	return rc;
}

/* ---- criticality ------------------------------------------------------------------ */

static int string_list(loader *l, struct fy_node *n, struct fy_node *key, const char *what, const char ***out,
		       size_t *count)
{
	struct fy_node *item;
	void *it = NULL;
	size_t cap = 0;
	int rc = 0;
	*out = NULL;
	*count = 0;
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE)
		return err_at(l, n ? n : key, "\"%s\" must be a list", what);
	while (!rc && (item = fy_node_sequence_iterate(n, &it))) {
		const char **slot = sl_arena_push(l->cs->arena, out, count, &cap, sizeof(*slot));
		if (!slot)
			return sl_error_nomem();
		rc = string_of(l, item, key, what, slot);
	}
	return rc;
}

static int load_criticality(loader *l, struct fy_node *key, struct fy_node *map)
{
	sl_criticality *cr = &l->cs->crit;
	struct fy_node_pair *p;
	struct fy_node *blocking = NULL, *blocking_key = NULL, *dflt = NULL, *dflt_key = NULL;
	void *it = NULL;
	int rc = 0;

	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err_at(l, map ? map : key,
			      "\"criticality\" must be a mapping (levels, blocking, default)");
	while (!rc && (p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_of(l, p, "criticality", &name)))
			break;
		if (strcmp(name, "levels") == 0) {
			if (!(rc = string_list(l, v, k, "criticality.levels", &cr->levels, &cr->nlevels)) &&
			    !cr->nlevels)
				rc = err_at(l, k, "\"criticality.levels\" must name at least one level");
			for (size_t i = 0; !rc && i < cr->nlevels; i++) {
				if (!good_name(cr->levels[i]))
					rc = err_at(l, v,
						    "\"criticality.levels\": \"%s\" is not a name (letters, "
						    "digits, \"-\", \"_\")",
						    cr->levels[i]);
				for (size_t j = 0; !rc && j < i; j++)
					if (strcmp(cr->levels[i], cr->levels[j]) == 0)
						rc = err_at(l, v, "\"criticality.levels\": \"%s\" twice",
							    cr->levels[i]);
			}
		} else if (strcmp(name, "blocking") == 0) {
			blocking = v;
			blocking_key = k;
		} else if (strcmp(name, "default") == 0) {
			dflt = v;
			dflt_key = k;
		} else {
			rc = unknown_key(l, k, name, "criticality", crit_keys);
		}
	}
	if (rc)
		return rc;
	if (!cr->levels) {
		cr->levels = (const char **)default_levels;
		cr->nlevels = sizeof(default_levels) / sizeof(default_levels[0]);
	}
	if (!(cr->blocking = sl_arena_calloc(l->cs->arena, cr->nlevels, sizeof(bool))))
		return sl_error_nomem();
	if (blocking) {
		struct fy_node *item;
		void *bit = NULL;
		if (fy_node_get_type(blocking) != FYNT_SEQUENCE)
			return err_at(l, blocking, "\"criticality.blocking\" must be a list of levels");
		while (!rc && (item = fy_node_sequence_iterate(blocking, &bit))) {
			int lv;
			if (!(rc = level_of(l, item, blocking_key, "criticality.blocking", &lv)))
				cr->blocking[lv] = true;
		}
	} else {
		for (size_t i = 0; i < cr->nlevels && i < 2; i++)
			cr->blocking[i] = true;
	}
	cr->dflt = (int)cr->nlevels - 1;
	if (!rc && dflt)
		rc = level_of(l, dflt, dflt_key, "criticality.default", &cr->dflt);
	return rc;
}

static int default_criticality(sl_consumers *cs)
{
	sl_criticality *cr = &cs->crit;
	cr->levels = (const char **)default_levels;
	cr->nlevels = sizeof(default_levels) / sizeof(default_levels[0]);
	if (!(cr->blocking = sl_arena_calloc(cs->arena, cr->nlevels, sizeof(bool))))
		return sl_error_nomem();
	cr->blocking[0] = cr->blocking[1] = true; /* revenue, compliance */
	cr->dflt = (int)cr->nlevels - 1;
	return 0;
}

/* ---- consumers -------------------------------------------------------------------- */

static int add_touch(sl_consumers *cs, sl_consumer *c, const char *table, const char *column, unsigned access,
		     int query, size_t line, size_t col)
{
	for (size_t i = 0; i < c->ntouches; i++) {
		sl_touch *t = &c->touches[i];
		if (t->query == query && strcmp(t->table, table) == 0 &&
		    ((!t->column && !column) || (t->column && column && strcmp(t->column, column) == 0))) {
			t->access |= access;
			return 0;
		}
	}
	sl_touch *t = sl_arena_push(cs->arena, &c->touches, &c->ntouches, &c->cap_touches, sizeof(*t));
	if (!t)
		return sl_error_nomem();
	t->table = sl_arena_strdup(cs->arena, table);
	t->column = column ? sl_arena_strdup(cs->arena, column) : NULL;
	if (!t->table || (column && !t->column))
		return sl_error_nomem();
	t->access = access;
	t->query = query;
	t->line = line;
	t->col = col;
	return 0;
}

/* reads/writes: a list of "table" or "table.column" ("table.*" is the whole table). */
static int declared(loader *l, sl_consumer *c, struct fy_node *k, struct fy_node *v, unsigned access)
{
	struct fy_node *item;
	void *it = NULL;
	char what[300];
	int rc = 0;
	snprintf(what, sizeof(what), "consumers.%s.%s", c->name,
		 access == SL_ACCESS_READ ? "reads" : "writes");
	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE)
		return err_at(l, v ? v : k, "\"%s\" must be a list of table or table.column names", what);
	while (!rc && (item = fy_node_sequence_iterate(v, &it))) {
		const char *s, *dot;
		size_t line, col;
		if ((rc = string_of(l, item, k, what, &s)))
			break;
		dot = strrchr(s, '.');
		if (!*s || (dot && (dot == s || !dot[1])))
			return err_at(l, item, "\"%s\": \"%s\" is not a table or table.column name", what, s);
		pos(l, item, &line, &col);
		if (dot) {
			char *table = sl_arena_strndup(l->cs->arena, s, (size_t)(dot - s));
			if (!table)
				return sl_error_nomem();
			rc = add_touch(l->cs, c, table, strcmp(dot + 1, "*") ? dot + 1 : NULL, access, -1,
				       line, col);
		} else {
			rc = add_touch(l->cs, c, s, NULL, access, -1, line, col);
		}
	}
	return rc;
}

static int add_query(loader *l, sl_consumer *c, struct fy_node *k, struct fy_node *n)
{
	char what[300];
	snprintf(what, sizeof(what), "consumers.%s.query", c->name);
	sl_consumer_query *q =
		sl_arena_push(l->cs->arena, &c->queries, &c->nqueries, &c->cap_queries, sizeof(*q));
	if (!q)
		return sl_error_nomem();
	q->node = n;
	int rc = string_of(l, n, k, what, &q->sql);
	if (!rc && !q->sql[strspn(q->sql, " \t\r\n;")])
		rc = err_at(l, n, "\"%s\" is empty", what);
	return rc;
}

static int queries(loader *l, sl_consumer *c, struct fy_node *k, struct fy_node *v)
{
	struct fy_node *item;
	void *it = NULL;
	int rc = 0;
	if (v && fy_node_get_type(v) == FYNT_SEQUENCE) {
		while (!rc && (item = fy_node_sequence_iterate(v, &it)))
			rc = add_query(l, c, k, item);
		return rc;
	}
	return add_query(l, c, k, v);
}

static int load_consumer(loader *l, sl_consumer *c, struct fy_node *key, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	char what[300];
	int rc = 0;

	c->criticality = l->cs->crit.dflt;
	snprintf(what, sizeof(what), "consumers.%s", c->name);
	if (!good_name(c->name))
		return err_at(l, key, "consumer \"%s\": a name is letters, digits, \"-\", \"_\" and \".\"",
			      c->name);
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err_at(l, map ? map : key, "\"%s\" must be a mapping (owner, criticality, reads, ...)",
			      what);
	while (!rc && (p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		char sub[340];
		if ((rc = key_of(l, p, what, &name)))
			break;
		snprintf(sub, sizeof(sub), "%s.%s", what, name);
		if (strcmp(name, "description") == 0)
			rc = string_of(l, v, k, sub, &c->description);
		else if (strcmp(name, "kind") == 0)
			rc = string_of(l, v, k, sub, &c->kind);
		else if (strcmp(name, "owner") == 0)
			rc = string_of(l, v, k, sub, &c->owner);
		else if (strcmp(name, "ticket_prefix") == 0)
			rc = string_of(l, v, k, sub, &c->ticket_prefix);
		else if (strcmp(name, "criticality") == 0)
			rc = level_of(l, v, k, sub, &c->criticality);
		else if (strcmp(name, "reads") == 0)
			rc = declared(l, c, k, v, SL_ACCESS_READ);
		else if (strcmp(name, "writes") == 0)
			rc = declared(l, c, k, v, SL_ACCESS_WRITE);
		else if (strcmp(name, "query") == 0)
			rc = queries(l, c, k, v);
		else
			rc = unknown_key(l, k, name, what, consumer_keys);
	}
	if (rc)
		return rc;
	if (!c->owner || !*c->owner)
		return err_at(l, key,
			      "consumer \"%s\" has no \"owner\" (the team or person to ask before "
			      "changing what it uses)",
			      c->name);
	if (!c->ntouches && !c->nqueries)
		return err_at(l, key,
			      "consumer \"%s\" says nothing of what it uses: give \"reads\", \"writes\" or "
			      "\"query\"",
			      c->name);
	c->ndeclared = c->ntouches;
	return 0;
}

static int load_consumers(loader *l, struct fy_node *key, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err_at(l, map ? map : key,
			      "\"consumers\" must map each consumer's name to its description");
	while (!rc && (p = fy_node_mapping_iterate(map, &it))) {
		sl_consumer *c =
			sl_arena_push(l->cs->arena, &l->cs->items, &l->cs->n, &l->cs->cap, sizeof(*c));
		if (!c)
			return sl_error_nomem();
		if ((rc = key_of(l, p, "consumers", &c->name)))
			break;
		pos(l, fy_node_pair_key(p), &c->line, &c->col);
		rc = load_consumer(l, c, fy_node_pair_key(p), fy_node_pair_value(p));
	}
	return rc;
}

/* ---- domains ---------------------------------------------------------------------- */

static int domain_tables(loader *l, sl_domain *d, struct fy_node *k, struct fy_node *v)
{
	struct fy_node *item;
	void *it = NULL;
	int rc = 0;
	char what[300];
	snprintf(what, sizeof(what), "domains.%s.tables", d->name);
	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE)
		return err_at(l, v ? v : k, "\"%s\" must be a list of tables", what);
	while (!rc && (item = fy_node_sequence_iterate(v, &it))) {
		sl_domain_table *t =
			sl_arena_push(l->cs->arena, &d->tables, &d->ntables, &d->cap_tables, sizeof(*t));
		if (!t)
			return sl_error_nomem();
		rc = string_of(l, item, k, what, &t->name);
		pos(l, item, &t->line, &t->col);
	}
	return rc;
}

static int load_domain(loader *l, sl_domain *d, struct fy_node *key, struct fy_node *v)
{
	struct fy_node_pair *p;
	void *it = NULL;
	char what[300];
	int rc = 0;
	d->criticality = -1;
	snprintf(what, sizeof(what), "domains.%s", d->name);
	if (v && fy_node_get_type(v) == FYNT_SEQUENCE)
		return domain_tables(l, d, key, v);
	if (!v || fy_node_get_type(v) != FYNT_MAPPING)
		return err_at(l, v ? v : key, "\"%s\" must be a list of tables or a mapping with \"tables\"",
			      what);
	while (!rc && (p = fy_node_mapping_iterate(v, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *val = fy_node_pair_value(p);
		const char *name;
		char sub[340];
		if ((rc = key_of(l, p, what, &name)))
			break;
		snprintf(sub, sizeof(sub), "%s.%s", what, name);
		if (strcmp(name, "tables") == 0)
			rc = domain_tables(l, d, k, val);
		else if (strcmp(name, "criticality") == 0)
			rc = level_of(l, val, k, sub, &d->criticality);
		else if (strcmp(name, "owner") == 0)
			rc = string_of(l, val, k, sub, &d->owner);
		else if (strcmp(name, "description") == 0)
			rc = string_of(l, val, k, sub, &d->description);
		else
			rc = unknown_key(l, k, name, what, domain_keys);
	}
	if (!rc && !d->ntables)
		rc = err_at(l, key, "domain \"%s\" lists no tables", d->name);
	return rc;
}

static int load_domains(loader *l, struct fy_node *key, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err_at(l, map ? map : key, "\"domains\" must map each domain's name to its tables");
	while (!rc && (p = fy_node_mapping_iterate(map, &it))) {
		sl_consumers *cs = l->cs;
		sl_domain *d =
			sl_arena_push(cs->arena, &cs->domains, &cs->ndomains, &cs->cap_domains, sizeof(*d));
		if (!d)
			return sl_error_nomem();
		if ((rc = key_of(l, p, "domains", &d->name)))
			break;
		pos(l, fy_node_pair_key(p), &d->line, &d->col);
		rc = load_domain(l, d, fy_node_pair_key(p), fy_node_pair_value(p));
	}
	return rc;
}

/* The key node of top-level section name, for positions of an empty section. */
static struct fy_node *section_key(sl_config *c, const char *name)
{
	struct fy_node *root = c && c->doc ? fy_document_root(c->doc) : NULL;
	struct fy_node_pair *p;
	void *it = NULL;
	while (root && fy_node_get_type(root) == FYNT_MAPPING && (p = fy_node_mapping_iterate(root, &it))) {
		size_t len;
		const char *s = fy_node_get_scalar(fy_node_pair_key(p), &len);
		if (s && len == strlen(name) && memcmp(s, name, len) == 0)
			return fy_node_pair_key(p);
	}
	return NULL;
}

int sl_consumers_load(sl_consumers **out, sl_config *c)
{
	sl_consumers *cs = NULL;
	sl_arena *a = sl_arena_new(0);
	loader l;
	int rc = 0;
	struct fy_node *sec;

	*out = NULL;
	if (!a || !(cs = sl_arena_calloc(a, 1, sizeof(*cs)))) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	cs->arena = a;
	cs->config = c;
	l.cs = cs;
	l.c = c;
	if ((sec = sl_config_section(c, "criticality")))
		rc = load_criticality(&l, section_key(c, "criticality"), sec);
	else
		rc = default_criticality(cs);
	if (!rc && (sec = sl_config_section(c, "consumers")))
		rc = load_consumers(&l, section_key(c, "consumers"), sec);
	if (!rc && (sec = sl_config_section(c, "domains")))
		rc = load_domains(&l, section_key(c, "domains"), sec);
	if (rc) {
		sl_consumers_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

void sl_consumers_free(sl_consumers *cs)
{
	if (cs)
		sl_arena_free(cs->arena);
}

const sl_consumer *sl_consumers_find(const sl_consumers *cs, const char *name)
{
	for (size_t i = 0; cs && name && i < cs->n; i++)
		if (strcmp(cs->items[i].name, name) == 0)
			return &cs->items[i];
	return NULL;
}

const sl_domain *sl_consumers_find_domain(const sl_consumers *cs, const char *name)
{
	for (size_t i = 0; cs && name && i < cs->ndomains; i++)
		if (strcmp(cs->domains[i].name, name) == 0)
			return &cs->domains[i];
	return NULL;
}

int sl_criticality_find(const sl_criticality *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->nlevels; i++)
		if (strcmp(c->levels[i], name) == 0)
			return (int)i;
	return -1;
}

const char *sl_criticality_name(const sl_criticality *c, int i)
{
	return c && i >= 0 && (size_t)i < c->nlevels ? c->levels[i] : "none";
}

bool sl_criticality_blocks(const sl_criticality *c, int i)
{
	return c && i >= 0 && (size_t)i < c->nlevels && c->blocking[i];
}

int sl_consumer_add_touch(sl_consumers *cs, sl_consumer *c, const char *table, const char *column,
			  unsigned access, int query, size_t line, size_t col)
{
	return add_touch(cs, c, table, column, access, query, line, col);
}
