/* style.c: OGC SLD 1.0 / SE 1.1 styles (see sinspace/style.h).
 *
 * libxml2 parses the document with the network off and no entity
 * substitution or DTD loading; a DOCTYPE that declares entities is refused
 * outright, so an SLD cannot make us read files or hosts.  The tree is then
 * walked once into plain structs: rules, their filters (a small expression
 * tree evaluated against a feature's text attributes) and symbolizers.
 * Elements we do not know are logged as warnings with their line and
 * skipped; values we cannot use (colours, opacities, numbers) and filter
 * operators we cannot evaluate fail the load, because a style that silently
 * draws a high-risk workplace in the low-risk colour is worse than none.
 * External graphics must resolve inside the style's folder. */
#include "core/sinspaceInt.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The biggest SLD we read: hand-written and QGIS styles are kilobytes. */
#define MAX_SLD_BYTES (32u << 20)
/* Nesting of And/Or/Not beyond this is refused (stack safety). */
#define MAX_FILTER_DEPTH 64

/* ---------------------------------------------------------------------
 * Filters
 * --------------------------------------------------------------------- */

typedef enum filter_op {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_BETWEEN, OP_LIKE, OP_NULL, OP_AND, OP_OR, OP_NOT
} filter_op;

/* An operand: a property name or a literal. */
typedef struct expr {
    int is_property;
    char *text;
} expr;

typedef struct filter {
    filter_op op;
    expr a, b, c;          /* comparisons a ? b; between: a in [b, c] */
    int match_case;
    /* Like: the pattern and its special characters. */
    char wild, single, escape;
    struct filter **kids;  /* And, Or, Not */
    size_t n_kids;
} filter;

static void
filter_free(filter *f)
{
    if (!f)
        return;
    free(f->a.text);
    free(f->b.text);
    free(f->c.text);
    for (size_t i = 0; i < f->n_kids; i++)
        filter_free(f->kids[i]);
    free(f->kids);
    free(f);
}

/* ---------------------------------------------------------------------
 * The style
 * --------------------------------------------------------------------- */

typedef struct rule_extra {
    filter *filter;
    int fts; /* which FeatureTypeStyle: ElseFilter scope */
} rule_extra;

struct sinspace_style {
    char *name, *title;
    sinspace_style_rule *rules;
    rule_extra *extra;
    size_t n_rules, cap_rules;
    /* Every string the rules and symbolizers point at. */
    char **strings;
    size_t n_strings, cap_strings;
};

void
sinspace_style_destroy(sinspace_style *style)
{
    if (!style)
        return;
    for (size_t i = 0; i < style->n_rules; i++) {
        free((void *)style->rules[i].symbolizers);
        filter_free(style->extra[i].filter);
    }
    free(style->rules);
    free(style->extra);
    for (size_t i = 0; i < style->n_strings; i++)
        free(style->strings[i]);
    free(style->strings);
    free(style->name);
    free(style->title);
    free(style);
}

/* Keeps a copy of s in the style; NULL on failure or for NULL. */
static const char *
keep(sinspace_style *style, const char *s)
{
    if (!s)
        return NULL;
    if (style->n_strings == style->cap_strings) {
        size_t cap = style->cap_strings ? style->cap_strings * 2 : 32;
        char **p = realloc(style->strings, cap * sizeof *p);
        if (!p)
            return NULL;
        style->strings = p;
        style->cap_strings = cap;
    }
    char *d = sinspace__strdup(s);
    if (d)
        style->strings[style->n_strings++] = d;
    return d;
}

/* ---------------------------------------------------------------------
 * Parsing
 * --------------------------------------------------------------------- */

typedef struct parser {
    sinspace_context *ctx;
    sinspace_style *style;
    const char *name;   /* for messages */
    char *base_dir;     /* realpath of the folder graphics must be in; NULL */
    int fts;
} parser;

/* The local name of an element, without its prefix. */
static const char *
lname(const xmlNode *n)
{
    return (const char *)n->name;
}

static int
is(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp(lname(n), local);
}

static long
line_of(const xmlNode *n)
{
    return xmlGetLineNo(n);
}

/* "se:Foo" or "Foo", for messages. */
static void
qname(const xmlNode *n, char *buf, size_t size)
{
    if (n->ns && n->ns->prefix)
        snprintf(buf, size, "%s:%s", (const char *)n->ns->prefix, lname(n));
    else
        snprintf(buf, size, "%s", lname(n));
}

static void
warn_unknown(parser *p, const xmlNode *n, const char *where)
{
    char q[128];
    qname(n, q, sizeof q);
    sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                  "%s:%ld: unknown element <%s> in %s ignored", p->name,
                  line_of(n), q, where);
}

static void
warn_ignored(parser *p, const xmlNode *n, const char *why)
{
    char q[128];
    qname(n, q, sizeof q);
    xmlChar *attr = xmlGetProp(n, (const xmlChar *)"name");
    sinspace__log(p->ctx, SINSPACE_LOG_WARNING, "%s:%ld: <%s%s%s%s> %s",
                  p->name, line_of(n), q, attr ? " name=\"" : "",
                  attr ? (const char *)attr : "", attr ? "\"" : "", why);
    xmlFree(attr);
}

static sinspace_status
bad(parser *p, const xmlNode *n, const char *what, const char *value)
{
    char shown[80];
    size_t len = value ? strlen(value) : 0;
    /* Do not echo a huge value into the message. */
    snprintf(shown, sizeof shown, "%.60s%s", value ? value : "",
             len > 60 ? "..." : "");
    return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s '%s'",
                           p->name, line_of(n), what, shown);
}

static sinspace_status
no_memory(parser *p)
{
    return sinspace__error(p->ctx, SINSPACE_NO_MEMORY, "out of memory");
}

/* The element's text with surrounding white space removed; free() it.
 * Mixed content (e.g. an ogc:Literal inside) is concatenated. */
static char *
text_of(const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    if (!c)
        return sinspace__strdup("");
    const char *s = (const char *)c;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    xmlFree(c);
    return out;
}

static int
parse_number(const char *s, double *out)
{
    char *end;
    /* Decimal only: strtod would also take "0x10", "inf" and "nan". */
    if (strpbrk(s, "xXiInN"))
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

static sinspace_status
number_of(parser *p, const xmlNode *n, const char *what, double min, double max,
          double *out)
{
    char *t = text_of(n);
    if (!t)
        return no_memory(p);
    double v;
    sinspace_status st = SINSPACE_OK;
    if (parse_number(t, &v) < 0 || v < min || v > max) {
        char msg[128];
        if (isinf(max))
            snprintf(msg, sizeof msg, "bad %s (a number, at least %g)", what, min);
        else
            snprintf(msg, sizeof msg, "bad %s (a number from %g to %g)", what,
                     min, max);
        st = bad(p, n, msg, t);
    } else {
        *out = v;
    }
    free(t);
    return st;
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

static int
parse_color(const char *s, sinspace_rgba *out)
{
    if (strlen(s) != 7 || s[0] != '#')
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

/* A CssParameter / SvgParameter's name, or NULL for other elements. */
static xmlChar *
param_name(const xmlNode *n)
{
    if (!is(n, "CssParameter") && !is(n, "SvgParameter"))
        return NULL;
    return xmlGetProp(n, (const xmlChar *)"name");
}

/* The parameter's value; a parameter computed from a property (an
 * ogc:PropertyName inside) is not supported: warned about, *out NULL. */
static sinspace_status
param_value(parser *p, const xmlNode *n, char **out)
{
    *out = NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !is(c, "Literal")) {
            warn_ignored(p, n, "computed from an expression: not supported, ignored");
            return SINSPACE_OK;
        }
    if (!(*out = text_of(n)))
        return no_memory(p);
    return SINSPACE_OK;
}

static sinspace_status
param_color(parser *p, const xmlNode *n, const char *value, sinspace_rgba *c)
{
    double a = c->a;
    if (parse_color(value, c) < 0)
        return bad(p, n, "bad colour (expected #rrggbb)", value);
    c->a = a;
    return SINSPACE_OK;
}

static sinspace_status
param_number(parser *p, const xmlNode *n, const char *what, const char *value,
             double min, double max, double *out)
{
    double v;
    if (parse_number(value, &v) < 0 || v < min || v > max) {
        char msg[128];
        if (isinf(max))
            snprintf(msg, sizeof msg, "bad %s (a number, at least %g)", what, min);
        else
            snprintf(msg, sizeof msg, "bad %s (a number from %g to %g)", what,
                     min, max);
        return bad(p, n, msg, value);
    }
    *out = v;
    return SINSPACE_OK;
}

/* Fill: fill, fill-opacity.  A GraphicFill is not supported. */
static sinspace_status
parse_fill(parser *p, const xmlNode *fill, sinspace_rgba *color)
{
    color->r = color->g = color->b = 128 / 255.0; /* SLD default grey */
    color->a = 1.0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = fill->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            if (is(c, "GraphicFill"))
                warn_ignored(p, c, "not supported, ignored");
            else
                warn_unknown(p, c, "Fill");
            continue;
        }
        char *v = NULL;
        st = param_value(p, c, &v);
        if (!st && v) {
            if (!strcmp((char *)name, "fill"))
                st = param_color(p, c, v, color);
            else if (!strcmp((char *)name, "fill-opacity"))
                st = param_number(p, c, "fill-opacity", v, 0, 1, &color->a);
            else
                warn_ignored(p, c, "unknown fill parameter, ignored");
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static sinspace_status
parse_dasharray(parser *p, const xmlNode *n, const char *v, sinspace_stroke *s)
{
    const char *q = v;
    s->n_dash = 0;
    while (*q) {
        while (*q && (isspace((unsigned char)*q) || *q == ','))
            q++;
        if (!*q)
            break;
        char *end;
        errno = 0;
        double d = strtod(q, &end);
        if (end == q || errno || !isfinite(d) || d < 0)
            return bad(p, n, "bad stroke-dasharray (non-negative numbers)", v);
        if (s->n_dash == (int)(sizeof s->dash / sizeof s->dash[0]))
            return bad(p, n, "stroke-dasharray has more than 8 values", v);
        s->dash[s->n_dash++] = d;
        q = end;
    }
    if (s->n_dash == 1) { /* "4" means 4 on, 4 off */
        s->dash[1] = s->dash[0];
        s->n_dash = 2;
    }
    double total = 0;
    for (int i = 0; i < s->n_dash; i++)
        total += s->dash[i];
    if (s->n_dash && total <= 0)
        return bad(p, n, "stroke-dasharray is all zeros", v);
    return SINSPACE_OK;
}

/* Stroke: stroke, stroke-width, stroke-opacity, stroke-dasharray; joins
 * and caps are accepted and left to the renderer's defaults. */
static sinspace_status
parse_stroke(parser *p, const xmlNode *stroke, sinspace_stroke *s)
{
    memset(s, 0, sizeof *s);
    s->enabled = 1;
    s->color.a = 1.0; /* black */
    s->width = 1.0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = stroke->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            if (is(c, "GraphicStroke") || is(c, "GraphicFill"))
                warn_ignored(p, c, "not supported, ignored");
            else
                warn_unknown(p, c, "Stroke");
            continue;
        }
        char *v = NULL;
        st = param_value(p, c, &v);
        const char *nm = (const char *)name;
        if (!st && v) {
            if (!strcmp(nm, "stroke"))
                st = param_color(p, c, v, &s->color);
            else if (!strcmp(nm, "stroke-width"))
                st = param_number(p, c, "stroke-width", v, 0, INFINITY, &s->width);
            else if (!strcmp(nm, "stroke-opacity"))
                st = param_number(p, c, "stroke-opacity", v, 0, 1, &s->color.a);
            else if (!strcmp(nm, "stroke-dasharray"))
                st = parse_dasharray(p, c, v, s);
            else if (strcmp(nm, "stroke-linejoin") && strcmp(nm, "stroke-linecap") &&
                     strcmp(nm, "stroke-dashoffset"))
                warn_ignored(p, c, "unknown stroke parameter, ignored");
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static void
symbolizer_defaults(sinspace_symbolizer *s, sinspace_symbolizer_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->mark = SINSPACE_MARK_SQUARE; /* SLD's default mark */
    s->size = 6.0;
    s->anchor_x = s->anchor_y = 0.5;
    s->halo_fill.r = s->halo_fill.g = s->halo_fill.b = s->halo_fill.a = 1.0;
    s->font_size = 10.0;
}

/* Only a folder name path: is "a/../.." escaping upward? */
static int
escapes_upward(const char *href)
{
    int depth = 0;
    const char *s = href;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return 1;
        } else if (len && !(len == 1 && s[0] == '.')) {
            depth++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static int
has_scheme(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    const char *q = s + 1;
    while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
        q++;
    return *q == ':';
}

static int
inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return 1;
    return !strncmp(dir, path, n) && path[n] == '/';
}

/* Resolves an ExternalGraphic's href inside the allowed folder. */
static sinspace_status
resolve_graphic(parser *p, const xmlNode *n, const char *href, char **out)
{
    if (!*href)
        return bad(p, n, "empty ExternalGraphic href", href);
    if (has_scheme(href))
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: only "
                               "files inside the style's folder are read, not URLs",
                               p->name, line_of(n), href);
    if (!p->base_dir)
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: no "
                               "folder given to read graphics from",
                               p->name, line_of(n), href);
    if (href[0] != '/' && escapes_upward(href))
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: it "
                               "leaves the style's folder %s",
                               p->name, line_of(n), href, p->base_dir);
    size_t len = strlen(p->base_dir) + strlen(href) + 2;
    char *joined = malloc(len);
    if (!joined)
        return no_memory(p);
    if (href[0] == '/')
        snprintf(joined, len, "%s", href);
    else
        snprintf(joined, len, "%s/%s", p->base_dir, href);
    char *real = realpath(joined, NULL);
    free(joined);
    if (real && !inside(p->base_dir, real)) {
        free(real);
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: it "
                               "is outside the style's folder %s",
                               p->name, line_of(n), href, p->base_dir);
    }
    if (!real) {
        if (href[0] == '/')
            return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                                   "%s:%ld: external graphic '%.200s' refused: "
                                   "it is outside the style's folder %s",
                                   p->name, line_of(n), href, p->base_dir);
        return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: external graphic '%.200s' not found in %s",
                               p->name, line_of(n), href, p->base_dir);
    }
    struct stat sb;
    if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        free(real);
        return bad(p, n, "external graphic is not a file", href);
    }
    *out = real;
    return SINSPACE_OK;
}

static const char *
format_from_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".svg"))
        return "image/svg+xml";
    if (dot && !strcasecmp(dot, ".png"))
        return "image/png";
    return NULL;
}

static sinspace_status
parse_external_graphic(parser *p, const xmlNode *eg, sinspace_symbolizer *s)
{
    char *href = NULL, *format = NULL;
    const xmlNode *res = NULL;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = eg->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "OnlineResource")) {
            xmlChar *h = xmlGetNsProp(c, (const xmlChar *)"href",
                                      (const xmlChar *)"http://www.w3.org/1999/xlink");
            if (!h)
                h = xmlGetProp(c, (const xmlChar *)"href");
            free(href);
            href = h ? sinspace__strdup((const char *)h) : sinspace__strdup("");
            xmlFree(h);
            res = c;
            if (!href)
                st = no_memory(p);
        } else if (is(c, "Format")) {
            free(format);
            if (!(format = text_of(c)))
                st = no_memory(p);
        } else if (is(c, "InlineContent")) {
            warn_ignored(p, c, "inline graphics are not supported, ignored");
        } else {
            warn_unknown(p, c, "ExternalGraphic");
        }
    }
    if (!st && !res)
        st = bad(p, eg, "ExternalGraphic without OnlineResource", "");
    char *real = NULL;
    if (!st)
        st = resolve_graphic(p, res, href, &real);
    if (!st) {
        const char *fmt = NULL;
        if (format && (!strcmp(format, "image/svg+xml") || !strcmp(format, "image/svg")))
            fmt = "image/svg+xml";
        else if (format && !strcmp(format, "image/png"))
            fmt = "image/png";
        else if (!format || !*format)
            fmt = format_from_name(real);
        if (!fmt)
            st = bad(p, eg, "unsupported graphic format (SVG or PNG)",
                     format && *format ? format : href);
        else if (!(s->graphic_path = keep(p->style, real)) ||
                 !(s->graphic_format = keep(p->style, fmt)))
            st = no_memory(p);
        else
            s->mark = SINSPACE_MARK_GRAPHIC;
    }
    free(real);
    free(href);
    free(format);
    return st;
}

static const struct {
    const char *name;
    sinspace_mark mark;
} marks[] = {
    {"circle", SINSPACE_MARK_CIRCLE}, {"square", SINSPACE_MARK_SQUARE},
    {"triangle", SINSPACE_MARK_TRIANGLE}, {"star", SINSPACE_MARK_STAR},
    {"cross", SINSPACE_MARK_CROSS}, {"x", SINSPACE_MARK_X},
};

static sinspace_status
parse_mark(parser *p, const xmlNode *m, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    int has_fill = 0, has_stroke = 0;
    s->mark = SINSPACE_MARK_SQUARE;
    for (const xmlNode *c = m->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "WellKnownName")) {
            char *t = text_of(c);
            if (!t)
                return no_memory(p);
            size_t i;
            for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
                if (!strcasecmp(t, marks[i].name))
                    break;
            if (i < sizeof marks / sizeof marks[0]) {
                s->mark = marks[i].mark;
            } else {
                sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                              "%s:%ld: mark '%.60s' not supported (circle, "
                              "square, triangle, star, cross, x); drawn as a "
                              "square", p->name, line_of(c), t);
                s->mark = SINSPACE_MARK_SQUARE;
            }
            free(t);
        } else if (is(c, "Fill")) {
            has_fill = 1;
            st = parse_fill(p, c, &s->fill);
        } else if (is(c, "Stroke")) {
            has_stroke = 1;
            st = parse_stroke(p, c, &s->stroke);
        } else {
            warn_unknown(p, c, "Mark");
        }
    }
    /* SLD: a Mark without Fill and Stroke is grey with a black outline. */
    if (!has_fill && !has_stroke) {
        s->has_fill = 1;
        s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
        s->fill.a = 1.0;
        s->stroke.enabled = 1;
        s->stroke.color.a = 1.0;
        s->stroke.width = 1.0;
    } else {
        s->has_fill = has_fill;
    }
    return st;
}

static sinspace_status
parse_graphic(parser *p, const xmlNode *g, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    int have_symbol = 0;
    double opacity = 1.0;
    for (const xmlNode *c = g->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Mark") || is(c, "ExternalGraphic")) {
            /* SLD: the first usable one wins. */
            if (have_symbol)
                continue;
            have_symbol = 1;
            st = is(c, "Mark") ? parse_mark(p, c, s)
                               : parse_external_graphic(p, c, s);
        } else if (is(c, "Size")) {
            st = number_of(p, c, "Size", 0, INFINITY, &s->size);
        } else if (is(c, "Rotation")) {
            st = number_of(p, c, "Rotation", -INFINITY, INFINITY, &s->rotation);
        } else if (is(c, "Opacity")) {
            st = number_of(p, c, "Opacity", 0, 1, &opacity);
        } else if (is(c, "Displacement") || is(c, "AnchorPoint")) {
            warn_ignored(p, c, "not supported for points, ignored");
        } else {
            warn_unknown(p, c, "Graphic");
        }
    }
    if (!st && !have_symbol) {
        /* SLD: a Graphic with neither is the default square mark. */
        s->mark = SINSPACE_MARK_SQUARE;
        s->has_fill = 1;
        s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
        s->fill.a = 1.0;
        s->stroke.enabled = 1;
        s->stroke.color.a = 1.0;
        s->stroke.width = 1.0;
    }
    s->fill.a *= opacity;
    s->stroke.color.a *= opacity;
    return st;
}

static sinspace_status
parse_point_placement(parser *p, const xmlNode *pp, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = pp->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "AnchorPoint")) {
            for (const xmlNode *d = c->children; d && !st; d = d->next) {
                if (d->type != XML_ELEMENT_NODE)
                    continue;
                if (is(d, "AnchorPointX"))
                    st = number_of(p, d, "AnchorPointX", 0, 1, &s->anchor_x);
                else if (is(d, "AnchorPointY"))
                    st = number_of(p, d, "AnchorPointY", 0, 1, &s->anchor_y);
                else
                    warn_unknown(p, d, "AnchorPoint");
            }
        } else if (is(c, "Displacement")) {
            for (const xmlNode *d = c->children; d && !st; d = d->next) {
                if (d->type != XML_ELEMENT_NODE)
                    continue;
                if (is(d, "DisplacementX"))
                    st = number_of(p, d, "DisplacementX", -INFINITY, INFINITY,
                                   &s->displacement_x);
                else if (is(d, "DisplacementY"))
                    st = number_of(p, d, "DisplacementY", -INFINITY, INFINITY,
                                   &s->displacement_y);
                else
                    warn_unknown(p, d, "Displacement");
            }
        } else if (is(c, "Rotation")) {
            st = number_of(p, c, "Rotation", -INFINITY, INFINITY, &s->rotation);
        } else {
            warn_unknown(p, c, "PointPlacement");
        }
    }
    return st;
}

static sinspace_status
parse_font(parser *p, const xmlNode *f, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = f->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            warn_unknown(p, c, "Font");
            continue;
        }
        char *v = NULL;
        st = param_value(p, c, &v);
        const char *nm = (const char *)name;
        if (!st && v) {
            if (!strcmp(nm, "font-family")) {
                if (!*v)
                    st = bad(p, c, "empty font-family", v);
                else if (!(s->font_family = keep(p->style, v)))
                    st = no_memory(p);
            } else if (!strcmp(nm, "font-size")) {
                st = param_number(p, c, "font-size", v, 0, 1000, &s->font_size);
            } else if (!strcmp(nm, "font-weight")) {
                double w;
                if (!strcasecmp(v, "bold") || !strcasecmp(v, "bolder"))
                    s->font_bold = 1;
                else if (!strcasecmp(v, "normal") || !strcasecmp(v, "lighter"))
                    s->font_bold = 0;
                else if (parse_number(v, &w) == 0 && w >= 1 && w <= 1000)
                    s->font_bold = w >= 600;
                else
                    st = bad(p, c, "bad font-weight (normal or bold)", v);
            } else if (!strcmp(nm, "font-style")) {
                if (!strcasecmp(v, "italic") || !strcasecmp(v, "oblique"))
                    s->font_italic = 1;
                else if (!strcasecmp(v, "normal"))
                    s->font_italic = 0;
                else
                    st = bad(p, c, "bad font-style (normal, italic or oblique)", v);
            } else {
                warn_ignored(p, c, "unknown font parameter, ignored");
            }
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static sinspace_status
parse_halo(parser *p, const xmlNode *h, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    s->halo_radius = 1.0; /* SLD default */
    s->halo_fill.r = s->halo_fill.g = s->halo_fill.b = s->halo_fill.a = 1.0;
    for (const xmlNode *c = h->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Radius"))
            st = number_of(p, c, "halo Radius", 0, 1000, &s->halo_radius);
        else if (is(c, "Fill")) {
            st = parse_fill(p, c, &s->halo_fill);
        } else
            warn_unknown(p, c, "Halo");
    }
    return st;
}

static sinspace_status
parse_label(parser *p, const xmlNode *l, sinspace_symbolizer *s)
{
    for (const xmlNode *c = l->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "PropertyName")) {
            if (s->label_property) {
                warn_ignored(p, c, "a second property in a label, ignored");
                continue;
            }
            char *t = text_of(c);
            if (!t)
                return no_memory(p);
            if (!*t) {
                free(t);
                return bad(p, c, "empty ogc:PropertyName in Label", "");
            }
            s->label_property = keep(p->style, t);
            free(t);
            if (!s->label_property)
                return no_memory(p);
        } else {
            warn_ignored(p, c, "in a Label is not supported, ignored");
        }
    }
    if (!s->label_property)
        sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                      "%s:%ld: Label without ogc:PropertyName: nothing to "
                      "draw", p->name, line_of(l));
    return SINSPACE_OK;
}

static void
check_uom(parser *p, const xmlNode *sym)
{
    xmlChar *uom = xmlGetProp(sym, (const xmlChar *)"uom");
    if (uom && !strstr((const char *)uom, "/pixel"))
        sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                      "%s:%ld: uom '%s' not supported: sizes read as pixels",
                      p->name, line_of(sym), (const char *)uom);
    xmlFree(uom);
}

/* Parses one symbolizer element; *kind_known is 0 if it is not one. */
static sinspace_status
parse_symbolizer(parser *p, const xmlNode *n, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    check_uom(p, n);
    if (is(n, "PointSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_POINT);
        int have_graphic = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Graphic")) {
                have_graphic = 1;
                st = parse_graphic(p, c, s);
            } else if (is(c, "Geometry") || is(c, "VendorOption")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "PointSymbolizer");
            }
        }
        if (!st && !have_graphic) {
            s->has_fill = 1;
            s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
            s->fill.a = 1.0;
            s->stroke.enabled = 1;
            s->stroke.color.a = 1.0;
            s->stroke.width = 1.0;
        }
    } else if (is(n, "LineSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_LINE);
        int have_stroke = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Stroke")) {
                have_stroke = 1;
                st = parse_stroke(p, c, &s->stroke);
            } else if (is(c, "Geometry") || is(c, "PerpendicularOffset") ||
                       is(c, "VendorOption")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "LineSymbolizer");
            }
        }
        if (!have_stroke) { /* SLD: default 1 px black line */
            s->stroke.enabled = 1;
            s->stroke.color.a = 1.0;
            s->stroke.width = 1.0;
        }
    } else if (is(n, "PolygonSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_POLYGON);
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Fill")) {
                s->has_fill = 1;
                st = parse_fill(p, c, &s->fill);
            } else if (is(c, "Stroke")) {
                st = parse_stroke(p, c, &s->stroke);
            } else if (is(c, "Geometry") || is(c, "Displacement") ||
                       is(c, "PerpendicularOffset") || is(c, "VendorOption")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "PolygonSymbolizer");
            }
        }
    } else {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_TEXT);
        s->has_fill = 1; /* black text */
        s->fill.a = 1.0;
        s->halo_radius = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Label")) {
                st = parse_label(p, c, s);
            } else if (is(c, "Font")) {
                st = parse_font(p, c, s);
            } else if (is(c, "LabelPlacement")) {
                for (const xmlNode *d = c->children; d && !st; d = d->next) {
                    if (d->type != XML_ELEMENT_NODE)
                        continue;
                    if (is(d, "PointPlacement"))
                        st = parse_point_placement(p, d, s);
                    else if (is(d, "LinePlacement"))
                        warn_ignored(p, d, "not supported: labels are placed at points");
                    else
                        warn_unknown(p, d, "LabelPlacement");
                }
            } else if (is(c, "Halo")) {
                st = parse_halo(p, c, s);
            } else if (is(c, "Fill")) {
                st = parse_fill(p, c, &s->fill);
            } else if (is(c, "Geometry") || is(c, "VendorOption") ||
                       is(c, "Priority") || is(c, "Graphic")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "TextSymbolizer");
            }
        }
    }
    return st;
}

static int
is_symbolizer(const xmlNode *n)
{
    return is(n, "PointSymbolizer") || is(n, "LineSymbolizer") ||
           is(n, "PolygonSymbolizer") || is(n, "TextSymbolizer");
}

/* --- filters ----------------------------------------------------------- */

static sinspace_status parse_filter_op(parser *p, const xmlNode *n, int depth,
                                       filter **out);

static const struct {
    const char *name;
    filter_op op;
} comparisons[] = {
    {"PropertyIsEqualTo", OP_EQ}, {"PropertyIsNotEqualTo", OP_NE},
    {"PropertyIsLessThan", OP_LT}, {"PropertyIsLessThanOrEqualTo", OP_LE},
    {"PropertyIsGreaterThan", OP_GT}, {"PropertyIsGreaterThanOrEqualTo", OP_GE},
};

static sinspace_status
parse_expr(parser *p, const xmlNode *n, expr *e)
{
    if (is(n, "PropertyName") || is(n, "Literal")) {
        e->is_property = is(n, "PropertyName");
        if (!(e->text = text_of(n)))
            return no_memory(p);
        if (e->is_property && !*e->text)
            return bad(p, n, "empty ogc:PropertyName", "");
        return SINSPACE_OK;
    }
    char q[128];
    qname(n, q, sizeof q);
    return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                           "%s:%ld: <%s> not supported in a filter (only "
                           "ogc:PropertyName and ogc:Literal)",
                           p->name, line_of(n), q);
}

/* The element children of n, up to max; returns how many there are. */
static size_t
element_children(const xmlNode *n, const xmlNode **out, size_t max)
{
    size_t k = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (k < max)
                out[k] = c;
            k++;
        }
    return k;
}

static int
attr_is_false(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int f = v && (!strcasecmp((const char *)v, "false") || !strcmp((const char *)v, "0"));
    xmlFree(v);
    return f;
}

/* One character attribute of PropertyIsLike (wildCard, singleChar, escape
 * or SE's escapeChar), or def. */
static sinspace_status
like_char(parser *p, const xmlNode *n, const char *name, const char *alt,
          char def, char *out)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v && alt)
        v = xmlGetProp(n, (const xmlChar *)alt);
    if (!v) {
        *out = def;
        return SINSPACE_OK;
    }
    sinspace_status st = SINSPACE_OK;
    if (strlen((const char *)v) != 1 || (unsigned char)v[0] >= 0x80) {
        char what[96];
        snprintf(what, sizeof what, "PropertyIsLike %s must be one ASCII character", name);
        st = bad(p, n, what, (const char *)v);
    } else {
        *out = (char)v[0];
    }
    xmlFree(v);
    return st;
}

static sinspace_status
parse_filter_op(parser *p, const xmlNode *n, int depth, filter **out)
{
    if (depth > MAX_FILTER_DEPTH)
        return bad(p, n, "filter nested too deeply", lname(n));
    filter *f = calloc(1, sizeof *f);
    if (!f)
        return no_memory(p);
    f->match_case = !attr_is_false(n, "matchCase");
    const xmlNode *kids[3];
    size_t nk = element_children(n, kids, 3);
    sinspace_status st = SINSPACE_OK;
    size_t ci;
    for (ci = 0; ci < sizeof comparisons / sizeof comparisons[0]; ci++)
        if (is(n, comparisons[ci].name))
            break;
    if (ci < sizeof comparisons / sizeof comparisons[0]) {
        f->op = comparisons[ci].op;
        if (nk != 2)
            st = bad(p, n, "a comparison needs two operands", lname(n));
        else if (!(st = parse_expr(p, kids[0], &f->a)))
            st = parse_expr(p, kids[1], &f->b);
    } else if (is(n, "PropertyIsBetween")) {
        f->op = OP_BETWEEN;
        const xmlNode *lo = NULL, *hi = NULL, *ex = NULL;
        for (const xmlNode *c = n->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "LowerBoundary"))
                lo = c;
            else if (is(c, "UpperBoundary"))
                hi = c;
            else if (!ex)
                ex = c;
        }
        const xmlNode *lk[1], *hk[1];
        if (!ex || !lo || !hi || element_children(lo, lk, 1) != 1 ||
            element_children(hi, hk, 1) != 1)
            st = bad(p, n, "PropertyIsBetween needs an expression, "
                     "LowerBoundary and UpperBoundary", lname(n));
        else if (!(st = parse_expr(p, ex, &f->a)) && !(st = parse_expr(p, lk[0], &f->b)))
            st = parse_expr(p, hk[0], &f->c);
    } else if (is(n, "PropertyIsLike")) {
        f->op = OP_LIKE;
        if (nk != 2 || !is(kids[0], "PropertyName") || !is(kids[1], "Literal"))
            st = bad(p, n, "PropertyIsLike needs ogc:PropertyName then ogc:Literal",
                     lname(n));
        else if (!(st = parse_expr(p, kids[0], &f->a)) &&
                 !(st = parse_expr(p, kids[1], &f->b)) &&
                 !(st = like_char(p, n, "wildCard", NULL, '*', &f->wild)) &&
                 !(st = like_char(p, n, "singleChar", NULL, '?', &f->single)))
            st = like_char(p, n, "escape", "escapeChar", '\\', &f->escape);
        if (!st && (f->wild == f->single || f->wild == f->escape ||
                    f->single == f->escape))
            st = bad(p, n, "PropertyIsLike wildCard, singleChar and escape must "
                     "differ", lname(n));
    } else if (is(n, "PropertyIsNull")) {
        f->op = OP_NULL;
        if (nk != 1 || !is(kids[0], "PropertyName"))
            st = bad(p, n, "PropertyIsNull needs one ogc:PropertyName", lname(n));
        else
            st = parse_expr(p, kids[0], &f->a);
    } else if (is(n, "And") || is(n, "Or") || is(n, "Not")) {
        f->op = is(n, "And") ? OP_AND : is(n, "Or") ? OP_OR : OP_NOT;
        if (f->op == OP_NOT ? nk != 1 : nk < 1)
            st = bad(p, n, f->op == OP_NOT ? "Not needs one operand"
                                           : "And/Or need operands", lname(n));
        else if (!(f->kids = calloc(nk, sizeof *f->kids)))
            st = no_memory(p);
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            st = parse_filter_op(p, c, depth + 1, &f->kids[f->n_kids]);
            if (!st)
                f->n_kids++;
        }
    } else {
        char q[128];
        qname(n, q, sizeof q);
        /* An operator we cannot evaluate would change which features the
         * rule draws: refuse rather than guess. */
        st = sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: filter operator <%s> not supported",
                             p->name, line_of(n), q);
    }
    if (st) {
        filter_free(f);
        return st;
    }
    *out = f;
    return SINSPACE_OK;
}

/* --- rules ------------------------------------------------------------- */

static sinspace_status
parse_description(parser *p, const xmlNode *d, const char **title)
{
    for (const xmlNode *c = d->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Title")) {
            char *t = text_of(c);
            if (!t)
                return no_memory(p);
            *title = keep(p->style, t);
            free(t);
            if (!*title)
                return no_memory(p);
        } else if (!is(c, "Abstract")) {
            warn_unknown(p, c, "Description");
        }
    }
    return SINSPACE_OK;
}

static sinspace_status
keep_text(parser *p, const xmlNode *n, const char **out)
{
    char *t = text_of(n);
    if (!t)
        return no_memory(p);
    *out = keep(p->style, t);
    free(t);
    return *out ? SINSPACE_OK : no_memory(p);
}

static sinspace_status
parse_rule(parser *p, const xmlNode *r)
{
    sinspace_style *style = p->style;
    sinspace_style_rule rule;
    memset(&rule, 0, sizeof rule);
    rule.min_scale = 0;
    rule.max_scale = INFINITY;
    filter *flt = NULL;
    sinspace_symbolizer *syms = NULL;
    size_t n_syms = 0, cap = 0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = r->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Name")) {
            st = keep_text(p, c, &rule.name);
        } else if (is(c, "Title")) {
            st = keep_text(p, c, &rule.title);
        } else if (is(c, "Description")) {
            st = parse_description(p, c, &rule.title);
        } else if (is(c, "Abstract") || is(c, "LegendGraphic")) {
            /* legend graphics: the renderer draws its own */
        } else if (is(c, "Filter")) {
            const xmlNode *k[2];
            size_t nk = element_children(c, k, 2);
            if (rule.has_filter || rule.is_else)
                st = bad(p, c, "a rule has one Filter or ElseFilter", lname(c));
            else if (nk != 1)
                st = bad(p, c, "ogc:Filter needs exactly one operator", lname(c));
            else if (!(st = parse_filter_op(p, k[0], 0, &flt)))
                rule.has_filter = 1;
        } else if (is(c, "ElseFilter")) {
            if (rule.has_filter)
                st = bad(p, c, "a rule has one Filter or ElseFilter", lname(c));
            rule.is_else = 1;
        } else if (is(c, "MinScaleDenominator")) {
            st = number_of(p, c, "MinScaleDenominator", 0, INFINITY, &rule.min_scale);
        } else if (is(c, "MaxScaleDenominator")) {
            st = number_of(p, c, "MaxScaleDenominator", 0, INFINITY, &rule.max_scale);
        } else if (is_symbolizer(c)) {
            if (n_syms == cap) {
                cap = cap ? cap * 2 : 4;
                sinspace_symbolizer *q = realloc(syms, cap * sizeof *q);
                if (!q) {
                    st = no_memory(p);
                    break;
                }
                syms = q;
            }
            st = parse_symbolizer(p, c, &syms[n_syms]);
            if (!st)
                n_syms++;
        } else if (is(c, "VendorOption")) {
            warn_ignored(p, c, "not supported, ignored");
        } else {
            warn_unknown(p, c, "Rule");
        }
    }
    if (!st && rule.min_scale >= rule.max_scale)
        st = sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: rule %s: MinScaleDenominator %g is not "
                             "below MaxScaleDenominator %g", p->name,
                             line_of(r), rule.name ? rule.name : "",
                             rule.min_scale, rule.max_scale);
    if (!st && n_syms == 0)
        sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                      "%s:%ld: rule %s has no symbolizer: it draws nothing",
                      p->name, line_of(r), rule.name ? rule.name : "(unnamed)");
    if (!st && style->n_rules == style->cap_rules) {
        size_t nc = style->cap_rules ? style->cap_rules * 2 : 16;
        sinspace_style_rule *nr = realloc(style->rules, nc * sizeof *nr);
        if (nr)
            style->rules = nr;
        rule_extra *ne = nr ? realloc(style->extra, nc * sizeof *ne) : NULL;
        if (ne)
            style->extra = ne;
        if (!nr || !ne)
            st = no_memory(p);
        else
            style->cap_rules = nc;
    }
    if (st) {
        filter_free(flt);
        free(syms);
        return st;
    }
    if (!rule.title)
        rule.title = rule.name;
    rule.symbolizers = syms;
    rule.n_symbolizers = n_syms;
    style->rules[style->n_rules] = rule;
    style->extra[style->n_rules].filter = flt;
    style->extra[style->n_rules].fts = p->fts;
    style->n_rules++;
    return SINSPACE_OK;
}

static sinspace_status
parse_fts(parser *p, const xmlNode *fts)
{
    p->fts++;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = fts->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Rule"))
            st = parse_rule(p, c);
        else if (is(c, "VendorOption") || is(c, "Transformation"))
            warn_ignored(p, c, "not supported, ignored");
        else if (!is(c, "Name") && !is(c, "Title") && !is(c, "Abstract") &&
                 !is(c, "Description") && !is(c, "FeatureTypeName") &&
                 !is(c, "SemanticTypeIdentifier"))
            warn_unknown(p, c, "FeatureTypeStyle");
    }
    return st;
}

static sinspace_status
parse_user_style(parser *p, const xmlNode *us)
{
    sinspace_style *style = p->style;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = us->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "FeatureTypeStyle")) {
            st = parse_fts(p, c);
        } else if (is(c, "Name")) {
            if (!style->name) {
                char *t = text_of(c);
                if (!t || !(style->name = t))
                    st = no_memory(p);
            }
        } else if (is(c, "Title") || is(c, "Description")) {
            const char *title = NULL;
            if (is(c, "Title"))
                st = keep_text(p, c, &title);
            else
                st = parse_description(p, c, &title);
            if (!st && title && !style->title &&
                !(style->title = sinspace__strdup(title)))
                st = no_memory(p);
        } else if (!is(c, "Abstract") && !is(c, "IsDefault")) {
            warn_unknown(p, c, "UserStyle");
        }
    }
    return st;
}

static sinspace_status
parse_layer(parser *p, const xmlNode *layer)
{
    sinspace_style *style = p->style;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = layer->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Name")) {
            /* The layer's name names the style (QGIS: the layer). */
            char *t = text_of(c);
            if (!t)
                st = no_memory(p);
            else if (!style->name)
                style->name = t;
            else
                free(t);
        } else if (is(c, "UserStyle")) {
            st = parse_user_style(p, c);
        } else if (is(c, "NamedStyle")) {
            warn_ignored(p, c, "refers to a style on a server, ignored");
        } else if (!is(c, "Description") && !is(c, "LayerFeatureConstraints") &&
                   !is(c, "Title") && !is(c, "Abstract")) {
            warn_unknown(p, c, lname(layer));
        }
    }
    return st;
}

/* Refuses a DOCTYPE that declares entities or names an external DTD:
 * nothing was loaded (no NOENT, no DTDLOAD), but such a document is an
 * attack or a mistake, never a style. */
static sinspace_status
check_doctype(parser *p, xmlDocPtr doc)
{
    xmlDtdPtr dtd = doc->intSubset;
    if (doc->extSubset || (dtd && (dtd->entities || dtd->pentities ||
                                   dtd->ExternalID || dtd->SystemID)))
        return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                               "%s: a DOCTYPE declaring entities or an external "
                               "DTD is refused (SLD needs neither)", p->name);
    return SINSPACE_OK;
}

static void
xml_quiet(void *user, xmlErrorPtr error)
{
    (void)user;
    (void)error;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init_once(void)
{
    xmlInitParser();
}

static sinspace_status
load(sinspace_context *ctx, const char *xml, size_t size, const char *name,
     const char *base_dir, sinspace_style **out)
{
    if (size > INT_MAX || size > MAX_SLD_BYTES)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: too big for a style (%zu bytes)", name, size);
    pthread_once(&xml_once, xml_init_once);
    parser p = {ctx, NULL, name, NULL, 0};
    if (base_dir && !(p.base_dir = realpath(base_dir, NULL)))
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", base_dir, strerror(errno));
    sinspace_status st = SINSPACE_OK;
    xmlParserCtxtPtr pctx = xmlNewParserCtxt();
    if (!pctx || !(p.style = calloc(1, sizeof *p.style))) {
        free(p.base_dir);
        xmlFreeParserCtxt(pctx);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    /* Errors go to a handler of this parser context only (never to
     * stderr); the context still records the last one.  No network, no
     * entity substitution, no DTD loading or validation. */
    pctx->sax->serror = xml_quiet;
    pctx->vctxt.error = NULL;
    pctx->vctxt.warning = NULL;
    xmlDocPtr doc = xmlCtxtReadMemory(pctx, xml, (int)size, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc || !pctx->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(pctx);
        char msg[256] = "not well-formed XML";
        long line = 0;
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
            line = e->line;
        }
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s:%ld: malformed XML: %s",
                             name, line, msg);
    }
    if (!st)
        st = check_doctype(&p, doc);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!st && !is(root, "StyledLayerDescriptor"))
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: not an SLD document (root element <%s>, "
                             "expected StyledLayerDescriptor)", name,
                             root ? line_of(root) : 0L,
                             root ? lname(root) : "none");
    if (!st) {
        xmlChar *version = xmlGetProp(root, (const xmlChar *)"version");
        if (version && strcmp((const char *)version, "1.0.0") &&
            strcmp((const char *)version, "1.1.0"))
            sinspace__log(ctx, SINSPACE_LOG_WARNING,
                          "%s:%ld: SLD version %s: read as 1.0/1.1", name,
                          line_of(root), (const char *)version);
        xmlFree(version);
        for (const xmlNode *c = root->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "NamedLayer") || is(c, "UserLayer"))
                st = parse_layer(&p, c);
            else if (!is(c, "Name") && !is(c, "Title") && !is(c, "Abstract") &&
                     !is(c, "Description"))
                warn_unknown(&p, c, "StyledLayerDescriptor");
        }
    }
    if (!st && p.style->n_rules == 0)
        sinspace__log(ctx, SINSPACE_LOG_WARNING, "%s: the style has no rules", name);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pctx);
    free(p.base_dir);
    if (st) {
        sinspace_style_destroy(p.style);
        return st;
    }
    *out = p.style;
    return SINSPACE_OK;
}

sinspace_status
sinspace_style_load_memory(sinspace_context *ctx, const char *xml, size_t size,
                           const char *name, const char *allowed_dir,
                           sinspace_style **out)
{
    if (!ctx || !xml || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "style_load_memory: xml and out are required");
    return load(ctx, xml, size, name ? name : "(style)", allowed_dir, out);
}

sinspace_status
sinspace_style_load(sinspace_context *ctx, const char *path,
                    const char *allowed_dir, sinspace_style **out)
{
    if (!ctx || !path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "style_load: path and out are required");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)sb.st_size > MAX_SLD_BYTES) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: too big for a style (%lld bytes)", path,
                               (long long)sb.st_size);
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    size_t got = fread(buf, 1, size, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        free(buf);
        return sinspace__error(ctx, SINSPACE_IO, "%s: read error", path);
    }
    /* Graphics resolve against the SLD's own folder unless told. */
    char *dir = NULL;
    if (!allowed_dir) {
        char *real = realpath(path, NULL);
        if (real) {
            char *slash = strrchr(real, '/');
            if (slash == real)
                slash[1] = '\0';
            else if (slash)
                *slash = '\0';
            dir = real;
        }
    }
    sinspace_status st = load(ctx, buf, size, path, allowed_dir ? allowed_dir : dir, out);
    free(dir);
    free(buf);
    return st;
}

const char *
sinspace_style_name(const sinspace_style *style)
{
    return style ? style->name : NULL;
}

const char *
sinspace_style_title(const sinspace_style *style)
{
    return style ? style->title : NULL;
}

size_t
sinspace_style_rule_count(const sinspace_style *style)
{
    return style ? style->n_rules : 0;
}

const sinspace_style_rule *
sinspace_style_rule_at(const sinspace_style *style, size_t index)
{
    if (!style || index >= style->n_rules)
        return NULL;
    return &style->rules[index];
}

/* ---------------------------------------------------------------------
 * Evaluation
 * --------------------------------------------------------------------- */

static const char *
attr_value(const sinspace_style_attr *attrs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (attrs[i].name && !strcmp(attrs[i].name, name))
            return attrs[i].value;
    return NULL;
}

static const char *
eval(const expr *e, const sinspace_style_attr *attrs, size_t n)
{
    return e->is_property ? attr_value(attrs, n, e->text) : e->text;
}

/* Compares two values: numerically when both are numbers, else as text.
 * Returns <0, 0, >0. */
static int
compare(const char *a, const char *b, int match_case)
{
    double x, y;
    if (parse_number(a, &x) == 0 && parse_number(b, &y) == 0)
        return (x > y) - (x < y);
    return match_case ? strcmp(a, b) : strcasecmp(a, b);
}

static size_t
utf8_len(const unsigned char *s)
{
    if (*s < 0x80)
        return 1;
    size_t n = (*s >= 0xf0) ? 4 : (*s >= 0xe0) ? 3 : (*s >= 0xc0) ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

static int
char_eq(unsigned char a, unsigned char b, int match_case)
{
    return match_case ? a == b : tolower(a) == tolower(b);
}

/* PropertyIsLike: wild matches any run, single one character (UTF-8),
 * escape makes the next pattern character literal.  Iterative with one
 * backtrack point, so no pattern can make it recurse or go exponential. */
static int
like_match(const char *pattern, const char *text, const filter *f)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *t = (const unsigned char *)text;
    const unsigned char *star_p = NULL, *star_t = NULL;
    while (*t) {
        if (*p == (unsigned char)f->wild) {
            star_p = ++p;
            star_t = t;
            continue;
        }
        if (*p == (unsigned char)f->single) {
            p++;
            t += utf8_len(t);
            continue;
        }
        const unsigned char *lit = p;
        if (*p == (unsigned char)f->escape && p[1])
            lit = p + 1;
        if (*lit && char_eq(*lit, *t, f->match_case)) {
            p = lit + 1;
            t++;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        star_t += utf8_len(star_t);
        t = star_t;
    }
    while (*p == (unsigned char)f->wild)
        p++;
    return *p == '\0';
}

static int
filter_eval(const filter *f, const sinspace_style_attr *attrs, size_t n)
{
    const char *a, *b, *c;
    switch (f->op) {
    case OP_AND:
        for (size_t i = 0; i < f->n_kids; i++)
            if (!filter_eval(f->kids[i], attrs, n))
                return 0;
        return 1;
    case OP_OR:
        for (size_t i = 0; i < f->n_kids; i++)
            if (filter_eval(f->kids[i], attrs, n))
                return 1;
        return 0;
    case OP_NOT:
        return !filter_eval(f->kids[0], attrs, n);
    case OP_NULL:
        return eval(&f->a, attrs, n) == NULL;
    case OP_LIKE:
        a = eval(&f->a, attrs, n);
        return a && like_match(f->b.text, a, f);
    case OP_BETWEEN:
        a = eval(&f->a, attrs, n);
        b = eval(&f->b, attrs, n);
        c = eval(&f->c, attrs, n);
        return a && b && c && compare(a, b, f->match_case) >= 0 &&
               compare(a, c, f->match_case) <= 0;
    default:
        break;
    }
    /* A comparison with a null value is false, both ways. */
    a = eval(&f->a, attrs, n);
    b = eval(&f->b, attrs, n);
    if (!a || !b)
        return 0;
    int r = compare(a, b, f->match_case);
    switch (f->op) {
    case OP_EQ: return r == 0;
    case OP_NE: return r != 0;
    case OP_LT: return r < 0;
    case OP_LE: return r <= 0;
    case OP_GT: return r > 0;
    case OP_GE: return r >= 0;
    default: return 0;
    }
}

static int
rule_index(const sinspace_style *style, const sinspace_style_rule *rule,
           size_t *out)
{
    if (!style || !rule || style->n_rules == 0 || rule < style->rules ||
        rule >= style->rules + style->n_rules)
        return -1;
    *out = (size_t)(rule - style->rules);
    return 0;
}

static int
in_scale(const sinspace_style_rule *r, double scale)
{
    /* SLD: min inclusive, max exclusive. */
    return scale >= r->min_scale && scale < r->max_scale;
}

int
sinspace_style_rule_matches(const sinspace_style *style,
                            const sinspace_style_rule *rule,
                            const sinspace_style_attr *attrs, size_t n_attrs,
                            double scale_denominator)
{
    size_t i;
    if (rule_index(style, rule, &i) < 0 || !in_scale(rule, scale_denominator))
        return 0;
    const filter *f = style->extra[i].filter;
    return !f || filter_eval(f, attrs, n_attrs);
}

size_t
sinspace_style_match(const sinspace_style *style,
                     const sinspace_style_attr *attrs, size_t n_attrs,
                     double scale_denominator,
                     void (*fn)(void *, const sinspace_style_rule *),
                     void *user_data)
{
    if (!style)
        return 0;
    size_t applied = 0;
    for (size_t start = 0; start < style->n_rules;) {
        int fts = style->extra[start].fts;
        size_t end = start;
        while (end < style->n_rules && style->extra[end].fts == fts)
            end++;
        /* Does any ordinary rule of this FeatureTypeStyle apply? */
        int any = 0;
        for (size_t i = start; i < end && !any; i++)
            any = !style->rules[i].is_else &&
                  sinspace_style_rule_matches(style, &style->rules[i], attrs,
                                              n_attrs, scale_denominator);
        for (size_t i = start; i < end; i++) {
            const sinspace_style_rule *r = &style->rules[i];
            int ok = r->is_else
                         ? !any && in_scale(r, scale_denominator)
                         : sinspace_style_rule_matches(style, r, attrs, n_attrs,
                                                       scale_denominator);
            if (ok) {
                applied++;
                if (fn)
                    fn(user_data, r);
            }
        }
        start = end;
    }
    return applied;
}

/* ---------------------------------------------------------------------
 * Describing filters (style check, legends)
 * --------------------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void
sb_add(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static void
sb_expr(sbuf *b, const expr *e)
{
    if (e->is_property) {
        sb_add(b, e->text);
    } else {
        sb_add(b, "'");
        sb_add(b, e->text);
        sb_add(b, "'");
    }
}

static void
describe(sbuf *b, const filter *f)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    switch (f->op) {
    case OP_AND:
    case OP_OR:
        sb_add(b, "(");
        for (size_t i = 0; i < f->n_kids; i++) {
            if (i)
                sb_add(b, f->op == OP_AND ? " AND " : " OR ");
            describe(b, f->kids[i]);
        }
        sb_add(b, ")");
        return;
    case OP_NOT:
        sb_add(b, "NOT ");
        describe(b, f->kids[0]);
        return;
    case OP_NULL:
        sb_expr(b, &f->a);
        sb_add(b, " IS NULL");
        return;
    case OP_LIKE:
        sb_expr(b, &f->a);
        sb_add(b, f->match_case ? " LIKE " : " ILIKE ");
        sb_expr(b, &f->b);
        return;
    case OP_BETWEEN:
        sb_expr(b, &f->a);
        sb_add(b, " BETWEEN ");
        sb_expr(b, &f->b);
        sb_add(b, " AND ");
        sb_expr(b, &f->c);
        return;
    default:
        sb_expr(b, &f->a);
        sb_add(b, " ");
        sb_add(b, ops[f->op]);
        sb_add(b, " ");
        sb_expr(b, &f->b);
    }
}

char *
sinspace_style_rule_describe_filter(const sinspace_style *style,
                                    const sinspace_style_rule *rule)
{
    size_t i;
    if (rule_index(style, rule, &i) < 0)
        return NULL;
    sbuf b = {0};
    if (rule->is_else)
        sb_add(&b, "ELSE");
    else if (!style->extra[i].filter)
        sb_add(&b, "(all)");
    else
        describe(&b, style->extra[i].filter);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

const char *
sinspace_mark_name(sinspace_mark mark)
{
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (marks[i].mark == mark)
            return marks[i].name;
    return mark == SINSPACE_MARK_GRAPHIC ? "graphic" : NULL;
}
