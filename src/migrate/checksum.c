/*
 * checksum.c - versioned checksums of migration sections.
 *
 * Normalization v1 (docs/migration-format.md, "Checksums"): CRLF and lone CR
 * become LF, trailing spaces and tabs are removed from every line, leading
 * and trailing blank lines are dropped, lines are joined with "\n" and no
 * newline follows the last. The result is hashed with SHA-256 (OpenSSL EVP)
 * and written "v1:<64 lowercase hex digits>". Changing any rule here means a
 * new version prefix, never a silent change: recorded checksums must stay
 * comparable.
 */
#include "sluice/migration.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sluice/error.h"

/* Feeds the normalized form of sql to ctx. */
static int hash_normalized(EVP_MD_CTX *ctx, const char *sql, size_t len)
{
	size_t pos = 0, pending_blank = 0;
	bool any = false;

	while (pos < len) {
		size_t b = pos, e;
		while (pos < len && sql[pos] != '\n' && sql[pos] != '\r')
			pos++;
		e = pos;
		if (pos < len && sql[pos] == '\r' && pos + 1 < len && sql[pos + 1] == '\n')
			pos += 2;
		else if (pos < len)
			pos++;
		while (e > b && (sql[e - 1] == ' ' || sql[e - 1] == '\t'))
			e--;
		if (e == b) {
			pending_blank += any; /* leading blank lines are never emitted */
			continue;
		}
		if (any && EVP_DigestUpdate(ctx, "\n", 1) != 1)
			return -1;
		for (; pending_blank; pending_blank--)
			if (EVP_DigestUpdate(ctx, "\n", 1) != 1)
				return -1;
		if (EVP_DigestUpdate(ctx, sql + b, e - b) != 1)
			return -1;
		any = true;
	}
	return 0;
}

int sl_checksum_sql(char out[SL_CHECKSUM_SIZE], const char *sql, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	int rc = 0;

	out[0] = '\0';
	if (!(ctx = EVP_MD_CTX_new())) {
		rc = sl_error_nomem();
		goto done;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || hash_normalized(ctx, sql, len) < 0 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		rc = sl_error_set(SL_ERROR, "checksum: SHA-256 failed");
		goto done;
	}
	memcpy(out, "v1:", 3);
	for (unsigned i = 0; i < mdlen; i++) {
		out[3 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[3 + 2 * mdlen] = '\0';
done:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int sl_migration_checksum(char out[SL_CHECKSUM_SIZE], const sl_migration *m, sl_engine dialect)
{
	const sl_migration_part *pt = sl_migration_part_get(m, SL_SECTION_UP, dialect);

	if (!pt) /* an expand/contract migration: its expand section is what runs */
		pt = sl_migration_part_get(m, SL_SECTION_EXPAND, dialect);
	out[0] = '\0';
	if (!pt)
		return sl_error_set(SL_ENOTFOUND, "checksum \"%s\": no up section for %s", m->path,
				    sl_engine_name(dialect));
	return sl_checksum_sql(out, pt->sql, pt->len);
}
