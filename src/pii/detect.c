/*
 * detect.c - the detectors of `sluice pii scan`: what a column's name says,
 * and whether one value is an email address, an IP address, a phone number,
 * a card number (Luhn), a person's name, or free text holding an email.
 * They err on the side of flagging: a flagged column only needs a rule
 * (`keep` when it is harmless), a missed one would be copied unmasked.
 */
#include "sluice/pii.h"

#include <ctype.h>
#include <string.h>

const char *sl_pii_kind_name(sl_pii_kind k)
{
	static const char *const names[SL_PII__COUNT] = {
		[SL_PII_NONE] = "nothing",
		[SL_PII_EMAIL] = "email address",
		[SL_PII_NAME] = "person name",
		[SL_PII_FIRST_NAME] = "first name",
		[SL_PII_LAST_NAME] = "last name",
		[SL_PII_ACCOUNT] = "user name",
		[SL_PII_PHONE] = "phone number",
		[SL_PII_ADDRESS] = "street address",
		[SL_PII_POSTCODE] = "postal code",
		[SL_PII_IP] = "IP address",
		[SL_PII_CARD] = "card number",
		[SL_PII_NATIONAL_ID] = "national or account identifier",
		[SL_PII_BIRTH_DATE] = "date of birth",
		[SL_PII_SECRET] = "secret",
		[SL_PII_FREE_TEXT] = "free text",
		[SL_PII_JSON] = "JSON with personal data",
	};
	return (unsigned)k < SL_PII__COUNT ? names[k] : "unknown";
}

/* ---- names ---- */

#define MAX_TOKENS 8

/* Lower-case tokens of a column name: split at "_", "-", spaces, dots and lower->Upper steps. */
static size_t tokens_of(const char *name, char tok[MAX_TOKENS][32], char *flat, size_t flatlen)
{
	size_t n = 0, len = 0, fl = 0;
	for (const char *p = name;; p++) {
		bool boundary = !*p || *p == '_' || *p == '-' || *p == ' ' || *p == '.';
		bool camel = *p && p > name && isupper((unsigned char)*p) && islower((unsigned char)p[-1]);
		if ((boundary || camel) && len) {
			tok[n][len] = '\0';
			if (++n == MAX_TOKENS)
				break;
			len = 0;
		}
		if (!*p)
			break;
		if (!boundary && len < 31)
			tok[n][len++] = (char)tolower((unsigned char)*p);
		if (isalnum((unsigned char)*p) && fl + 1 < flatlen)
			flat[fl++] = (char)tolower((unsigned char)*p);
	}
	flat[fl] = '\0';
	return n;
}

static bool in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool has_token(char tok[MAX_TOKENS][32], size_t n, const char *const *list)
{
	for (size_t i = 0; i < n; i++)
		if (in(tok[i], list))
			return true;
	return false;
}

/* The words and whole names sl_pii_kind_of_name() looks for, per kind. */
static const char *const email_t[] = { "email", "emails", "mail", "emailaddress", NULL };
static const char *const ip_flat[] = { "ip",        "ipv4",       "ipv6",     "ipaddr",
				       "ipaddress", "remoteaddr", "remoteip", "clientip",
				       "lastip",    "sourceip",   NULL };
static const char *const phone_t[] = { "phone", "phones",    "mobile",    "msisdn",
				       "fax",   "telephone", "cellphone", NULL };
static const char *const phone_flat[] = { "tel", "cell", "phoneno", NULL };
static const char *const first_flat[] = { "firstname", "givenname", "forename", "fname", NULL };
static const char *const last_flat[] = { "lastname", "surname", "familyname", "lname", NULL };
static const char *const name_owner[] = { "full",      "display",  "contact", "person",   "customer",
					  "holder",    "employee", "patient", "student",  "owner",
					  "recipient", "sender",   "billing", "shipping", "cardholder",
					  "legal",     "maiden",   "middle",  "nick",     NULL };
static const char *const account_flat[] = { "username", "login", "loginname", "screenname", "handle", NULL };
static const char *const addr_t[] = { "address", "street", "addr", NULL };
static const char *const addr_flat[] = { "addressline1", "addressline2", "line1", "line2",
					 "address1",     "address2",     NULL };
static const char *const post_t[] = { "zip", "zipcode", "postcode", "postal", NULL };
static const char *const card_flat[] = { "cardnumber", "ccnumber", "creditcard", "creditcardnumber",
					 "cardno",     "pan",      NULL };
static const char *const natid_t[] = { "ssn", "passport", "iban", "nino", NULL };
static const char *const natid_flat[] = { "nationalid",
					  "taxid",
					  "tin",
					  "nin",
					  "sin",
					  "socialsecuritynumber",
					  "accountnumber",
					  "bankaccount",
					  "driverlicense",
					  "driverslicense",
					  "drivinglicence",
					  "taxnumber",
					  "vatnumber",
					  "personalnumber",
					  NULL };
static const char *const birth_flat[] = { "dob", "birthdate", "dateofbirth", "birthday", "bornon", NULL };
static const char *const secret_t[] = {
	"password", "passwd", "pwd", "secret", "token", "apikey", "salt", NULL
};
static const char *const text_flat[] = { "notes", "note",  "comment", "comments", "remarks",
					 "bio",   "about", "memo",    NULL };
static const char *const id_suffix[] = { "id",      "ids",  "uuid",   "fk",       "key",
					 "count",   "type", "status", "verified", "confirmed",
					 "enabled", "flag", NULL };

sl_pii_kind sl_pii_kind_of_name(const char *column)
{
	char tok[MAX_TOKENS][32], flat[128];
	size_t n = tokens_of(column, tok, flat, sizeof(flat));
	if (n == 0)
		return SL_PII_NONE;
	if (in(flat, natid_flat) || in(flat, card_flat))
		return in(flat, natid_flat) ? SL_PII_NATIONAL_ID : SL_PII_CARD;
	/* address_id, phone_type, email_count: a key or an attribute of the thing, not the thing */
	if (n >= 2 && in(tok[n - 1], id_suffix))
		return SL_PII_NONE;
	/* order matters: "email_address" and "ip_address" are not street addresses */
	if (has_token(tok, n, email_t) || strstr(flat, "email"))
		return SL_PII_EMAIL;
	if (in(flat, ip_flat) || !strcmp(tok[n - 1], "ip"))
		return SL_PII_IP;
	if (strstr(flat, "macaddr"))
		return SL_PII_NONE;
	if (has_token(tok, n, phone_t) || in(flat, phone_flat))
		return SL_PII_PHONE;
	if (in(flat, first_flat))
		return SL_PII_FIRST_NAME;
	if (in(flat, last_flat))
		return SL_PII_LAST_NAME;
	if (n >= 2 && !strcmp(tok[n - 1], "name") && has_token(tok, n - 1, name_owner))
		return SL_PII_NAME;
	if (!strcmp(flat, "fullname") || !strcmp(flat, "displayname") || !strcmp(flat, "contactname"))
		return SL_PII_NAME;
	if (in(flat, account_flat))
		return SL_PII_ACCOUNT;
	if (in(flat, card_flat))
		return SL_PII_CARD;
	if (has_token(tok, n, natid_t) || in(flat, natid_flat))
		return SL_PII_NATIONAL_ID;
	if (in(flat, birth_flat))
		return SL_PII_BIRTH_DATE;
	if (has_token(tok, n, secret_t) || strstr(flat, "apikey") || strstr(flat, "password"))
		return SL_PII_SECRET;
	if (has_token(tok, n, post_t))
		return SL_PII_POSTCODE;
	if (has_token(tok, n, addr_t) || in(flat, addr_flat))
		return SL_PII_ADDRESS;
	if (in(flat, text_flat))
		return SL_PII_FREE_TEXT;
	return SL_PII_NONE;
}

/* ---- values ---- */

static bool email_char(unsigned char c)
{
	return c > ' ' && c != '@' && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' && c != ';' &&
	       c != '"' && c != '\'' && c != '[' && c != ']' && c != '\\';
}

bool sl_pii_is_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || at == s)
		return false;
	size_t local = (size_t)(at - s), dom = n - local - 1;
	for (size_t i = 0; i < n; i++)
		if (i != local && !email_char((unsigned char)s[i]))
			return false;
	const char *dot = memchr(at + 1, '.', dom);
	return dom >= 3 && dot && dot > at + 1 && dot < s + n - 1;
}

bool sl_pii_has_email(const char *s, size_t n)
{
	for (const char *at = memchr(s, '@', n); at; at = memchr(at + 1, '@', n - (size_t)(at + 1 - s))) {
		const char *b = at, *e = at + 1;
		while (b > s && email_char((unsigned char)b[-1]))
			b--;
		while (e < s + n && email_char((unsigned char)*e))
			e++;
		while (e > at + 1 && e[-1] == '.')
			e--;
		if (sl_pii_is_email(b, (size_t)(e - b)))
			return true;
		if (at + 1 >= s + n)
			break;
	}
	return false;
}

static bool is_ipv4(const char *s, size_t n)
{
	int parts = 0;
	size_t i = 0;
	while (i < n && parts < 4) {
		int v = 0, d = 0;
		while (i < n && isdigit((unsigned char)s[i]) && d < 4) {
			v = v * 10 + (s[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || v > 255)
			return false;
		parts++;
		if (parts < 4) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	return parts == 4 && i == n;
}

bool sl_pii_is_ip(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (slash) {
		size_t tail = n - (size_t)(slash - s) - 1;
		if (tail == 0 || tail > 3)
			return false;
		for (size_t i = 1; i <= tail; i++)
			if (!isdigit((unsigned char)slash[i]))
				return false;
		n = (size_t)(slash - s);
	}
	if (is_ipv4(s, n))
		return true;
	size_t colons = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (!isxdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return colons >= 2 && colons <= 7 && n >= 3;
}

bool sl_pii_is_phone(const char *s, size_t n)
{
	size_t digits = 0;
	bool sep = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isdigit(c))
			digits++;
		else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
			sep = true;
		else if (!(c == '+' && i == 0))
			return false;
	}
	return digits >= 7 && digits <= 15 && (sep || s[0] == '+');
}

bool sl_pii_is_card(const char *s, size_t n)
{
	int d[32];
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i])) {
			if (nd == 32)
				return false;
			d[nd++] = s[i] - '0';
		} else if (s[i] != ' ' && s[i] != '-') {
			return false;
		}
	}
	if (nd < 13 || nd > 19)
		return false;
	int sum = 0;
	for (size_t i = 0; i < nd; i++) {
		int v = d[nd - 1 - i];
		if (i % 2) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* Words that say a capitalised phrase names a thing, not a person. */
static bool thing_word(const char *w)
{
	static const char *const words[] = {
		"project",    "projects", "team",     "plan",    "plans",   "initiative",
		"department", "dept",     "group",    "inc",     "inc.",    "ltd",
		"ltd.",       "llc",      "gmbh",     "corp",    "corp.",   "company",
		"co.",        "s.a.",     "ag",       "bv",      "kk",      "ab",
		"oy",         "sarl",     "plc",      "street",  "road",    "avenue",
		"lane",       "city",     "state",    "status",  "order",   "product",
		"service",    "services", "report",   "alpha",   "beta",    "gamma",
		"delta",      "new",      "old",      "the",     "of",      "and",
		"in",         "not",      "progress", "pending", "active",  "completed",
		"started",    "done",     "open",     "closed",  "app",     "website",
		"system",     "data",     "test",     "demo",    "default", "main",
		"general",    "account",  "admin",    "edition", "version", "release",
		"north",      "south",    "east",     "west",    "central", "international",
		"global",     "national", NULL
	};
	char low[32];
	size_t n = strlen(w);
	if (n >= sizeof(low))
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	return in(low, words);
}

bool sl_pii_is_person_name(const char *s, size_t n)
{
	static const char *const particles[] = { "da", "de",  "del", "der", "di",  "du",
						 "la", "le",  "van", "von", "bin", "al",
						 "y",  "dos", "das", "ter", "ten", NULL };
	size_t words = 0, i = 0, capital = 0;
	bool lower = false; /* "ACADEMY DINOSAUR" is a title in capitals, not a name */
	if (n < 3 || n > 60)
		return false;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t start = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wl = i - start;
		char w[16];
		unsigned char c0 = (unsigned char)s[start];
		for (size_t k = start; k < i; k++) {
			unsigned char c = (unsigned char)s[k];
			if (isdigit(c) || c == '@' || c == '/' || c == ':' || c == '_' || c == '(' ||
			    c == ')' || c == '"' || c == '&' || c == '#' || c == '=' || c == '%')
				return false;
		}
		words++;
		if (wl < sizeof(w)) {
			memcpy(w, s + start, wl);
			w[wl] = '\0';
			if (thing_word(w))
				return false;
		}
		for (size_t k = start + 1; k < i && !lower; k++)
			lower = islower((unsigned char)s[k]) || (unsigned char)s[k] >= 0x80;
		if (c0 >= 0x80 || isupper(c0)) {
			capital++;
			continue;
		}
		if (wl < sizeof(w)) {
			memcpy(w, s + start, wl);
			w[wl] = '\0';
			if (in(w, particles))
				continue;
		}
		return false; /* a lower-case word that is not a particle: not a name */
	}
	return words >= 2 && words <= 4 && capital >= 2 && lower;
}
