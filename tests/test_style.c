/* test_style.c: SLD styles: every filter operator, ElseFilter and scales,
 * marks, colours, dashes and text, SLD 1.0 and SE 1.1 (QGIS), the shipped
 * styles, warnings with lines, and the hostile cases: malformed XML,
 * graphics outside the folder, XXE, huge values. */
#include <criterion/criterion.h>

#include <sinspace/sinspace.h>

#include "render/style_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/sinspace-style-XXXXXX";
static sinspace_context *ctx;
static char logbuf[65536];
static int n_warnings;

static void
capture(void *user, sinspace_log_level level, const char *msg)
{
    (void)user;
    if (level < SINSPACE_LOG_WARNING)
        return;
    n_warnings++;
    size_t len = strlen(logbuf);
    snprintf(logbuf + len, sizeof logbuf - len, "%s\n", msg);
}

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir));
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    sinspace_context_set_logger(ctx, capture, NULL);
    logbuf[0] = '\0';
    n_warnings = 0;
}

static void
teardown(void)
{
    sinspace_context_destroy(ctx);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

TestSuite(style, .init = setup, .fini = teardown);

#define SLD10_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" SLD10_ROOT
#define SLD10_ROOT \
    "<StyledLayerDescriptor version=\"1.0.0\" xmlns=\"http://www.opengis.net/sld\"" \
    " xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n" \
    "<NamedLayer><Name>t</Name><UserStyle><Title>Test</Title><FeatureTypeStyle>\n"
#define SLD10_TAIL "</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"

#define SE11_HEAD \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<StyledLayerDescriptor xmlns=\"http://www.opengis.net/sld\"" \
    " xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"" \
    " version=\"1.1.0\" xmlns:se=\"http://www.opengis.net/se\">\n" \
    "<NamedLayer><se:Name>t</se:Name><UserStyle><se:Name>t</se:Name><se:FeatureTypeStyle>\n"
#define SE11_TAIL "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"

/* A point rule with a filter, SLD 1.0 */
#define RULE(name, filter) \
    "<Rule><Name>" name "</Name><ogc:Filter>" filter "</ogc:Filter>" \
    "<PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName></Mark>" \
    "</Graphic></PointSymbolizer></Rule>\n"
#define PROP(p) "<ogc:PropertyName>" p "</ogc:PropertyName>"
#define LIT(v) "<ogc:Literal>" v "</ogc:Literal>"
#define CMP(op, p, v) "<ogc:PropertyIs" op ">" PROP(p) LIT(v) "</ogc:PropertyIs" op ">"

static sinspace_style *
load_ok(const char *xml)
{
    sinspace_style *s = NULL;
    sinspace_status st = sinspace_style_load_memory(ctx, xml, strlen(xml), "mem.sld",
                                                    tmpdir, &s);
    cr_assert_eq(st, SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_not_null(s);
    return s;
}

static sinspace_status
load_fail(const char *xml)
{
    sinspace_style *s = NULL;
    sinspace_status st = sinspace_style_load_memory(ctx, xml, strlen(xml), "mem.sld",
                                                    tmpdir, &s);
    cr_assert_neq(st, SINSPACE_OK);
    cr_assert_null(s, "out written on failure");
    return st;
}

/* Does the single-rule style's rule match a feature with one attribute? */
static int
matches1(const sinspace_style *s, const char *name, const char *value)
{
    sinspace_style_attr a = {name, value};
    return sinspace_style_rule_matches(s, sinspace_style_rule_at(s, 0), &a, 1, 1000);
}

Test(style, comparisons_numeric_and_string)
{
    sinspace_style *s = load_ok(SLD10_HEAD RULE("eq", CMP("EqualTo", "v", "2")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "2"));
    cr_assert(matches1(s, "v", "2.0"));   /* numeric */
    cr_assert(matches1(s, "v", " 2 "));
    cr_assert(!matches1(s, "v", "2a"));
    cr_assert(!matches1(s, "v", NULL));   /* null: false */
    cr_assert(!matches1(s, "w", "2"));    /* missing: null */
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("ne", CMP("NotEqualTo", "v", "high")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "low"));
    cr_assert(!matches1(s, "v", "high"));
    cr_assert(matches1(s, "v", "High"));  /* matchCase defaults to true */
    cr_assert(!matches1(s, "v", NULL));
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("lt", CMP("LessThan", "v", "10")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "9"));     /* 9 < 10 as numbers ... */
    cr_assert(!matches1(s, "v", "10"));
    cr_assert(!matches1(s, "v", "9a"));   /* ... "9a" > "10" as text */
    cr_assert(matches1(s, "v", "-1e3"));
    cr_assert(matches1(s, "v", "0x20"));  /* text, not hex 32: "0x20" < "10" */
    cr_assert(!matches1(s, "v", "nan"));
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("le", CMP("LessThanOrEqualTo", "v", "2.333")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "2.333"));
    cr_assert(!matches1(s, "v", "2.3331"));
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("gt", CMP("GreaterThan", "v", "abc")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "abd"));
    cr_assert(!matches1(s, "v", "abc"));
    cr_assert(!matches1(s, "v", "ab"));
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("ge", CMP("GreaterThanOrEqualTo", "v", "1.667")) SLD10_TAIL);
    cr_assert(matches1(s, "v", "1.667"));
    cr_assert(matches1(s, "v", "3"));
    cr_assert(!matches1(s, "v", "1.6669"));
    sinspace_style_destroy(s);

    /* Literal first, property second; matchCase="false". */
    s = load_ok(SLD10_HEAD RULE("rev", "<ogc:PropertyIsEqualTo matchCase=\"false\">"
                LIT("Brothel") PROP("sector") "</ogc:PropertyIsEqualTo>") SLD10_TAIL);
    cr_assert(matches1(s, "sector", "brothel"));
    cr_assert(matches1(s, "sector", "BROTHEL"));
    cr_assert(!matches1(s, "sector", "brothels"));
    sinspace_style_destroy(s);
}

Test(style, between_is_inclusive)
{
    sinspace_style *s = load_ok(SLD10_HEAD RULE("b",
        "<ogc:PropertyIsBetween>" PROP("risk")
        "<ogc:LowerBoundary>" LIT("1.667") "</ogc:LowerBoundary>"
        "<ogc:UpperBoundary>" LIT("2.333") "</ogc:UpperBoundary>"
        "</ogc:PropertyIsBetween>") SLD10_TAIL);
    cr_assert(matches1(s, "risk", "1.667"));
    cr_assert(matches1(s, "risk", "2"));
    cr_assert(matches1(s, "risk", "2.333"));
    cr_assert(!matches1(s, "risk", "2.34"));
    cr_assert(!matches1(s, "risk", "1.6"));
    cr_assert(!matches1(s, "risk", NULL));
    char *d = sinspace_style_rule_describe_filter(s, sinspace_style_rule_at(s, 0));
    cr_assert_str_eq(d, "risk BETWEEN 1.667 AND 2.333");
    free(d);
    sinspace_style_destroy(s);
}

Test(style, like_wildcards_single_and_escape)
{
    sinspace_style *s = load_ok(SLD10_HEAD RULE("like",
        "<ogc:PropertyIsLike wildCard=\"*\" singleChar=\".\" escape=\"!\">"
        PROP("name") LIT("Bar*") "</ogc:PropertyIsLike>") SLD10_TAIL);
    cr_assert(matches1(s, "name", "Bar"));
    cr_assert(matches1(s, "name", "Bar Lotus"));
    cr_assert(!matches1(s, "name", "A Bar"));
    cr_assert(!matches1(s, "name", "bar"));
    cr_assert(!matches1(s, "name", NULL));
    sinspace_style_destroy(s);

    s = load_ok(SLD10_HEAD RULE("like",
        "<ogc:PropertyIsLike wildCard=\"*\" singleChar=\".\" escape=\"!\">"
        PROP("name") LIT("*caf.!*x*") "</ogc:PropertyIsLike>") SLD10_TAIL);
    cr_assert(matches1(s, "name", "le café*xyz"));  /* . is one UTF-8 character */
    cr_assert(matches1(s, "name", "cafe*x"));
    cr_assert(!matches1(s, "name", "cafe x"));       /* !* is a literal star */
    cr_assert(!matches1(s, "name", "caf*x"));        /* . needs a character */
    sinspace_style_destroy(s);

    /* SE 1.1 spells it escapeChar; QGIS uses % and _; matchCase false. */
    s = load_ok(SE11_HEAD "<se:Rule><se:Name>l</se:Name><ogc:Filter>"
        "<ogc:PropertyIsLike wildCard=\"%\" singleChar=\"_\" escapeChar=\"\\\" matchCase=\"false\">"
        PROP("code") LIT("TH\\_10__") "</ogc:PropertyIsLike></ogc:Filter></se:Rule>" SE11_TAIL);
    cr_assert(matches1(s, "code", "TH_1033"));
    cr_assert(matches1(s, "code", "th_10ab"));
    cr_assert(!matches1(s, "code", "THX1033"));
    cr_assert(!matches1(s, "code", "TH_103"));
    sinspace_style_destroy(s);

    /* A pattern that would be exponential for a naive matcher. */
    s = load_ok(SLD10_HEAD RULE("like",
        "<ogc:PropertyIsLike wildCard=\"*\" singleChar=\".\" escape=\"!\">"
        PROP("n") LIT("*a*a*a*a*a*a*a*a*a*a*a*b") "</ogc:PropertyIsLike>") SLD10_TAIL);
    cr_assert(!matches1(s, "n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    sinspace_style_destroy(s);
}

Test(style, is_null)
{
    sinspace_style *s = load_ok(SLD10_HEAD RULE("n",
        "<ogc:PropertyIsNull>" PROP("risk") "</ogc:PropertyIsNull>") SLD10_TAIL);
    cr_assert(matches1(s, "risk", NULL));
    cr_assert(matches1(s, "other", "1"));
    cr_assert(!matches1(s, "risk", ""));
    cr_assert(!matches1(s, "risk", "2"));
    sinspace_style_destroy(s);
}

Test(style, and_or_not_nesting)
{
    /* high AND (brothel OR NOT (status = 'closed' OR sector = 'fishing')) */
    sinspace_style *s = load_ok(SLD10_HEAD RULE("nest",
        "<ogc:And>" CMP("EqualTo", "risk_class", "high")
        "<ogc:Or>" CMP("EqualTo", "sector", "brothel")
        "<ogc:Not><ogc:Or>" CMP("EqualTo", "status", "closed")
        CMP("EqualTo", "sector", "fishing") "</ogc:Or></ogc:Not>"
        "</ogc:Or></ogc:And>") SLD10_TAIL);
    const sinspace_style_rule *r = sinspace_style_rule_at(s, 0);
    struct {
        const char *cls, *sector, *status;
        int expect;
    } cases[] = {
        {"high", "brothel", "closed", 1},
        {"high", "fishing", "active", 0},
        {"high", "karaoke_bar", "active", 1},
        {"high", "karaoke_bar", "closed", 0},
        {"low", "brothel", "active", 0},
        {NULL, "brothel", "active", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sinspace_style_attr a[3] = {{"risk_class", cases[i].cls},
                                    {"sector", cases[i].sector},
                                    {"status", cases[i].status}};
        cr_assert_eq(sinspace_style_rule_matches(s, r, a, 3, 5000), cases[i].expect,
                     "case %zu", i);
    }
    char *d = sinspace_style_rule_describe_filter(s, r);
    cr_assert_str_eq(d, "(risk_class = 'high' AND (sector = 'brothel' OR NOT "
                        "(status = 'closed' OR sector = 'fishing')))");
    free(d);
    sinspace_style_destroy(s);
}

typedef struct hits {
    char names[8][32];
    int n;
} hits;

static void
record(void *user, const sinspace_style_rule *r)
{
    hits *h = user;
    if (h->n < 8)
        snprintf(h->names[h->n++], 32, "%s", r->name ? r->name : "?");
}

static hits
match(const sinspace_style *s, const char *name, const char *value, double scale)
{
    hits h;
    memset(&h, 0, sizeof h);
    sinspace_style_attr a = {name, value};
    size_t n = sinspace_style_match(s, &a, 1, scale, record, &h);
    cr_assert_eq((int)n, h.n);
    return h;
}

Test(style, else_filter_per_feature_type_style_and_scales)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        RULE("a", CMP("EqualTo", "k", "a"))
        "<Rule><Name>big</Name><MaxScaleDenominator>25000</MaxScaleDenominator>"
        "<ogc:Filter>" CMP("EqualTo", "k", "b") "</ogc:Filter>"
        "<PointSymbolizer/></Rule>"
        "<Rule><Name>else</Name><ElseFilter/><PointSymbolizer/></Rule>"
        "</FeatureTypeStyle><FeatureTypeStyle>"
        "<Rule><Name>labels</Name><MinScaleDenominator>1000</MinScaleDenominator>"
        "<MaxScaleDenominator>25000</MaxScaleDenominator><TextSymbolizer><Label>"
        PROP("name") "</Label></TextSymbolizer></Rule>"
        "<Rule><Name>else2</Name><MinScaleDenominator>25000</MinScaleDenominator>"
        "<ElseFilter/><PointSymbolizer/></Rule>"
        SLD10_TAIL);
    cr_assert_eq(sinspace_style_rule_count(s), 5);
    const sinspace_style_rule *r = sinspace_style_rule_at(s, 1);
    cr_assert_eq(r->min_scale, 0);
    cr_assert_eq(r->max_scale, 25000);
    cr_assert(isinf(sinspace_style_rule_at(s, 0)->max_scale));
    cr_assert(sinspace_style_rule_at(s, 2)->is_else);
    cr_assert(!sinspace_style_rule_at(s, 2)->has_filter);
    cr_assert(sinspace_style_rule_at(s, 0)->has_filter);

    hits h = match(s, "k", "a", 10000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "a");
    cr_assert_str_eq(h.names[1], "labels");
    h = match(s, "k", "b", 10000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "big");
    /* At 1:25,000 "big" is out of range (max exclusive): the else applies,
     * and the second style's else too (labels are out of range). */
    h = match(s, "k", "b", 25000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "else");
    cr_assert_str_eq(h.names[1], "else2");
    h = match(s, "k", "z", 500);   /* below the labels' min scale */
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.names[0], "else");
    h = match(s, "k", "z", 1000);  /* min inclusive */
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[1], "labels");
    /* rule_matches on the else rule only checks the scale. */
    sinspace_style_attr a = {"k", "a"};
    cr_assert(sinspace_style_rule_matches(s, sinspace_style_rule_at(s, 2), &a, 1, 5));
    sinspace_style_destroy(s);
}

#define MARK_RULE(wkn) \
    "<Rule><Name>" wkn "</Name><PointSymbolizer><Graphic><Mark><WellKnownName>" wkn \
    "</WellKnownName><Fill><CssParameter name=\"fill\">#FF8000</CssParameter>" \
    "<CssParameter name=\"fill-opacity\">0.25</CssParameter></Fill></Mark>" \
    "<Size>12</Size><Rotation>30</Rotation></Graphic></PointSymbolizer></Rule>\n"

Test(style, every_mark_and_fill_colour)
{
    sinspace_style *s = load_ok(SLD10_HEAD MARK_RULE("circle") MARK_RULE("square")
        MARK_RULE("triangle") MARK_RULE("star") MARK_RULE("cross") MARK_RULE("x")
        MARK_RULE("pentagon") SLD10_TAIL);
    sinspace_mark expect[] = {SINSPACE_MARK_CIRCLE, SINSPACE_MARK_SQUARE,
                              SINSPACE_MARK_TRIANGLE, SINSPACE_MARK_STAR,
                              SINSPACE_MARK_CROSS, SINSPACE_MARK_X,
                              SINSPACE_MARK_SQUARE};
    cr_assert_eq(sinspace_style_rule_count(s), 7);
    for (size_t i = 0; i < 7; i++) {
        const sinspace_style_rule *r = sinspace_style_rule_at(s, i);
        cr_assert_eq(r->n_symbolizers, 1);
        const sinspace_symbolizer *y = &r->symbolizers[0];
        cr_assert_eq(y->kind, SINSPACE_SYMBOLIZER_POINT);
        cr_assert_eq(y->mark, expect[i], "rule %zu", i);
        cr_assert_float_eq(y->size, 12, 1e-12);
        cr_assert_float_eq(y->rotation, 30, 1e-12);
        cr_assert(y->has_fill);
        cr_assert_float_eq(y->fill.r, 1.0, 1e-12);
        cr_assert_float_eq(y->fill.g, 128 / 255.0, 1e-12);
        cr_assert_float_eq(y->fill.b, 0.0, 1e-12);
        cr_assert_float_eq(y->fill.a, 0.25, 1e-12);
        cr_assert(!y->stroke.enabled); /* a Fill alone: no outline */
        cr_assert_null(y->graphic_path);
    }
    cr_assert_str_eq(sinspace_mark_name(SINSPACE_MARK_STAR), "star");
    cr_assert(strstr(logbuf, "mem.sld:10: mark 'pentagon' not supported"), "%s", logbuf);
    sinspace_style_destroy(s);
}

Test(style, defaults_of_marks_and_lines)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        "<Rule><PointSymbolizer><Graphic><Mark/></Graphic></PointSymbolizer>"
        "<LineSymbolizer/><PolygonSymbolizer><Fill/></PolygonSymbolizer></Rule>" SLD10_TAIL);
    const sinspace_symbolizer *y = sinspace_style_rule_at(s, 0)->symbolizers;
    cr_assert_eq(y[0].mark, SINSPACE_MARK_SQUARE);
    cr_assert_float_eq(y[0].size, 6, 1e-12);
    cr_assert(y[0].has_fill);
    cr_assert_float_eq(y[0].fill.r, 128 / 255.0, 1e-12);
    cr_assert(y[0].stroke.enabled);
    cr_assert_float_eq(y[0].stroke.width, 1, 1e-12);
    cr_assert_eq(y[1].kind, SINSPACE_SYMBOLIZER_LINE);
    cr_assert(y[1].stroke.enabled);
    cr_assert_float_eq(y[1].stroke.color.r, 0, 1e-12);
    cr_assert_float_eq(y[1].stroke.color.a, 1, 1e-12);
    cr_assert_eq(y[2].kind, SINSPACE_SYMBOLIZER_POLYGON);
    cr_assert(y[2].has_fill);
    cr_assert(!y[2].stroke.enabled);
    cr_assert_null(sinspace_style_rule_at(s, 0)->name);
    cr_assert_str_eq(sinspace_style_name(s), "t");
    cr_assert_str_eq(sinspace_style_title(s), "Test");
    sinspace_style_destroy(s);
}

#define LINE_RULE(params) \
    "<Rule><LineSymbolizer><Stroke>" params "</Stroke></LineSymbolizer></Rule>\n"
#define CSS(n, v) "<CssParameter name=\"" n "\">" v "</CssParameter>"

Test(style, stroke_colours_widths_and_dash_arrays)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        LINE_RULE(CSS("stroke", "#0a0B0c") CSS("stroke-width", "2.5")
                  CSS("stroke-opacity", "0.5") CSS("stroke-dasharray", "5 2 1 2"))
        LINE_RULE(CSS("stroke-dasharray", "3"))
        LINE_RULE(CSS("stroke-dasharray", "4,2") CSS("stroke-linejoin", "round")
                  CSS("stroke-linecap", "butt"))
        SLD10_TAIL);
    const sinspace_stroke *k = &sinspace_style_rule_at(s, 0)->symbolizers[0].stroke;
    cr_assert(k->enabled);
    cr_assert_float_eq(k->color.r, 10 / 255.0, 1e-12);
    cr_assert_float_eq(k->color.g, 11 / 255.0, 1e-12);
    cr_assert_float_eq(k->color.b, 12 / 255.0, 1e-12);
    cr_assert_float_eq(k->color.a, 0.5, 1e-12);
    cr_assert_float_eq(k->width, 2.5, 1e-12);
    cr_assert_eq(k->n_dash, 4);
    cr_assert_float_eq(k->dash[0], 5, 1e-12);
    cr_assert_float_eq(k->dash[3], 2, 1e-12);
    k = &sinspace_style_rule_at(s, 1)->symbolizers[0].stroke;
    cr_assert_eq(k->n_dash, 2);
    cr_assert_float_eq(k->dash[1], 3, 1e-12);
    k = &sinspace_style_rule_at(s, 2)->symbolizers[0].stroke;
    cr_assert_eq(k->n_dash, 2);
    cr_assert_float_eq(k->dash[0], 4, 1e-12);
    cr_assert_eq(n_warnings, 0, "%s", logbuf); /* joins and caps are known */
    sinspace_style_destroy(s);
}

Test(style, bad_values_name_file_line_and_value)
{
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke", "red")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_str_eq(sinspace_context_message(ctx),
                     "mem.sld:4: bad colour (expected #rrggbb) 'red'");
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke", "#12345")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke", "#gg0000")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD "\n\n" LINE_RULE(CSS("stroke-opacity", "1.5")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "mem.sld:6:"), "%s",
              sinspace_context_message(ctx));
    cr_assert(strstr(sinspace_context_message(ctx), "'1.5'"));
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke-width", "-1")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke-width", "wide")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke-dasharray", "4 x")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke-dasharray", "1 2 3 4 5 6 7 8 9"))
                           SLD10_TAIL), SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD "<Rule><MinScaleDenominator>5000</MinScaleDenominator>"
                           "<MaxScaleDenominator>1000</MaxScaleDenominator></Rule>" SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD "<Rule><MaxScaleDenominator>big</MaxScaleDenominator>"
                           "</Rule>" SLD10_TAIL), SINSPACE_INVALID_INPUT);
    /* An operator we cannot evaluate is refused, not ignored. */
    cr_assert_eq(load_fail(SLD10_HEAD RULE("bbox", "<ogc:BBOX>" PROP("geom") "</ogc:BBOX>")
                           SLD10_TAIL), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "BBOX needs a gml:Box"),
              "%s", sinspace_context_message(ctx));
    cr_assert_eq(load_fail(SLD10_HEAD RULE("fn", "<ogc:PropertyIsEqualTo>"
                           "<ogc:Function name=\"strToLower\">" PROP("a") "</ogc:Function>"
                           LIT("x") "</ogc:PropertyIsEqualTo>") SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail(SLD10_HEAD RULE("one", "<ogc:PropertyIsEqualTo>" PROP("a")
                           "</ogc:PropertyIsEqualTo>") SLD10_TAIL), SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail("<?xml version=\"1.0\"?><html><body/></html>"),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "not an SLD document"));
}

#define TEXT_RULE(P) \
    "<" P "Rule><" P "Name>label</" P "Name><" P "MaxScaleDenominator>25000</" P "MaxScaleDenominator>" \
    "<" P "TextSymbolizer><" P "Label>" PROP("name") "</" P "Label>" \
    "<" P "Font><" P "%s name=\"font-family\">Noto Sans Thai</" P "%s>" \
    "<" P "%s name=\"font-size\">13</" P "%s>" \
    "<" P "%s name=\"font-weight\">bold</" P "%s>" \
    "<" P "%s name=\"font-style\">italic</" P "%s></" P "Font>" \
    "<" P "LabelPlacement><" P "PointPlacement><" P "AnchorPoint><" P "AnchorPointX>0</" P "AnchorPointX>" \
    "<" P "AnchorPointY>1</" P "AnchorPointY></" P "AnchorPoint><" P "Displacement>" \
    "<" P "DisplacementX>4</" P "DisplacementX><" P "DisplacementY>-6</" P "DisplacementY>" \
    "</" P "Displacement></" P "PointPlacement></" P "LabelPlacement>" \
    "<" P "Halo><" P "Radius>2</" P "Radius><" P "Fill><" P "%s name=\"fill\">#ffff00</" P "%s>" \
    "</" P "Fill></" P "Halo><" P "Fill><" P "%s name=\"fill\">#000080</" P "%s></" P "Fill>" \
    "</" P "TextSymbolizer></" P "Rule>\n"

static void
check_text_rule(const sinspace_style *s)
{
    cr_assert_eq(sinspace_style_rule_count(s), 1);
    const sinspace_style_rule *r = sinspace_style_rule_at(s, 0);
    cr_assert_str_eq(r->name, "label");
    cr_assert_eq(r->max_scale, 25000);
    const sinspace_symbolizer *t = &r->symbolizers[0];
    cr_assert_eq(t->kind, SINSPACE_SYMBOLIZER_TEXT);
    cr_assert_str_eq(t->label_property, "name");
    cr_assert_str_eq(t->font_family, "Noto Sans Thai");
    cr_assert_float_eq(t->font_size, 13, 1e-12);
    cr_assert_eq(t->font_bold, 1);
    cr_assert_eq(t->font_italic, 1);
    cr_assert_float_eq(t->anchor_x, 0, 1e-12);
    cr_assert_float_eq(t->anchor_y, 1, 1e-12);
    cr_assert_float_eq(t->displacement_x, 4, 1e-12);
    cr_assert_float_eq(t->displacement_y, -6, 1e-12);
    cr_assert_float_eq(t->halo_radius, 2, 1e-12);
    cr_assert_float_eq(t->halo_fill.r, 1, 1e-12);
    cr_assert_float_eq(t->halo_fill.g, 1, 1e-12);
    cr_assert_float_eq(t->halo_fill.b, 0, 1e-12);
    cr_assert(t->has_fill);
    cr_assert_float_eq(t->fill.b, 128 / 255.0, 1e-12);
    cr_assert_float_eq(t->fill.r, 0, 1e-12);
}

Test(style, text_symbolizer_sld10_and_se11)
{
    char xml[8192];
    snprintf(xml, sizeof xml, SLD10_HEAD TEXT_RULE("") SLD10_TAIL, "CssParameter",
             "CssParameter", "CssParameter", "CssParameter", "CssParameter",
             "CssParameter", "CssParameter", "CssParameter", "CssParameter",
             "CssParameter", "CssParameter", "CssParameter");
    sinspace_style *s = load_ok(xml);
    check_text_rule(s);
    sinspace_style_destroy(s);
    snprintf(xml, sizeof xml, SE11_HEAD TEXT_RULE("se:") SE11_TAIL, "SvgParameter",
             "SvgParameter", "SvgParameter", "SvgParameter", "SvgParameter",
             "SvgParameter", "SvgParameter", "SvgParameter", "SvgParameter",
             "SvgParameter", "SvgParameter", "SvgParameter");
    s = load_ok(xml);
    check_text_rule(s);
    cr_assert_eq(n_warnings, 0, "%s", logbuf);
    sinspace_style_destroy(s);
    /* A text symbolizer without Halo has none. */
    s = load_ok(SLD10_HEAD "<Rule><TextSymbolizer><Label>" PROP("n")
                "</Label></TextSymbolizer></Rule>" SLD10_TAIL);
    cr_assert_eq(sinspace_style_rule_at(s, 0)->symbolizers[0].halo_radius, 0);
    cr_assert_float_eq(sinspace_style_rule_at(s, 0)->symbolizers[0].font_size, 10, 1e-12);
    sinspace_style_destroy(s);
}

Test(style, se11_rule_titles_from_description)
{
    sinspace_style *s = load_ok(SE11_HEAD "<se:Rule><se:Name>high</se:Name><se:Description>"
        "<se:Title>High risk</se:Title><se:Abstract>x</se:Abstract></se:Description>"
        "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\">" CMP("EqualTo", "risk_class", "high")
        "</ogc:Filter><se:PolygonSymbolizer><se:Fill><se:SvgParameter name=\"fill\">#d7191c"
        "</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name=\"stroke\">#000000"
        "</se:SvgParameter><se:SvgParameter name=\"stroke-width\">0.26</se:SvgParameter>"
        "</se:Stroke></se:PolygonSymbolizer></se:Rule>"
        "<se:Rule><se:Name>rest</se:Name><se:ElseFilter xmlns:se=\"http://www.opengis.net/se\"/>"
        "</se:Rule>" SE11_TAIL);
    const sinspace_style_rule *r = sinspace_style_rule_at(s, 0);
    cr_assert_str_eq(r->name, "high");
    cr_assert_str_eq(r->title, "High risk");
    cr_assert_eq(r->symbolizers[0].kind, SINSPACE_SYMBOLIZER_POLYGON);
    cr_assert_float_eq(r->symbolizers[0].stroke.width, 0.26, 1e-12);
    cr_assert(sinspace_style_rule_at(s, 1)->is_else);
    cr_assert_str_eq(sinspace_style_rule_at(s, 1)->title, "rest"); /* falls back */
    hits h = match(s, "risk_class", "low", 1000);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.names[0], "rest");
    sinspace_style_destroy(s);
}

Test(style, unknown_elements_warn_with_line)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        "<Rule>\n<Name>r</Name>\n<Sparkle>yes</Sparkle>\n"
        "<PointSymbolizer><Graphic><Mark><Glow/></Mark></Graphic></PointSymbolizer>\n"
        "<VendorOption name=\"spaceAround\">2</VendorOption></Rule>\n" SLD10_TAIL);
    cr_assert_eq(sinspace_style_rule_count(s), 1);
    cr_assert_eq(n_warnings, 3, "%s", logbuf);
    cr_assert(strstr(logbuf, "mem.sld:6: unknown element <Sparkle> in Rule ignored"), "%s", logbuf);
    cr_assert(strstr(logbuf, "mem.sld:7: unknown element <Glow> in Mark ignored"), "%s", logbuf);
    cr_assert(strstr(logbuf, "mem.sld:8: <VendorOption name=\"spaceAround\"> not supported"),
              "%s", logbuf);
    sinspace_style_destroy(s);
}

Test(style, malformed_xml_names_the_line)
{
    cr_assert_eq(load_fail("<?xml version=\"1.0\"?>\n<StyledLayerDescriptor>\n"
                           "<NamedLayer>\n<Name>x</Nme>\n</NamedLayer>\n"
                           "</StyledLayerDescriptor>\n"), SINSPACE_INVALID_INPUT);
    const char *m = sinspace_context_message(ctx);
    cr_assert(!strncmp(m, "mem.sld:4: malformed XML", 24), "%s", m);
    cr_assert_eq(load_fail(""), SINSPACE_INVALID_INPUT);
    cr_assert_eq(load_fail("not xml at all"), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "mem.sld:1: malformed XML"));
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

#define GRAPHIC_RULE(href) \
    "<Rule><PointSymbolizer><Graphic><ExternalGraphic><OnlineResource" \
    " xlink:type=\"simple\" xlink:href=\"" href "\"/><Format>image/svg+xml</Format>" \
    "</ExternalGraphic><Size>16</Size></Graphic></PointSymbolizer></Rule>"

Test(style, external_graphic_inside_the_folder)
{
    char dir[4300], svg[4400], sld[4400];
    snprintf(dir, sizeof dir, "%s/icons", tmpdir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(svg, sizeof svg, "%s/boat.svg", dir);
    write_file(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    snprintf(sld, sizeof sld, "%s/s.sld", tmpdir);
    write_file(sld, SLD10_HEAD GRAPHIC_RULE("icons/boat.svg")
               "<Rule><PointSymbolizer><Graphic><ExternalGraphic><OnlineResource"
               " xlink:href=\"./icons/../icons/boat.svg\"/></ExternalGraphic></Graphic>"
               "</PointSymbolizer></Rule>" SLD10_TAIL);
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, sld, NULL, &s), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char *real = realpath(svg, NULL);
    for (size_t i = 0; i < 2; i++) {
        const sinspace_symbolizer *y = sinspace_style_rule_at(s, i)->symbolizers;
        cr_assert_eq(y->mark, SINSPACE_MARK_GRAPHIC);
        cr_assert_str_eq(y->graphic_path, real);
        cr_assert_str_eq(y->graphic_format, "image/svg+xml");
    }
    cr_assert_float_eq(sinspace_style_rule_at(s, 0)->symbolizers->size, 16, 1e-12);
    free(real);
    sinspace_style_destroy(s);
    /* The same SLD in memory with no folder: refused. */
    const char *xml = SLD10_HEAD GRAPHIC_RULE("icons/boat.svg") SLD10_TAIL;
    cr_assert_eq(sinspace_style_load_memory(ctx, xml, strlen(xml), "m", NULL, &s),
                 SINSPACE_PERMISSION);
    /* A missing graphic is invalid input, not a permission problem. */
    cr_assert_eq(load_fail(SLD10_HEAD GRAPHIC_RULE("icons/none.svg") SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
}

Test(style, external_graphics_outside_are_refused)
{
    const char *bad[] = {"http://example.org/x.svg", "https://example.org/x.png",
                         "file:///etc/passwd", "../../etc/passwd", "/etc/passwd",
                         "icons/../../x.svg", "/nonexistent/x.svg"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char xml[4096];
        snprintf(xml, sizeof xml, SLD10_HEAD
                 "<Rule><PointSymbolizer><Graphic><ExternalGraphic><OnlineResource"
                 " xlink:href=\"%s\"/><Format>image/svg+xml</Format></ExternalGraphic>"
                 "</Graphic></PointSymbolizer></Rule>" SLD10_TAIL, bad[i]);
        cr_assert_eq(load_fail(xml), SINSPACE_PERMISSION, "%s: %s", bad[i],
                     sinspace_context_message(ctx));
        cr_assert(strstr(sinspace_context_message(ctx), bad[i]), "%s",
                  sinspace_context_message(ctx));
    }
    /* A link inside the folder that points out of it. */
    char link[4300];
    snprintf(link, sizeof link, "%s/passwd.svg", tmpdir);
    cr_assert_eq(symlink("/etc/passwd", link), 0);
    cr_assert_eq(load_fail(SLD10_HEAD GRAPHIC_RULE("passwd.svg") SLD10_TAIL),
                 SINSPACE_PERMISSION);
}

Test(style, xxe_is_refused_and_reads_nothing)
{
    char secret[4300];
    snprintf(secret, sizeof secret, "%s/secret.txt", tmpdir);
    write_file(secret, "TOPSECRET-42");
    char xml[8192];
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE StyledLayerDescriptor [\n"
             "<!ENTITY x SYSTEM \"file://%s\">\n"
             "<!ENTITY pw SYSTEM \"file:///etc/passwd\">\n]>\n"
             "<StyledLayerDescriptor version=\"1.0.0\"><NamedLayer><Name>&x;&pw;</Name>"
             "<UserStyle><FeatureTypeStyle><Rule><Name>&x;</Name></Rule>"
             "</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n",
             secret);
    cr_assert_eq(load_fail(xml), SINSPACE_INVALID_INPUT);
    const char *m = sinspace_context_message(ctx);
    cr_assert(strstr(m, "DOCTYPE"), "%s", m);
    cr_assert_null(strstr(m, "TOPSECRET"));
    cr_assert_null(strstr(m, "root:"));
    cr_assert_null(strstr(logbuf, "TOPSECRET"));
    /* Parameter entities and an external DTD: refused too. */
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE StyledLayerDescriptor [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>\n"
             "<StyledLayerDescriptor version=\"1.0.0\"/>\n", secret);
    cr_assert_eq(load_fail(xml), SINSPACE_INVALID_INPUT);
    cr_assert_null(strstr(sinspace_context_message(ctx), "TOPSECRET"));
    cr_assert_eq(load_fail("<?xml version=\"1.0\"?>\n<!DOCTYPE StyledLayerDescriptor SYSTEM"
                           " \"http://example.org/evil.dtd\">\n<StyledLayerDescriptor/>\n"),
                 SINSPACE_INVALID_INPUT);
    /* Billion laughs: refused, and quickly. */
    cr_assert_eq(load_fail("<?xml version=\"1.0\"?>\n<!DOCTYPE l [\n"
                           "<!ENTITY a \"aaaaaaaaaa\">\n"
                           "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                           "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
                           "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>\n"
                           "<StyledLayerDescriptor><NamedLayer><Name>&d;&d;&d;</Name>"
                           "</NamedLayer></StyledLayerDescriptor>\n"),
                 SINSPACE_INVALID_INPUT);
    /* A plain DOCTYPE with nothing in it is harmless. */
    sinspace_style *s = load_ok("<?xml version=\"1.0\"?>\n<!DOCTYPE StyledLayerDescriptor>\n"
                                SLD10_ROOT RULE("a", CMP("EqualTo", "k", "a")) SLD10_TAIL);
    cr_assert_eq(sinspace_style_rule_count(s), 1);
    sinspace_style_destroy(s);
}

Test(style, huge_values_do_not_crash)
{
    size_t big = 10u << 20;
    const char *head = SLD10_HEAD "<Rule foo=\"";
    const char *tail = "\"><Name>r</Name></Rule>" SLD10_TAIL;
    size_t n = strlen(head) + big + strlen(tail) + 1;
    char *xml = malloc(n);
    cr_assert_not_null(xml);
    strcpy(xml, head);
    memset(xml + strlen(head), 'A', big);
    strcpy(xml + strlen(head) + big, tail);
    sinspace_style *s = NULL;
    sinspace_status st = sinspace_style_load_memory(ctx, xml, strlen(xml), "big.sld",
                                                    tmpdir, &s);
    /* libxml2 refuses attribute values over its limit; either way no crash. */
    cr_assert(st == SINSPACE_OK || st == SINSPACE_INVALID_INPUT);
    sinspace_style_destroy(s);
    /* A 10 MB colour value: refused, message kept short. */
    const char *h2 = SLD10_HEAD "<Rule><LineSymbolizer><Stroke><CssParameter name=\"stroke\">";
    const char *t2 = "</CssParameter></Stroke></LineSymbolizer></Rule>" SLD10_TAIL;
    n = strlen(h2) + big + strlen(t2) + 1;
    char *x2 = malloc(n);
    cr_assert_not_null(x2);
    strcpy(x2, h2);
    memset(x2 + strlen(h2), 'B', big);
    strcpy(x2 + strlen(h2) + big, t2);
    s = NULL;
    st = sinspace_style_load_memory(ctx, x2, strlen(x2), "big.sld", tmpdir, &s);
    cr_assert_eq(st, SINSPACE_INVALID_INPUT);
    cr_assert_null(s);
    cr_assert(strlen(sinspace_context_message(ctx)) < 200);
    free(xml);
    free(x2);
}

static char *
style_path(const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    cr_assert_not_null(root);
    snprintf(buf[i], sizeof buf[i], "%s/styles/%s", root, name);
    return buf[i];
}

static hits
match_attrs(const sinspace_style *s, const sinspace_style_attr *a, size_t n, double scale)
{
    hits h;
    memset(&h, 0, sizeof h);
    sinspace_style_match(s, a, n, scale, record, &h);
    return h;
}

Test(style, qgis_export_loads_with_vendor_option_warnings)
{
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, style_path("qgis-export.sld"), NULL, &s),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_str_eq(sinspace_style_name(s), "workplaces_risk");
    cr_assert_eq(sinspace_style_rule_count(s), 9);
    cr_assert_str_eq(sinspace_style_rule_at(s, 0)->title, "High (2.333 - 3.000)");
    /* maxDisplacement is used for label placement now; autoWrap is not. */
    cr_assert_eq(n_warnings, 2, "%s", logbuf);
    cr_assert(strstr(logbuf, "maxDisplacement\"> read and checked, but the label placer"),
              "%s", logbuf);
    cr_assert(strstr(logbuf, "<se:VendorOption name=\"autoWrap\"> not used"),
              "%s", logbuf);
    const sinspace_style_rule *last = sinspace_style_rule_at(s, 8);
    cr_assert_float_eq(last->symbolizers[0].max_displacement, 1, 1e-12);
    sinspace_style_attr a[3] = {{"risk", "2.5"}, {"sector", "brothel"}, {"status", "active"}};
    hits h = match_attrs(s, a, 3, 10000);
    cr_assert_eq(h.n, 3);
    cr_assert_str_eq(h.names[0], "High (2.333 - 3.000)");
    cr_assert_str_eq(h.names[1], "Brothels and massage parlours");
    cr_assert_str_eq(h.names[2], "name");
    /* No risk, closed: the null and closed rules, so not the else. */
    sinspace_style_attr b[3] = {{"risk", NULL}, {"sector", "fishing"}, {"status", "closed"}};
    h = match_attrs(s, b, 3, 30000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "Closed");
    cr_assert_str_eq(h.names[1], "Unscored risk");
    /* Nothing else applies: the else rule alone. */
    sinspace_style_attr c[3] = {{"risk", "0.5"}, {"sector", "fishing"}, {"status", "active"}};
    h = match_attrs(s, c, 3, 30000);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.names[0], "Not scored");
    const sinspace_symbolizer *x = sinspace_style_rule_at(s, 3)->symbolizers;
    cr_assert_eq(x->mark, SINSPACE_MARK_X);
    cr_assert_float_eq(x->rotation, 45, 1e-12);
    cr_assert(!x->has_fill);
    cr_assert_eq(x->stroke.n_dash, 2);
    sinspace_style_destroy(s);
}

Test(style, shipped_risk_style)
{
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, style_path("risk.sld"), NULL, &s), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(n_warnings, 0, "%s", logbuf);
    for (size_t i = 0; i < sinspace_style_rule_count(s); i++)
        cr_assert_not_null(sinspace_style_rule_at(s, i)->title);
    struct {
        const char *cls, *sector;
        const char *rule;
        sinspace_mark mark;
        const char *color;
    } cases[] = {
        {"high", "brothel", "high-sex", SINSPACE_MARK_STAR, "d7191c"},
        {"medium", "karaoke_bar", "medium-venue", SINSPACE_MARK_CIRCLE, "fdae61"},
        {"low", "garment_factory", "low-factory", SINSPACE_MARK_SQUARE, "2c7bb6"},
        {NULL, "fishing", "unscored-fishing", SINSPACE_MARK_TRIANGLE, "9e9e9e"},
        {"high", "construction", "high-building", SINSPACE_MARK_CROSS, "d7191c"},
        {"low", "domestic_work_agency", "low-agency", SINSPACE_MARK_X, "2c7bb6"},
        {"high", "tea_shop", "high-other", SINSPACE_MARK_CIRCLE, "d7191c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sinspace_style_attr a[4] = {{"risk_class", cases[i].cls},
                                    {"sector", cases[i].sector},
                                    {"name", "Test Venue"},
                                    {"status", "active"}};
        hits h = match_attrs(s, a, 4, 10000);
        cr_assert_eq(h.n, 2, "case %zu: %d rules", i, h.n);
        cr_assert_str_eq(h.names[0], cases[i].rule);
        cr_assert_str_eq(h.names[1], "labels");
        /* Labels at every scale (the renderer places them by risk). */
        h = match_attrs(s, a, 4, 100000);
        cr_assert_eq(h.n, 2);
        /* A closed workplace: its own hollow rule, whatever its class. */
        a[3].value = "closed";
        h = match_attrs(s, a, 4, 10000);
        cr_assert_eq(h.n, 2, "case %zu closed: %d rules", i, h.n);
        cr_assert_str_eq(h.names[0], "closed");
        a[3].value = "active";
        for (size_t k = 0; k < sinspace_style_rule_count(s); k++) {
            const sinspace_style_rule *r = sinspace_style_rule_at(s, k);
            if (strcmp(r->name, cases[i].rule))
                continue;
            const sinspace_symbolizer *y = r->symbolizers;
            cr_assert_eq(y->mark, cases[i].mark, "case %zu", i);
            char hex[8];
            snprintf(hex, sizeof hex, "%02x%02x%02x", (int)lround(y->fill.r * 255),
                     (int)lround(y->fill.g * 255), (int)lround(y->fill.b * 255));
            cr_assert_str_eq(hex, cases[i].color);
        }
    }
    const sinspace_style_rule *labels =
        sinspace_style_rule_at(s, sinspace_style_rule_count(s) - 1);
    cr_assert(isinf(labels->max_scale)); /* labels at every scale (issue 17) */
    cr_assert_str_eq(labels->symbolizers->label_property, "name");
    cr_assert(labels->symbolizers->halo_radius > 0);
    sinspace_style_destroy(s);
}

Test(style, shipped_areas_and_zones_styles)
{
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, style_path("areas.sld"), NULL, &s), SINSPACE_OK);
    sinspace_style_attr sel[2] = {{"selected", "1"}, {"name_latin", "Khlong Toei"}};
    hits h = match_attrs(s, sel, 2, 100000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "selected");
    cr_assert_str_eq(h.names[1], "selected-label");
    sinspace_style_attr other[2] = {{"selected", "0"}, {"name_latin", "Pathum Wan"}};
    h = match_attrs(s, other, 2, 100000);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.names[0], "others");
    cr_assert_str_eq(h.names[1], "other-labels");
    h = match_attrs(s, other, 2, 500000);
    cr_assert_eq(h.n, 1);
    sinspace_style_destroy(s);

    cr_assert_eq(sinspace_style_load(ctx, style_path("zones.sld"), NULL, &s), SINSPACE_OK);
    const char *risks[] = {"2.5", "2.333", "2.0", "1.2", NULL};
    const char *expect[] = {"zone-high", "zone-high", "zone-medium", "zone-low", "zone-low"};
    for (int i = 0; i < 5; i++) {
        sinspace_style_attr a = {"max_risk", risks[i]};
        h = match_attrs(s, &a, 1, 100000);
        cr_assert_eq(h.n, 1);
        cr_assert_str_eq(h.names[0], expect[i], "risk %s", risks[i] ? risks[i] : "null");
    }
    sinspace_style_destroy(s);
    cr_assert_eq(n_warnings, 0, "%s", logbuf);
}

Test(style, null_arguments_and_missing_files)
{
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, NULL, NULL, &s), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_style_load(NULL, "x", NULL, &s), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_style_load(ctx, "/nonexistent/x.sld", NULL, &s), SINSPACE_NOT_FOUND);
    cr_assert_eq(sinspace_style_load_memory(ctx, NULL, 0, NULL, NULL, &s),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_null(s);
    sinspace_style_destroy(NULL);
    cr_assert_null(sinspace_style_name(NULL));
    cr_assert_eq(sinspace_style_rule_count(NULL), 0);
    cr_assert_null(sinspace_style_rule_at(NULL, 0));
    cr_assert_eq(sinspace_style_match(NULL, NULL, 0, 1, NULL, NULL), 0);
    cr_assert_eq(sinspace_style_rule_matches(NULL, NULL, NULL, 0, 1), 0);
    s = load_ok(SLD10_HEAD RULE("a", CMP("EqualTo", "k", "a")) SLD10_TAIL);
    cr_assert_null(sinspace_style_rule_at(s, 1));
    sinspace_style_rule fake = *sinspace_style_rule_at(s, 0);
    cr_assert_eq(sinspace_style_rule_matches(s, &fake, NULL, 0, 1), 0);
    cr_assert_null(sinspace_style_rule_describe_filter(s, &fake));
    sinspace_style_destroy(s);
}

static int
run(const char *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert_not_null(bin);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s/out' 2>&1", bin, args, tmpdir);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

Test(style, cli_style_check)
{
    char args[16384];
    snprintf(args, sizeof args, "style check '%s' '%s' '%s' '%s'", style_path("risk.sld"),
             style_path("areas.sld"), style_path("zones.sld"), style_path("qgis-export.sld"));
    cr_assert_eq(run(args), 0);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/bad.sld", tmpdir);
    write_file(bad, SLD10_HEAD LINE_RULE(CSS("stroke", "blue")) SLD10_TAIL);
    snprintf(args, sizeof args, "style check '%s' '%s'", style_path("risk.sld"), bad);
    cr_assert_eq(run(args), 3);
    snprintf(bad, sizeof bad, "%s/evil.sld", tmpdir);
    write_file(bad, SLD10_HEAD GRAPHIC_RULE("../../etc/passwd") SLD10_TAIL);
    snprintf(args, sizeof args, "style check '%s'", bad);
    cr_assert_eq(run(args), 1);
    cr_assert_eq(run("style check"), 2);
}

/* destroy(load(data)) over every truncation point and seeded byte flips of
 * a real QGIS-shaped style: only clean failures, never a crash (run under
 * ASan to catch the quiet ones). */
Test(style, mutated_documents_fail_cleanly)
{
    FILE *f = fopen(style_path("qgis-export.sld"), "rb");
    cr_assert_not_null(f);
    static char orig[65536];
    size_t n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    cr_assert(n > 1000 && n < sizeof orig);
    char *buf = malloc(n);
    cr_assert_not_null(buf);
    unsigned long long seed = 42;
    int ok = 0, invalid = 0;
    for (int round = 0; round < 600; round++) {
        memcpy(buf, orig, n);
        size_t len = n;
        if (round < 200) {
            len = (size_t)round * n / 200;  /* truncated */
        } else {
            for (int k = 0; k < 1 + round % 8; k++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t at = (size_t)(seed >> 33) % n;
                static const char junk[] = "<>&\"'/=#x9 \n\0ogc:Filter";
                buf[at] = junk[(seed >> 20) % (sizeof junk - 1)];
            }
        }
        sinspace_style *s = NULL;
        sinspace_status st = sinspace_style_load_memory(ctx, buf, len, "fuzz.sld",
                                                        tmpdir, &s);
        cr_assert(st == SINSPACE_OK || st == SINSPACE_INVALID_INPUT,
                  "round %d: %s", round, sinspace_context_message(ctx));
        if (st == SINSPACE_OK) {
            ok++;
            sinspace_style_attr a[2] = {{"risk", "2.5"}, {"sector", "brothel"}};
            sinspace_style_match(s, a, 2, 10000, NULL, NULL);
        } else {
            invalid++;
        }
        sinspace_style_destroy(s);
    }
    cr_assert(ok > 0 && invalid > 0, "ok %d invalid %d", ok, invalid);
    free(buf);
}

/* ---- issue 18: expressions, graphics, what a style will draw ---------- */

static char *
data_path(const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    cr_assert_not_null(root);
    snprintf(buf[i], sizeof buf[i], "%s/tests/data/styles/%s", root, name);
    return buf[i];
}

#define POINT_RULE(graphic) \
    "<Rule><Name>p</Name><PointSymbolizer><Graphic><Mark><WellKnownName>circle" \
    "</WellKnownName><Fill><CssParameter name=\"fill\">#000000</CssParameter></Fill>" \
    "</Mark>" graphic "</Graphic></PointSymbolizer></Rule>\n"

/* The first symbolizer of the first rule resolved for one feature. */
static const sinspace_symbolizer *
resolve1(sinspace_style *s, const sinspace_style_attr *a, size_t n, double scale)
{
    const sinspace_symbolizer *y = sinspace_style_rule_at(s, 0)->symbolizers;
    return sinspace__style_resolve(s, y, a, n, scale);
}

Test(style, size_and_rotation_from_properties_and_arithmetic)
{
    sinspace_style *s = load_ok(SLD10_HEAD POINT_RULE(
        "<Size><ogc:Add>" LIT("6") "<ogc:Mul>" PROP("risk") LIT("2") "</ogc:Mul></ogc:Add></Size>"
        "<Rotation>" PROP("rot") "</Rotation>"
        "<Opacity><ogc:Div>" PROP("risk") LIT("4") "</ogc:Div></Opacity>") SLD10_TAIL);
    sinspace_style_attr a[2] = {{"risk", "2.5"}, {"rot", "37.5"}};
    const sinspace_symbolizer *r = resolve1(s, a, 2, 10000);
    cr_assert_float_eq(r->size, 6 + 2.5 * 2, 1e-12);
    cr_assert_float_eq(r->rotation, 37.5, 1e-12);
    cr_assert_float_eq(r->graphic_opacity, 2.5 / 4, 1e-12);
    cr_assert_float_eq(r->fill.a, 2.5 / 4, 1e-12);
    /* The same values: the same address (stamps are cached by it). */
    cr_assert_eq(resolve1(s, a, 2, 10000), r);
    /* A null property keeps the style's fixed value; out of range is
     * clamped, never drawn at 1e300. */
    sinspace_style_attr b[2] = {{"risk", "1e300"}, {"rot", NULL}};
    r = resolve1(s, b, 2, 10000);
    cr_assert_float_eq(r->size, 1000, 1e-9);
    cr_assert_float_eq(r->rotation, 0, 1e-12);
    cr_assert_float_eq(r->graphic_opacity, 1, 1e-12);
    sinspace_style_destroy(s);
}

Test(style, categorize_interpolate_recode_and_strings)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        "<Rule><Name>p</Name><PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName>"
        "<Fill><CssParameter name=\"fill\"><ogc:Function name=\"Interpolate\">" PROP("risk")
        LIT("1") LIT("#ffffb2") LIT("3") LIT("#bd0026") LIT("color") "</ogc:Function>"
        "</CssParameter></Fill><Stroke><CssParameter name=\"stroke\">"
        "<ogc:Function name=\"Recode\">" PROP("sector") LIT("brothel") LIT("#ff0000")
        LIT("fishing") LIT("#0000ff") "</ogc:Function></CssParameter></Stroke></Mark>"
        "<Size><ogc:Function name=\"Categorize\">" PROP("risk") LIT("4") LIT("1.667") LIT("6")
        LIT("2.333") LIT("9") "</ogc:Function></Size></Graphic></PointSymbolizer>"
        "<TextSymbolizer><Label><ogc:Function name=\"strConcat\">" PROP("name")
        "<ogc:Function name=\"strConcat\">" LIT(" - ") "<ogc:Function name=\"strToUpperCase\">"
        PROP("risk_class") "</ogc:Function></ogc:Function></ogc:Function></Label>"
        "</TextSymbolizer></Rule>" SLD10_TAIL);
    sinspace_style_attr a[4] = {{"risk", "2"}, {"sector", "fishing"}, {"name", "Pier 4"},
                                {"risk_class", "medium"}};
    const sinspace_symbolizer *r = resolve1(s, a, 4, 10000);
    /* Halfway from #ffffb2 to #bd0026: (255+189)/2, (255+0)/2, (178+38)/2. */
    cr_assert_float_eq(r->fill.r * 255, 222, 0.51);
    cr_assert_float_eq(r->fill.g * 255, 127.5, 0.51);
    cr_assert_float_eq(r->fill.b * 255, 108, 0.51);
    cr_assert_float_eq(r->stroke.color.b, 1, 1e-12);
    cr_assert_float_eq(r->size, 6, 1e-12);      /* 1.667 <= 2 < 2.333 */
    sinspace_style_attr hi[1] = {{"risk", "2.333"}};
    cr_assert_float_eq(resolve1(s, hi, 1, 10000)->size, 9, 1e-12); /* succeeding */
    sinspace_style_attr lo[1] = {{"risk", "1"}};
    cr_assert_float_eq(resolve1(s, lo, 1, 10000)->size, 4, 1e-12);
    const sinspace_symbolizer *t = &sinspace_style_rule_at(s, 0)->symbolizers[1];
    char buf[128];
    cr_assert_str_eq(sinspace__style_label(t, a, 4, buf, sizeof buf), "Pier 4 - MEDIUM");
    sinspace_style_destroy(s);
}

Test(style, functions_featureid_and_bbox_in_filters)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        RULE("in", "<ogc:PropertyIsEqualTo><ogc:Function name=\"in\">" PROP("sector")
             LIT("brothel") LIT("karaoke_bar") "</ogc:Function>" LIT("true")
             "</ogc:PropertyIsEqualTo>")
        RULE("fn", "<ogc:Function name=\"greaterThan\">" PROP("risk") LIT("2") "</ogc:Function>")
        RULE("fid", "<ogc:FeatureId fid=\"workplaces.12\"/>")
        "<Rule><Name>fids</Name><ogc:Filter><ogc:FeatureId fid=\"3\"/><ogc:FeatureId fid=\"4\"/>"
        "</ogc:Filter><PointSymbolizer/></Rule>"
        RULE("bbox", "<ogc:BBOX>" PROP("geom") "<gml:Box xmlns:gml=\"http://www.opengis.net/gml\""
             " srsName=\"EPSG:4326\"><gml:coordinates>100.5,13.6 100.7,13.8</gml:coordinates>"
             "</gml:Box></ogc:BBOX>")
        RULE("upper", "<ogc:PropertyIsEqualTo><ogc:Function name=\"strToUpperCase\">"
             PROP("risk_class") "</ogc:Function>" LIT("HIGH") "</ogc:PropertyIsEqualTo>")
        SLD10_TAIL);
    const sinspace_style_rule *in = sinspace_style_rule_at(s, 0), *fn = sinspace_style_rule_at(s, 1),
                              *fid = sinspace_style_rule_at(s, 2), *fids = sinspace_style_rule_at(s, 3),
                              *bbox = sinspace_style_rule_at(s, 4), *up = sinspace_style_rule_at(s, 5);
    sinspace_style_attr a[5] = {{"sector", "brothel"}, {"risk", "2.5"}, {"id", "12"},
                                {"lon", "100.6"}, {"lat", "13.7"}};
    sinspace_style_attr b[5] = {{"sector", "fishing"}, {"risk", "1.5"}, {"id", "3"},
                                {"lon", "100.9"}, {"lat", "13.7"}};
    cr_assert(sinspace_style_rule_matches(s, in, a, 5, 1000));
    cr_assert(!sinspace_style_rule_matches(s, in, b, 5, 1000));
    cr_assert(sinspace_style_rule_matches(s, fn, a, 5, 1000));
    cr_assert(!sinspace_style_rule_matches(s, fn, b, 5, 1000));
    cr_assert(sinspace_style_rule_matches(s, fid, a, 5, 1000));
    cr_assert(!sinspace_style_rule_matches(s, fid, b, 5, 1000));
    cr_assert(!sinspace_style_rule_matches(s, fids, a, 5, 1000));
    cr_assert(sinspace_style_rule_matches(s, fids, b, 5, 1000));
    cr_assert(sinspace_style_rule_matches(s, bbox, a, 5, 1000));
    cr_assert(!sinspace_style_rule_matches(s, bbox, b, 5, 1000));
    sinspace_style_attr c[1] = {{"risk_class", "high"}};
    cr_assert(sinspace_style_rule_matches(s, up, c, 1, 1000));
    char *d = sinspace_style_rule_describe_filter(s, fids);
    cr_assert_str_eq(d, "FID IN ('3', '4')");
    free(d);
    sinspace_style_destroy(s);
    /* Unknown functions and wrong argument counts: refused, named. */
    cr_assert_eq(load_fail(SLD10_HEAD POINT_RULE("<Size><ogc:Function name=\"nosuch\">"
                           PROP("a") "</ogc:Function></Size>") SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "mem.sld:4: function 'nosuch'"),
              "%s", sinspace_context_message(ctx));
    cr_assert_eq(load_fail(SLD10_HEAD POINT_RULE("<Size><ogc:Function name=\"if_then_else\">"
                           PROP("a") "</ogc:Function></Size>") SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
}

Test(style, values_out_of_range_refused_with_line)
{
    const char *bad[] = {
        "<Size>1e300</Size>", "<Size>-1</Size>", "<Opacity>1.5</Opacity>",
        "<Size><ogc:Mul>" LIT("1e200") LIT("1e200") "</ogc:Mul></Size>",
        "<Rotation>1e300</Rotation>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char xml[2048];
        snprintf(xml, sizeof xml, SLD10_HEAD POINT_RULE("%s") SLD10_TAIL, bad[i]);
        cr_assert_eq(load_fail(xml), SINSPACE_INVALID_INPUT, "%s", bad[i]);
        cr_assert(strstr(sinspace_context_message(ctx), "mem.sld:4: bad "), "%s: %s", bad[i],
                  sinspace_context_message(ctx));
    }
    cr_assert_eq(load_fail(SLD10_HEAD LINE_RULE(CSS("stroke-width", "1e9")) SLD10_TAIL),
                 SINSPACE_INVALID_INPUT);
}

Test(style, uom_metres_are_ground_units_at_the_scale)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        "<Rule><PointSymbolizer uom=\"http://www.opengeospatial.org/se/units/metre\">"
        "<Graphic><Mark><WellKnownName>circle</WellKnownName></Mark><Size>10</Size>"
        "</Graphic></PointSymbolizer></Rule>" SLD10_TAIL);
    cr_assert_eq(n_warnings, 0, "%s", logbuf);
    /* 10 m at 1:10,000 is 1 mm of paper: 1 / 0.28 SLD pixels. */
    const sinspace_symbolizer *r = resolve1(s, NULL, 0, 10000);
    cr_assert_float_eq(r->size, 1.0 / 0.28, 1e-9);
    sinspace_style_destroy(s);
}

Test(style, qgis_fixtures_with_property_rotation)
{
    sinspace_style *s = NULL;
    cr_assert_eq(sinspace_style_load(ctx, data_path("qgis_rotation.sld"), NULL, &s), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(sinspace_style_check_workplaces(ctx, s, "q"), 0, "%s", logbuf);
    const sinspace_symbolizer *p = sinspace_style_rule_at(s, 0)->symbolizers;
    cr_assert_not_null(p->expr[SINSPACE_SLOT_ROTATION]);
    sinspace_style_attr a[1] = {{"risk", "2"}};
    cr_assert_float_eq(sinspace__style_resolve(s, p, a, 1, 5000)->rotation, 60, 1e-12);
    char *props = sinspace_style_rule_properties(s, sinspace_style_rule_at(s, 0));
    cr_assert(strstr(props, "risk") && strstr(props, "name") && strstr(props, "risk_class"),
              "%s", props);
    free(props);
    sinspace_style_destroy(s);
    /* A rotation by a field workplaces lack: loads, and says so. */
    logbuf[0] = '\0';
    cr_assert_eq(sinspace_style_load(ctx, data_path("qgis_rotation_lacking.sld"), NULL, &s),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_style_check_workplaces(ctx, s, "q");
    cr_assert(strstr(logbuf, "bearing_deg"), "%s", logbuf);
    sinspace_style_destroy(s);
    /* A filter on a property workplaces lack: a warning naming it. */
    logbuf[0] = '\0';
    cr_assert_eq(sinspace_style_load(ctx, data_path("filter_lacking.sld"), NULL, &s), SINSPACE_OK);
    cr_assert_eq(sinspace_style_check_workplaces(ctx, s, "f"), 1);
    cr_assert(strstr(logbuf, "pop") && strstr(logbuf, "draws no workplace"), "%s", logbuf);
    sinspace_style_destroy(s);
    /* A style with no point symbolizer. */
    logbuf[0] = '\0';
    s = load_ok(SLD10_HEAD LINE_RULE(CSS("stroke", "#000000")) SLD10_TAIL);
    cr_assert_eq(sinspace_style_check_workplaces(ctx, s, "l"), 1);
    cr_assert(strstr(logbuf, "no rule has a PointSymbolizer"), "%s", logbuf);
    sinspace_style_destroy(s);
}

Test(style, shapes_and_glyph_marks)
{
    sinspace_style *s = load_ok(SLD10_HEAD
        "<Rule><PointSymbolizer><Graphic><Mark><WellKnownName>shape://vertline</WellKnownName>"
        "</Mark></Graphic></PointSymbolizer></Rule>"
        "<Rule><PointSymbolizer><Graphic><Mark><WellKnownName>ttf://DejaVu Sans#0x2605"
        "</WellKnownName></Mark></Graphic></PointSymbolizer></Rule>" SLD10_TAIL);
    cr_assert_eq(n_warnings, 0, "%s", logbuf);
    for (size_t i = 0; i < 2; i++) {
        const sinspace_symbolizer *y = sinspace_style_rule_at(s, i)->symbolizers;
        cr_assert_eq(y->mark, SINSPACE_MARK_GRAPHIC);
        cr_assert_not_null(y->graphic);
    }
    cr_assert_str_eq(sinspace__graphic_describe(sinspace_style_rule_at(s, 1)->symbolizers->graphic),
                     "ttf://DejaVu Sans#U+2605");
    sinspace_style_destroy(s);
}

/* A map with the test sample store, through the command. */
static void
make_store(char *db, size_t size)
{
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    const char *bin = getenv("SINSPACE_BIN");
    snprintf(db, size, "%s/kt.db", tmpdir);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "sh '%s/tests/data/render/make-khlong-toei-db.sh' '%s' '%s' "
             ">/dev/null 2>&1", root, bin, db);
    cr_assert_eq(system(cmd), 0);
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

Test(style, map_draws_external_graphics_and_warns_when_nothing_drawn, .timeout = 300)
{
    char db[4300], args[16384], out[4400];
    make_store(db, sizeof db);
    /* An ExternalGraphic PNG: an <image> in the SVG page. */
    snprintf(out, sizeof out, "%s/g.svg", tmpdir);
    snprintf(args, sizeof args, "map '%s' -o '%s' --style '%s' --no-basemap "
             "--bbox 100.54,13.69,100.6,13.74", db, out, data_path("external_png.sld"));
    cr_assert_eq(run(args), 0);
    char *svg = slurp(out, NULL);
    cr_assert(strstr(svg, "<image"), "no <image> in the SVG");
    free(svg);
    /* The 40 workplaces in that box, counted independently in the CSV the
     * store was made from, are what it says it drew. */
    char log[4400];
    snprintf(log, sizeof log, "%s/out", tmpdir);
    char *o = slurp(log, NULL);
    cr_assert(strstr(o, ", 40 workplaces,"), "%s", o);
    free(o);
    /* A filter on a property workplaces lack: a warning, and 0 drawn. */
    snprintf(out, sizeof out, "%s/f.svg", tmpdir);
    snprintf(args, sizeof args, "map '%s' -o '%s' --style '%s' --no-basemap "
             "--bbox 100.54,13.69,100.6,13.74", db, out, data_path("filter_lacking.sld"));
    cr_assert_eq(run(args), 0);
    o = slurp(log, NULL);
    cr_assert(strstr(o, "warning") && strstr(o, "pop"), "%s", o);
    cr_assert(strstr(o, "drew none of the 40 workplaces"), "%s", o);
    cr_assert(strstr(o, ", 0 workplaces,"), "%s", o);
    free(o);
    /* The QGIS-shaped style with property rotation draws all of them. */
    snprintf(out, sizeof out, "%s/q.png", tmpdir);
    snprintf(args, sizeof args, "map '%s' -o '%s' --style '%s' --no-basemap --dpi 60 "
             "--bbox 100.54,13.69,100.6,13.74", db, out, data_path("qgis_rotation.sld"));
    cr_assert_eq(run(args), 0);
    o = slurp(log, NULL);
    cr_assert(strstr(o, ", 40 workplaces,"), "%s", o);
    free(o);
    /* A BBOX filter reads each workplace's stored position: the 10 south
     * of 13.7105 (counted in workplaces_khlong_toei.csv), no more. */
    snprintf(out, sizeof out, "%s/b.png", tmpdir);
    snprintf(args, sizeof args, "map '%s' -o '%s' --style '%s' --no-basemap --dpi 60 "
             "--bbox 100.54,13.69,100.6,13.74", db, out, data_path("bbox_south.sld"));
    cr_assert_eq(run(args), 0);
    o = slurp(log, NULL);
    cr_assert(strstr(o, ", 10 workplaces,"), "%s", o);
    free(o);
}

/* Fraction of pixels whose channels differ by more than 48 of 255. */
static double
png_diff(const char *a, const char *b)
{
    cairo_surface_t *x = cairo_image_surface_create_from_png(a);
    cairo_surface_t *y = cairo_image_surface_create_from_png(b);
    cr_assert_eq(cairo_surface_status(x), CAIRO_STATUS_SUCCESS, "%s", a);
    cr_assert_eq(cairo_surface_status(y), CAIRO_STATUS_SUCCESS, "%s", b);
    int w = cairo_image_surface_get_width(x), h = cairo_image_surface_get_height(x);
    cr_assert_eq(w, cairo_image_surface_get_width(y));
    cr_assert_eq(h, cairo_image_surface_get_height(y));
    cairo_surface_flush(x);
    cairo_surface_flush(y);
    const unsigned char *p = cairo_image_surface_get_data(x), *q = cairo_image_surface_get_data(y);
    int sp = cairo_image_surface_get_stride(x), sq = cairo_image_surface_get_stride(y);
    long bad = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            for (int c = 0; c < 3; c++)
                if (abs(p[j * sp + 4 * i + c] - q[j * sq + 4 * i + c]) > 48) {
                    bad++;
                    break;
                }
    cairo_surface_destroy(x);
    cairo_surface_destroy(y);
    return (double)bad / ((double)w * h);
}

/* Pixels of exactly one colour (RGB24 page). */
static long
count_colour(const char *png, unsigned rgb)
{
    cairo_surface_t *x = cairo_image_surface_create_from_png(png);
    cr_assert_eq(cairo_surface_status(x), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(x);
    int w = cairo_image_surface_get_width(x), h = cairo_image_surface_get_height(x);
    int sp = cairo_image_surface_get_stride(x);
    const unsigned char *p = cairo_image_surface_get_data(x);
    long n = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            const unsigned char *px = p + j * sp + 4 * i; /* B G R X */
            if (((unsigned)px[2] << 16 | (unsigned)px[1] << 8 | px[0]) == rgb)
                n++;
        }
    cairo_surface_destroy(x);
    return n;
}

Test(style, geoserver_cookbook_styles_match_golden_images, .timeout = 300)
{
    char db[4300], args[16384], out[4400], sld[4400], golden[4400];
    make_store(db, sizeof db);
    const char *names[] = {"point_simplepointwithstroke", "point_rotatedsquare",
                           "point_transparenttriangle"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(sld, sizeof sld, "%s", data_path("cookbook/x.sld"));
        snprintf(strrchr(sld, '/') + 1, 200, "%s.sld", names[i]);
        snprintf(golden, sizeof golden, "%s", data_path("cookbook/golden/x.png"));
        snprintf(strrchr(golden, '/') + 1, 200, "%s.png", names[i]);
        snprintf(out, sizeof out, "%s/%s.png", tmpdir, names[i]);
        snprintf(args, sizeof args, "-q map '%s' -o '%s' --style '%s' "
                 "--bbox 100.54,13.69,100.6,13.74 --dpi 60 --no-basemap --no-labels "
                 "--generated-at 2026-01-01T00:00:00Z --marking ''", db, out, sld);
        cr_assert_eq(run(args), 0, "%s", names[i]);
        double d = png_diff(out, golden);
        /* Two different cookbook styles differ in 0.7% of the page: the
         * tolerance leaves room for anti-aliasing, not for another look. */
        cr_assert_lt(d, 0.002, "%s differs from its golden image in %.2f%% of pixels",
                     names[i], 100 * d);
    }
    /* Independently of the goldens: the rotated square's own green. */
    snprintf(out, sizeof out, "%s/point_rotatedsquare.png", tmpdir);
    cr_assert_gt(count_colour(out, 0x009900), 40 * 20);
    /* The attribute-based point filters on pop, which workplaces lack. */
    snprintf(out, sizeof out, "%s/attr.png", tmpdir);
    snprintf(args, sizeof args, "map '%s' -o '%s' --style '%s' "
             "--bbox 100.54,13.69,100.6,13.74 --dpi 60 --no-basemap", db, out,
             data_path("cookbook/point_attribute.sld"));
    cr_assert_eq(run(args), 0);
    char log[4400];
    snprintf(log, sizeof log, "%s/out", tmpdir);
    char *o = slurp(log, NULL);
    cr_assert(strstr(o, "pop") && strstr(o, ", 0 workplaces,"), "%s", o);
    free(o);
    cr_assert_eq(count_colour(out, 0x0033cc), 0);
}

/* The rule index (many "k = literal" rules) gives exactly what testing
 * every rule in order with sinspace_style_rule_matches gives. */
Test(style, indexed_equality_rules_match_as_every_rule_would)
{
    char *xml = malloc(200000);
    size_t at = (size_t)snprintf(xml, 200000, "%s", SLD10_HEAD);
    for (int i = 0; i < 40; i++) {
        /* Strings, numbers written two ways, and a few rules the index
         * cannot take (Like, another property) in between. */
        if (i % 10 == 5)
            at += (size_t)snprintf(xml + at, 200000 - at,
                                   RULE("like%d", "<ogc:PropertyIsLike wildCard=\"*\" "
                                        "singleChar=\".\" escape=\"!\">" PROP("k") LIT("v1*")
                                        "</ogc:PropertyIsLike>"), i);
        else if (i % 10 == 7)
            at += (size_t)snprintf(xml + at, 200000 - at,
                                   RULE("other%d", CMP("EqualTo", "j", "x")), i);
        else if (i % 3 == 0)
            at += (size_t)snprintf(xml + at, 200000 - at,
                                   RULE("num%d", CMP("EqualTo", "k", "%d.0")), i, i);
        else
            at += (size_t)snprintf(xml + at, 200000 - at,
                                   RULE("str%d", CMP("EqualTo", "k", "v%d")), i, i);
    }
    at += (size_t)snprintf(xml + at, 200000 - at, "%s",
                           RULE("dup", CMP("EqualTo", "k", "v1"))
                           "<Rule><Name>else</Name><ElseFilter/><PointSymbolizer/></Rule>"
                           SLD10_TAIL);
    sinspace_style *s = load_ok(xml);
    free(xml);
    const char *values[] = {"v1", "3", "3.00", " 3", "v10", "v13", "nope", "6", "1e0", NULL};
    for (size_t vi = 0; vi < sizeof values / sizeof values[0]; vi++) {
        for (int with_j = 0; with_j < 2; with_j++) {
            sinspace_style_attr a[2] = {{"k", values[vi]}, {"j", with_j ? "x" : "y"}};
            hits got;
            memset(&got, 0, sizeof got);
            sinspace_style_match(s, a, 2, 1000, record, &got);
            /* The reference: every rule in order, then the else. */
            hits want;
            memset(&want, 0, sizeof want);
            int any = 0;
            size_t n = sinspace_style_rule_count(s);
            for (size_t i = 0; i < n; i++) {
                const sinspace_style_rule *r = sinspace_style_rule_at(s, i);
                if (!r->is_else && sinspace_style_rule_matches(s, r, a, 2, 1000)) {
                    record(&want, r);
                    any = 1;
                }
            }
            if (!any)
                record(&want, sinspace_style_rule_at(s, n - 1));
            cr_assert_eq(got.n, want.n, "k=%s", values[vi] ? values[vi] : "(null)");
            for (int i = 0; i < got.n; i++)
                cr_assert_str_eq(got.names[i], want.names[i], "k=%s",
                                 values[vi] ? values[vi] : "(null)");
        }
    }
    sinspace_style_destroy(s);
}

Test(style, cli_style_check_says_what_rules_draw_and_read)
{
    char args[16384];
    snprintf(args, sizeof args, "style check '%s' '%s'", data_path("qgis_rotation.sld"),
             data_path("filter_lacking.sld"));
    cr_assert_eq(run(args), 0);
    char log[4400];
    snprintf(log, sizeof log, "%s/out", tmpdir);
    char *o = slurp(log, NULL);
    cr_assert(strstr(o, "draws: workplace markers and labels"), "%s", o);
    cr_assert(strstr(o, "reads: risk, risk_class, name"), "%s", o);
    cr_assert(strstr(o, "rotation=(risk * 30)"), "%s", o);
    cr_assert(strstr(o, "reads: pop (workplaces lack: pop)"), "%s", o);
    cr_assert(strstr(o, "warning") && strstr(o, "draws no workplace"), "%s", o);
    free(o);
    /* Size 1e300: exit 3, naming file and line. */
    snprintf(args, sizeof args, "style check '%s'", data_path("size_huge.sld"));
    cr_assert_eq(run(args), 3);
    o = slurp(log, NULL);
    cr_assert(strstr(o, "size_huge.sld:20: bad Size") && strstr(o, "'1e300'"), "%s", o);
    free(o);
}
