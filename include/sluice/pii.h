/*
 * pii.h - finding columns that look like personal data, for `sluice pii
 * scan` (which suggests masking rules) and for `sluice snapshot` (which
 * refuses to copy such a column that has no rule: fail closed).
 *
 * A column is flagged by its name (email, phone, first_name, ip_address,
 * ssn, date_of_birth, notes, ...) or by a sample of its values (email
 * addresses, phone numbers, IP addresses, card numbers that pass the Luhn
 * check, person-like names, emails inside free text), and inside JSON
 * documents by the keys and values of each path. docs/commands/pii.md lists
 * every pattern.
 */
#ifndef SLUICE_PII_H
#define SLUICE_PII_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_pii_kind {
	SL_PII_NONE = 0,
	SL_PII_EMAIL,
	SL_PII_NAME,
	SL_PII_FIRST_NAME,
	SL_PII_LAST_NAME,
	SL_PII_ACCOUNT, /* user name, login */
	SL_PII_PHONE,
	SL_PII_ADDRESS,
	SL_PII_POSTCODE,
	SL_PII_IP,
	SL_PII_CARD,
	SL_PII_NATIONAL_ID, /* ssn, passport, tax id, iban */
	SL_PII_BIRTH_DATE,
	SL_PII_SECRET, /* passwords, tokens */
	SL_PII_FREE_TEXT,
	SL_PII_JSON, /* paths inside a JSON document */
	SL_PII__COUNT
} sl_pii_kind;

/* "email address", "person name", ... */
const char *sl_pii_kind_name(sl_pii_kind k);

/* One path of a JSON column that holds personal data. */
typedef struct sl_pii_path {
	const char *path; /* "$.contact.email", "$.tags[*]" */
	sl_pii_kind kind;
	const char *reason;
} sl_pii_path;

typedef struct sl_pii_column {
	const char *table, *column;
	sl_pii_kind kind;
	const char *reason;  /* "column name; 200 of 200 sampled values are email addresses" */
	const char *suggest; /* a rule as YAML: "email", "{ rule: date_shift, days: 180 }" */
	sl_pii_path *paths;  /* SL_PII_JSON */
	size_t npaths;
} sl_pii_column;

typedef struct sl_pii_report {
	sl_pii_column *cols;
	size_t ncols;
	int sample; /* rows sampled per table */
	sl_arena *a;
} sl_pii_report;

typedef struct sl_pii_opts {
	int sample_rows; /* per table (default 200) */
} sl_pii_opts;

#define SL_PII_OPTS_INIT                                                                                     \
	{                                                                                                    \
		.sample_rows = 200                                                                           \
	}

/* Looks at every table of s on src (names, and a sample of each table's values). */
int sl_pii_scan(sl_pii_report **out, sl_conn *src, const sl_schema *s, const sl_pii_opts *o);
void sl_pii_report_free(sl_pii_report *r);

/*
 * Writes a `snapshot: masks:` section of sluice.yaml with the suggested rule
 * of every finding and its reason as a comment. header: a comment line
 * (without "# "), may be NULL.
 */
int sl_pii_yaml(sl_buf *out, const sl_pii_report *r, const char *header);

/* The detectors, on one value or name (exposed for tests). */
bool sl_pii_is_email(const char *s, size_t n);
bool sl_pii_is_ip(const char *s, size_t n);
bool sl_pii_is_phone(const char *s, size_t n);
/* 13 to 19 digits (spaces and dashes allowed) passing the Luhn check. */
bool sl_pii_is_card(const char *s, size_t n);
bool sl_pii_is_person_name(const char *s, size_t n);
/* True when free text holds an email address. */
bool sl_pii_has_email(const char *s, size_t n);
/* What a column's name says (SL_PII_NONE: nothing); nullable decides nothing here. */
sl_pii_kind sl_pii_kind_of_name(const char *column);

#ifdef __cplusplus
}
#endif
#endif
