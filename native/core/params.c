/* params.c - see params.h.
 *
 * Four parts, in the order they run:
 *  1. a lexer and recursive-descent parser for OpenSCAD's grammar, which
 *     validates the file and records its top-level assignments;
 *  2. OpenSCAD's text scans that place annotations (first `{` line, group
 *     comments, the comment on an assignment's line, the caption line);
 *  3. the annotation mini-language (`[1:10]`, `[a, b:Label]`, ...);
 *  4. the parameter rules that turn an assignment + annotation into JSON.
 * Parts 2-4 reproduce OpenSCAD's behaviour, quirks included, because the
 * output is compared with OpenSCAD's own export.
 */
#include "params.h"
#include "strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How deep may a file nest? OpenSCAD's parser (bison) gives up past 10000
 * stack entries ("memory exhausted"): 2021.01 parses 12000 nested
 * parentheses and 9000 nested blocks or vectors (and crashes evaluating
 * 9990 nested module calls). This parser is recursive, so it measures the C
 * stack it uses instead of counting levels (see enter): a deep file is an
 * error, never a stack overflow. The budget: 3 MiB of the 5 MiB stack of
 * the Emscripten build; natively 3/4 of the stack limit, at most 6 MiB
 * (the CLI and the bridge parse on their main thread). Measured on a
 * release build with 8 MiB of stack: 9000 nested parentheses, 5000 nested
 * vectors, 12000 nested blocks; a sanitizer build about 2/3 of that. */
#ifdef __EMSCRIPTEN__
static size_t stack_budget(void) { return (size_t)3 << 20; }
#else
#include <sys/resource.h>
static size_t stack_budget(void)
{
    size_t budget = (size_t)6 << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 * 3 < budget)
        budget = (size_t)(rl.rlim_cur / 4 * 3);
    return budget;
}
#endif
#define MAX_VECTOR_PARAM 4

/* ================================================================ buffers */

/* A double formatted like C++ `ostream << double` (precision 6, %g). */
static void format_g(double d, char out[32])
{
    snprintf(out, 32, "%g", d);
}

/* ================================================================ 1. lexer */

typedef enum tok_kind {
    T_EOF = 0,
    T_NUMBER, T_STRING, T_ID,
    T_MODULE, T_FUNCTION, T_IF, T_ELSE, T_FOR, T_LET, T_ASSERT, T_ECHO, T_EACH,
    T_TRUE, T_FALSE, T_UNDEF,
    T_USE_INCLUDE, /* include <...> or use <...>: no effect on parameters */
    T_LE, T_GE, T_EQ, T_NE, T_AND, T_OR,
    T_CHAR /* any single character; see tok.ch */
} tok_kind;

typedef struct tok {
    tok_kind kind;
    char ch;
    long line, column;
    size_t start, len; /* raw text span */
    double number;
    char *str; /* unescaped string value (T_STRING), malloc'd */
    size_t str_len;
} tok;

typedef struct lexer {
    const char *src;
    size_t len, pos;
    long line;
    size_t line_start;
    scl_error *err;
    int failed;
} lexer;

static const struct {
    const char *word;
    tok_kind kind;
} KEYWORDS[] = {
    {"module", T_MODULE}, {"function", T_FUNCTION}, {"if", T_IF}, {"else", T_ELSE},
    {"for", T_FOR}, {"let", T_LET}, {"assert", T_ASSERT}, {"echo", T_ECHO},
    {"each", T_EACH}, {"true", T_TRUE}, {"false", T_FALSE}, {"undef", T_UNDEF},
};

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_idchar(int c) { return isalnum((unsigned char)c) || c == '_'; }
static int is_hex(int c) { return isxdigit((unsigned char)c); }

static scl_status lex_fail(lexer *lx, long line, long col, const char *fmt, const char *arg)
{
    lx->failed = 1;
    char msg[256];
    snprintf(msg, sizeof msg, fmt, arg);
    return scl_error_at(lx->err, SCL_EPARSE, line, col, "%s", msg);
}

static void lex_newline(lexer *lx)
{
    lx->line++;
    lx->line_start = lx->pos;
}

/* Length of the longest OpenSCAD number at p: D+E? | D*.D+E? | D+.D*E? */
static size_t number_length(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    size_t len = 0;
    if (digits)
        len = i;
    if (i < n && s[i] == '.') {
        size_t j = i + 1, frac = 0;
        while (j < n && is_digit(s[j]))
            j++, frac++;
        if (digits || frac)
            len = j;
    }
    if (!len)
        return 0;
    if (len < n && (s[len] == 'e' || s[len] == 'E')) {
        size_t j = len + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t k = j;
        while (k < n && is_digit(s[k]))
            k++;
        if (k > j)
            len = k;
    }
    return len;
}

static void append_utf8(scl_strbuf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        scl_strbuf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        scl_strbuf_putn(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        scl_strbuf_putn(b, u, 3);
    } else if (cp < 0x110000) {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        scl_strbuf_putn(b, u, 4);
    }
}

static unsigned long hex_value(const char *s, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 16 + (unsigned long)(is_digit(s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
    return v;
}

static scl_status lex_string(lexer *lx, tok *t)
{
    scl_strbuf b = {0};
    lx->pos++; /* opening quote */
    for (;;) {
        if (lx->pos >= lx->len) {
            scl_strbuf_free(&b);
            return lex_fail(lx, t->line, t->column, "unterminated string%s", "");
        }
        char c = lx->src[lx->pos];
        if (c == '"') {
            lx->pos++;
            break;
        }
        if (c == '\n') {
            scl_strbuf_putc(&b, c);
            lx->pos++;
            lex_newline(lx);
            continue;
        }
        if (c != '\\') {
            scl_strbuf_putc(&b, c);
            lx->pos++;
            continue;
        }
        /* escape */
        const char *e = lx->src + lx->pos + 1;
        size_t left = lx->len - lx->pos - 1;
        if (left == 0) {
            lx->pos++;
            continue;
        }
        size_t used = 1;
        switch (e[0]) {
        case 'n': scl_strbuf_putc(&b, '\n'); break;
        case 't': scl_strbuf_putc(&b, '\t'); break;
        case 'r': scl_strbuf_putc(&b, '\r'); break;
        case '\\': scl_strbuf_putc(&b, '\\'); break;
        case '"': scl_strbuf_putc(&b, '"'); break;
        case 'x':
            if (left >= 3 && e[1] >= '0' && e[1] <= '7' && is_hex(e[2])) {
                unsigned long v = hex_value(e + 1, 2);
                if (v)
                    append_utf8(&b, v);
                used = 3;
            } else {
                scl_strbuf_putc(&b, 'x');
            }
            break;
        case 'u':
        case 'U': {
            size_t nhex = e[0] == 'u' ? 4 : 6, k = 0;
            while (k < nhex && k + 1 < left && is_hex(e[1 + k]))
                k++;
            if (k == nhex) {
                unsigned long v = hex_value(e + 1, nhex);
                if (v && !(v >= 0xD800 && v <= 0xDFFF))
                    append_utf8(&b, v);
                used = 1 + nhex;
            } else {
                scl_strbuf_putc(&b, e[0]);
            }
            break;
        }
        case '\n':
            used = 1; /* backslash-newline: kept as newline */
            scl_strbuf_putc(&b, '\n');
            lx->pos += 2;
            lex_newline(lx);
            continue;
        default:
            scl_strbuf_putc(&b, e[0]); /* unknown escape: OpenSCAD warns and keeps the character */
            break;
        }
        lx->pos += 1 + used;
    }
    if (b.oom) {
        scl_strbuf_free(&b);
        lx->failed = 1;
        return scl_error_set(lx->err, SCL_ENOMEM, "out of memory");
    }
    t->kind = T_STRING;
    t->str = b.data ? b.data : calloc(1, 1);
    t->str_len = b.len;
    if (!t->str) {
        lx->failed = 1;
        return scl_error_set(lx->err, SCL_ENOMEM, "out of memory");
    }
    return SCL_OK;
}

/* Skip whitespace and comments. */
static scl_status lex_skip(lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == '\n') {
            lx->pos++;
            lex_newline(lx);
        } else if (c == ' ' || c == '\t' || c == '\r' || (unsigned char)c == 0xA0) {
            lx->pos++; /* OpenSCAD also takes a no-break space (Latin-1 or UTF-8) as blank */
        } else if ((unsigned char)c == 0xC2 && lx->pos + 1 < lx->len &&
                   (unsigned char)lx->src[lx->pos + 1] == 0xA0) {
            lx->pos += 2;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '*') {
            long line = lx->line, col = (long)(lx->pos - lx->line_start) + 1;
            lx->pos += 2;
            for (;;) {
                if (lx->pos + 1 >= lx->len)
                    return lex_fail(lx, line, col, "unterminated /* comment%s", "");
                if (lx->src[lx->pos] == '*' && lx->src[lx->pos + 1] == '/') {
                    lx->pos += 2;
                    break;
                }
                if (lx->src[lx->pos] == '\n') {
                    lx->pos++;
                    lex_newline(lx);
                } else {
                    lx->pos++;
                }
            }
        } else {
            break;
        }
    }
    return SCL_OK;
}

/* include/use <path>: returns 1 if one was consumed at lx->pos. */
static int lex_include(lexer *lx, size_t idlen)
{
    size_t p = lx->pos + idlen;
    while (p < lx->len && (lx->src[p] == ' ' || lx->src[p] == '\t' || lx->src[p] == '\r' ||
                           lx->src[p] == '\n' || lx->src[p] == '>'))
        p++;
    if (p >= lx->len || lx->src[p] != '<')
        return 0;
    size_t q = p + 1;
    while (q < lx->len && lx->src[q] != '>' && lx->src[q] != '\n' && lx->src[q] != '\r' &&
           lx->src[q] != '\t')
        q++;
    if (q >= lx->len || lx->src[q] != '>')
        return 0;
    for (size_t i = lx->pos; i < p; i++)
        if (lx->src[i] == '\n') {
            lx->pos = i + 1;
            lex_newline(lx);
        }
    lx->pos = q + 1;
    return 1;
}

static scl_status lex_next(lexer *lx, tok *t)
{
    memset(t, 0, sizeof *t);
    if (lex_skip(lx) != SCL_OK)
        return SCL_EPARSE;
    t->line = lx->line;
    t->column = (long)(lx->pos - lx->line_start) + 1;
    t->start = lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = T_EOF;
        return SCL_OK;
    }
    const char *s = lx->src + lx->pos;
    size_t left = lx->len - lx->pos;
    char c = s[0];
    if (c == '"') {
        scl_status st = lex_string(lx, t);
        t->len = lx->pos - t->start;
        return st;
    }
    size_t numlen = number_length(s, left);
    size_t idlen = 0;
    if (c == '$' || is_idchar(c)) {
        size_t i = c == '$' ? 1 : 0;
        while (i < left && is_idchar(s[i]))
            i++;
        idlen = (c == '$' && i == 1) ? 0 : i;
    }
    if (numlen && numlen >= idlen) {
        char buf[512];
        size_t n = numlen < sizeof buf - 1 ? numlen : sizeof buf - 1;
        memcpy(buf, s, n);
        buf[n] = 0;
        t->kind = T_NUMBER;
        t->number = strtod(buf, NULL);
        lx->pos += numlen;
        t->len = numlen;
        return SCL_OK;
    }
    if (idlen) {
        if ((idlen == 7 && !memcmp(s, "include", 7)) || (idlen == 3 && !memcmp(s, "use", 3))) {
            if (lex_include(lx, idlen)) {
                t->kind = T_USE_INCLUDE;
                t->len = lx->pos - t->start;
                return SCL_OK;
            }
        }
        t->kind = T_ID;
        for (size_t k = 0; k < sizeof KEYWORDS / sizeof KEYWORDS[0]; k++)
            if (strlen(KEYWORDS[k].word) == idlen && !memcmp(KEYWORDS[k].word, s, idlen))
                t->kind = KEYWORDS[k].kind;
        lx->pos += idlen;
        t->len = idlen;
        return SCL_OK;
    }
    static const struct {
        const char *op;
        tok_kind kind;
    } OPS[] = {{"<=", T_LE}, {">=", T_GE}, {"==", T_EQ}, {"!=", T_NE}, {"&&", T_AND}, {"||", T_OR}};
    for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
        if (left >= 2 && s[0] == OPS[k].op[0] && s[1] == OPS[k].op[1]) {
            t->kind = OPS[k].kind;
            lx->pos += 2;
            t->len = 2;
            return SCL_OK;
        }
    t->kind = T_CHAR;
    t->ch = c;
    lx->pos += 1;
    t->len = 1;
    return SCL_OK;
}

/* ================================================================ 1. parser */

typedef enum value_kind {
    V_OTHER = 0, /* not a literal the customizer uses */
    V_NUMBER, V_STRING, V_BOOL, V_UNDEF,
    V_VECTOR /* vector whose elements are all literal; numbers kept if all numbers */
} value_kind;

typedef struct value {
    value_kind kind;
    double number;
    int boolean;
    char *str;
    size_t str_len;
    size_t count;                     /* V_VECTOR: element count */
    int all_numbers;                  /* V_VECTOR: every element a number literal */
    double numbers[MAX_VECTOR_PARAM]; /* V_VECTOR: first elements */
} value;

typedef struct assignment {
    char *name;
    long line; /* line of the (last) assignment */
    value val;
} assignment;

typedef struct parser {
    lexer lx;
    tok cur, next; /* one token of lookahead beyond cur */
    int depth;
    uintptr_t stack_base; /* address of a local of scl_params_parse */
    size_t stack_budget;  /* bytes of C stack the parser may use below it */
    assignment *assigns;
    size_t nassigns, cap_assigns;
    scl_error *err;
    int failed;
} parser;

static void value_free(value *v)
{
    free(v->str);
    memset(v, 0, sizeof *v);
}

static void tok_free(tok *t)
{
    free(t->str);
    t->str = NULL;
}

static scl_status advance(parser *p)
{
    tok_free(&p->cur);
    p->cur = p->next;
    memset(&p->next, 0, sizeof p->next);
    if (lex_next(&p->lx, &p->next) != SCL_OK) {
        p->failed = 1;
        return SCL_EPARSE;
    }
    return SCL_OK;
}

static const char *tok_describe(const parser *p, const tok *t, char buf[64])
{
    if (t->kind == T_EOF)
        return "end of file";
    size_t n = t->len < 40 ? t->len : 40;
    snprintf(buf, 64, "'%.*s'%s", (int)n, p->lx.src + t->start, t->len > 40 ? "..." : "");
    return buf;
}

static scl_status syntax_error(parser *p)
{
    if (p->failed)
        return SCL_EPARSE;
    p->failed = 1;
    char buf[64];
    return scl_error_at(p->err, SCL_EPARSE, p->cur.line, p->cur.column,
                        "syntax error near %s", tok_describe(p, &p->cur, buf));
}

static int is_ch(const tok *t, char c) { return t->kind == T_CHAR && t->ch == c; }

static scl_status expect_ch(parser *p, char c)
{
    if (!is_ch(&p->cur, c))
        return syntax_error(p);
    return advance(p);
}

#define TRY(x) do { if ((x) != SCL_OK || p->failed) return SCL_EPARSE; } while (0)

static scl_status parse_expr(parser *p, value *out);
static scl_status parse_statement(parser *p, int top_level);

/* An expression whose value is not needed (conditions, arguments, indices). */
static scl_status skip_expr(parser *p)
{
    value v = {0};
    scl_status st = parse_expr(p, &v);
    value_free(&v);
    return st;
}

/* `if (expr) body [else body]`, the same in statements and in list
 * comprehensions; `body` parses each branch. */
static scl_status parse_if_else(parser *p, scl_status (*body)(parser *))
{
    TRY(advance(p));
    TRY(expect_ch(p, '('));
    TRY(skip_expr(p));
    TRY(expect_ch(p, ')'));
    TRY(body(p));
    if (p->cur.kind == T_ELSE) {
        TRY(advance(p));
        return body(p);
    }
    return SCL_OK;
}

static scl_status enter(parser *p)
{
    char here;
    uintptr_t at = (uintptr_t)&here;
    size_t used = at < p->stack_base ? p->stack_base - at : at - p->stack_base;
    p->depth++;
    if (used > p->stack_budget) {
        p->failed = 1;
        return scl_error_at(p->err, SCL_EPARSE, p->cur.line, p->cur.column,
                            "nesting too deep for this parser (past its stack budget of %zu bytes; "
                            "OpenSCAD itself stops at about 10000 levels)", p->stack_budget);
    }
    return SCL_OK;
}

/* arguments: [ (ID '=' expr | expr) {, ...} [,] ] up to ')' or ';' (not consumed;
 * ';' separates the parts of a C-style `for (init; cond; update)`) */
static scl_status parse_arguments(parser *p)
{
    while (!is_ch(&p->cur, ')') && !is_ch(&p->cur, ';')) {
        if (p->cur.kind == T_ID && is_ch(&p->next, '=')) {
            TRY(advance(p));
            TRY(advance(p));
        }
        TRY(skip_expr(p));
        if (is_ch(&p->cur, ','))
            TRY(advance(p));
        else if (!is_ch(&p->cur, ')') && !is_ch(&p->cur, ';'))
            return syntax_error(p);
    }
    return SCL_OK;
}

/* parameters: [ ID ['=' expr] {, ...} [,] ] up to ')' */
static scl_status parse_parameters(parser *p)
{
    while (!is_ch(&p->cur, ')')) {
        if (p->cur.kind != T_ID)
            return syntax_error(p);
        TRY(advance(p));
        if (is_ch(&p->cur, '=')) {
            TRY(advance(p));
            TRY(skip_expr(p));
        }
        if (is_ch(&p->cur, ','))
            TRY(advance(p));
        else if (!is_ch(&p->cur, ')'))
            return syntax_error(p);
    }
    return SCL_OK;
}

/* list comprehension element, or a plain expression (vector element) */
static scl_status parse_vector_element(parser *p, value *out);

static scl_status parse_lc_body(parser *p)
{
    /* lce_or_expr: either another comprehension element or an expression */
    value v = {0};
    scl_status st = parse_vector_element(p, &v);
    value_free(&v);
    return st;
}

static scl_status parse_vector_element(parser *p, value *out)
{
    TRY(enter(p));
    scl_status st = SCL_OK;
    out->kind = V_OTHER;
    switch (p->cur.kind) {
    case T_LET:
        TRY(advance(p));
        TRY(expect_ch(p, '('));
        TRY(parse_arguments(p));
        TRY(expect_ch(p, ')'));
        st = parse_lc_body(p);
        break;
    case T_EACH:
        TRY(advance(p));
        st = parse_lc_body(p);
        break;
    case T_FOR:
        TRY(advance(p));
        TRY(expect_ch(p, '('));
        TRY(parse_arguments(p));
        if (is_ch(&p->cur, ';')) { /* C-style for(init; cond; update) */
            TRY(advance(p));
            TRY(skip_expr(p));
            TRY(expect_ch(p, ';'));
            TRY(parse_arguments(p));
        }
        TRY(expect_ch(p, ')'));
        st = parse_lc_body(p);
        break;
    case T_IF:
        st = parse_if_else(p, parse_lc_body);
        break;
    case T_CHAR:
        if (is_ch(&p->cur, '(') && (p->next.kind == T_FOR || p->next.kind == T_LET ||
                                    p->next.kind == T_EACH || p->next.kind == T_IF)) {
            /* '(' list_comprehension_elements ')' */
            TRY(advance(p));
            TRY(parse_lc_body(p));
            st = expect_ch(p, ')');
            break;
        }
        /* fall through */
    default:
        st = parse_expr(p, out);
        break;
    }
    p->depth--;
    return p->failed ? SCL_EPARSE : st;
}

/* primary: literals, identifiers, ( expr ), vectors and ranges */
static scl_status parse_primary(parser *p, value *out)
{
    out->kind = V_OTHER;
    switch (p->cur.kind) {
    case T_TRUE:
    case T_FALSE:
        out->kind = V_BOOL;
        out->boolean = p->cur.kind == T_TRUE;
        return advance(p);
    case T_UNDEF:
        out->kind = V_UNDEF;
        return advance(p);
    case T_NUMBER:
        out->kind = V_NUMBER;
        out->number = p->cur.number;
        return advance(p);
    case T_STRING:
        out->kind = V_STRING;
        out->str = p->cur.str;
        out->str_len = p->cur.str_len;
        p->cur.str = NULL;
        return advance(p);
    case T_ID:
        return advance(p);
    case T_CHAR:
        if (p->cur.ch == '(') {
            TRY(advance(p));
            TRY(parse_expr(p, out));
            return expect_ch(p, ')');
        }
        if (p->cur.ch == '[') {
            TRY(advance(p));
            if (is_ch(&p->cur, ']'))
                return advance(p); /* empty vector: never a parameter */
            if (is_ch(&p->cur, ','))  /* [ , ] */
            {
                TRY(advance(p));
                return expect_ch(p, ']');
            }
            value first = {0};
            scl_status st = parse_vector_element(p, &first);
            if (st != SCL_OK || p->failed) {
                value_free(&first);
                return SCL_EPARSE;
            }
            if (is_ch(&p->cur, ':')) { /* range [a:b] or [a:b:c] */
                value_free(&first);
                TRY(advance(p));
                TRY(skip_expr(p));
                if (is_ch(&p->cur, ':')) {
                    TRY(advance(p));
                    TRY(skip_expr(p));
                }
                return expect_ch(p, ']');
            }
            /* vector */
            value vec = {0};
            vec.kind = V_VECTOR;
            vec.all_numbers = 1;
            int literal = 1;
            value *el = &first;
            value next = {0};
            for (;;) {
                if (el->kind == V_OTHER || el->kind == V_VECTOR)
                    literal = 0; /* nested vectors are never parameters */
                if (el->kind != V_NUMBER)
                    vec.all_numbers = 0;
                else if (vec.count < MAX_VECTOR_PARAM)
                    vec.numbers[vec.count] = el->number;
                vec.count++;
                value_free(el);
                if (is_ch(&p->cur, ',')) {
                    TRY(advance(p));
                    if (is_ch(&p->cur, ']'))
                        break; /* trailing comma */
                    el = &next;
                    st = parse_vector_element(p, el);
                    if (st != SCL_OK || p->failed) {
                        value_free(el);
                        return SCL_EPARSE;
                    }
                    continue;
                }
                break;
            }
            TRY(expect_ch(p, ']'));
            if (literal)
                *out = vec;
            return SCL_OK;
        }
        return syntax_error(p);
    default:
        return syntax_error(p);
    }
}

/* call: primary { '(' args ')' | '[' expr ']' | '.' ID } */
static scl_status parse_call(parser *p, value *out)
{
    TRY(parse_primary(p, out));
    for (;;) {
        if (is_ch(&p->cur, '(')) {
            TRY(advance(p));
            TRY(parse_arguments(p));
            TRY(expect_ch(p, ')'));
        } else if (is_ch(&p->cur, '[')) {
            TRY(advance(p));
            TRY(skip_expr(p));
            TRY(expect_ch(p, ']'));
        } else if (is_ch(&p->cur, '.')) {
            TRY(advance(p));
            if (p->cur.kind != T_ID)
                return syntax_error(p);
            TRY(advance(p));
        } else {
            return SCL_OK;
        }
        value_free(out); /* a call, index or member is not a literal */
    }
}

static scl_status parse_unary(parser *p, value *out);

/* exponent: call [ '^' unary ] */
static scl_status parse_exponent(parser *p, value *out)
{
    TRY(parse_call(p, out));
    if (is_ch(&p->cur, '^')) {
        value_free(out);
        TRY(advance(p));
        value r = {0};
        scl_status st = parse_unary(p, &r);
        value_free(&r);
        TRY(st);
    }
    return SCL_OK;
}

/* unary: exponent | '+' unary | '-' unary | '!' unary.
 * OpenSCAD folds the negation of a number literal into a literal. */
static scl_status parse_unary(parser *p, value *out)
{
    TRY(enter(p));
    scl_status st;
    if (is_ch(&p->cur, '-') || is_ch(&p->cur, '+') || is_ch(&p->cur, '!')) {
        char op = p->cur.ch;
        TRY(advance(p));
        st = parse_unary(p, out);
        if (st == SCL_OK && !p->failed) {
            if (op == '-' && out->kind == V_NUMBER)
                out->number = -out->number;
            else if (op == '!')
                value_free(out);
            else if (op == '-' && out->kind != V_NUMBER)
                value_free(out);
        }
    } else {
        st = parse_exponent(p, out);
    }
    p->depth--;
    return p->failed ? SCL_EPARSE : st;
}

/* Binary operators by precedence (OpenSCAD's: || && == != < > <= >= + - * / %),
 * 0 for a token that is none. */
static int binary_precedence(const tok *t)
{
    if (t->kind == T_OR)
        return 1;
    if (t->kind == T_AND)
        return 2;
    if (t->kind == T_EQ || t->kind == T_NE)
        return 3;
    if (is_ch(t, '<') || is_ch(t, '>') || t->kind == T_LE || t->kind == T_GE)
        return 4;
    if (is_ch(t, '+') || is_ch(t, '-'))
        return 5;
    if (is_ch(t, '*') || is_ch(t, '/') || is_ch(t, '%'))
        return 6;
    return 0;
}

/* unary { op unary } with operators of at least min_precedence, left to
 * right (precedence climbing: one C frame per operator level in use, not one
 * per grammar level, so deeply parenthesized expressions cost less stack).
 * A value with an operator applied is no literal: V_OTHER. */
static scl_status parse_binary(parser *p, value *out, int min_precedence)
{
    TRY(parse_unary(p, out));
    for (;;) {
        int prec = binary_precedence(&p->cur);
        if (!prec || prec < min_precedence)
            return SCL_OK;
        value_free(out);
        TRY(advance(p));
        value r = {0};
        scl_status st = parse_binary(p, &r, prec + 1);
        value_free(&r);
        TRY(st);
    }
}

/* expr: function(params) expr | let(args) expr | assert(args) [expr] |
 *       echo(args) [expr] | logic_or [ '?' expr ':' expr ] */
static scl_status parse_expr(parser *p, value *out)
{
    TRY(enter(p));
    scl_status st = SCL_OK;
    out->kind = V_OTHER;
    if (p->cur.kind == T_FUNCTION && is_ch(&p->next, '(')) {
        TRY(advance(p));
        TRY(advance(p));
        TRY(parse_parameters(p));
        TRY(expect_ch(p, ')'));
        st = skip_expr(p);
    } else if (p->cur.kind == T_LET || p->cur.kind == T_ASSERT || p->cur.kind == T_ECHO) {
        tok_kind k = p->cur.kind;
        TRY(advance(p));
        TRY(expect_ch(p, '('));
        TRY(parse_arguments(p));
        TRY(expect_ch(p, ')'));
        /* let needs an expression; assert/echo may stand alone */
        int ends = is_ch(&p->cur, ';') || is_ch(&p->cur, ')') || is_ch(&p->cur, ']') ||
                   is_ch(&p->cur, ',') || is_ch(&p->cur, ':') || p->cur.kind == T_EOF;
        if (k == T_LET || !ends)
            st = skip_expr(p);
    } else {
        st = parse_binary(p, out, 1);
        if (st == SCL_OK && !p->failed && is_ch(&p->cur, '?')) {
            value_free(out);
            TRY(advance(p));
            TRY(skip_expr(p));
            TRY(expect_ch(p, ':'));
            st = skip_expr(p);
        }
    }
    p->depth--;
    return p->failed ? SCL_EPARSE : st;
}

static scl_status record_assignment(parser *p, const tok *name, long line, value *v)
{
    for (size_t i = 0; i < p->nassigns; i++) {
        assignment *a = &p->assigns[i];
        if (strlen(a->name) == name->len && !memcmp(a->name, p->lx.src + name->start, name->len)) {
            /* OpenSCAD keeps the first position, takes the last value and line */
            value_free(&a->val);
            a->val = *v;
            a->line = line;
            memset(v, 0, sizeof *v);
            return SCL_OK;
        }
    }
    assignment *assigns = scl_grow(p->assigns, &p->cap_assigns, p->nassigns, sizeof *assigns, 16);
    if (!assigns)
        goto oom;
    p->assigns = assigns;
    char *nm = malloc(name->len + 1);
    if (!nm)
        goto oom;
    memcpy(nm, p->lx.src + name->start, name->len);
    nm[name->len] = 0;
    p->assigns[p->nassigns].name = nm;
    p->assigns[p->nassigns].line = line;
    p->assigns[p->nassigns].val = *v;
    p->nassigns++;
    memset(v, 0, sizeof *v);
    return SCL_OK;
oom:
    p->failed = 1;
    return scl_error_set(p->err, SCL_ENOMEM, "out of memory");
}

static int is_module_id(tok_kind k)
{
    return k == T_ID || k == T_FOR || k == T_LET || k == T_ASSERT || k == T_ECHO || k == T_EACH;
}

static scl_status parse_child_statement(parser *p);

/* module_instantiation: modifiers, if/else, or name(args) child_statement */
static scl_status parse_module_instantiation(parser *p)
{
    TRY(enter(p));
    scl_status st = SCL_OK;
    if (is_ch(&p->cur, '!') || is_ch(&p->cur, '#') || is_ch(&p->cur, '%') || is_ch(&p->cur, '*')) {
        TRY(advance(p));
        st = parse_module_instantiation(p);
    } else if (p->cur.kind == T_IF) {
        st = parse_if_else(p, parse_child_statement);
    } else if (is_module_id(p->cur.kind) && is_ch(&p->next, '(')) {
        TRY(advance(p));
        TRY(advance(p));
        TRY(parse_arguments(p));
        TRY(expect_ch(p, ')'));
        st = parse_child_statement(p);
    } else {
        st = syntax_error(p);
    }
    p->depth--;
    return p->failed ? SCL_EPARSE : st;
}

/* child_statement: ';' | '{' { child_statement | assignment } '}' | module_instantiation */
static scl_status parse_child_statement(parser *p)
{
    if (is_ch(&p->cur, ';'))
        return advance(p);
    if (is_ch(&p->cur, '{')) {
        TRY(enter(p));
        TRY(advance(p));
        while (!is_ch(&p->cur, '}')) {
            if (p->cur.kind == T_EOF)
                return syntax_error(p);
            if (p->cur.kind == T_ID && is_ch(&p->next, '=')) {
                TRY(advance(p));
                TRY(advance(p));
                TRY(skip_expr(p));
                TRY(expect_ch(p, ';'));
            } else {
                TRY(parse_child_statement(p));
            }
        }
        p->depth--;
        return advance(p);
    }
    return parse_module_instantiation(p);
}

/* statement: ';' | '{' statements '}' | assignment | module/function definition |
 *            module_instantiation | include/use */
/* `module NAME(params)` or `function NAME(params)`, up to the body */
static scl_status parse_definition_head(parser *p)
{
    TRY(advance(p));
    if (p->cur.kind != T_ID)
        return syntax_error(p);
    TRY(advance(p));
    TRY(expect_ch(p, '('));
    TRY(parse_parameters(p));
    return expect_ch(p, ')');
}

static scl_status parse_statement(parser *p, int top_level)
{
    if (p->cur.kind == T_USE_INCLUDE || is_ch(&p->cur, ';'))
        return advance(p);
    if (is_ch(&p->cur, '{')) {
        /* a block's statements belong to the enclosing scope */
        TRY(enter(p));
        TRY(advance(p));
        while (!is_ch(&p->cur, '}')) {
            if (p->cur.kind == T_EOF)
                return syntax_error(p);
            TRY(parse_statement(p, top_level));
        }
        p->depth--;
        return advance(p);
    }
    if (p->cur.kind == T_ID && is_ch(&p->next, '=')) {
        tok name = p->cur;
        name.str = NULL;
        long line = p->cur.line;
        TRY(advance(p));
        TRY(advance(p));
        value v = {0};
        scl_status st = parse_expr(p, &v);
        if (st != SCL_OK || p->failed || expect_ch(p, ';') != SCL_OK || p->failed) {
            value_free(&v);
            return SCL_EPARSE;
        }
        if (top_level)
            st = record_assignment(p, &name, line, &v);
        value_free(&v);
        return st;
    }
    if (p->cur.kind == T_MODULE) {
        TRY(parse_definition_head(p));
        TRY(enter(p));
        scl_status st = parse_statement(p, 0);
        p->depth--;
        return st;
    }
    if (p->cur.kind == T_FUNCTION) {
        TRY(parse_definition_head(p));
        TRY(expect_ch(p, '='));
        TRY(skip_expr(p));
        return expect_ch(p, ';');
    }
    return parse_module_instantiation(p);
}

static void parser_free(parser *p)
{
    tok_free(&p->cur);
    tok_free(&p->next);
    for (size_t i = 0; i < p->nassigns; i++) {
        free(p->assigns[i].name);
        value_free(&p->assigns[i].val);
    }
    free(p->assigns);
}

/* ===================================================== 2. annotation scans */

typedef struct group_info {
    char *name;
    long line;
} group_info;

typedef struct group_list {
    group_info *items;
    size_t n, cap;
} group_list;

static void groups_free(group_list *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->items[i].name);
    free(g->items);
}

/* Group name from a one-line block comment: every [..] joined with '-'. */
static char *group_name(const char *c, size_t n)
{
    scl_strbuf b = {0};
    int any = 0;
    size_t i = 0;
    while (i < n) {
        const char *open = memchr(c + i, '[', n - i);
        if (!open)
            break;
        size_t o = (size_t)(open - c);
        const char *close = memchr(c + o + 1, ']', n - o - 1);
        if (!close)
            break;
        size_t cl = (size_t)(close - c);
        if (any)
            scl_strbuf_putc(&b, '-');
        scl_strbuf_putn(&b, c + o + 1, cl - o - 1);
        any = 1;
        i = cl + 1;
    }
    if (!b.data)
        return calloc(1, 1);
    return b.data;
}

/* OpenSCAD's own text scan (CommentParser), done once: it skips // comments
 * and toggles a string state at each '"' (treating \" as escaped), and
 *  - the stop line is the line of the first '{' it meets outside comments
 *    (a '{' inside a string counts: OpenSCAD checks it there too), so
 *    assignments on or after it are not parameters;
 *  - each block comment that stays on one line is a group (see group_name),
 *    effective for assignments on later lines.
 * Without a '{', the stop line lies two lines past the end, because OpenSCAD
 * scans the file with "\n\x03\n" appended. Returns -1 on out of memory. */
static long scan_like_openscad(const char *t, size_t n, group_list *groups)
{
    long line = 1, stop = 0;
    int in_string = 0;
    for (size_t i = 0; i < n; ++i) {
        if (t[i] == '\n') {
            line++;
            continue;
        }
        if (in_string && i + 1 < n && t[i] == '\\' && t[i + 1] == '"') {
            i++;
            continue;
        }
        if (t[i] == '"') {
            in_string = !in_string;
            continue;
        }
        if (!in_string && i + 1 < n && t[i] == '/' && t[i + 1] == '/') {
            i++;
            while (i < n && t[i] != '\n')
                i++;
            line++;
            continue;
        }
        if (!in_string && i + 1 < n && t[i] == '/' && t[i + 1] == '*') {
            i += 2;
            size_t start = i;
            int one_line = 1;
            while (i < n && !(i + 1 < n && t[i] == '*' && t[i + 1] == '/')) {
                if (t[i] == '\n') {
                    line++;
                    one_line = 0;
                }
                i++;
            }
            if (one_line) {
                group_info *items = scl_grow(groups->items, &groups->cap, groups->n, sizeof *items, 8);
                if (!items)
                    return -1;
                groups->items = items;
                char *name = group_name(t + start, i - start);
                if (!name)
                    return -1;
                groups->items[groups->n].name = name;
                groups->items[groups->n].line = line;
                groups->n++;
            }
        }
        if (!stop && i < n && t[i] == '{' && !(i > 0 && t[i - 1] == '@'))
            stop = line;
    }
    return stop ? stop : line + 2;
}

/* Byte offset of the start of 1-based line `line` (n if past the end). */
static size_t line_start(const char *t, size_t n, long line)
{
    size_t start = 0;
    for (; start < n; ++start) {
        if (line <= 1)
            break;
        if (t[start] == '\n')
            line--;
    }
    return start;
}

/* The // comment on an assignment's line (without "//"); empty if none, or
 * if a second ';' comes before it (another statement owns it). */
static void comment_on_line(const char *t, size_t n, long line, scl_strbuf *out)
{
    if (line < 1)
        return;
    size_t start = line_start(t, n, line);
    if (start >= n)
        return;
    size_t end = start + 1;
    while (end < n && t[end] != '\n')
        end++;
    const char *c = t + start;
    size_t len = end - start;
    size_t i = 0;
    int semicolons = 0, in_string = 0;
    for (; i + 1 < len; ++i) {
        if (in_string && c[i] == '\\' && c[i + 1] == '"') {
            i++;
            continue;
        }
        if (c[i] == '"')
            in_string = !in_string;
        if (!in_string) {
            if (c[i] == '/' && c[i + 1] == '/')
                break;
            if (c[i] == ';' && semicolons > 0)
                return;
            if (c[i] == ';')
                semicolons++;
        }
    }
    if (i + 2 > len)
        return;
    scl_strbuf_putn(out, c + i + 2, len - i - 2);
}

/* The caption: line `line` when it starts with "//". */
static void caption_on_line(const char *t, size_t n, long line, scl_strbuf *out)
{
    if (line < 1)
        return;
    size_t s = line_start(t, n, line);
    if (s + 2 > n || t[s] != '/' || t[s + 1] != '/')
        return;
    s += 2;
    while (s < n && (t[s] == ' ' || t[s] == '\t'))
        s++;
    while (s < n && t[s] != '\n') {
        if (s + 1 < n && t[s] == '/' && t[s + 1] == '/') {
            scl_strbuf_putc(out, ' ');
            s++;
        } else {
            scl_strbuf_putc(out, t[s]);
        }
        s++;
    }
}

/* ==================================================== 3. annotation syntax */

typedef enum ann_kind { A_NONE = 0, A_NUMBER, A_WORD, A_RANGE, A_VECTOR } ann_kind;

typedef struct ann_item {
    int is_pair;          /* value:label */
    int num[2];           /* part is a number */
    double d[2];
    char *s[2];
} ann_item;

typedef struct annotation {
    ann_kind kind;
    double number;             /* A_NUMBER */
    double range[3];           /* A_RANGE: begin, step, end */
    int has_step;
    ann_item *items;           /* A_VECTOR */
    size_t nitems;
} annotation;

static void annotation_free(annotation *a)
{
    for (size_t i = 0; i < a->nitems; i++) {
        free(a->items[i].s[0]);
        free(a->items[i].s[1]);
    }
    free(a->items);
    memset(a, 0, sizeof *a);
}

typedef enum atok_kind { AT_END, AT_NUM, AT_WORD, AT_CHAR } atok_kind;

typedef struct atok {
    atok_kind kind;
    char ch;
    double num;
    char *word;
} atok;

typedef struct atoks {
    atok *v;
    size_t n, cap;
} atoks;

static void atoks_free(atoks *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].word);
    free(a->v);
}

static int atoks_push(atoks *a, atok t)
{
    atok *v = scl_grow(a->v, &a->cap, a->n, sizeof *v, 16);
    if (!v)
        return -1;
    a->v = v;
    a->v[a->n++] = t;
    return 0;
}

static int is_word_char(unsigned char c)
{
    return !(c == '(' || c == '[' || c == ' ' || c == ']' || c == ',' || c == '"' || c == ':' ||
             c == ')' || c == '\n');
}

/* Length of the annotation number at s: [+-]? (D+E? | D*.D+E? | D+.D*E?) */
static size_t ann_number_length(const char *s, size_t n)
{
    size_t sign = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    size_t len = number_length(s + sign, n - sign);
    return len ? len + sign : 0;
}

/* Tokenize like OpenSCAD's comment lexer (longest match, first rule on ties). */
static int ann_lex(const char *s, size_t n, atoks *out)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t numlen = ann_number_length(s + i, n - i);
        size_t wordlen = 0;
        while (i + wordlen < n && is_word_char((unsigned char)s[i + wordlen]))
            wordlen++;
        atok t = {0};
        if (numlen && numlen >= wordlen) {
            char buf[512];
            size_t k = numlen < sizeof buf - 1 ? numlen : sizeof buf - 1;
            memcpy(buf, s + i, k);
            buf[k] = 0;
            t.kind = AT_NUM;
            t.num = strtod(buf, NULL);
            i += numlen;
        } else if (c == '[' || c == ']' || c == ',' || c == ':') {
            t.kind = AT_CHAR;
            t.ch = (char)c;
            i++;
        } else if ((c == ' ' || c == '\t') && wordlen <= 1) {
            i++; /* whitespace (a lone tab ties with a word: whitespace wins) */
            continue;
        } else if (c == '"') {
            scl_strbuf b = {0};
            i++;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < n) {
                    char e = s[i + 1];
                    if (e == 'n') scl_strbuf_putc(&b, '\n');
                    else if (e == 't') scl_strbuf_putc(&b, '\t');
                    else if (e == 'r') scl_strbuf_putc(&b, '\r');
                    else if (e == '\\') scl_strbuf_putc(&b, '\\');
                    else if (e == '"') scl_strbuf_putc(&b, '"');
                    else { i += 1; continue; } /* unknown escape: the backslash is dropped */
                    i += 2;
                    continue;
                }
                scl_strbuf_putc(&b, s[i]);
                i++;
            }
            if (i < n)
                i++; /* closing quote (a missing one ends the word at the end) */
            if (b.oom) {
                scl_strbuf_free(&b);
                return -1;
            }
            t.kind = AT_WORD;
            t.word = b.data ? b.data : calloc(1, 1);
            if (!t.word)
                return -1;
        } else if (wordlen) {
            t.kind = AT_WORD;
            t.word = malloc(wordlen + 1);
            if (!t.word)
                return -1;
            memcpy(t.word, s + i, wordlen);
            t.word[wordlen] = 0;
            i += wordlen;
        } else {
            i++; /* '(' ')' : ignored */
            continue;
        }
        if (atoks_push(out, t) != 0) {
            free(t.word);
            return -1;
        }
    }
    return 0;
}

typedef struct aparser {
    atoks *t;
    size_t i;
} aparser;

static atok *apeek(aparser *p, size_t k)
{
    static atok end = {AT_END, 0, 0, NULL};
    return p->i + k < p->t->n ? &p->t->v[p->i + k] : &end;
}

static int a_is(aparser *p, size_t k, char c)
{
    atok *t = apeek(p, k);
    return t->kind == AT_CHAR && t->ch == c;
}

/* word: a run of WORD and NUM tokens holding at least one WORD, joined by
 * spaces (numbers printed like C++ streams do). Returns NULL if none here. */
static char *a_word(aparser *p)
{
    size_t j = p->i;
    int has_word = 0;
    while (j < p->t->n && (p->t->v[j].kind == AT_WORD || p->t->v[j].kind == AT_NUM)) {
        if (p->t->v[j].kind == AT_WORD)
            has_word = 1;
        j++;
    }
    if (!has_word)
        return NULL;
    /* a trailing run of numbers after the last word still belongs to it */
    scl_strbuf b = {0};
    for (size_t k = p->i; k < j; k++) {
        if (k > p->i)
            scl_strbuf_putc(&b, ' ');
        if (p->t->v[k].kind == AT_WORD) {
            scl_strbuf_puts(&b, p->t->v[k].word);
        } else {
            char g[32];
            format_g(p->t->v[k].num, g);
            scl_strbuf_puts(&b, g);
        }
    }
    if (b.oom) {
        scl_strbuf_free(&b);
        return NULL;
    }
    p->i = j;
    return b.data ? b.data : calloc(1, 1);
}

/* value part: num | wordexpr. Returns 1 on success. */
static int a_part(aparser *p, int *is_num, double *d, char **s)
{
    atok *t = apeek(p, 0);
    if (t->kind == AT_NUM) {
        /* NUM alone, or NUM word */
        size_t j = p->i + 1;
        int word_follows = 0;
        while (j < p->t->n && (p->t->v[j].kind == AT_NUM || p->t->v[j].kind == AT_WORD)) {
            if (p->t->v[j].kind == AT_WORD)
                word_follows = 1;
            j++;
        }
        if (!word_follows) {
            if (apeek(p, 1)->kind == AT_NUM)
                return 0; /* NUM NUM: not a value */
            *is_num = 1;
            *d = t->num;
            p->i++;
            return 1;
        }
    }
    char *w = a_word(p);
    if (!w)
        return 0;
    *is_num = 0;
    *s = w;
    return 1;
}

static int ann_parse(atoks *toks, annotation *out)
{
    aparser p = {toks, 0};
    memset(out, 0, sizeof *out);
    if (toks->n == 0)
        return 0;
    if (!a_is(&p, 0, '[')) {
        int is_num = 0;
        double d = 0;
        char *s = NULL;
        if (!a_part(&p, &is_num, &d, &s) || apeek(&p, 0)->kind != AT_END) {
            free(s);
            return 0;
        }
        if (is_num) {
            out->kind = A_NUMBER;
            out->number = d;
        } else {
            out->kind = A_WORD;
            free(s);
        }
        return 1;
    }
    p.i++;
    /* ranges: '[' NUM ':' NUM ']' or '[' NUM ':' NUM ':' NUM ']' */
    if (apeek(&p, 0)->kind == AT_NUM && a_is(&p, 1, ':') && apeek(&p, 2)->kind == AT_NUM) {
        if (a_is(&p, 3, ']') && apeek(&p, 4)->kind == AT_END) {
            out->kind = A_RANGE;
            out->range[0] = apeek(&p, 0)->num;
            out->range[2] = apeek(&p, 2)->num;
            return 1;
        }
        if (a_is(&p, 3, ':') && apeek(&p, 4)->kind == AT_NUM && a_is(&p, 5, ']') &&
            apeek(&p, 6)->kind == AT_END) {
            out->kind = A_RANGE;
            out->range[0] = apeek(&p, 0)->num;
            out->range[1] = apeek(&p, 2)->num;
            out->range[2] = apeek(&p, 4)->num;
            out->has_step = 1;
            return 1;
        }
    }
    /* values */
    out->kind = A_VECTOR;
    for (;;) {
        ann_item it = {0};
        if (!a_part(&p, &it.num[0], &it.d[0], &it.s[0]))
            goto fail;
        if (a_is(&p, 0, ':')) {
            p.i++;
            it.is_pair = 1;
            if (!a_part(&p, &it.num[1], &it.d[1], &it.s[1])) {
                free(it.s[0]);
                goto fail;
            }
        }
        ann_item *ni = realloc(out->items, (out->nitems + 1) * sizeof *ni);
        if (!ni) {
            free(it.s[0]);
            free(it.s[1]);
            goto fail;
        }
        out->items = ni;
        out->items[out->nitems++] = it;
        if (a_is(&p, 0, ',')) {
            p.i++;
            continue;
        }
        if (a_is(&p, 0, ']') && apeek(&p, 1)->kind == AT_END)
            return 1;
        goto fail;
    }
fail:
    annotation_free(out);
    return 0;
}

/* ======================================================= 4. parameter rules */

static json_t *jnum(double d) { return json_real(d); }

static json_t *option(const char *name, json_t *val)
{
    return json_pack("{s:s,s:o}", "name", name, "value", val);
}

/* Dropdown options from a vector annotation, or NULL when it is not one
 * (a single number is a maximum, not a dropdown). `initial` is the
 * assignment's value (number or string). */
static json_t *enum_options(const annotation *a, const value *initial)
{
    if (a->kind != A_VECTOR)
        return NULL;
    if (a->nitems == 1 && !a->items[0].is_pair && a->items[0].num[0])
        return NULL;
    json_t *opts = json_array();
    int found = 0;
    for (size_t i = 0; i < a->nitems; i++) {
        const ann_item *it = &a->items[i];
        char key[32];
        const char *name;
        json_t *val;
        int vnum = it->num[0];
        /* [value, label] for pairs; a plain element is its own label */
        int li = it->is_pair ? 1 : 0;
        if (it->num[li]) {
            format_g(it->d[li], key);
            name = key;
        } else {
            name = it->s[li];
        }
        if (vnum)
            val = jnum(it->d[0]);
        else
            val = json_string(it->s[0]);
        if (!val) { /* invalid UTF-8 in a label: skip like a bad element */
            json_decref(opts);
            return NULL;
        }
        if (!found) {
            if (initial->kind == V_NUMBER && vnum && it->d[0] == initial->number)
                found = 1;
            if (initial->kind == V_STRING && !vnum && strlen(it->s[0]) == initial->str_len &&
                !memcmp(it->s[0], initial->str, initial->str_len))
                found = 1;
        }
        json_t *o = option(name, val);
        if (!o) {
            json_decref(opts);
            return NULL;
        }
        json_array_append_new(opts, o);
    }
    if (!found) {
        json_t *o;
        if (initial->kind == V_NUMBER) {
            char key[32];
            format_g(initial->number, key);
            o = option(key, jnum(initial->number));
        } else {
            json_t *s = json_stringn(initial->str, initial->str_len);
            o = s ? json_pack("{s:o,s:O}", "name", s, "value", s) : NULL;
        }
        if (!o) {
            json_decref(opts);
            return NULL;
        }
        json_array_insert_new(opts, 0, o);
    }
    return opts;
}

/* min/max/step for number and vector parameters (OpenSCAD's rules). */
static void numeric_limits(json_t *obj, const annotation *a, const double *values, size_t n)
{
    int has_min = 0, has_max = 0, has_step = 0;
    double mn = 0, mx = 0, step = 0;
    if (a->kind == A_VECTOR && a->nitems == 1 && !a->items[0].is_pair && a->items[0].num[0]) {
        has_max = 1;
        mx = a->items[0].d[0];
    } else if (a->kind == A_RANGE) {
        has_min = has_max = 1;
        mn = a->range[0];
        mx = a->range[2];
        if (a->has_step) {
            has_step = 1;
            step = a->range[1];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (has_min && values[i] < mn)
            mn = values[i];
        if (has_max && values[i] > mx)
            mx = values[i];
    }
    if (has_max) {
        json_object_set_new(obj, "max", jnum(mx));
        json_object_set_new(obj, "min", jnum(has_min ? mn : 0.0));
        json_object_set_new(obj, "step", jnum(has_step ? step : 1.0));
    }
}

/* One parameter's JSON, or NULL if the assignment is not a parameter. */
static json_t *make_parameter(const assignment *as, const annotation *a, const char *caption,
                              size_t caption_len, const char *group)
{
    const value *v = &as->val;
    json_t *obj = NULL;
    if (v->kind == V_BOOL) {
        obj = json_pack("{s:s,s:b}", "type", "boolean", "initial", v->boolean);
    } else if (v->kind == V_NUMBER || v->kind == V_STRING) {
        json_t *opts = enum_options(a, v);
        if (opts) {
            obj = json_object();
            json_object_set_new(obj, "type", json_string(v->kind == V_NUMBER ? "number" : "string"));
            json_object_set_new(obj, "initial", v->kind == V_NUMBER ? jnum(v->number)
                                                                    : json_stringn(v->str, v->str_len));
            json_object_set_new(obj, "options", opts);
        } else if (v->kind == V_STRING) {
            json_t *s = json_stringn(v->str, v->str_len);
            if (!s)
                return NULL; /* not valid UTF-8: cannot be written as JSON */
            obj = json_object();
            json_object_set_new(obj, "type", json_string("string"));
            json_object_set_new(obj, "initial", s);
            if (a->kind == A_NUMBER) {
                double d = a->number;
                json_int_t ml = d >= 0 && d < 9.2e18 ? (json_int_t)d : 0;
                json_object_set_new(obj, "maxLength", json_integer(ml));
            }
        } else {
            obj = json_object();
            json_object_set_new(obj, "type", json_string("number"));
            json_object_set_new(obj, "initial", jnum(v->number));
            numeric_limits(obj, a, &v->number, 1);
        }
    } else if (v->kind == V_VECTOR && v->all_numbers && v->count >= 1 && v->count <= MAX_VECTOR_PARAM) {
        obj = json_object();
        json_t *arr = json_array();
        for (size_t i = 0; i < v->count; i++)
            json_array_append_new(arr, jnum(v->numbers[i]));
        json_object_set_new(obj, "type", json_string("number"));
        json_object_set_new(obj, "initial", arr);
        numeric_limits(obj, a, v->numbers, v->count);
    }
    if (!obj)
        return NULL;
    json_object_set_new(obj, "name", json_string(as->name));
    if (group[0]) /* OpenSCAD leaves out an empty group (a one-line block comment without [..]) */
        json_object_set_new(obj, "group", json_string(group));
    if (caption_len) {
        json_t *c = json_stringn(caption, caption_len);
        if (c)
            json_object_set_new(obj, "caption", c);
    }
    return obj;
}

static int is_literal(const value *v)
{
    return v->kind == V_NUMBER || v->kind == V_STRING || v->kind == V_BOOL ||
           v->kind == V_UNDEF || v->kind == V_VECTOR;
}

/* Trim ASCII whitespace at both ends (boost::trim with the classic locale). */
static char *trimmed(const char *s)
{
    size_t a = 0, b = strlen(s);
    while (a < b && isspace((unsigned char)s[a]))
        a++;
    while (b > a && isspace((unsigned char)s[b - 1]))
        b--;
    char *r = malloc(b - a + 1);
    if (r) {
        memcpy(r, s + a, b - a);
        r[b - a] = 0;
    }
    return r;
}

scl_status scl_params_parse(const char *src, size_t len, const char *title, json_t **out,
                            scl_error *err)
{
    return scl_params_parse_with_hidden(src, len, title, out, NULL, err);
}

scl_status scl_params_parse_with_hidden(const char *src, size_t len, const char *title, json_t **out,
                                        json_t **hidden_out, scl_error *err)
{
    if (!out || (!src && len) || !title)
        return scl_error_set(err, SCL_EINVAL, "scl_params_parse: NULL argument");
    *out = NULL;
    if (hidden_out)
        *hidden_out = NULL;
    scl_error_clear(err);
    if (len > SCL_PARAMS_MAX_SOURCE)
        return scl_error_set(err, SCL_ETOOBIG, "source is %zu bytes, more than the limit of %zu",
                             len, SCL_PARAMS_MAX_SOURCE);
    if (!src)
        src = "";

    /* 1. parse the whole file */
    parser p;
    memset(&p, 0, sizeof p);
    p.stack_base = (uintptr_t)&p;
    p.stack_budget = stack_budget();
    p.lx.src = src;
    p.lx.len = len;
    p.lx.line = 1;
    p.lx.err = err;
    p.err = err;
    scl_status st = SCL_OK;
    if (lex_next(&p.lx, &p.cur) != SCL_OK || lex_next(&p.lx, &p.next) != SCL_OK)
        p.failed = 1;
    while (!p.failed && p.cur.kind != T_EOF)
        if (parse_statement(&p, 1) != SCL_OK)
            p.failed = 1;
    if (p.failed) {
        st = err && err->code != SCL_OK ? err->code : SCL_EPARSE;
        if (!err || err->code == SCL_OK)
            scl_error_set(err, SCL_EPARSE, "syntax error");
        parser_free(&p);
        return st;
    }

    /* 2-4. annotations and parameters */
    group_list groups = {0};
    long stop = scan_like_openscad(src, len, &groups);
    json_t *params = json_array();
    json_t *hidden = json_array();
    if (!params || !hidden || stop < 0) {
        json_decref(params);
        json_decref(hidden);
        groups_free(&groups);
        parser_free(&p);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p.nassigns; i++) {
        const assignment *as = &p.assigns[i];
        if (!is_literal(&as->val) || as->line >= stop)
            continue;
        scl_strbuf comment = {0}, caption = {0};
        comment_on_line(src, len, as->line, &comment);
        annotation ann = {0};
        if (comment.len) {
            atoks toks = {0};
            if (ann_lex(comment.data, comment.len, &toks) != 0 || !ann_parse(&toks, &ann))
                memset(&ann, 0, sizeof ann);
            atoks_free(&toks);
        }
        caption_on_line(src, len, as->line - 1, &caption);
        const char *group = "Parameters";
        char *group_trim = NULL;
        for (size_t g = groups.n; g-- > 0;)
            if (groups.items[g].line < as->line) {
                group_trim = trimmed(groups.items[g].name);
                group = group_trim ? group_trim : "";
                break;
            }
        if (strcmp(group, "Hidden") != 0) {
            json_t *obj = make_parameter(as, &ann, caption.data, caption.len, group);
            if (obj)
                json_array_append_new(params, obj);
        } else {
            json_array_append_new(hidden, json_string(as->name));
        }
        free(group_trim);
        annotation_free(&ann);
        scl_strbuf_free(&comment);
        scl_strbuf_free(&caption);
    }
    groups_free(&groups);
    parser_free(&p);

    json_t *root = json_object();
    if (json_array_size(params))
        json_object_set_new(root, "parameters", params);
    else
        json_decref(params);
    json_t *t = json_string(title);
    json_object_set_new(root, "title", t ? t : json_string("model"));
    *out = root;
    if (hidden_out)
        *hidden_out = hidden;
    else
        json_decref(hidden);
    return SCL_OK;
}

scl_status scl_params_json(const char *src, size_t len, const char *title, char **out,
                           scl_error *err)
{
    if (!out)
        return scl_error_set(err, SCL_EINVAL, "scl_params_json: NULL argument");
    *out = NULL;
    json_t *root = NULL;
    scl_status st = scl_params_parse(src, len, title, &root, err);
    if (st != SCL_OK)
        return st;
    *out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!*out)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    return SCL_OK;
}

void scl_params_title_from_path(const char *path, char *out, size_t cap)
{
    if (!cap)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = 0;
}
