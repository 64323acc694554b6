/* Tests for the growing buffers (strbuf.h): the text buffer and scl_grow. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

Test(strbuf, appends_stay_nul_terminated_across_growth)
{
    scl_strbuf b = {0};
    for (int i = 0; i < 100; i++)
        scl_strbuf_puts(&b, "abc");
    scl_strbuf_putc(&b, '!');
    cr_assert_not(b.oom);
    cr_assert_eq(b.len, 301);
    cr_assert_eq(strlen(b.data), 301);
    cr_assert_eq(b.data[300], '!');
    scl_strbuf_free(&b);
    cr_assert_null(b.data);
}

Test(strbuf, grow_keeps_the_elements_and_doubles)
{
    uint32_t *items = NULL;
    size_t cap = 0, n = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t *more = scl_grow(items, &cap, n, sizeof *items, 8);
        cr_assert_not_null(more);
        items = more;
        items[n++] = i * 7;
        cr_assert_geq(cap, n);
    }
    cr_assert_eq(cap, 1024); /* 8, 16, ... 1024 */
    for (uint32_t i = 0; i < 1000; i++)
        cr_assert_eq(items[i], i * 7);
    /* room left: the same array back */
    cr_assert_eq(scl_grow(items, &cap, 1000, sizeof *items, 8), items);
    free(items);
}

Test(strbuf, grow_refuses_a_size_that_would_overflow)
{
    char *items = malloc(4);
    size_t cap = 4;
    cr_assert_null(scl_grow(items, &cap, 4, SIZE_MAX / 4, 1));
    cr_assert_eq(cap, 4, "the capacity changed on a refusal");
    items[3] = 'x'; /* still ours */
    free(items);
}
