/*
 * mask.c - which columns are sensitive, and masking their values in what a
 * copy records about a refused row (sluice_rejects: the value, the key and
 * the reason, which may quote the value) and in `copy --rejects`.
 *
 * A column is sensitive when a pattern of sluice.yaml `copy.sensitive`
 * matches "table.column" (fnmatch, case-insensitive; "!pattern" exempts a
 * column, and exemptions win), or when its name says so: one of its words
 * (split at "_", "-", spaces, digits and camelCase) is password, passwd,
 * pwd, passphrase, secret, token, ssn, cvv, cvc, iban, pin or salt, or it
 * contains apikey, privatekey, creditcard, cardnumber, socialsecurity once
 * the separators are gone. docs/copy.md ("Rejects") lists the rule.
 */
#include "copy_int.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const char *const sensitive_words[] = { "password", "passwd", "pwd", "passphrase", "secret", "token",
					       "ssn",      "cvv",    "cvc", "iban",       "pin",    "salt" };
static const char *const sensitive_parts[] = { "password",   "passwd",     "secret",     "apikey",
					       "privatekey", "creditcard", "cardnumber", "socialsecurity" };

static bool word_listed(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(sensitive_words) / sizeof(sensitive_words[0]); i++)
		if (strlen(sensitive_words[i]) == n && strncmp(sensitive_words[i], w, n) == 0)
			return true;
	return false;
}

bool sl_copy_name_sensitive(const char *column)
{
	char joined[256], word[256];
	size_t nj = 0, nw = 0;
	bool hit = false;
	for (const char *p = column; !hit; p++) {
		unsigned char c = (unsigned char)*p;
		bool boundary = !c || !isalpha(c) || (isupper(c) && nw && islower((unsigned char)p[-1]));
		if (boundary && nw) {
			hit = word_listed(word, nw);
			nw = 0;
		}
		if (!c)
			break;
		if (isalpha(c) && nw + 1 < sizeof(word))
			word[nw++] = (char)tolower(c);
		if (isalnum(c) && nj + 1 < sizeof(joined))
			joined[nj++] = (char)tolower(c);
	}
	joined[nj] = '\0';
	for (size_t i = 0; !hit && i < sizeof(sensitive_parts) / sizeof(sensitive_parts[0]); i++)
		hit = strstr(joined, sensitive_parts[i]) != NULL;
	return hit;
}

bool sl_copy_sensitive(const char *const *patterns, size_t n, const char *table, const char *column)
{
	char full[600];
	if (!column)
		return false;
	snprintf(full, sizeof(full), "%s.%s", table ? table : "", column);
	for (size_t i = 0; i < n; i++)
		if (patterns[i][0] == '!' && fnmatch(patterns[i] + 1, full, FNM_CASEFOLD) == 0)
			return false;
	for (size_t i = 0; i < n; i++)
		if (patterns[i][0] != '!' && fnmatch(patterns[i], full, FNM_CASEFOLD) == 0)
			return true;
	return sl_copy_name_sensitive(column);
}

int sl_copy_mask_in(char **text, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	if (!*text || sl == 0 || !strstr(*text, secret))
		return 0;
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	const char *p = *text, *hit;
	while (!rc && (hit = strstr(p, secret)) != NULL) {
		rc = sl_buf_put(&b, p, (size_t)(hit - p));
		rc = rc ? rc : sl_buf_puts(&b, SL_COPY_MASK);
		p = hit + sl;
	}
	rc = rc ? rc : sl_buf_puts(&b, p);
	if (rc) {
		sl_buf_free(&b);
		return rc;
	}
	free(*text);
	*text = sl_buf_detach(&b);
	return *text ? 0 : sl_error_nomem();
}

/* Masks in *reason each form in which the value v may be quoted (whole and cut as the reasons cut it). */
static int mask_value_in(char **reason, const sl_value *v)
{
	static const size_t cuts[] = { 1000, SL_COPY_REJECT_VALUE_MAX, 60 };
	int rc = 0;
	if (v->type == SL_V_NULL)
		return 0;
	for (size_t i = 0; !rc && i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		sl_buf t = SL_BUF_INIT;
		rc = sl_copy_value_text(&t, v, cuts[i]);
		if (!rc && t.len > 3 && strcmp(t.ptr + t.len - 3, "...") == 0)
			t.ptr[t.len -= 3] = '\0'; /* the part before the cut */
		if (!rc && t.len)
			rc = sl_copy_mask_in(reason, t.ptr);
		sl_buf_free(&t);
	}
	return rc;
}

int sl_copy_mask_reject(const sl_copy_opts *o, const sl_copy_tplan *t, const sl_value *row,
			const char *column, char **value, char **reason)
{
	const char *const *pat = o ? o->sensitive : NULL;
	size_t npat = o ? o->nsensitive : 0;
	int rc = 0;
	if (column && *value && sl_copy_sensitive(pat, npat, t->src->name, column)) {
		free(*value);
		*value = strdup(SL_COPY_MASK);
		if (!*value)
			return sl_error_nomem();
	}
	for (size_t j = 0; !rc && j < t->nwcols; j++) {
		const char *name = t->src->columns[t->wcols[j]].name;
		if (sl_copy_sensitive(pat, npat, t->src->name, name))
			rc = mask_value_in(reason, &row[j]);
	}
	return rc;
}

void sl_copy_mask_key(const sl_copy_opts *o, const sl_copy_tplan *t, sl_value *kv)
{
	for (size_t k = 0; k < t->nkey; k++)
		if (sl_copy_sensitive(o ? o->sensitive : NULL, o ? o->nsensitive : 0, t->src->name,
				      t->key[k]))
			kv[k] = sl_text(SL_COPY_MASK);
}
