/* style_expr.c: SE / OGC Filter expressions, compiled once per style and
 * evaluated per feature.
 *
 * An expression is a small tree: ogc:PropertyName, ogc:Literal, the
 * arithmetic ogc:Add/Sub/Mul/Div, ogc:Function with the functions GeoServer
 * documents and QGIS writes when it exports an expression (strConcat,
 * if_then_else, Categorize, Interpolate, Recode, env, the string and
 * comparison functions, and QGIS's own names such as upper, lower, concat,
 * coalesce), and the concatenation of mixed content (a Label's text and
 * elements).  A function we do not know is refused when the style is read,
 * naming it and its line: a guess could draw a high-risk workplace in the
 * low-risk colour. */
#include "render/style_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EXPR_DEPTH 64

typedef enum sx_op {
    SX_PROP, SX_LIT, SX_ADD, SX_SUB, SX_MUL, SX_DIV, SX_FUNC, SX_CONCAT
} sx_op;

typedef enum fn_id {
    F_CONCAT, F_UPPER, F_LOWER, F_TRIM, F_LENGTH, F_SUBSTR, F_SUBSTR_START,
    F_REPLACE, F_CAPITALIZE, F_STARTS, F_ENDS, F_INDEXOF,
    F_IF, F_CATEGORIZE, F_INTERPOLATE, F_RECODE, F_ENV, F_PROPERTY,
    F_EQ, F_NE, F_LT, F_LE, F_GT, F_GE, F_BETWEEN, F_ISNULL, F_NOT, F_AND,
    F_OR, F_IN, F_COALESCE,
    F_ABS, F_CEIL, F_FLOOR, F_ROUND, F_SQRT, F_EXP, F_LOG, F_POW, F_MIN,
    F_MAX, F_TODEG, F_TORAD, F_PARSE_DOUBLE, F_PARSE_INT, F_NUMBER_FORMAT,
    F_PI
} fn_id;

static const struct fn_def {
    const char *name;
    fn_id id;
    int min, max; /* arguments; max -1: any */
} fns[] = {
    {"strConcat", F_CONCAT, 1, -1}, {"Concatenate", F_CONCAT, 1, -1},
    {"concat", F_CONCAT, 1, -1},
    {"strToUpperCase", F_UPPER, 1, 1}, {"upper", F_UPPER, 1, 1},
    {"strToLowerCase", F_LOWER, 1, 1}, {"lower", F_LOWER, 1, 1},
    {"strTrim", F_TRIM, 1, 1}, {"trim", F_TRIM, 1, 1},
    {"strLength", F_LENGTH, 1, 1}, {"length", F_LENGTH, 1, 1},
    {"strSubstring", F_SUBSTR, 3, 3},
    {"strSubstringStart", F_SUBSTR_START, 2, 2},
    {"strReplace", F_REPLACE, 4, 4},
    {"strCapitalize", F_CAPITALIZE, 1, 1}, {"title", F_CAPITALIZE, 1, 1},
    {"strStartsWith", F_STARTS, 2, 2}, {"strEndsWith", F_ENDS, 2, 2},
    {"strIndexOf", F_INDEXOF, 2, 2},
    {"if_then_else", F_IF, 3, 3},
    {"Categorize", F_CATEGORIZE, 2, -1}, {"categorize", F_CATEGORIZE, 2, -1},
    {"Interpolate", F_INTERPOLATE, 3, -1}, {"interpolate", F_INTERPOLATE, 3, -1},
    {"Recode", F_RECODE, 1, -1}, {"recode", F_RECODE, 1, -1},
    {"env", F_ENV, 1, 2}, {"property", F_PROPERTY, 1, 1},
    {"equalTo", F_EQ, 2, 2}, {"notEqualTo", F_NE, 2, 2},
    {"lessThan", F_LT, 2, 2}, {"lessEqualThan", F_LE, 2, 2},
    {"greaterThan", F_GT, 2, 2}, {"greaterEqualThan", F_GE, 2, 2},
    {"between", F_BETWEEN, 3, 3}, {"isNull", F_ISNULL, 1, 1},
    {"not", F_NOT, 1, 1}, {"and", F_AND, 2, 2}, {"or", F_OR, 2, 2},
    {"in", F_IN, 2, -1}, {"in2", F_IN, 3, 3}, {"in3", F_IN, 4, 4},
    {"in4", F_IN, 5, 5}, {"in5", F_IN, 6, 6}, {"in6", F_IN, 7, 7},
    {"in7", F_IN, 8, 8}, {"in8", F_IN, 9, 9}, {"in9", F_IN, 10, 10},
    {"in10", F_IN, 11, 11}, {"coalesce", F_COALESCE, 1, -1},
    {"abs", F_ABS, 1, 1}, {"ceil", F_CEIL, 1, 1}, {"floor", F_FLOOR, 1, 1},
    {"round", F_ROUND, 1, 1}, {"rint", F_ROUND, 1, 1},
    {"round_2", F_ROUND, 1, 1}, {"sqrt", F_SQRT, 1, 1}, {"exp", F_EXP, 1, 1},
    {"log", F_LOG, 1, 1}, {"pow", F_POW, 2, 2}, {"min", F_MIN, 2, -1},
    {"max", F_MAX, 2, -1}, {"toDegrees", F_TODEG, 1, 1},
    {"toRadians", F_TORAD, 1, 1}, {"parseDouble", F_PARSE_DOUBLE, 1, 1},
    {"to_real", F_PARSE_DOUBLE, 1, 1}, {"parseInt", F_PARSE_INT, 1, 1},
    {"to_int", F_PARSE_INT, 1, 1}, {"numberFormat", F_NUMBER_FORMAT, 2, 3},
    {"pi", F_PI, 0, 0},
};

struct sinspace_style_expr {
    sx_op op;
    const struct fn_def *fn;      /* SX_FUNC */
    char *text;                   /* SX_PROP name, SX_LIT value */
    int lit_is_num;
    double lit_num;
    struct sinspace_style_expr **args;
    size_t n_args;
    int is_const;
};

void
sinspace__sx_free(sinspace_style_expr *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_args; i++)
        sinspace__sx_free(e->args[i]);
    free(e->args);
    free(e->text);
    free(e);
}

/* ---- values ---------------------------------------------------------- */

int
sinspace__sx_parse_number(const char *s, double *out)
{
    char *end;
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    /* Decimal only: strtod would also take "0x10", "inf" and "nan". */
    if (!*s || strpbrk(s, "xXiInN"))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
sinspace__sx_parse_color(const char *s, sinspace_rgba *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n != 7 || s[0] != '#')
        return -1;
    int v[6];
    for (int i = 0; i < 6; i++)
        if ((v[i] = hexval((unsigned char)s[i + 1])) < 0)
            return -1;
    out->r = (v[0] * 16 + v[1]) / 255.0;
    out->g = (v[2] * 16 + v[3]) / 255.0;
    out->b = (v[4] * 16 + v[5]) / 255.0;
    return 0;
}

static sx_value
v_null(void)
{
    sx_value v = {SXV_NULL, 0, NULL};
    return v;
}

static sx_value
v_num(double d)
{
    sx_value v = {SXV_NUM, d, NULL};
    if (!isfinite(d))
        v.kind = SXV_NULL;
    return v;
}

static sx_value
v_bool(int b)
{
    sx_value v = {SXV_BOOL, b ? 1 : 0, NULL};
    return v;
}

static sx_value
v_str(const char *s)
{
    sx_value v = {SXV_STR, 0, s};
    if (!s)
        v.kind = SXV_NULL;
    return v;
}

/* Room in the evaluation's buffer; NULL when it is full. */
static char *
env_alloc(sx_env *env, size_t n)
{
    if (env->used + n > sizeof env->buf)
        return NULL;
    char *p = env->buf + env->used;
    env->used += n;
    return p;
}

int
sinspace__sx_number(sx_value v, double *out)
{
    switch (v.kind) {
    case SXV_NUM:
    case SXV_BOOL:
        *out = v.num;
        return 0;
    case SXV_STR:
        if (!strcasecmp(v.str, "true")) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(v.str, "false")) {
            *out = 0;
            return 0;
        }
        return sinspace__sx_parse_number(v.str, out);
    default:
        return -1;
    }
}

const char *
sinspace__sx_text(sx_value v, sx_env *env)
{
    switch (v.kind) {
    case SXV_STR:
        return v.str;
    case SXV_BOOL:
        return v.num ? "true" : "false";
    case SXV_NUM: {
        char tmp[40];
        if (v.num == floor(v.num) && fabs(v.num) < 1e15)
            snprintf(tmp, sizeof tmp, "%.0f", v.num);
        else
            snprintf(tmp, sizeof tmp, "%.15g", v.num);
        char *p = env_alloc(env, strlen(tmp) + 1);
        if (p)
            memcpy(p, tmp, strlen(tmp) + 1);
        return p ? p : "";
    }
    default:
        return NULL;
    }
}

int
sinspace__sx_truth(sx_value v)
{
    double d;
    switch (v.kind) {
    case SXV_BOOL:
    case SXV_NUM:
        return v.num != 0;
    case SXV_STR:
        if (!strcasecmp(v.str, "true"))
            return 1;
        if (sinspace__sx_parse_number(v.str, &d) == 0)
            return d != 0;
        return 0;
    default:
        return 0;
    }
}

int
sinspace__sx_compare(sx_value a, sx_value b, int match_case, sx_env *env)
{
    if (a.kind == SXV_NULL || b.kind == SXV_NULL)
        return 2;
    double x, y;
    if (sinspace__sx_number(a, &x) == 0 && sinspace__sx_number(b, &y) == 0)
        return (x > y) - (x < y);
    const char *s = sinspace__sx_text(a, env), *t = sinspace__sx_text(b, env);
    int r = match_case ? strcmp(s, t) : strcasecmp(s, t);
    return (r > 0) - (r < 0);
}

/* ---- compiling --------------------------------------------------------- */

static sinspace_status
sx_bad(sinspace_context *ctx, const char *file, const xmlNode *n,
       const char *what, const char *value)
{
    return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s '%.60s'",
                           file, (long)xmlGetLineNo(n), what, value ? value : "");
}

static int
is_el(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, local);
}

static char *
trimmed_content(const xmlNode *n, int trim)
{
    xmlChar *c = xmlNodeGetContent(n);
    if (!c)
        return sinspace__strdup("");
    const char *s = (const char *)c;
    size_t len = strlen(s);
    if (trim) {
        while (*s && isspace((unsigned char)*s))
            s++, len--;
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
    }
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    xmlFree(c);
    return out;
}

static sinspace_style_expr *
new_node(sx_op op)
{
    sinspace_style_expr *e = calloc(1, sizeof *e);
    if (e)
        e->op = op;
    return e;
}

static sinspace_style_expr *
literal(const char *text)
{
    sinspace_style_expr *e = new_node(SX_LIT);
    if (!e)
        return NULL;
    if (!(e->text = sinspace__strdup(text))) {
        free(e);
        return NULL;
    }
    e->lit_is_num = sinspace__sx_parse_number(text, &e->lit_num) == 0;
    e->is_const = 1;
    return e;
}

static int
add_arg(sinspace_style_expr *e, sinspace_style_expr *a)
{
    sinspace_style_expr **p = realloc(e->args, (e->n_args + 1) * sizeof *p);
    if (!p)
        return -1;
    e->args = p;
    e->args[e->n_args++] = a;
    return 0;
}

static sinspace_status compile_el(sinspace_context *ctx, const char *file,
                                  const xmlNode *n, int depth,
                                  sinspace_style_expr **out);

static sinspace_status
no_mem(sinspace_context *ctx)
{
    return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
}

static void
settle_const(sinspace_style_expr *e)
{
    if (e->op == SX_PROP) {
        e->is_const = 0;
        return;
    }
    if (e->op == SX_LIT) {
        e->is_const = 1;
        return;
    }
    int c = !(e->op == SX_FUNC && (e->fn->id == F_ENV || e->fn->id == F_PROPERTY));
    for (size_t i = 0; i < e->n_args && c; i++)
        c = e->args[i]->is_const;
    e->is_const = c;
}

static sinspace_status
compile_el(sinspace_context *ctx, const char *file, const xmlNode *n, int depth,
           sinspace_style_expr **out)
{
    *out = NULL;
    if (depth > MAX_EXPR_DEPTH)
        return sx_bad(ctx, file, n, "expression nested too deeply",
                      (const char *)n->name);
    const char *name = (const char *)n->name;
    sinspace_style_expr *e = NULL;
    sinspace_status st = SINSPACE_OK;
    if (is_el(n, "PropertyName") || is_el(n, "ValueReference")) {
        char *t = trimmed_content(n, 1);
        if (!t)
            return no_mem(ctx);
        if (!*t) {
            free(t);
            return sx_bad(ctx, file, n, "empty ogc:PropertyName", "");
        }
        if (!(e = new_node(SX_PROP))) {
            free(t);
            return no_mem(ctx);
        }
        e->text = t;
    } else if (is_el(n, "Literal")) {
        /* A Literal keeps its spaces (a label's " - "), unless it is
         * only space around a number. */
        char *t = trimmed_content(n, 0);
        if (!t)
            return no_mem(ctx);
        double d;
        if (sinspace__sx_parse_number(t, &d) == 0) {
            char *tt = trimmed_content(n, 1);
            free(t);
            t = tt;
        }
        e = t ? literal(t) : NULL;
        free(t);
        if (!e)
            return no_mem(ctx);
    } else if (is_el(n, "Add") || is_el(n, "Sub") || is_el(n, "Mul") ||
               is_el(n, "Div")) {
        e = new_node(is_el(n, "Add") ? SX_ADD : is_el(n, "Sub") ? SX_SUB
                     : is_el(n, "Mul") ? SX_MUL : SX_DIV);
        if (!e)
            return no_mem(ctx);
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            sinspace_style_expr *a = NULL;
            if (!(st = compile_el(ctx, file, c, depth + 1, &a)) && add_arg(e, a) < 0) {
                sinspace__sx_free(a);
                st = no_mem(ctx);
            }
        }
        if (!st && e->n_args != 2)
            st = sx_bad(ctx, file, n, "arithmetic needs two operands", name);
    } else if (is_el(n, "Function")) {
        xmlChar *fname = xmlGetProp(n, (const xmlChar *)"name");
        const struct fn_def *fd = NULL;
        for (size_t i = 0; fname && i < sizeof fns / sizeof fns[0]; i++)
            if (!strcmp(fns[i].name, (const char *)fname)) {
                fd = &fns[i];
                break;
            }
        if (!fd) {
            st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: function '%.60s' not supported (see "
                                 "docs/style.md for the functions sinspace "
                                 "evaluates)", file, (long)xmlGetLineNo(n),
                                 fname ? (const char *)fname : "");
            xmlFree(fname);
            return st;
        }
        xmlFree(fname);
        if (!(e = new_node(SX_FUNC)))
            return no_mem(ctx);
        e->fn = fd;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            sinspace_style_expr *a = NULL;
            if (!(st = compile_el(ctx, file, c, depth + 1, &a)) && add_arg(e, a) < 0) {
                sinspace__sx_free(a);
                st = no_mem(ctx);
            }
        }
        if (!st && ((int)e->n_args < fd->min || (fd->max >= 0 && (int)e->n_args > fd->max))) {
            char what[128];
            snprintf(what, sizeof what, "function %s takes %d%s argument%s, not %zu:",
                     fd->name, fd->min, fd->max < 0 ? " or more" : fd->max != fd->min ? "+" : "",
                     fd->min == 1 && fd->max == 1 ? "" : "s", e->n_args);
            st = sx_bad(ctx, file, n, what, fd->name);
        }
        if (!st && fd->id == F_RECODE && e->n_args % 2 == 0)
            st = sx_bad(ctx, file, n, "Recode needs a value then pairs of data and value",
                        fd->name);
    } else {
        char q[128];
        if (n->ns && n->ns->prefix)
            snprintf(q, sizeof q, "%s:%s", (const char *)n->ns->prefix, name);
        else
            snprintf(q, sizeof q, "%s", name);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: <%s> is not an expression (ogc:PropertyName, "
                               "ogc:Literal, ogc:Add/Sub/Mul/Div or ogc:Function)",
                               file, (long)xmlGetLineNo(n), q);
    }
    if (st) {
        sinspace__sx_free(e);
        return st;
    }
    settle_const(e);
    *out = e;
    return SINSPACE_OK;
}

sinspace_status
sinspace__sx_compile_one(sinspace_context *ctx, const char *file,
                         const xmlNode *n, sinspace_style_expr **out)
{
    return compile_el(ctx, file, n, 0, out);
}

sinspace_status
sinspace__sx_compile(sinspace_context *ctx, const char *file, const xmlNode *n,
                     int mixed, sinspace_style_expr **out)
{
    *out = NULL;
    int n_el = 0, has_text = 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            n_el++;
        } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            for (const xmlChar *q = c->content; q && *q; q++)
                if (!isspace(*q)) {
                    has_text = 1;
                    break;
                }
        }
    }
    if (n_el == 0) {
        char *t = trimmed_content(n, 1);
        if (!t)
            return no_mem(ctx);
        *out = literal(t);
        free(t);
        return *out ? SINSPACE_OK : no_mem(ctx);
    }
    /* QGIS 2 wrapped an expression in ogc:Filter: look inside. */
    if (n_el == 1 && !has_text) {
        for (const xmlNode *c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE) {
                if (is_el(c, "Filter"))
                    return sinspace__sx_compile(ctx, file, c, mixed, out);
                return compile_el(ctx, file, c, 0, out);
            }
    }
    if (!mixed && has_text)
        return sx_bad(ctx, file, n, "text mixed with expressions in",
                      (const char *)n->name);
    sinspace_style_expr *e = new_node(SX_CONCAT);
    if (!e)
        return no_mem(ctx);
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = n->children; c && !st; c = c->next) {
        sinspace_style_expr *a = NULL;
        if (c->type == XML_ELEMENT_NODE) {
            st = compile_el(ctx, file, c, 0, &a);
        } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                   c->content) {
            /* Text between elements keeps its inner spaces but not the
             * indentation of the document. */
            const char *s = (const char *)c->content;
            int all_space = 1;
            for (const char *q = s; *q; q++)
                if (!isspace((unsigned char)*q))
                    all_space = 0;
            if (all_space && strchr(s, '\n'))
                continue;
            if (!(a = literal(s)))
                st = no_mem(ctx);
        } else {
            continue;
        }
        if (!st && add_arg(e, a) < 0) {
            sinspace__sx_free(a);
            st = no_mem(ctx);
        }
    }
    if (st) {
        sinspace__sx_free(e);
        return st;
    }
    settle_const(e);
    *out = e;
    return SINSPACE_OK;
}

int
sinspace__sx_is_const(const sinspace_style_expr *e)
{
    return e && e->is_const;
}

int
sinspace__sx_is_property(const sinspace_style_expr *e, const char **name)
{
    if (!e || e->op != SX_PROP)
        return 0;
    if (name)
        *name = e->text;
    return 1;
}

/* ---- evaluating --------------------------------------------------------- */

static const char *
attr_of(const sx_env *env, const char *name)
{
    for (size_t i = 0; i < env->n_attrs; i++)
        if (env->attrs[i].name && !strcmp(env->attrs[i].name, name))
            return env->attrs[i].value;
    return NULL;
}

static sx_value
str_copy(sx_env *env, const char *s, size_t len)
{
    char *p = env_alloc(env, len + 1);
    if (!p)
        return v_null();
    memcpy(p, s, len);
    p[len] = '\0';
    return v_str(p);
}

static int
parse_hex_color(sx_value v, sx_env *env, sinspace_rgba *c)
{
    const char *t = sinspace__sx_text(v, env);
    return t ? sinspace__sx_parse_color(t, c) : -1;
}

/* UTF-8 characters in s. */
static size_t
u8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* The byte offset of the character index i (clamped). */
static size_t
u8_off(const char *s, long i)
{
    size_t off = 0;
    long k = 0;
    if (i <= 0)
        return 0;
    while (s[off]) {
        if (((unsigned char)s[off] & 0xc0) != 0x80) {
            if (k == i)
                return off;
            k++;
        }
        off++;
    }
    return off;
}

static sx_value eval_fn(const sinspace_style_expr *e, sx_env *env);

sx_value
sinspace__sx_eval(const sinspace_style_expr *e, sx_env *env)
{
    if (!e)
        return v_null();
    switch (e->op) {
    case SX_PROP:
        return v_str(attr_of(env, e->text));
    case SX_LIT:
        return e->lit_is_num ? v_num(e->lit_num) : v_str(e->text);
    case SX_ADD:
    case SX_SUB:
    case SX_MUL:
    case SX_DIV: {
        double a, b;
        if (sinspace__sx_number(sinspace__sx_eval(e->args[0], env), &a) < 0 ||
            sinspace__sx_number(sinspace__sx_eval(e->args[1], env), &b) < 0)
            return v_null();
        switch (e->op) {
        case SX_ADD: return v_num(a + b);
        case SX_SUB: return v_num(a - b);
        case SX_MUL: return v_num(a * b);
        default: return b == 0 ? v_null() : v_num(a / b);
        }
    }
    case SX_CONCAT: {
        size_t start = env->used;
        char *out = NULL;
        size_t len = 0;
        /* Evaluate each part, then join; parts may use the buffer too. */
        const char *parts[64];
        size_t np = e->n_args < 64 ? e->n_args : 64;
        for (size_t i = 0; i < np; i++) {
            const char *t = sinspace__sx_text(sinspace__sx_eval(e->args[i], env), env);
            parts[i] = t ? t : "";
            len += strlen(parts[i]);
        }
        out = env_alloc(env, len + 1);
        if (!out) {
            env->used = start;
            return v_null();
        }
        out[0] = '\0';
        size_t at = 0;
        for (size_t i = 0; i < np; i++) {
            size_t l = strlen(parts[i]);
            memmove(out + at, parts[i], l);
            at += l;
        }
        out[at] = '\0';
        return v_str(out);
    }
    case SX_FUNC:
        return eval_fn(e, env);
    }
    return v_null();
}

#define ARG(i) sinspace__sx_eval(e->args[(i)], env)

static double
num_arg(const sinspace_style_expr *e, size_t i, sx_env *env, int *ok)
{
    double d;
    if (sinspace__sx_number(ARG(i), &d) < 0) {
        *ok = 0;
        return 0;
    }
    return d;
}

static sx_value
interpolate(const sinspace_style_expr *e, sx_env *env)
{
    /* Interpolate(value, d1, v1, d2, v2, ... [, mode] [, method]) */
    double x;
    if (sinspace__sx_number(ARG(0), &x) < 0)
        return v_null();
    size_t n = e->n_args;
    int color = 0;
    /* Trailing text options: "linear"/"cosine"/"cubic", "numeric"/"color". */
    while (n > 3 && e->args[n - 1]->op == SX_LIT && !e->args[n - 1]->lit_is_num &&
           (!strcasecmp(e->args[n - 1]->text, "color") ||
            !strcasecmp(e->args[n - 1]->text, "numeric") ||
            !strcasecmp(e->args[n - 1]->text, "linear") ||
            !strcasecmp(e->args[n - 1]->text, "cosine") ||
            !strcasecmp(e->args[n - 1]->text, "cubic"))) {
        if (!strcasecmp(e->args[n - 1]->text, "color"))
            color = 1;
        n--;
    }
    size_t pairs = (n - 1) / 2;
    if (pairs == 0)
        return v_null();
    double d0 = 0, d1 = 0;
    sx_value v0 = v_null(), v1 = v_null();
    for (size_t i = 0; i < pairs; i++) {
        int ok = 1;
        double d = num_arg(e, 1 + 2 * i, env, &ok);
        if (!ok)
            return v_null();
        sx_value v = ARG(2 + 2 * i);
        if (i == 0 && x <= d)
            return v;
        if (x <= d) {
            d1 = d;
            v1 = v;
            break;
        }
        d0 = d;
        v0 = v;
        if (i == pairs - 1)
            return v; /* beyond the last point */
    }
    double t = d1 > d0 ? (x - d0) / (d1 - d0) : 0;
    sinspace_rgba a, b;
    if (color || (parse_hex_color(v0, env, &a) == 0 && parse_hex_color(v1, env, &b) == 0)) {
        if (parse_hex_color(v0, env, &a) < 0 || parse_hex_color(v1, env, &b) < 0)
            return v_null();
        char tmp[8];
        snprintf(tmp, sizeof tmp, "#%02x%02x%02x",
                 (int)lround((a.r + (b.r - a.r) * t) * 255),
                 (int)lround((a.g + (b.g - a.g) * t) * 255),
                 (int)lround((a.b + (b.b - a.b) * t) * 255));
        return str_copy(env, tmp, 7);
    }
    double y0, y1;
    if (sinspace__sx_number(v0, &y0) < 0 || sinspace__sx_number(v1, &y1) < 0)
        return v_null();
    return v_num(y0 + (y1 - y0) * t);
}

static sx_value
categorize(const sinspace_style_expr *e, sx_env *env)
{
    /* Categorize(value, v0, t1, v1, t2, v2, ... [, "succeeding"|"preceding"]) */
    size_t n = e->n_args;
    int preceding = 0;
    if (n % 2 == 1 && n >= 3 && e->args[n - 1]->op == SX_LIT) {
        preceding = !strcasecmp(e->args[n - 1]->text, "preceding");
        n--;
    }
    sx_value x = ARG(0);
    if (x.kind == SXV_NULL)
        return v_null();
    sx_value out = ARG(1);
    for (size_t i = 2; i + 1 < n; i += 2) {
        int c = sinspace__sx_compare(x, ARG(i), 1, env);
        if (c == 2)
            return v_null();
        if (preceding ? c > 0 : c >= 0)
            out = ARG(i + 1);
        else
            break;
    }
    return out;
}

static sx_value
number_format(const sinspace_style_expr *e, sx_env *env)
{
    /* numberFormat(pattern, number): the decimals of the pattern. */
    const char *pat = sinspace__sx_text(ARG(0), env);
    double d;
    if (!pat || sinspace__sx_number(ARG(1), &d) < 0)
        return v_null();
    int dec = 0;
    const char *dot = strchr(pat, '.');
    if (dot)
        for (const char *q = dot + 1; *q == '0' || *q == '#'; q++)
            dec++;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", dec, d);
    return str_copy(env, tmp, strlen(tmp));
}

static sx_value
eval_fn(const sinspace_style_expr *e, sx_env *env)
{
    int ok = 1;
    switch (e->fn->id) {
    case F_CONCAT: {
        sinspace_style_expr tmp = *e;
        tmp.op = SX_CONCAT;
        return sinspace__sx_eval(&tmp, env);
    }
    case F_UPPER:
    case F_LOWER:
    case F_CAPITALIZE: {
        const char *s = sinspace__sx_text(ARG(0), env);
        if (!s)
            return v_null();
        sx_value v = str_copy(env, s, strlen(s));
        if (v.kind != SXV_STR)
            return v;
        int start = 1;
        for (char *p = (char *)v.str; *p; p++) {
            if (e->fn->id == F_UPPER)
                *p = (char)toupper((unsigned char)*p);
            else if (e->fn->id == F_LOWER)
                *p = (char)tolower((unsigned char)*p);
            else {
                if (start)
                    *p = (char)toupper((unsigned char)*p);
                start = isspace((unsigned char)*p);
            }
        }
        return v;
    }
    case F_TRIM: {
        const char *s = sinspace__sx_text(ARG(0), env);
        if (!s)
            return v_null();
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
        return str_copy(env, s, n);
    }
    case F_LENGTH: {
        const char *s = sinspace__sx_text(ARG(0), env);
        return s ? v_num((double)u8_len(s)) : v_null();
    }
    case F_SUBSTR:
    case F_SUBSTR_START: {
        const char *s = sinspace__sx_text(ARG(0), env);
        double b = num_arg(e, 1, env, &ok);
        double en = e->fn->id == F_SUBSTR ? num_arg(e, 2, env, &ok) : 1e9;
        if (!s || !ok || b < 0 || en < b)
            return v_null();
        size_t o0 = u8_off(s, (long)b), o1 = u8_off(s, (long)fmin(en, 1e9));
        return str_copy(env, s + o0, o1 > o0 ? o1 - o0 : 0);
    }
    case F_REPLACE: {
        const char *s = sinspace__sx_text(ARG(0), env);
        const char *pat = sinspace__sx_text(ARG(1), env);
        const char *rep = sinspace__sx_text(ARG(2), env);
        int all = sinspace__sx_truth(ARG(3));
        if (!s || !pat || !rep)
            return v_null();
        if (!*pat)
            return v_str(s);
        char tmp[1024];
        size_t at = 0, pl = strlen(pat), rl = strlen(rep);
        int done = 0;
        while (*s && at + 1 < sizeof tmp) {
            if (!done && !strncmp(s, pat, pl)) {
                size_t k = rl < sizeof tmp - 1 - at ? rl : sizeof tmp - 1 - at;
                memcpy(tmp + at, rep, k);
                at += k;
                s += pl;
                if (!all)
                    done = 1;
            } else {
                tmp[at++] = *s++;
            }
        }
        return str_copy(env, tmp, at);
    }
    case F_STARTS:
    case F_ENDS:
    case F_INDEXOF: {
        const char *s = sinspace__sx_text(ARG(0), env);
        const char *t = sinspace__sx_text(ARG(1), env);
        if (!s || !t)
            return v_null();
        size_t ls = strlen(s), lt = strlen(t);
        if (e->fn->id == F_STARTS)
            return v_bool(!strncmp(s, t, lt));
        if (e->fn->id == F_ENDS)
            return v_bool(ls >= lt && !strcmp(s + ls - lt, t));
        const char *f = strstr(s, t);
        return v_num(f ? (double)u8_len(s) - (double)u8_len(f) : -1);
    }
    case F_IF:
        return sinspace__sx_truth(ARG(0)) ? ARG(1) : ARG(2);
    case F_CATEGORIZE:
        return categorize(e, env);
    case F_INTERPOLATE:
        return interpolate(e, env);
    case F_RECODE: {
        sx_value x = ARG(0);
        if (x.kind == SXV_NULL)
            return v_null();
        for (size_t i = 1; i + 1 < e->n_args; i += 2)
            if (sinspace__sx_compare(x, ARG(i), 1, env) == 0)
                return ARG(i + 1);
        return v_null();
    }
    case F_ENV: {
        const char *name = sinspace__sx_text(ARG(0), env);
        if (name && (!strcmp(name, "wms_scale_denominator") ||
                     !strcmp(name, "scale_denominator")) && isfinite(env->scale))
            return v_num(env->scale);
        return e->n_args > 1 ? ARG(1) : v_null();
    }
    case F_PROPERTY: {
        const char *name = sinspace__sx_text(ARG(0), env);
        return name ? v_str(attr_of(env, name)) : v_null();
    }
    case F_EQ:
    case F_NE:
    case F_LT:
    case F_LE:
    case F_GT:
    case F_GE: {
        int c = sinspace__sx_compare(ARG(0), ARG(1), 1, env);
        if (c == 2)
            return e->fn->id == F_NE ? v_bool(1) : v_bool(0);
        switch (e->fn->id) {
        case F_EQ: return v_bool(c == 0);
        case F_NE: return v_bool(c != 0);
        case F_LT: return v_bool(c < 0);
        case F_LE: return v_bool(c <= 0);
        case F_GT: return v_bool(c > 0);
        default: return v_bool(c >= 0);
        }
    }
    case F_BETWEEN: {
        int a = sinspace__sx_compare(ARG(0), ARG(1), 1, env);
        int b = sinspace__sx_compare(ARG(0), ARG(2), 1, env);
        return v_bool(a != 2 && b != 2 && a >= 0 && b <= 0);
    }
    case F_ISNULL:
        return v_bool(ARG(0).kind == SXV_NULL);
    case F_NOT:
        return v_bool(!sinspace__sx_truth(ARG(0)));
    case F_AND:
        return v_bool(sinspace__sx_truth(ARG(0)) && sinspace__sx_truth(ARG(1)));
    case F_OR:
        return v_bool(sinspace__sx_truth(ARG(0)) || sinspace__sx_truth(ARG(1)));
    case F_IN: {
        sx_value x = ARG(0);
        for (size_t i = 1; i < e->n_args; i++)
            if (sinspace__sx_compare(x, ARG(i), 1, env) == 0)
                return v_bool(1);
        return v_bool(0);
    }
    case F_COALESCE:
        for (size_t i = 0; i < e->n_args; i++) {
            sx_value v = ARG(i);
            if (v.kind != SXV_NULL)
                return v;
        }
        return v_null();
    case F_ABS: case F_CEIL: case F_FLOOR: case F_ROUND: case F_SQRT:
    case F_EXP: case F_LOG: case F_TODEG: case F_TORAD: case F_PARSE_DOUBLE:
    case F_PARSE_INT: {
        double d = num_arg(e, 0, env, &ok);
        if (!ok)
            return v_null();
        switch (e->fn->id) {
        case F_ABS: return v_num(fabs(d));
        case F_CEIL: return v_num(ceil(d));
        case F_FLOOR: return v_num(floor(d));
        case F_ROUND: return v_num(round(d));
        case F_SQRT: return d < 0 ? v_null() : v_num(sqrt(d));
        case F_EXP: return v_num(exp(d));
        case F_LOG: return d <= 0 ? v_null() : v_num(log(d));
        case F_TODEG: return v_num(d * 180 / M_PI);
        case F_TORAD: return v_num(d * M_PI / 180);
        case F_PARSE_INT: return v_num(trunc(d));
        default: return v_num(d);
        }
    }
    case F_POW: {
        double a = num_arg(e, 0, env, &ok), b = num_arg(e, 1, env, &ok);
        return ok ? v_num(pow(a, b)) : v_null();
    }
    case F_MIN:
    case F_MAX: {
        double best = 0;
        for (size_t i = 0; i < e->n_args; i++) {
            double d = num_arg(e, i, env, &ok);
            if (!ok)
                return v_null();
            if (i == 0 || (e->fn->id == F_MIN ? d < best : d > best))
                best = d;
        }
        return v_num(best);
    }
    case F_NUMBER_FORMAT:
        return number_format(e, env);
    case F_PI:
        return v_num(M_PI);
    }
    return v_null();
}

#undef ARG

/* ---- reading ------------------------------------------------------------ */

void
sinspace__sx_properties(const sinspace_style_expr *e,
                        void (*fn)(void *, const char *), void *user)
{
    if (!e)
        return;
    if (e->op == SX_PROP)
        fn(user, e->text);
    if (e->op == SX_FUNC && e->fn->id == F_PROPERTY && e->n_args == 1 &&
        e->args[0]->op == SX_LIT)
        fn(user, e->args[0]->text);
    for (size_t i = 0; i < e->n_args; i++)
        sinspace__sx_properties(e->args[i], fn, user);
}

static int
put(char **s, size_t *len, size_t *cap, const char *t)
{
    size_t n = strlen(t);
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *p = realloc(*s, nc);
        if (!p)
            return -1;
        *s = p;
        *cap = nc;
    }
    memcpy(*s + *len, t, n + 1);
    *len += n;
    return 0;
}

int
sinspace__sx_describe(const sinspace_style_expr *e, char **s, size_t *len,
                      size_t *cap)
{
    if (!*s && put(s, len, cap, "") < 0)
        return -1;
    if (!e)
        return put(s, len, cap, "?");
    switch (e->op) {
    case SX_PROP:
        return put(s, len, cap, e->text);
    case SX_LIT:
        if (e->lit_is_num)
            return put(s, len, cap, e->text);
        if (put(s, len, cap, "'") < 0 || put(s, len, cap, e->text) < 0)
            return -1;
        return put(s, len, cap, "'");
    case SX_ADD:
    case SX_SUB:
    case SX_MUL:
    case SX_DIV: {
        const char *op = e->op == SX_ADD ? " + " : e->op == SX_SUB ? " - "
                         : e->op == SX_MUL ? " * " : " / ";
        if (put(s, len, cap, "(") < 0 || sinspace__sx_describe(e->args[0], s, len, cap) < 0 ||
            put(s, len, cap, op) < 0 || sinspace__sx_describe(e->args[1], s, len, cap) < 0)
            return -1;
        return put(s, len, cap, ")");
    }
    case SX_CONCAT:
    case SX_FUNC:
        if (put(s, len, cap, e->op == SX_FUNC ? e->fn->name : "concat") < 0 ||
            put(s, len, cap, "(") < 0)
            return -1;
        for (size_t i = 0; i < e->n_args; i++)
            if ((i && put(s, len, cap, ", ") < 0) ||
                sinspace__sx_describe(e->args[i], s, len, cap) < 0)
                return -1;
        return put(s, len, cap, ")");
    }
    return 0;
}

char *
sinspace_style_expr_describe(const sinspace_style_expr *e)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    if (sinspace__sx_describe(e, &s, &len, &cap) < 0) {
        free(s);
        return NULL;
    }
    return s;
}
