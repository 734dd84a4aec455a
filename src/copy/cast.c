/*
 * cast.c - plans how every column of a source model lands on a target
 * engine (include/sluice/cast.h): target names fitted to the engine's
 * identifier limit with collisions reported, user rules (column rules win
 * over type rules), the default cast table (cast_types.c), defaults
 * translated where the meaning is the same, notes about the source's own
 * quirks (MySQL zero dates and tinyint(1), SQLite's loose typing), and
 * foreign key columns aligned with the keys they reference.
 */
#include "copy/cast_int.h"
#include "schema/ddl_expr.h"
#include "sluice/ddl.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- notes ------------------------------------------------------------ */

static int add_notev(sl_cast_plan *p, sl_cast_note **notes, size_t *n, sl_cast_severity sev, const char *fmt,
		     va_list ap) __attribute__((format(printf, 5, 0)));

static int add_notev(sl_cast_plan *p, sl_cast_note **notes, size_t *n, sl_cast_severity sev, const char *fmt,
		     va_list ap)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_vprintf(&b, fmt, ap);
	sl_cast_note *nv = NULL;
	if (rc)
		goto done;
	nv = sl_arena_alloc(p->arena, (*n + 1) * sizeof(*nv));
	if (!nv) {
		rc = SL_ENOMEM;
		goto done;
	}
	if (*n)
		memcpy(nv, *notes, *n * sizeof(*nv));
	nv[*n].severity = sev;
	nv[*n].message = sl_arena_strdup(p->arena, sl_buf_cstr(&b));
	if (!nv[*n].message) {
		rc = SL_ENOMEM;
		goto done;
	}
	*notes = nv;
	(*n)++;
done:
	sl_buf_free(&b);
	return rc;
}

int sl_cast_add_note(sl_cast_plan *p, sl_cast_note **notes, size_t *n, sl_cast_severity sev, const char *fmt,
		     ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = add_notev(p, notes, n, sev, fmt, ap);
	va_end(ap);
	return rc;
}

int sl_cast_col_note(sl_cast_ctx *x, sl_cast_column *cc, sl_cast_severity sev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = add_notev(x->plan, &cc->notes, &cc->nnotes, sev, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- names ------------------------------------------------------------ */

static const char *fit(sl_cast_plan *p, const char *name, bool *changed)
{
	sl_buf b = SL_BUF_INIT;
	const char *r = NULL;
	if (sl_cast_fit_name(&b, name, p->target) == 0)
		r = sl_arena_strdup(p->arena, sl_buf_cstr(&b));
	*changed = r && strcmp(r, name) != 0;
	sl_buf_free(&b);
	return r;
}

static const char *limit_text(sl_engine e)
{
	return sl_dialect_of(e)->ident_limit;
}

/* ---- keys ------------------------------------------------------------- */

static sl_col_use col_use(const sl_table *t, const char *name)
{
	sl_col_use u = { 0 };
	if (t->primary_key) {
		u.in_pk = sl_str_in(name, t->primary_key->columns, t->primary_key->ncolumns);
		u.sole_pk = u.in_pk && t->primary_key->ncolumns == 1;
	}
	for (size_t i = 0; i < t->nuniques; i++)
		u.in_unique |= sl_str_in(name, t->uniques[i].columns, t->uniques[i].ncolumns);
	for (size_t i = 0; i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		if (ix->primary)
			continue;
		bool has = false;
		for (size_t j = 0; j < ix->ncolumns; j++)
			has |= !(ix->is_expression && ix->is_expression[j]) &&
			       strcmp(ix->columns[j], name) == 0;
		if (has && ix->unique && !ix->where)
			u.in_unique = true;
		else if (has)
			u.in_index = true;
	}
	for (size_t i = 0; i < t->nfkeys; i++)
		u.in_fk |= sl_str_in(name, t->fkeys[i].columns, t->fkeys[i].ncolumns);
	return u;
}

/* ---- defaults --------------------------------------------------------- */

static bool word_is(const sl_xtok *t, const char *w)
{
	return t->kind == SL_XT_WORD && strcasecmp(t->text, w) == 0;
}

/* Drops parentheses that wrap the whole token list. */
static void unwrap(sl_xtoks *t, size_t *from, size_t *to)
{
	while (*to - *from >= 2 && t->v[*from].kind == SL_XT_LPAREN && t->v[*to - 1].kind == SL_XT_RPAREN) {
		int depth = 0;
		bool whole = true;
		for (size_t i = *from; i < *to; i++) {
			depth += t->v[i].kind == SL_XT_LPAREN;
			depth -= t->v[i].kind == SL_XT_RPAREN;
			if (depth == 0 && i + 1 < *to)
				whole = false;
		}
		if (!whole)
			break;
		(*from)++;
		(*to)--;
	}
}

typedef enum {
	D_NONE,
	D_LITERAL,
	D_NUMBER,
	D_BOOL,
	D_BITS,
	D_NOW,
	D_NOW_LOCAL,
	D_TODAY,
	D_TIME,
	D_UUID,
	D_SEQ,
	D_EXPR
} dkind;

/* SQLite's date functions called with 'now': what they make (strftime's format decides). */
static dkind sqlite_clock(const sl_xtok *v, size_t n)
{
	static const char *const stamp_fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%f",
						  "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%f" };
	bool has_now = false, local = false, strf = word_is(&v[0], "strftime");
	const char *fmt = NULL;
	for (size_t i = 2; i < n; i++) {
		if (v[i].kind != SL_XT_STRING)
			continue;
		if (strcasecmp(v[i].text, "now") == 0)
			has_now = true;
		else if (strcasecmp(v[i].text, "localtime") == 0)
			local = true;
		else if (i == 2 && strf)
			fmt = v[i].text;
	}
	if (!has_now)
		return D_EXPR;
	if (word_is(&v[0], "date"))
		return D_TODAY;
	if (word_is(&v[0], "time"))
		return D_TIME;
	if (word_is(&v[0], "datetime"))
		return local ? D_NOW_LOCAL : D_NOW;
	for (size_t i = 0; strf && fmt && i < sizeof(stamp_fmts) / sizeof(stamp_fmts[0]); i++)
		if (strcmp(fmt, stamp_fmts[i]) == 0)
			return local ? D_NOW_LOCAL : D_NOW;
	if (strf && fmt && strcmp(fmt, "%Y-%m-%d") == 0)
		return D_TODAY;
	if (strf && fmt && strcmp(fmt, "%H:%M:%S") == 0)
		return D_TIME;
	return D_EXPR;
}

/* A call of name with no arguments: name ( ). */
static bool bare_call(const sl_xtok *v, size_t n, const char *const *names, size_t nnames)
{
	if (n != 3 || v[1].kind != SL_XT_LPAREN || v[2].kind != SL_XT_RPAREN)
		return false;
	for (size_t i = 0; i < nnames; i++)
		if (word_is(&v[0], names[i]))
			return true;
	return false;
}

/*
 * Classifies tokens [a, b) of a default written in dialect: what it means,
 * independent of dialect. SQLite reads a double-quoted word in a default as
 * a string (its documented quirk for an identifier that names no column, and
 * a default has no column to name), and a bare word that is not a keyword
 * the same way.
 */
static dkind classify(const sl_xtoks *t, size_t a, size_t b, sl_engine dialect, const char **val)
{
	static const char *const uuid_fns[] = { "gen_random_uuid", "uuid_generate_v4", "uuid",
						"uuid_generate_v1", "uuid_generate_v1mc" };
	static const char *const sqlite_kw[] = {
		"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "TRUE", "FALSE", "NULL"
	};
	size_t n = b - a;
	const sl_xtok *v = t->v + a;
	*val = n ? v[0].text : NULL;
	if (n == 0 || (n == 1 && word_is(&v[0], "NULL")))
		return D_NONE;
	if (n == 1 && v[0].kind == SL_XT_STRING)
		return D_LITERAL;
	if (n == 1 && v[0].kind == SL_XT_NUMBER)
		return D_NUMBER;
	if (n == 2 && v[0].kind == SL_XT_OP && strcmp(v[0].text, "-") == 0 && v[1].kind == SL_XT_NUMBER)
		return D_NUMBER;
	if (n == 1 && sl_dialect_of(dialect) && sl_dialect_of(dialect)->bare_words_are_strings &&
	    (v[0].kind == SL_XT_IDENT || v[0].kind == SL_XT_WORD)) {
		bool kw = false;
		for (size_t i = 0; v[0].kind == SL_XT_WORD && i < sizeof(sqlite_kw) / sizeof(sqlite_kw[0]);
		     i++)
			kw |= word_is(&v[0], sqlite_kw[i]);
		if (!kw)
			return D_LITERAL;
	}
	if (n == 1 && (word_is(&v[0], "TRUE") || word_is(&v[0], "FALSE")))
		return D_BOOL;
	if (n == 1 && v[0].kind == SL_XT_BITS)
		return D_BITS;
	if (word_is(&v[0], "nextval"))
		return D_SEQ;
	if (bare_call(v, n, uuid_fns, sizeof(uuid_fns) / sizeof(uuid_fns[0])))
		return D_UUID;
	static const char *const now[] = {
		"CURRENT_TIMESTAMP", "LOCALTIMESTAMP",        "now",
		"localtime",         "transaction_timestamp", "statement_timestamp"
	};
	/* a clock word, optionally "(" [precision] ")" */
	bool call_ok = n == 1 || (n >= 3 && v[1].kind == SL_XT_LPAREN && v[n - 1].kind == SL_XT_RPAREN &&
				  (n == 3 || (n == 4 && v[2].kind == SL_XT_NUMBER)));
	for (size_t i = 0; call_ok && i < sizeof(now) / sizeof(now[0]); i++)
		if (word_is(&v[0], now[i]))
			return D_NOW;
	if (call_ok && (word_is(&v[0], "CURRENT_DATE") || word_is(&v[0], "curdate")))
		return D_TODAY;
	if (call_ok && (word_is(&v[0], "CURRENT_TIME") || word_is(&v[0], "curtime")))
		return D_TIME;
	/* SQLite: datetime('now'), date('now'), time('now'), strftime(fmt, 'now'), with 'localtime' */
	if (n >= 4 && v[1].kind == SL_XT_LPAREN &&
	    (word_is(&v[0], "datetime") || word_is(&v[0], "date") || word_is(&v[0], "time") ||
	     word_is(&v[0], "strftime")))
		return sqlite_clock(v, n);
	return D_EXPR;
}

static int put_bool(sl_buf *b, sl_engine e, bool v)
{
	return sl_buf_puts(b, v ? sl_dialect_of(e)->true_literal : sl_dialect_of(e)->false_literal);
}

static bool is_temporal(sl_tkind k)
{
	return k == SL_T_DATE || k == SL_T_TIMESTAMP || k == SL_T_TIMESTAMPTZ || k == SL_T_TIME;
}

static bool is_texty(sl_tkind k)
{
	return k == SL_T_TEXT || k == SL_T_VARCHAR || k == SL_T_CHAR;
}

static int render_uuid(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc, sl_buf *out)
{
	const sl_dialect *d = sl_dialect_of(x->plan->target);
	sl_tkind k = cc->type.kind;
	if (k != SL_T_UUID && !is_texty(k))
		return sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					"default %s dropped: a generated UUID does not fit a %s column",
					c->default_expr, cc->type_sql);
	int rc = sl_buf_puts(out, d->uuid_default);
	if (rc || !d->uuid_default_note)
		return rc;
	return sl_cast_col_note(x, cc, SL_CAST_INFO, "default %s -> %s", c->default_expr,
				d->uuid_default_note);
}

/*
 * A clock default (now, today, the time of day) for column cc: the target's
 * own clock where the column can take it, else dropped with a note.
 */
static int render_clock(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc, dkind dk, sl_buf *out)
{
	sl_engine e = x->plan->target;
	const sl_dialect *d = sl_dialect_of(e);
	sl_tkind k = cc->type.kind;
	bool paren = d->expr_default_parens, text_ok = is_texty(k) && d->clock_on_text;
	int rc = 0;
	if (dk == D_TODAY && (k == SL_T_DATE || k == SL_T_TIMESTAMP || k == SL_T_TIMESTAMPTZ || text_ok))
		return sl_buf_puts(out, paren ? "(CURRENT_DATE)" : "CURRENT_DATE");
	if (dk == D_TIME && (k == SL_T_TIME || text_ok))
		return sl_buf_puts(out, paren ? "(CURRENT_TIME)" : "CURRENT_TIME");
	if ((dk == D_NOW || dk == D_NOW_LOCAL) && k == SL_T_DATE)
		return sl_buf_puts(out, paren ? "(CURRENT_DATE)" : "CURRENT_DATE");
	if ((dk == D_NOW || dk == D_NOW_LOCAL) && (k == SL_T_TIMESTAMP || k == SL_T_TIMESTAMPTZ || text_ok)) {
		if (d->stamp_default_precision && cc->type.precision > 0)
			rc = sl_buf_printf(out, "CURRENT_TIMESTAMP(%d)", cc->type.precision);
		else
			rc = sl_buf_puts(out, "CURRENT_TIMESTAMP");
		if (!rc && dk == D_NOW_LOCAL)
			rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					      "default %s -> CURRENT_TIMESTAMP: new rows get the target's "
					      "clock, not SQLite's local time",
					      c->default_expr);
		return rc;
	}
	return sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				"default %s dropped: %s does not take a clock default on a %s column",
				c->default_expr, sl_engine_name(e), cc->type_sql);
}

static int render_default(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc, dkind dk, const sl_xtoks *t,
			  size_t a, size_t b, sl_buf *out)
{
	sl_engine e = x->plan->target;
	sl_tkind k = cc->type.kind;
	const char *val = t->v[a].text;
	int rc = 0, bv;
	switch (dk) {
	case D_LITERAL:
		return sl_cast_default_literal(x, cc, val, false, c->default_expr, out);
	case D_NUMBER:
		if (sl_dialect_of(x->plan->source)->zero_dates && is_temporal(c->type.kind) && b - a == 1 &&
		    strcmp(val, "0") == 0)
			return sl_cast_col_note(x, cc, SL_CAST_LOSSY,
						"default 0 (a MySQL zero date) dropped");
		if (b - a == 2) {
			sl_buf neg = SL_BUF_INIT;
			rc = sl_buf_printf(&neg, "-%s", t->v[b - 1].text);
			if (!rc)
				rc = sl_cast_default_literal(x, cc, neg.ptr, true, c->default_expr, out);
			sl_buf_free(&neg);
			return rc;
		}
		return sl_cast_default_literal(x, cc, val, true, c->default_expr, out);
	case D_BOOL:
		bv = strcasecmp(val, "true") == 0;
		if (k == SL_T_BOOL)
			return put_bool(out, e, bv);
		return sl_buf_puts(out, bv ? "1" : "0");
	case D_BITS:
		if (k == SL_T_BOOL)
			return put_bool(out, e, strchr(val, '1') != NULL);
		if (!sl_dialect_of(e)->bit_prefix || k != SL_T_BIT)
			return sl_buf_printf(out, "%lld", (long long)strtoll(val, NULL, 2));
		return sl_buf_printf(out, "%c'%s'", sl_dialect_of(e)->bit_prefix, val);
	case D_NOW:
	case D_NOW_LOCAL:
	case D_TODAY:
	case D_TIME:
		return render_clock(x, c, cc, dk, out);
	case D_UUID:
		return render_uuid(x, c, cc, out);
	default:
		return 0;
	}
}

/* Sets cc->default_sql from the source default, or notes why it is dropped. */
static int plan_default(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	sl_xtoks t = { 0 };
	sl_buf out = SL_BUF_INIT;
	const char *val;
	bool same = x->plan->source == x->plan->target;
	int rc = 0;
	if (!c->default_expr || !*c->default_expr || cc->generated)
		return 0;
	if (sl_expr_tokenize(&t, c->default_expr, x->plan->source) != 0) {
		sl_error_clear();
		if (same)
			goto verbatim;
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY, "default %s dropped: it cannot be read",
				      c->default_expr);
		goto done;
	}
	size_t a = 0, b = t.n;
	unwrap(&t, &a, &b);
	dkind dk = classify(&t, a, b, x->plan->source, &val);
	if (dk == D_SEQ) {
		if (!cc->identity)
			rc = sl_cast_col_note(
				x, cc, SL_CAST_LOSSY,
				"default %s dropped: sequences other than identities are not copied",
				c->default_expr);
		goto done;
	}
	if (cc->identity || dk == D_NONE)
		goto done;
	if (same && !cc->rule && dk == D_LITERAL && t.v[a].kind != SL_XT_STRING) {
		/* SQLite's quirk, written as the string it means: "" -> '' */
		rc = sl_ddl_quote_string(&out, x->plan->target, val);
		goto store;
	}
	if (dk == D_EXPR || (same && !cc->rule))
		goto verbatim_or_drop;
	rc = render_default(x, c, cc, dk, &t, a, b, &out);
	goto store;
verbatim_or_drop:
	if (!same) {
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY, "default %s dropped: %s SQL is not translated",
				      c->default_expr, sl_engine_name(x->plan->source));
		goto done;
	}
verbatim:
	rc = sl_buf_puts(&out, c->default_expr);
store:
	if (!rc && out.len && !(cc->default_sql = sl_arena_strdup(x->plan->arena, out.ptr)))
		rc = SL_ENOMEM;
done:
	sl_expr_tokens_free(&t);
	sl_buf_free(&out);
	return rc;
}

/* ---- source-side notes ------------------------------------------------ */

static bool is_ci(sl_engine src, const char *coll)
{
	if (sl_dialect_of(src)->default_collation_ci)
		return !coll || strstr(coll, "_ci") != NULL;
	return coll && (strcasecmp(coll, "NOCASE") == 0 || strstr(coll, "_ci") || strstr(coll, "-ci"));
}

static int source_notes(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	sl_engine s = x->plan->source, t = x->plan->target;
	const sl_dialect *sd = sl_dialect_of(s), *td = sl_dialect_of(t);
	sl_tkind k = c->type.kind;
	int rc = 0;
	if (s == t)
		return 0;
	if (sd->zero_dates && (k == SL_T_DATE || k == SL_T_TIMESTAMP || k == SL_T_TIMESTAMPTZ)) {
		if (c->nullable)
			rc = sl_cast_col_note(
				x, cc, SL_CAST_LOSSY,
				"MySQL zero dates ('0000-00-00', or with a zero month or day) become NULL");
		else
			rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					      "rows holding MySQL zero dates ('0000-00-00', or with a zero "
					      "month or day) are rejected: the column is NOT NULL");
	}
	if (!rc && sd->bool_is_tinyint && k == SL_T_BOOL && !cc->rule)
		rc = sl_cast_col_note(
			x, cc, SL_CAST_LOSSY,
			"tinyint(1) -> %s: values other than 0 and 1 (such as 2 or -1) are rejected; "
			"a cast rule from \"tinyint(1)\" to an integer type keeps them",
			cc->type_sql);
	if (!rc && sd->loose_types && k != SL_T_TEXT && k != SL_T_CHAR && k != SL_T_VARCHAR &&
	    k != SL_T_BLOB && k != SL_T_UNKNOWN && k != SL_T_OTHER)
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO,
				      "SQLite does not enforce the declared type %s: rows whose value is not "
				      "a %s are rejected at load",
				      c->decl_type && *c->decl_type ? c->decl_type : "(none)",
				      sl_tkind_name(k));
	const char *coll = c->collation ? c->collation : x->table->collation; /* NULL: the table's */
	if (!rc && (k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT) && !td->default_collation_ci &&
	    is_ci(s, coll) && (x->use.in_pk || x->use.in_unique || x->use.in_index || x->use.in_fk))
		rc = sl_cast_col_note(
			x, cc, SL_CAST_INFO,
			"collation %s compares case-insensitively, %s compares case-sensitively: lookups "
			"that "
			"relied on it change (the copy checks keys for collisions before loading)",
			coll ? coll : "(MySQL default)", sl_engine_name(t));
	return rc;
}

/* ---- ON UPDATE -------------------------------------------------------- */

/*
 * MySQL's ON UPDATE CURRENT_TIMESTAMP: kept on MySQL; on PostgreSQL and
 * SQLite one trigger per table, named after it, does the same (ddl.c, phase
 * triggers). A column that is no longer a timestamp on the target loses it,
 * with a lossy note.
 */
static int plan_on_update(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	sl_cast_plan *p = x->plan;
	sl_tkind k = cc->type.kind;
	bool changed;
	if (k != SL_T_TIMESTAMP && k != SL_T_TIMESTAMPTZ)
		return sl_cast_col_note(x, cc, SL_CAST_LOSSY, "ON UPDATE %s dropped: the column is %s on %s",
					c->on_update, cc->type_sql ? cc->type_sql : "not a timestamp",
					sl_engine_name(p->target));
	if (sl_dialect_of(p->target)->on_update_clause) {
		cc->on_update_sql = c->on_update;
		return 0;
	}
	if (strncasecmp(c->on_update, "CURRENT_TIMESTAMP", 17) != 0)
		return sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					"ON UPDATE %s dropped: %s SQL is not translated", c->on_update,
					sl_engine_name(p->source));
	if (!x->ct->on_update_trigger) {
		sl_buf n = SL_BUF_INIT;
		int rc = sl_buf_printf(&n, "%s_on_update", x->ct->name);
		x->ct->on_update_trigger = rc ? NULL : fit(p, sl_buf_cstr(&n), &changed);
		sl_buf_free(&n);
		if (!x->ct->on_update_trigger)
			return SL_ENOMEM;
	}
	cc->on_update_sql = c->on_update;
	return sl_cast_col_note(
		x, cc, SL_CAST_INFO,
		"ON UPDATE %s becomes trigger \"%s\": an UPDATE that changes the row and leaves "
		"this column as it was sets it to the current time (as on MySQL, except that "
		"setting it to its old value explicitly does not keep it)",
		c->on_update, x->ct->on_update_trigger);
}

/* ---- planning --------------------------------------------------------- */

static int plan_column(sl_cast_ctx *x, const sl_cast_rules *rules, const sl_column *c, sl_cast_column *cc)
{
	int rc = 0;
	bool same = x->plan->source == x->plan->target;
	const char *rule_to = NULL, *rule_display = NULL;
	bool ruled = sl_cast_rules_find(rules, x->table, c, &rule_to, &rule_display);
	x->use = col_use(x->table, c->name);
	cc->src = c;
	if (ruled) {
		sl_cast_parse_type(rule_to, &cc->type);
		cc->type_sql = rule_to;
		cc->rule = rule_display;
		cc->identity = c->identity && (cc->type.kind == SL_T_INT16 || cc->type.kind == SL_T_INT32 ||
					       cc->type.kind == SL_T_INT64);
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO, "cast by rule %s -> %s", rule_display, rule_to);
	} else if (same && c->decl_type && (*c->decl_type || sl_dialect_of(x->plan->target)->empty_type_ok)) {
		cc->type = c->type;
		cc->type_sql = c->decl_type;
		cc->identity = c->identity;
		cc->collation = c->collation;
	} else {
		rc = sl_cast_map_type(x, c, cc);
	}
	if (!rc && c->generated_expr) {
		if (same) {
			cc->generated = true;
		} else {
			rc = sl_cast_col_note(x, cc, SL_CAST_INFO,
					      "generated column becomes a plain column holding the copied "
					      "values (expression not translated: %s)",
					      c->generated_expr);
		}
	}
	if (!rc)
		rc = plan_default(x, c, cc);
	if (!rc && c->on_update)
		rc = plan_on_update(x, c, cc);
	if (!rc)
		rc = source_notes(x, c, cc);
	return rc;
}

/* Names within one namespace: exact collisions, and case-only ones where the target folds case. */
static int check_collisions(sl_cast_plan *p, sl_cast_note **notes, size_t *nn, const char *what,
			    const char *const *src, const char *const *dst, size_t n,
			    sl_cast_severity fold_sev)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = i + 1; !rc && j < n; j++) {
			if (strcmp(dst[i], dst[j]) == 0)
				rc = sl_cast_add_note(p, notes, nn, SL_CAST_ERROR,
						      "%s \"%s\" and \"%s\" are both named \"%s\" on %s",
						      what, src[i], src[j], dst[i],
						      sl_engine_name(p->target));
			else if (sl_dialect_of(p->target)->ident_case_insensitive &&
				 strcasecmp(dst[i], dst[j]) == 0)
				rc = sl_cast_add_note(p, notes, nn, fold_sev,
						      "%s \"%s\" and \"%s\" differ only in case: %s treats "
						      "them as the same name",
						      what, dst[i], dst[j], sl_engine_name(p->target));
		}
	return rc;
}

static int plan_table(sl_cast_plan *p, const sl_cast_rules *rules, const sl_table *t, sl_cast_table *ct)
{
	sl_cast_ctx x = { .plan = p, .table = t, .ct = ct };
	const char **src = NULL, **dst = NULL;
	int rc = 0;
	ct->src = t;
	ct->ncolumns = t->ncolumns;
	if (p->source == p->target && sl_dialect_of(p->target)->table_collations)
		ct->collation = t->collation;
	ct->columns = t->ncolumns ? sl_arena_calloc(p->arena, t->ncolumns, sizeof(*ct->columns)) : NULL;
	src = calloc(t->ncolumns + 1, sizeof(*src));
	dst = calloc(t->ncolumns + 1, sizeof(*dst));
	if ((t->ncolumns && !ct->columns) || !src || !dst) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < t->ncolumns; i++) {
		sl_cast_column *cc = &ct->columns[i];
		bool changed;
		cc->src = &t->columns[i];
		cc->name = fit(p, t->columns[i].name, &changed);
		if (!cc->name) {
			rc = SL_ENOMEM;
			break;
		}
		if (changed)
			rc = sl_cast_col_note(&x, cc, SL_CAST_LOSSY, "name is longer than %s: renamed \"%s\"",
					      limit_text(p->target), cc->name);
		src[i] = t->columns[i].name;
		dst[i] = cc->name;
	}
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		rc = plan_column(&x, rules, &t->columns[i], &ct->columns[i]);
	if (!rc)
		rc = check_collisions(p, &ct->notes, &ct->nnotes, "columns", src, dst, t->ncolumns,
				      SL_CAST_ERROR);
done:
	free(src);
	free(dst);
	return rc;
}

static bool int_like(const sl_cast_column *c)
{
	sl_tkind k = c->type.kind;
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64 ||
	       (k == SL_T_DECIMAL && c->type.scale == 0 && c->src->type.kind == SL_T_INT64);
}

/*
 * A foreign key column takes the target type (and collation) of the column
 * it references: MySQL needs the same integer size, sign and collation, and
 * PostgreSQL has no equality between NUMERIC and BIGINT for a key.
 */
static int align_fkeys(sl_cast_plan *p)
{
	int rc = 0;
	if (sl_dialect_of(p->target)->loose_types)
		return 0; /* any value fits any column */
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		sl_cast_table *ct = &p->tables[i];
		const sl_table *t = ct->src;
		for (size_t f = 0; !rc && f < t->nfkeys; f++) {
			const sl_fkey *fk = &t->fkeys[f];
			const sl_cast_table *pt = sl_cast_plan_find_ref(p, t, fk);
			for (size_t k = 0; !rc && pt && k < fk->ncolumns; k++) {
				sl_cast_column *cc =
					(sl_cast_column *)sl_cast_table_find_column(ct, fk->columns[k]);
				const sl_cast_column *pc =
					fk->ref_columns ? sl_cast_table_find_column(pt, fk->ref_columns[k])
							: NULL;
				if (!cc || !pc || cc->rule)
					continue;
				if (pc->collation &&
				    (!cc->collation || strcmp(cc->collation, pc->collation) != 0))
					cc->collation = pc->collation;
				if (!int_like(cc) || !int_like(pc) || strcmp(cc->type_sql, pc->type_sql) == 0)
					continue;
				sl_cast_ctx x = { .plan = p, .table = t, .ct = ct };
				const char *was = cc->type_sql;
				bool narrows =
					pc->type.kind != SL_T_DECIMAL &&
					(cc->type.kind == SL_T_DECIMAL || cc->type.kind > pc->type.kind);
				cc->type = pc->type;
				cc->type_sql = pc->type_sql;
				rc = sl_cast_col_note(&x, cc, narrows ? SL_CAST_LOSSY : SL_CAST_INFO,
						      "%s -> %s to match the referenced key \"%s\".\"%s\"%s",
						      was, cc->type_sql, pt->name, pc->name,
						      narrows ? ": values that do not fit are rejected" : "");
			}
		}
	}
	return rc;
}

/*
 * MySQL allows one AUTO_INCREMENT column per table, and only on a column
 * that leads a key when the table is created: the copy creates tables with
 * their primary key alone, so the identity that stays is the first column of
 * the primary key; every other identity becomes a plain column (its values
 * are copied; new rows must bring one).
 */
static int fit_identities(sl_cast_plan *p)
{
	int rc = 0;
	if (!sl_dialect_of(p->target)->one_identity_leading_key)
		return 0;
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		sl_cast_table *ct = &p->tables[i];
		const sl_table *t = ct->src;
		const char *lead =
			t->primary_key && t->primary_key->ncolumns ? t->primary_key->columns[0] : NULL;
		sl_cast_ctx x = { .plan = p, .table = t, .ct = ct };
		for (size_t j = 0; !rc && j < ct->ncolumns; j++) {
			sl_cast_column *cc = &ct->columns[j];
			if (!cc->identity || (lead && strcmp(cc->src->name, lead) == 0))
				continue;
			cc->identity = false;
			rc = sl_cast_col_note(
				&x, cc, SL_CAST_LOSSY,
				"AUTO_INCREMENT dropped: MySQL allows one per table, on the first "
				"column of the primary key%s%s%s; the values are copied, new rows "
				"must bring one",
				lead ? " (\"" : "", lead ? lead : "", lead ? "\")" : "");
		}
	}
	return rc;
}

static bool any_column(const sl_cast_plan *p, bool (*pred)(const sl_column *))
{
	for (size_t i = 0; i < p->src->ntables; i++)
		for (size_t j = 0; j < p->src->tables[i].ncolumns; j++)
			if (pred(&p->src->tables[i].columns[j]))
				return true;
	return false;
}

static bool col_texty(const sl_column *c)
{
	return c->type.kind == SL_T_TEXT || c->type.kind == SL_T_VARCHAR || c->type.kind == SL_T_CHAR;
}

static bool col_identity(const sl_column *c)
{
	return c->identity;
}

static bool col_temporal(const sl_column *c)
{
	return c->type.kind == SL_T_DATE || c->type.kind == SL_T_TIMESTAMP ||
	       c->type.kind == SL_T_TIMESTAMPTZ;
}

static bool col_tstz(const sl_column *c)
{
	return c->type.kind == SL_T_TIMESTAMPTZ;
}

static int plan_notes(sl_cast_plan *p)
{
	int rc = 0;
	sl_engine s = p->source, t = p->target;
	const sl_dialect *sd = sl_dialect_of(s), *td = sl_dialect_of(t);
	bool fks = false;
	for (size_t i = 0; i < p->src->ntables; i++)
		fks |= p->src->tables[i].nfkeys > 0;
	if (s != t && !(td->caps & SL_CAP_NUL_IN_TEXT) && any_column(p, col_texty))
		rc = sl_cast_add_note(p, &p->notes, &p->nnotes, SL_CAST_LOSSY,
				      "%s cannot store NUL (0x00) in text: rows holding one in a "
				      "text column are rejected",
				      td->title);
	if (!rc && td->identity_note && any_column(p, col_identity))
		rc = sl_cast_add_note(p, &p->notes, &p->nnotes, SL_CAST_INFO, "%s", td->identity_note);
	if (!rc && sd->wide_dates && td->min_year && any_column(p, col_temporal))
		rc = sl_cast_add_note(p, &p->notes, &p->nnotes, SL_CAST_LOSSY,
				      "%s dates run from %d-01-01 to %d-12-31: rows holding BC dates, "
				      "later years or infinity are rejected",
				      td->title, td->min_year, td->max_year);
	if (!rc && sd->session_zone_stamps && s != t && any_column(p, col_tstz))
		rc = sl_cast_add_note(
			p, &p->notes, &p->nnotes, SL_CAST_INFO,
			"%s TIMESTAMP columns are read with time_zone '+00:00', so instants are kept",
			sd->title);
	if (!rc && td->fk_note && fks)
		rc = sl_cast_add_note(p, &p->notes, &p->nnotes, SL_CAST_INFO, "%s", td->fk_note);
	return rc;
}

int sl_cast_plan_new(sl_cast_plan **out, const sl_schema *src, sl_engine target, const sl_cast_rules *rules)
{
	sl_cast_plan *p = NULL;
	const char **snames = NULL, **dnames = NULL;
	int rc = 0;
	*out = NULL;
	if (!src || !sl_dialect_of(target)) {
		rc = sl_error_set(SL_EINVALID, "cast plan: a source model and a target engine are required");
		goto done;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	p->src = src;
	p->source = src->engine;
	p->target = target;
	p->ntables = src->ntables;
	p->tables = src->ntables ? sl_arena_calloc(p->arena, src->ntables, sizeof(*p->tables)) : NULL;
	snames = calloc(src->ntables + 1, sizeof(*snames));
	dnames = calloc(src->ntables + 1, sizeof(*dnames));
	if ((src->ntables && !p->tables) || !snames || !dnames) {
		rc = sl_error_nomem();
		goto done;
	}
	sl_buf flat = SL_BUF_INIT;
	for (size_t i = 0; !rc && i < src->ntables; i++) {
		sl_cast_table *ct = &p->tables[i];
		bool changed;
		ct->src = &src->tables[i];
		/* tables of several PostgreSQL schemas land in one namespace (docs/schemas.md) */
		sl_buf_clear(&flat);
		rc = sl_table_flat_name(&flat, src, &src->tables[i]);
		snames[i] = rc ? NULL : sl_arena_strdup(p->arena, sl_buf_cstr(&flat));
		ct->name = snames[i] ? fit(p, snames[i], &changed) : NULL;
		if (!ct->name)
			rc = sl_error_nomem();
		else if (changed)
			rc = sl_cast_add_note(p, &ct->notes, &ct->nnotes, SL_CAST_LOSSY,
					      "table name is longer than %s: renamed \"%s\"",
					      limit_text(target), ct->name);
		dnames[i] = ct->name;
	}
	sl_buf_free(&flat);
	if (!rc)
		rc = check_collisions(p, &p->notes, &p->nnotes, "tables", snames, dnames, src->ntables,
				      sl_dialect_of(target)->table_names_fold ? SL_CAST_ERROR
									      : SL_CAST_LOSSY);
	for (size_t i = 0; !rc && i < src->ntables; i++)
		rc = plan_table(p, rules, &src->tables[i], &p->tables[i]);
	if (!rc)
		rc = align_fkeys(p);
	if (!rc)
		rc = fit_identities(p);
	if (!rc)
		rc = plan_notes(p);
	if (rc == SL_ENOMEM)
		sl_error_nomem();
done:
	free(snames);
	free(dnames);
	if (rc)
		sl_cast_plan_free(p);
	else
		*out = p;
	return rc;
}
