/*
 * test_copy_mask.c - which columns are sensitive (the naming rule and the
 * copy.sensitive patterns of sluice.yaml) and masking a value wherever a
 * reason quotes it (src/copy/mask.c, docs/copy.md "Rejects").
 */
#include "testutil.h"

#include "copy/copy_int.h"

#include <stdlib.h>
#include <string.h>

static void test_naming_rule(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"password",    "password_hash", "PASSWD",      "user_pwd",
		"apiToken",    "api_key",       "ApiKey",      "ssn",
		"cvv2",        "iban",          "pin_code",    "CreditCardNo",
		"card_number", "secret",        "private_key", "social_security_no",
		"salt",        "refresh-token", "passphrase"
	};
	static const char *const no[] = { "pinned",          "spin", "classname",  "email",
					  "tokenized_at_x1", "",     "session_id", "lesson",
					  "description",     "id" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!sl_copy_name_sensitive(yes[i]))
			fail_msg("\"%s\" should be sensitive", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (sl_copy_name_sensitive(no[i]))
			fail_msg("\"%s\" should not be sensitive", no[i]);
}

static void test_patterns(void **state)
{
	(void)state;
	const char *const pat[] = { "users.email", "*.PHONE", "!*.token_count", "!audit.*" };
	assert_true(sl_copy_sensitive(pat, 4, "users", "email"));
	assert_true(sl_copy_sensitive(pat, 4, "Users", "Email"));
	assert_false(sl_copy_sensitive(pat, 4, "orders", "email"));
	assert_true(sl_copy_sensitive(pat, 4, "orders", "phone"));
	assert_false(sl_copy_sensitive(pat, 4, "t", "token_count"));
	assert_true(sl_copy_sensitive(pat, 4, "t", "token"));
	assert_false(sl_copy_sensitive(pat, 4, "audit", "password"));
	assert_true(sl_copy_sensitive(NULL, 0, "t", "password"));
	assert_false(sl_copy_sensitive(NULL, 0, "t", NULL));
}

static void test_mask_in(void **state)
{
	(void)state;
	char *s = strdup("\"hunter2\" is not an integer (hunter2)");
	assert_int_equal(sl_copy_mask_in(&s, "hunter2"), 0);
	assert_string_equal(s, "\"***\" is not an integer (***)");
	assert_int_equal(sl_copy_mask_in(&s, ""), 0);
	assert_int_equal(sl_copy_mask_in(&s, "absent"), 0);
	assert_string_equal(s, "\"***\" is not an integer (***)");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naming_rule),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_mask_in),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
