/*
 * mask.h - masking rules for anonymized copies (`sluice snapshot`): what a
 * rule is, how it is read from sluice.yaml, and the keyed functions that
 * turn one value into its masked form. docs/masking.md describes each rule.
 *
 * Every keyed rule derives its output from HMAC-SHA-256 (OpenSSL) of the
 * rule's name and the value's text under the snapshot key, so the same key
 * and the same input give the same output in every table and every run, and
 * a different key a different one. Fakes (email, name, phone, address, ip)
 * are drawn from word lists that are part of sluice (src/mask/words.c).
 *
 * The key is held by a sl_masker only, wiped when it is freed, and never
 * written anywhere; sl_masker_key_check() gives a value that tells two keys
 * apart without revealing either.
 */
#ifndef SLUICE_MASK_H
#define SLUICE_MASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/schema.h"
#include "sluice/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_mask_kind {
	SL_MASK_KEEP = 0,   /* copied as it is (the column was reviewed) */
	SL_MASK_NULL,       /* NULL */
	SL_MASK_FIXED,      /* one value for every non-NULL value */
	SL_MASK_HASH,       /* keyed HMAC-SHA-256: hex text, integer, uuid or bytes */
	SL_MASK_EMAIL,      /* a fake address */
	SL_MASK_NAME,       /* a fake person's name */
	SL_MASK_PHONE,      /* the same layout, other digits */
	SL_MASK_ADDRESS,    /* a fake street address */
	SL_MASK_IP,         /* a fake IPv4 (10.0.0.0/8) or IPv6 (fd00::/8) address */
	SL_MASK_DATE_SHIFT, /* dates moved by a number of days fixed per entity */
	SL_MASK_NOISE,      /* numbers moved by at most a ratio, same sign and scale */
	SL_MASK_SHUFFLE,    /* the column's values, dealt to other rows */
	SL_MASK_PARTIAL,    /* first and last characters kept, the rest masked */
	SL_MASK_JSON,       /* rules for paths inside a JSON document */
	SL_MASK_SQL,        /* an SQL expression evaluated by the source */
	SL_MASK__COUNT
} sl_mask_kind;

typedef enum sl_mask_name_part {
	SL_MASK_NAME_FULL = 0,
	SL_MASK_NAME_FIRST,
	SL_MASK_NAME_LAST
} sl_mask_name_part;

typedef struct sl_mask_rule sl_mask_rule;

/* One path of a json rule: "$.a.b", "$.tags[*]", "$['odd key'][0]". */
typedef struct sl_mask_path {
	const char *path;
	const sl_mask_rule *rule;
	const char *where; /* "file:line:col" */
} sl_mask_path;

struct sl_mask_rule {
	sl_mask_kind kind;
	const char *where;      /* "file:line:col" of the rule, for messages */
	const char *value;      /* fixed: the value, as written */
	int length;             /* hash: characters (text) or bytes (blob), 0 = fit the column (at most 64) */
	bool keep_domain;       /* email: keep the input's domain */
	const char *domain;     /* email: this domain for every address */
	sl_mask_name_part part; /* name */
	int keep;               /* phone: leading digits kept (country code) */
	int days;               /* date_shift: the shift is within +-days, never 0 */
	double ratio;           /* noise: at most this fraction away from the value, 0 < ratio < 1 */
	const char *by;         /* date_shift, noise: column naming the entity (NULL: the row / the value) */
	int first, last;        /* partial: characters kept at each end */
	const char *fill;       /* partial: the masking character (one UTF-8 character) */
	sl_mask_path *paths;    /* json */
	size_t npaths;
	const char *expr; /* sql */
};

/* "email", "date_shift", ... */
const char *sl_mask_kind_name(sl_mask_kind k);

/*
 * Reads a rule from node n: a scalar naming a rule without parameters
 * ("email", "keep", "null") or a mapping {rule: NAME, PARAM: VALUE...}.
 * Unknown rules and keys are errors naming file:line:col with the nearest
 * known word. what names the place in messages ("snapshot.masks.users.email").
 * nested: inside a json rule (json, shuffle, sql and date_shift are refused).
 * Strings live in a.
 */
int sl_mask_rule_parse(sl_mask_rule *out, sl_config *cfg, struct fy_node *n, const char *what, bool nested,
		       sl_arena *a);

/* The rule and its parameters as stable text ("hash(length=16)"); equal texts give equal outputs. */
int sl_mask_rule_text(sl_buf *out, const sl_mask_rule *r);
/* True when the rule needs the key. */
bool sl_mask_rule_keyed(const sl_mask_rule *r);
/*
 * True when the output depends on the value alone (and the key): such a rule
 * keeps joins, and can keep a unique column unique (sl_mask_map).
 */
bool sl_mask_rule_value_only(const sl_mask_rule *r);

/* What the masked value must fit: the column's portable type. */
typedef struct sl_mask_target {
	sl_tkind kind;
	int length; /* CHAR/VARCHAR limit in characters, 0: none */
	int precision, scale;
	bool is_unsigned;
} sl_mask_target;

void sl_mask_target_from_column(sl_mask_target *out, const sl_column *c);

/*
 * Whether rule r can apply to a column of type t; SL_EINVALID with the
 * reason ("rule \"hash\" does not apply to a date column: use date_shift")
 * otherwise. fixed values are checked against the type here.
 */
int sl_mask_rule_check(const sl_mask_rule *r, const sl_mask_target *t);

/* The key. Owned; the copy of the key is wiped by sl_masker_free(). Shared read-only by threads. */
typedef struct sl_masker sl_masker;

int sl_masker_new(sl_masker **out, const void *key, size_t len);
void sl_masker_free(sl_masker *m);
/* 16 hex characters derived from the key: equal for equal keys, revealing nothing else. */
int sl_masker_key_check(const sl_masker *m, char out[17]);

/* Per thread: HMAC state and scratch space. */
typedef struct sl_mask_ctx sl_mask_ctx;

int sl_mask_ctx_new(sl_mask_ctx **out, const sl_masker *m);
void sl_mask_ctx_free(sl_mask_ctx *x);

/*
 * Masks v (not NULL: NULL stays NULL under every rule) with rule r for a
 * column of type t. entity (may be NULL): the text that chooses the shift of
 * date_shift and noise; NULL uses the value itself. attempt: 0 gives the
 * rule's output; n > 0 the n-th alternative (to resolve collisions in unique
 * columns). Payloads go to a. keep, shuffle and sql return v unchanged (the
 * caller does their work). Returns 0, or SL_EINVALID when the value cannot
 * be masked by this rule (the message says why).
 */
int sl_mask_value(sl_mask_ctx *x, sl_value *out, const sl_value *v, const sl_mask_rule *r,
		  const sl_mask_target *t, const char *entity, size_t entity_len, unsigned attempt,
		  sl_arena *a);

/* The text masking rules hash and compare: display form, numbers without trailing zeros. */
int sl_mask_input_text(sl_buf *out, const sl_value *v);

/*
 * A keyed 64-bit hash of text under label (rules use their name): the
 * building block of every keyed rule, exposed for shuffling and tests.
 */
uint64_t sl_mask_hash64(sl_mask_ctx *x, const char *label, const void *text, size_t len);

/*
 * True when text could be an output of rule r (a generated fake): the leak
 * scan counts such a match as a coincidence, not as a leaked value.
 */
bool sl_mask_is_fake(const sl_mask_rule *r, const char *text, size_t len);

/*
 * Calls cb with every string at path (json rule syntax) inside the JSON
 * document doc; a non-zero return from cb stops and is returned. A document
 * that is not JSON has no strings (returns 0).
 */
int sl_mask_json_strings(const char *doc, size_t len, const char *path,
			 int (*cb)(void *ud, const char *s, size_t n), void *ud);

/*
 * An injective map for a rule over a set of inputs: each distinct input gets
 * its own output, and no two inputs share one (compared case-insensitively
 * and without trailing spaces, as unique indexes may). Inputs are taken in
 * byte order of their text and each takes the first free alternative, so the
 * result depends on the key, the rule and the set of inputs only.
 */
typedef struct sl_mask_map sl_mask_map;

int sl_mask_map_new(sl_mask_map **out, const sl_mask_rule *r, const sl_mask_target *t);
void sl_mask_map_free(sl_mask_map *m);
/* Adds an input (duplicates are ignored). Build the map before reading it. */
int sl_mask_map_add(sl_mask_map *m, const sl_value *v);
int sl_mask_map_build(sl_mask_map *m, sl_mask_ctx *x);
size_t sl_mask_map_count(const sl_mask_map *m);
/* Borrowed: the output for input text, or NULL when the input was not added. */
const sl_value *sl_mask_map_get(const sl_mask_map *m, const char *text, size_t len);

#ifdef __cplusplus
}
#endif
#endif
