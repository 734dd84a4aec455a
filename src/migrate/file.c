/*
 * file.c - reading migration files: header metadata, sections, directories.
 *
 * The format is specified in docs/migration-format.md; keep the two in step.
 * Parsing is line based: a header of "-- key: value" comments, then
 * "-- +sluice <section> [dialect=<engine>] [no-transaction]" directives, each
 * owning the text up to the next directive. SQL inside a section is not
 * looked at here, except to tell an empty section; sl_migration_statements()
 * hands it to the splitter. Everything a sl_migration points to lives in its
 * arena.
 */
#include "sluice/migration.h"
#include "sluice/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sluice/dialect.h"
#include "sluice/error.h"
#include "sluice/expand.h"

#define MAX_ID_DIGITS 32
#define MAX_FILE_SIZE ((size_t)64 << 20)

typedef struct parser {
	sl_migration *m;
	const char *text;
	size_t len;
	size_t meta_cap, parts_cap, req_cap;
	long cont;           /* index of the field continuation lines extend, or -1 */
	const char *file_id; /* id from the file name, or NULL */
} parser;

static const char *const section_names[] = { "up", "down", "verify", "expand" };
#define NSECTIONS (sizeof(section_names) / sizeof(section_names[0]))

const char *sl_section_name(sl_section s)
{
	return (unsigned)s < NSECTIONS ? section_names[s] : "?";
}

static bool is_id(const char *s, size_t n)
{
	if (n == 0 || n > MAX_ID_DIGITS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int sl_migration_id_cmp(const char *a, const char *b)
{
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Splits "<digits>_<slug>.sql" (or "<digits>.sql"); false when name does not match. */
static bool split_name(const char *name, size_t *id_len, const char **slug, size_t *slug_len)
{
	size_t n = strlen(name), d = 0;

	if (n < 5 || strcmp(name + n - 4, ".sql") != 0)
		return false;
	while (d < n - 4 && isdigit((unsigned char)name[d]))
		d++;
	if (!is_id(name, d))
		return false;
	*id_len = d;
	*slug = NULL;
	*slug_len = 0;
	if (d == n - 4)
		return true;
	if (name[d] != '_' || d + 1 == n - 4)
		return false;
	*slug = name + d + 1;
	*slug_len = n - 4 - d - 1;
	return true;
}

static int fail(parser *p, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(parser *p, size_t line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return sl_error_set(SL_EINVALID, "%s:%zu: %s", p->m->path, line, msg);
	return sl_error_set(SL_EINVALID, "%s: %s", p->m->path, msg);
}

static bool is_hspace(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims [*b, *e) of spaces, tabs and carriage returns. */
static void trim(const char **b, const char **e)
{
	while (*b < *e && (is_hspace(**b) || **b == '\r'))
		(*b)++;
	while (*e > *b && (is_hspace((*e)[-1]) || (*e)[-1] == '\r'))
		(*e)--;
}

static sl_engine parse_dialect(const char *s, size_t n)
{
	return sl_dialect_engine_named(s, n, true);
}

/* Ends the open part (if any) at byte end. */
static int close_part(parser *p, size_t end)
{
	sl_migration *m = p->m;
	if (!m->nparts)
		return 0;
	sl_migration_part *pt = &m->parts[m->nparts - 1];
	size_t start = (size_t)(pt->sql - p->text);
	char *copy = sl_arena_strndup(m->arena, p->text + start, end - start);
	if (!copy)
		return sl_error_nomem();
	pt->sql = copy;
	pt->len = end - start;
	return 0;
}

/*
 * Parses the directive [b, e) (b at "+sluice") on the line starting at byte
 * line_start; next is where its body starts.
 */
static int on_directive(parser *p, const char *b, const char *e, size_t line, size_t line_start, size_t next)
{
	sl_migration *m = p->m;
	const char *w = b, *we;
	int idx = -1, rc;
	sl_engine dialect = SL_ENGINE_NONE;
	bool no_tx = false;
	const char *version = NULL;
	int dlen = (int)(e - b);

	for (we = w; we < e && !is_hspace(*we); we++)
		;
	if (we - w != 7)
		return fail(p, line, "unknown directive \"%.*s\"", dlen, b);
	for (w = we; w < e && is_hspace(*w); w++)
		;
	for (we = w; we < e && !is_hspace(*we); we++)
		;
	for (int i = 0; i < (int)NSECTIONS; i++)
		if ((size_t)(we - w) == strlen(section_names[i]) &&
		    memcmp(w, section_names[i], (size_t)(we - w)) == 0)
			idx = i;
	if (idx < 0)
		return fail(p, line, "unknown directive \"%.*s\"", dlen, b);
	for (;;) {
		for (w = we; w < e && is_hspace(*w); w++)
			;
		if (w == e)
			break;
		for (we = w; we < e && !is_hspace(*we); we++)
			;
		size_t n = (size_t)(we - w);
		if (n == 14 && memcmp(w, "no-transaction", 14) == 0) {
			no_tx = true;
		} else if (n > 8 && memcmp(w, "version=", 8) == 0 && idx == SL_SECTION_EXPAND) {
			for (const char *v = w + 8; v < we; v++)
				if (!isalnum((unsigned char)*v) && *v != '_')
					return fail(p, line,
						    "version \"%.*s\" in directive \"%.*s\": use letters, "
						    "digits and "
						    "\"_\"",
						    (int)(n - 8), w + 8, dlen, b);
			if (!(version = sl_arena_strndup(m->arena, w + 8, n - 8)))
				return sl_error_nomem();
		} else if (n > 8 && memcmp(w, "dialect=", 8) == 0) {
			if ((dialect = parse_dialect(w + 8, n - 8)) == SL_ENGINE_NONE)
				return fail(p, line,
					    "unknown dialect \"%.*s\" in directive \"%.*s\" "
					    "(sqlite, postgres or mysql)",
					    (int)(n - 8), w + 8, dlen, b);
		} else {
			return fail(p, line, "unknown option \"%.*s\" in directive \"%.*s\"", (int)n, w, dlen,
				    b);
		}
	}
	for (size_t i = 0; i < m->nparts; i++)
		if ((int)m->parts[i].section == idx && m->parts[i].dialect == dialect)
			return fail(p, line, "duplicate section \"%s%s%s\" (first at line %zu)",
				    section_names[idx], dialect ? " dialect=" : "",
				    dialect ? sl_engine_name(dialect) : "", m->parts[i].directive_line);
	if ((rc = close_part(p, line_start)) < 0)
		return rc;
	sl_migration_part *pt = sl_arena_push(m->arena, &m->parts, &m->nparts, &p->parts_cap, sizeof(*pt));
	if (!pt)
		return sl_error_nomem();
	pt->section = (sl_section)idx;
	pt->dialect = dialect;
	pt->no_tx = no_tx;
	pt->version = version;
	if (no_tx && idx == SL_SECTION_EXPAND)
		return fail(p, line,
			    "\"no-transaction\" does not apply to an expand section (sluice decides)");
	pt->sql = p->text + next; /* fixed up by close_part */
	pt->line = line + 1;
	pt->directive_line = line;
	return 0;
}

/* A header comment: "key: value", a continuation, or free text. [b, e) follows "--". */
static int on_header_comment(parser *p, const char *b, const char *e, size_t line)
{
	sl_migration *m = p->m;
	const char *k = b, *ke, *v;

	if (e - b >= 2 && is_hspace(b[0]) && is_hspace(b[1]) && p->cont >= 0) {
		trim(&b, &e);
		if (b == e)
			return 0;
		sl_migration_meta *mt = &m->meta[p->cont];
		const char *nv = *mt->value
					 ? sl_arena_printf(m->arena, "%s\n%.*s", mt->value, (int)(e - b), b)
					 : sl_arena_strndup(m->arena, b, (size_t)(e - b));
		if (!nv)
			return sl_error_nomem();
		mt->value = nv;
		return 0;
	}
	p->cont = -1;
	while (k < e && is_hspace(*k))
		k++;
	for (ke = k; ke < e && (isalnum((unsigned char)*ke) || *ke == '_' || *ke == '-'); ke++)
		;
	if (ke == k || ke == e || *ke != ':' || !isalpha((unsigned char)*k))
		return 0; /* free text */
	v = ke + 1;
	trim(&v, &e);
	char *key = sl_arena_strndup(m->arena, k, (size_t)(ke - k));
	char *val = sl_arena_strndup(m->arena, v, (size_t)(e - v));
	if (!key || !val)
		return sl_error_nomem();
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0)
			return fail(p, line, "duplicate metadata \"%s\" (first at line %zu)", key,
				    m->meta[i].line);
	sl_migration_meta *mt = sl_arena_push(m->arena, &m->meta, &m->nmeta, &p->meta_cap, sizeof(*mt));
	if (!mt)
		return sl_error_nomem();
	mt->key = key;
	mt->value = val;
	mt->line = line;
	p->cont = (long)(m->nmeta - 1);
	return 0;
}

/* Walks the lines of the file. */
static int scan_lines(parser *p)
{
	size_t pos = 0, line = 0;
	int rc = 0;

	if (p->len >= 3 && memcmp(p->text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < p->len) {
		const char *b = p->text + pos, *nl = memchr(b, '\n', p->len - pos);
		const char *e = nl ? nl : p->text + p->len, *c = b;
		size_t next = nl ? (size_t)(nl - p->text) + 1 : p->len;
		line++;
		while (c < e && is_hspace(*c))
			c++;
		bool comment = e - c >= 2 && c[0] == '-' && c[1] == '-';
		if (comment) {
			const char *d = c + 2, *de = e;
			while (d < e && is_hspace(*d))
				d++;
			if (e - d >= 7 && memcmp(d, "+sluice", 7) == 0) {
				trim(&d, &de);
				if ((rc = on_directive(p, d, de, line, pos, next)) < 0)
					goto done;
				pos = next;
				continue;
			}
		}
		if (p->m->nparts == 0) {
			const char *te = e, *tb = c;
			trim(&tb, &te);
			if (tb == te) {
				p->cont = -1;
			} else if (comment) {
				if ((rc = on_header_comment(p, c + 2, e, line)) < 0)
					goto done;
			} else {
				rc = fail(p, line, "SQL before the first \"-- +sluice up\" directive");
				goto done;
			}
		}
		pos = next;
	}
	rc = close_part(p, p->len);
done:
	return rc;
}

/* True when s holds only whitespace and comments. */
static bool is_blank_sql(const char *s, size_t n, sl_engine engine)
{
	const sl_dialect *d = sl_dialect_of(engine); /* NULL: the generic variant */
	size_t i = 0;
	while (i < n) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if ((i + 1 < n && s[i] == '-' && s[i + 1] == '-') ||
			   (s[i] == '#' && d && d->hash_comments)) {
			while (i < n && s[i] != '\n')
				i++;
		} else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*' &&
			   !(i + 2 < n && s[i + 2] == '!' && !(d && d->bang_comments_blank))) {
			const char *e = NULL;
			for (size_t j = i + 2; j + 1 < n; j++)
				if (s[j] == '*' && s[j + 1] == '/') {
					e = s + j;
					break;
				}
			if (!e)
				return false;
			i = (size_t)(e - s) + 2;
		} else {
			return false;
		}
	}
	return true;
}

static int parse_requires(parser *p, const sl_migration_meta *mt)
{
	sl_migration *m = p->m;
	const char *s = mt->value;

	while (*s) {
		const char *b = s, *e;
		while (*s && *s != ',')
			s++;
		e = s;
		if (*s)
			s++;
		trim(&b, &e);
		while (b < e && (e[-1] == '\n' || isspace((unsigned char)e[-1])))
			e--;
		while (b < e && isspace((unsigned char)*b))
			b++;
		if (b == e)
			continue;
		if (!is_id(b, (size_t)(e - b)))
			return fail(p, mt->line, "\"requires\" lists \"%.*s\", which is not a migration id",
				    (int)(e - b), b);
		const char **slot =
			sl_arena_push(m->arena, &m->requires, &m->nrequires, &p->req_cap, sizeof(*slot));
		if (!slot || !(*slot = sl_arena_strndup(m->arena, b, (size_t)(e - b))))
			return sl_error_nomem();
	}
	return 0;
}

static const sl_migration_meta *meta_find(const sl_migration *m, const char *key)
{
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0)
			return &m->meta[i];
	return NULL;
}

/* Checks done once the whole file is read. */
static int finish(parser *p)
{
	sl_migration *m = p->m;
	const sl_migration_meta *id = meta_find(m, "id"), *t;
	bool up = false;
	const sl_migration_part *expand = NULL;
	int rc;

	if (id) {
		if (!is_id(id->value, strlen(id->value)))
			return fail(p, id->line,
				    "\"id\" must be digits (a YYYYMMDDHHMMSS timestamp "
				    "or a number), not \"%s\"",
				    id->value);
		if (p->file_id && sl_migration_id_cmp(id->value, p->file_id) != 0)
			return fail(p, id->line, "id \"%s\" does not match the file name's id \"%s\"",
				    id->value, p->file_id);
		m->id = id->value;
	} else if (p->file_id) {
		m->id = p->file_id;
	} else {
		return fail(p, 1, "missing \"id\" (name the file <id>_<slug>.sql or add \"-- id: ...\")");
	}
	if ((t = meta_find(m, "title")))
		m->title = t->value;
	if ((t = meta_find(m, "requires")) && (rc = parse_requires(p, t)) < 0)
		return rc;
	if ((t = meta_find(m, "irreversible")))
		m->irreversible = t->value;
	for (size_t i = 0; i < m->nparts; i++) {
		const sl_migration_part *pt = &m->parts[i];
		if (pt->section == SL_SECTION_UP)
			up = true;
		if (pt->section == SL_SECTION_EXPAND && !expand)
			expand = pt;
		if (is_blank_sql(pt->sql, pt->len, pt->dialect))
			return fail(p, pt->directive_line, "section \"%s\" is empty",
				    section_names[pt->section]);
		if (pt->section == SL_SECTION_DOWN && m->irreversible)
			return fail(p, pt->directive_line,
				    "\"irreversible\" is set (line %zu) but the "
				    "file has a down section",
				    meta_find(m, "irreversible")->line);
	}
	if (up && expand)
		return fail(
			p, expand->directive_line,
			"a migration has an up section or an expand section, not both (put plain SQL in a "
			"migration of its own)");
	if (!up && !expand)
		return fail(p, 0, "missing section \"up\" (a line \"-- +sluice up\" before the SQL)");
	for (size_t i = 0; i < m->nparts; i++) {
		const sl_migration_part *pt = &m->parts[i];
		sl_xops *ops = NULL;
		if (pt->section != SL_SECTION_EXPAND)
			continue;
		rc = sl_expand_parse(&ops, m->path, pt->line, pt->sql, pt->len, pt->dialect);
		sl_xops_free(ops);
		if (rc)
			return rc;
	}
	return 0;
}

void sl_migration_free(sl_migration *m)
{
	if (m)
		sl_arena_free(m->arena);
}

int sl_migration_parse(sl_migration **out, const char *path, const char *text, size_t len)
{
	parser p = { .text = text, .len = len, .cont = -1 };
	sl_arena *a = NULL;
	sl_migration *m = NULL;
	size_t id_len, slug_len;
	const char *slug;
	int rc = 0;

	*out = NULL;
	if (!path)
		path = "<migration>";
	if (!text && len) {
		rc = sl_error_set(SL_EINVALID, "%s: no text given", path);
		goto done;
	}
	if (!(a = sl_arena_new(0)) || !(m = sl_arena_calloc(a, 1, sizeof(*m))) ||
	    !(m->path = sl_arena_strdup(a, path))) {
		rc = sl_error_nomem();
		goto done;
	}
	m->arena = a;
	p.m = m;
	if (len && memchr(text, '\0', len)) {
		rc = fail(&p, 0, "file holds a NUL byte: not a SQL text file");
		goto done;
	}
	const char *name = base_name(path);
	if (split_name(name, &id_len, &slug, &slug_len)) {
		if (!(p.file_id = sl_arena_strndup(a, name, id_len)) ||
		    (slug && !(m->slug = sl_arena_strndup(a, slug, slug_len)))) {
			rc = sl_error_nomem();
			goto done;
		}
	}
	if ((rc = scan_lines(&p)) < 0 || (rc = finish(&p)) < 0)
		goto done;
	*out = m;
	a = NULL;
done:
	sl_arena_free(a);
	return rc;
}

/* Reads a whole file into *out (malloc'd, NUL-terminated). */
static int read_file(char **out, size_t *len, const char *path, const char *what)
{
	return sl_read_file(out, len, path, MAX_FILE_SIZE, what);
}

int sl_migration_load(sl_migration **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = read_file(&text, &len, path, "migration")) == 0)
		rc = sl_migration_parse(out, path, text, len);
	free(text);
	return rc;
}

void sl_migration_set_free(sl_migration_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		sl_migration_free(set->items[i]);
	free(set->items);
	free(set);
}

static int cmp_migration(const void *a, const void *b)
{
	const sl_migration *x = *(sl_migration *const *)a, *y = *(sl_migration *const *)b;
	int c = sl_migration_id_cmp(x->id, y->id);
	return c ? c : strcmp(x->path, y->path);
}

static int add_file(sl_migration_set *set, size_t *cap, const char *dir, const char *name)
{
	char *path = NULL;
	sl_migration *m = NULL;
	size_t id_len, slug_len;
	const char *slug;
	int rc = 0;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		rc = sl_error_nomem();
		goto done;
	}
	if (!split_name(name, &id_len, &slug, &slug_len) || !slug) {
		rc = sl_error_set(SL_EINVALID,
				  "%s: a migration file must be named <id>_<slug>.sql "
				  "(id: a YYYYMMDDHHMMSS timestamp or a number)",
				  path);
		goto done;
	}
	if ((rc = sl_migration_load(&m, path)) < 0)
		goto done;
	if (set->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		sl_migration **ni = realloc(set->items, ncap * sizeof(*ni));
		if (!ni) {
			rc = sl_error_nomem();
			goto done;
		}
		set->items = ni;
		*cap = ncap;
	}
	set->items[set->n++] = m;
	m = NULL;
done:
	sl_migration_free(m);
	free(path);
	return rc;
}

int sl_migration_dir_load(sl_migration_set **out, const char *dir)
{
	sl_migration_set *set = NULL;
	DIR *d = NULL;
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	if (!(set = calloc(1, sizeof(*set)))) {
		rc = sl_error_nomem();
		goto done;
	}
	if (!(d = opendir(dir))) {
		rc = sl_error_set(errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
				  "read migrations directory \"%s\": %s", dir, strerror(errno));
		goto done;
	}
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n < 4 || strcmp(e->d_name + n - 4, ".sql") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((rc = add_file(set, &cap, dir, e->d_name)) < 0)
			goto done;
	}
	if (set->n > 1)
		qsort(set->items, set->n, sizeof(*set->items), cmp_migration);
	for (size_t i = 1; i < set->n; i++)
		if (sl_migration_id_cmp(set->items[i - 1]->id, set->items[i]->id) == 0) {
			rc = sl_error_set(SL_EINVALID, "%s: duplicate migration id \"%s\" (also in \"%s\")",
					  set->items[i]->path, set->items[i]->id, set->items[i - 1]->path);
			goto done;
		}
	*out = set;
	set = NULL;
done:
	if (d)
		closedir(d);
	sl_migration_set_free(set);
	return rc;
}

const sl_migration *sl_migration_set_find(const sl_migration_set *set, const char *id)
{
	for (size_t i = 0; set && id && i < set->n; i++)
		if (sl_migration_id_cmp(set->items[i]->id, id) == 0)
			return set->items[i];
	return NULL;
}

bool sl_migration_is_expand(const sl_migration *m)
{
	for (size_t i = 0; m && i < m->nparts; i++)
		if (m->parts[i].section == SL_SECTION_EXPAND)
			return true;
	return false;
}

const char *sl_migration_meta_get(const sl_migration *m, const char *key)
{
	const sl_migration_meta *mt = meta_find(m, key);
	return mt ? mt->value : NULL;
}

const sl_migration_part *sl_migration_part_get(const sl_migration *m, sl_section s, sl_engine dialect)
{
	const sl_migration_part *generic = NULL;
	for (size_t i = 0; i < m->nparts; i++) {
		const sl_migration_part *pt = &m->parts[i];
		if (pt->section != s)
			continue;
		if (dialect != SL_ENGINE_NONE && pt->dialect == dialect)
			return pt;
		if (pt->dialect == SL_ENGINE_NONE)
			generic = pt;
	}
	return generic;
}

const char *sl_migration_section(const sl_migration *m, sl_section s, sl_engine dialect, size_t *len,
				 bool *no_tx)
{
	const sl_migration_part *pt = sl_migration_part_get(m, s, dialect);
	if (len)
		*len = pt ? pt->len : 0;
	if (no_tx)
		*no_tx = pt ? pt->no_tx : false;
	return pt ? pt->sql : NULL;
}

int sl_migration_statements(sl_stmt_list *out, const sl_migration *m, sl_section s, sl_engine dialect)
{
	const sl_migration_part *pt = sl_migration_part_get(m, s, dialect);
	sl_sql_split_options o = SL_SQL_SPLIT_OPTIONS_INIT;

	if (!pt) {
		*out = (sl_stmt_list)SL_STMT_LIST_INIT;
		return sl_error_set(SL_ENOTFOUND, "%s: no \"%s\" section for %s", m->path, sl_section_name(s),
				    sl_engine_name(dialect));
	}
	o.origin = m->path;
	o.first_line = pt->line;
	return sl_sql_split_ext(out, dialect, pt->sql, pt->len, &o);
}

int sl_migration_check_required(const sl_migration *m, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = fields[i] ? sl_migration_meta_get(m, fields[i]) : "x";
		if (!v)
			return sl_error_set(SL_EINVALID, "%s: missing \"%s\" (required by sluice.yaml)",
					    m->path, fields[i]);
		if (!*v)
			return sl_error_set(SL_EINVALID, "%s:%zu: \"%s\" is empty (required by sluice.yaml)",
					    m->path, meta_find(m, fields[i])->line, fields[i]);
	}
	return 0;
}

static bool valid_field(const char *f)
{
	if (!f || !isalpha((unsigned char)*f))
		return false;
	for (; *f; f++)
		if (!isalnum((unsigned char)*f) && *f != '_' && *f != '-')
			return false;
	return true;
}

int sl_migration_render_template(sl_buf *out, const char *id, const char *title,
				 const char *const *required_fields, size_t n)
{
	int rc = 0;

	if (!id || !is_id(id, strlen(id))) {
		rc = sl_error_set(SL_EINVALID, "new migration: id \"%s\" must be digits", id ? id : "");
		goto done;
	}
	if (title && strpbrk(title, "\r\n")) {
		rc = sl_error_set(SL_EINVALID, "new migration: the title must be one line");
		goto done;
	}
	if ((rc = sl_buf_printf(out, "-- id: %s\n-- title:%s%s\n", id, title && *title ? " " : "",
				title ? title : "")) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const char *f = required_fields[i];
		bool dup = false;
		if (!valid_field(f)) {
			rc = sl_error_set(SL_EINVALID, "new migration: \"%s\" is not a metadata field name",
					  f ? f : "");
			goto done;
		}
		for (size_t j = 0; j < i; j++)
			dup = dup || strcmp(required_fields[j], f) == 0;
		if (dup || strcmp(f, "id") == 0 || strcmp(f, "title") == 0)
			continue;
		if ((rc = sl_buf_printf(out, "-- %s:\n", f)) < 0)
			goto done;
	}
	rc = sl_buf_puts(out, "\n-- +sluice up\n\n\n-- +sluice down\n\n");
done:
	return rc;
}
