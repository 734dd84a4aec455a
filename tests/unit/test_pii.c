/*
 * test_pii.c - unit tests of the personal-data detectors (src/pii/detect.c)
 * and of the --subset argument (src/subset/spec.c): column names, email, IP,
 * phone, card numbers with the Luhn check, person names, emails inside text.
 */
#include "testutil.h"

#include <string.h>

#include "sluice/pii.h"
#include "sluice/subset.h"

#define S(x) x, strlen(x)

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(sl_pii_kind_of_name("email"), SL_PII_EMAIL);
	assert_int_equal(sl_pii_kind_of_name("contactEmail"), SL_PII_EMAIL);
	assert_int_equal(sl_pii_kind_of_name("email_address"), SL_PII_EMAIL);
	assert_int_equal(sl_pii_kind_of_name("ip_address"), SL_PII_IP);
	assert_int_equal(sl_pii_kind_of_name("last_login_ip"), SL_PII_IP);
	assert_int_equal(sl_pii_kind_of_name("ip"), SL_PII_IP);
	assert_int_equal(sl_pii_kind_of_name("shipping_address"), SL_PII_ADDRESS);
	assert_int_equal(sl_pii_kind_of_name("mac_address"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("mobile_phone"), SL_PII_PHONE);
	assert_int_equal(sl_pii_kind_of_name("FirstName"), SL_PII_FIRST_NAME);
	assert_int_equal(sl_pii_kind_of_name("surname"), SL_PII_LAST_NAME);
	assert_int_equal(sl_pii_kind_of_name("display_name"), SL_PII_NAME);
	assert_int_equal(sl_pii_kind_of_name("customer_name"), SL_PII_NAME);
	assert_int_equal(sl_pii_kind_of_name("name"), SL_PII_NONE); /* decided by the values */
	assert_int_equal(sl_pii_kind_of_name("file_name"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("date_of_birth"), SL_PII_BIRTH_DATE);
	assert_int_equal(sl_pii_kind_of_name("ssn"), SL_PII_NATIONAL_ID);
	assert_int_equal(sl_pii_kind_of_name("password_hash"), SL_PII_SECRET);
	assert_int_equal(sl_pii_kind_of_name("zip_code"), SL_PII_POSTCODE);
	assert_int_equal(sl_pii_kind_of_name("notes"), SL_PII_FREE_TEXT);
	assert_int_equal(sl_pii_kind_of_name("created_at"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("customer_id"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("address_id"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("email_verified"), SL_PII_NONE);
	assert_int_equal(sl_pii_kind_of_name("tax_id"), SL_PII_NATIONAL_ID);
}

static void test_values(void **state)
{
	(void)state;
	assert_true(sl_pii_is_email(S("anna.k+tag@mail.example.org")));
	assert_false(sl_pii_is_email(S("not an email@x")));
	assert_false(sl_pii_is_email(S("@example.com")));
	assert_true(sl_pii_has_email(S("call me, or write to anna@example.org.")));
	assert_false(sl_pii_has_email(S("price @ 5 each")));
	assert_true(sl_pii_is_ip(S("192.0.2.17")));
	assert_true(sl_pii_is_ip(S("10.0.0.0/8")));
	assert_true(sl_pii_is_ip(S("2001:db8::5:1")));
	assert_false(sl_pii_is_ip(S("300.1.1.1")));
	assert_false(sl_pii_is_ip(S("12:30")));
	assert_true(sl_pii_is_phone(S("+44 20 7946 0000")));
	assert_true(sl_pii_is_phone(S("(555) 010-4477")));
	assert_false(sl_pii_is_phone(S("20240101")));
	assert_false(sl_pii_is_phone(S("INV-2020-0001")));
	assert_true(sl_pii_is_card(S("4111 1111 1111 1111")));
	assert_true(sl_pii_is_card(S("5500-0000-0000-0004")));
	assert_false(sl_pii_is_card(S("4111 1111 1111 1112")));
	assert_false(sl_pii_is_card(S("1234")));
	assert_true(sl_pii_is_person_name(S("Anna Smith")));
	assert_true(sl_pii_is_person_name(S("Ana da Silva")));
	assert_true(sl_pii_is_person_name(S("Søren Østergaard")));
	assert_false(sl_pii_is_person_name(S("Mobile app")));
	assert_false(sl_pii_is_person_name(S("Storage add-on 100 GB")));
	assert_false(sl_pii_is_person_name(S("Anna")));
	assert_false(sl_pii_is_person_name(S("ACADEMY DINOSAUR"))); /* a title in capitals */
}

static void test_subset_spec(void **state)
{
	(void)state;
	sl_arena *a = sl_arena_new(0);
	sl_subset_root *r = NULL;
	size_t n = 0;
	SL_OK_OR_FAIL(sl_subset_parse(&r, &n, "customers: 5%", a));
	assert_int_equal(n, 1);
	assert_string_equal(r[0].table, "customers");
	assert_true(r[0].percent == 5.0 && r[0].where == NULL);
	SL_OK_OR_FAIL(sl_subset_parse(&r, &n, " customers : country = 'FR' ; orders: total > 10:00 ", a));
	assert_int_equal(n, 2);
	assert_string_equal(r[0].where, "country = 'FR'");
	assert_string_equal(r[1].table, "orders");
	assert_string_equal(r[1].where, "total > 10:00");
	assert_int_equal(sl_subset_parse(&r, &n, "customers 5%", a), SL_EINVALID);
	assert_int_equal(sl_subset_parse(&r, &n, "customers: 0%", a), SL_EINVALID);
	assert_int_equal(sl_subset_parse(&r, &n, "customers: 101%", a), SL_EINVALID);
	assert_int_equal(sl_subset_parse(&r, &n, "a: 1%; a: 2%", a), SL_EINVALID);
	assert_string_equal(sl_error_last()->message, "--subset: table \"a\" is given twice");
	sl_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_subset_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
