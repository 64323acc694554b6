/* Tests for the core's error convention (error.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "error.h"

Test(error, set_formats_message_and_returns_code)
{
    scl_error err;
    scl_status st = scl_error_set(&err, SCL_EPARSE, "bad %s at %d", "facet", 7);
    cr_assert_eq(st, SCL_EPARSE);
    cr_assert_eq(err.code, SCL_EPARSE);
    cr_assert_str_eq(err.message, "bad facet at 7");
    cr_assert_eq(err.line, 0);
    cr_assert_eq(err.offset, -1);
}

Test(error, at_records_location_and_field)
{
    scl_error err;
    scl_error_at(&err, SCL_ETYPE, 12, 3, "expected a number");
    scl_error_field(&err, "width");
    cr_assert_eq(err.line, 12);
    cr_assert_eq(err.column, 3);
    cr_assert_str_eq(err.field, "width");
}

Test(error, long_messages_are_truncated_not_overflowed)
{
    char big[4 * SCL_ERROR_MSG_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    scl_error err;
    scl_error_set(&err, SCL_EINVAL, "%s", big);
    cr_assert_eq(strlen(err.message), SCL_ERROR_MSG_MAX - 1);
}

Test(error, null_error_is_allowed)
{
    cr_assert_eq(scl_error_set(NULL, SCL_ENOMEM, "x"), SCL_ENOMEM);
    scl_error_clear(NULL);
    scl_error_field(NULL, "f");
}

Test(error, status_names_are_stable)
{
    cr_assert_str_eq(scl_status_name(SCL_OK), "OK");
    cr_assert_str_eq(scl_status_name(SCL_ETOOBIG), "TOO_LARGE");
    cr_assert_str_eq(scl_status_name((scl_status)999), "UNKNOWN");
}
