/* fuzz_http.c: the server's request handling on any request, without a
 * socket (sinspace__serve_answer: the guards, the static files, the API's
 * paths, query strings and JSON bodies, the tiles, the audit rows) over a
 * store holding the Chiang Mai districts and 96 fictional workplaces.
 *
 * The input is a request as text:
 *   [!]METHOD PATH[?QUERY]\n      '!': the server that requires a token
 *   Name: value\n ...             headers, up to an empty line
 *   body                          the rest
 * A request without a Host header gets Host: localhost, so most inputs
 * pass the guard and reach the API.  Every answer must have a code
 * between 200 and 599, and a body or a message. */
#include "fuzz_common.h"
#include "serve/serve_int.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define TOKEN "fuzz-token-0123456789abcdef"
#define MAX_PAIRS 32

static sinspace_context *ctx;
static sinspace_server *servers[2];
static serve_worker *workers[2];

__attribute__((destructor)) static void
free_all(void)
{
    for (int i = 0; i < 2; i++) {
        sinspace__serve_worker_close(workers[i]);
        sinspace_server_stop(servers[i]);
    }
    sinspace_context_destroy(ctx); /* so LeakSanitizer sees no leak */
}

static void
quiet(void *user, sinspace_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
}

/* Before the first input, so its coverage is not counted as the
 * target's. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ctx = sinspace_context_create();
    if (!ctx)
        abort();
    sinspace_context_set_logger(ctx, quiet, NULL);
    fuzz_setup(ctx, 1);
    for (int i = 0; i < 2; i++) {
        sinspace_server_options o;
        sinspace_server_options_init(&o);
        o.db_path = fuzz_db;
        o.token = i ? TOKEN : NULL;
        o.max_body = 64 * 1024;
        o.cache_bytes = 1 << 20;
        o.vendor_dir = "/nonexistent-sinspace-fuzz";
        if (sinspace__serve_open(ctx, &o, &servers[i]) != SINSPACE_OK ||
            !(workers[i] = sinspace__serve_worker_open(servers[i]))) {
            fprintf(stderr, "fuzz_http: %s\n", sinspace_context_message(ctx));
            abort();
        }
    }
    return 0;
}

static int
hex(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decodes s in place ('+' is a space), as libmicrohttpd does. */
static void
unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
            *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *p = buf;
    int with_token = 0;
    if (*p == '!') {
        with_token = 1;
        p++;
    }
    /* The request line. */
    char *eol = strchr(p, '\n');
    char *body = eol ? eol + 1 : buf + size;
    if (eol)
        *eol = '\0';
    char *method = p, *url = strchr(p, ' ');
    if (url)
        *url++ = '\0';
    else
        url = "/";
    serve_pair args[MAX_PAIRS], headers[MAX_PAIRS];
    size_t n_args = 0, n_headers = 0;
    char *query = strchr(url, '?');
    if (query) {
        *query++ = '\0';
        for (char *save = NULL, *t = strtok_r(query, "&", &save);
             t && n_args < MAX_PAIRS; t = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(t, '=');
            if (eq)
                *eq++ = '\0';
            unescape(t);
            if (eq)
                unescape(eq);
            args[n_args].name = t;
            args[n_args++].value = eq ? eq : "";
        }
    }
    /* The headers, up to an empty line; the rest is the body. */
    int have_host = 0;
    while (eol && *body && *body != '\n') {
        eol = strchr(body, '\n');
        char *line = body;
        body = eol ? eol + 1 : buf + size;
        if (eol)
            *eol = '\0';
        char *colon = strchr(line, ':');
        if (!colon || n_headers == MAX_PAIRS)
            continue;
        *colon++ = '\0';
        while (*colon == ' ')
            colon++;
        if (!strcasecmp(line, "Host"))
            have_host = 1;
        headers[n_headers].name = line;
        headers[n_headers++].value = colon;
    }
    if (*body == '\n')
        body++;
    if (!have_host && n_headers < MAX_PAIRS) {
        headers[n_headers].name = "Host";
        headers[n_headers++].value = "localhost";
    }
    serve_request_in in = {
        .method = method, .url = url,
        .headers = headers, .n_headers = n_headers,
        .args = args, .n_args = n_args,
        .body = body, .size = (size_t)(buf + size - body),
    };
    serve_answer a;
    sinspace__serve_answer(servers[with_token], workers[with_token], &in, &a);
    if (a.code < 200 || a.code > 599 || (!a.mime && !a.message[0]) ||
        (a.mime && a.size && !a.body))
        __builtin_trap();
    if (getenv("SINSPACE_FUZZ_VERBOSE")) /* to see what a corpus reaches */
        fprintf(stderr, "%s %s -> %u %.100s\n", method, url, a.code,
                a.mime ? a.mime : a.message);
    free(a.body);
    free(buf);
    return 0;
}
