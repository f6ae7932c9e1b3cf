/* test_serve.c: the server's library interface: argument checks, start on
 * a free loopback port, the Host guard, the token (given, and generated off
 * loopback), the body limit, the in-memory file table and stop.  Requests
 * are plain HTTP/1.0 over a socket to 127.0.0.1 only.  The endpoints'
 * behaviour on real data is tested by tests/web/api.sh and browser.sh. */
#include "testutil.h" /* first: it sets _XOPEN_SOURCE */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* reply.c: the library's messages in the API's words. */
void sinspace__api_words(const char *msg, char *out, size_t size);

static char dir[256];
static char db[300];
static sinspace_context *ctx;

static void
setup(void)
{
    snprintf(dir, sizeof dir, "%s/sinspace-serve-XXXXXX", P_tmpdir);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.sqlite", dir);
    ctx = sinspace_context_create();
    sinspace_store *store = NULL;
    cr_assert_eq(sinspace_store_create(ctx, db, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_store_close(store);
}

static void
teardown(void)
{
    sinspace_context_destroy(ctx);
    tu_leak_check();
    char path[400];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(serve, .init = setup, .fini = teardown);

/* Sends a request to 127.0.0.1:port and returns the status code; the
 * response body (up to size bytes) in body when given. */
static int
request(int port, const char *text, size_t text_len, char *body, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    size_t off = 0;
    while (off < text_len) {
        ssize_t n = send(fd, text + off, text_len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may answer 413 and close early */
        off += (size_t)n;
    }
    static char buf[1 << 16];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    int code = 0;
    sscanf(buf, "HTTP/1.%*d %d", &code);
    if (body) {
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(body, size, "%s", b ? b + 4 : "");
    }
    return code;
}

static int
get(int port, const char *path, const char *extra_headers, char *body, size_t size)
{
    char text[1024];
    int n = snprintf(text, sizeof text, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n%s\r\n",
                     path, port, extra_headers ? extra_headers : "");
    return request(port, text, (size_t)n, body, size);
}

static sinspace_server *
start(const char *bind, const char *token)
{
    sinspace_server_options o;
    sinspace_server_options_init(&o);
    o.db_path = db;
    o.bind = bind;
    o.token = token;
    o.port = 0;
    o.threads = 2;
    sinspace_server *s = NULL;
    sinspace_status st = sinspace_server_start(ctx, &o, &s);
    cr_assert_eq(st, SINSPACE_OK, "start: %s", sinspace_context_message(ctx));
    cr_assert_gt(sinspace_server_port(s), 0);
    return s;
}

Test(serve, null_and_bad_arguments)
{
    sinspace_server_stop(NULL);
    cr_assert_eq(sinspace_server_port(NULL), 0);
    cr_assert_null(sinspace_server_token(NULL));
    sinspace_server_options_init(NULL);
    sinspace_server *s = (sinspace_server *)0x1;
    sinspace_server_options o;
    sinspace_server_options_init(&o);
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(s, (sinspace_server *)0x1, "out written on failure");
    o.db_path = db;
    o.token = "short";
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    o.token = NULL;
    o.internal_token = "short";
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    o.token = o.internal_token = "0123456789abcdef0123";
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "must differ"));
    o.token = o.internal_token = NULL;
    o.bind = "not-an-address";
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    o.bind = NULL;
    o.port = 70000;
    cr_assert_eq(sinspace_server_start(ctx, &o, &s), SINSPACE_INVALID_ARGUMENT);
    o.port = 0;
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none.sqlite", dir);
    o.db_path = missing;
    cr_assert_neq(sinspace_server_start(ctx, &o, &s), SINSPACE_OK);
    cr_assert_eq(s, (sinspace_server *)0x1);
}

Test(serve, loopback_without_token)
{
    sinspace_server *s = start(NULL, NULL);
    int port = sinspace_server_port(s);
    cr_assert_null(sinspace_server_token(s));
    char body[4096];
    cr_assert_eq(get(port, "/api/info", NULL, body, sizeof body), 200, "%s", body);
    cr_assert_not_null(strstr(body, "\"workplaces\":0"), "%s", body);
    cr_assert_eq(get(port, "/", NULL, body, sizeof body), 200);
    cr_assert_not_null(strstr(body, "id=\"map\""));
    cr_assert_eq(get(port, "/app.js", NULL, NULL, 0), 200);
    /* Only exact names: no path reaches the file system. */
    cr_assert_eq(get(port, "/../../etc/passwd", NULL, NULL, 0), 404);
    cr_assert_eq(get(port, "/vendor/../app.js", NULL, NULL, 0), 404);
    cr_assert_eq(get(port, "/tiles/0/0/0.png", NULL, NULL, 0), 200);
    cr_assert_eq(get(port, "/tiles/1/2/0.png", NULL, NULL, 0), 404);
    /* A foreign Host name (DNS rebinding) is refused. */
    char text[256];
    int n = snprintf(text, sizeof text,
                     "GET /api/info HTTP/1.0\r\nHost: attacker.example:%d\r\n\r\n", port);
    cr_assert_eq(request(port, text, (size_t)n, body, sizeof body), 403);
    cr_assert_not_null(strstr(body, "\"error\""));
    sinspace_server_stop(s);
}

Test(serve, body_limit)
{
    sinspace_server *s = start(NULL, NULL);
    int port = sinspace_server_port(s);
    size_t big = 1024 * 1024 + 1;
    char *text = malloc(big + 256);
    cr_assert_not_null(text);
    int n = snprintf(text, 256, "POST /api/query HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                     "Content-Length: %zu\r\n\r\n", big);
    memset(text + n, ' ', big);
    char body[512];
    cr_assert_eq(request(port, text, (size_t)n + big, body, sizeof body), 413);
    cr_assert_not_null(strstr(body, "larger than 1048576"), "%s", body);
    /* Within the limit, a body that is no polygon: 400 with the reason. */
    n = snprintf(text, 256, "POST /api/query HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                 "Content-Length: 5\r\n\r\nhello");
    cr_assert_eq(request(port, text, (size_t)n, body, sizeof body), 400);
    cr_assert_not_null(strstr(body, "\"error\":\"request body"), "%s", body);
    free(text);
    sinspace_server_stop(s);
}

Test(serve, token_required)
{
    sinspace_server *s = start("127.0.0.1", "0123456789abcdef-token");
    int port = sinspace_server_port(s);
    cr_assert_str_eq(sinspace_server_token(s), "0123456789abcdef-token");
    cr_assert_eq(get(port, "/api/info", NULL, NULL, 0), 401);
    cr_assert_eq(get(port, "/", NULL, NULL, 0), 401);
    cr_assert_eq(get(port, "/api/info", "Authorization: Bearer 0123456789abcdef-tokeN\r\n",
                     NULL, 0), 401);
    cr_assert_eq(get(port, "/api/info", "Authorization: Bearer 0123456789abcdef-token\r\n",
                     NULL, 0), 200);
    cr_assert_eq(get(port, "/api/info?token=0123456789abcdef-token", NULL, NULL, 0), 200);
    cr_assert_eq(get(port, "/api/info?token=0123456789abcdef-token2", NULL, NULL, 0), 401);
    sinspace_server_stop(s);
}

Test(serve, generated_token_off_loopback)
{
    /* Listening on every address needs a token: one is generated.  The
     * requests still go to 127.0.0.1 only. */
    sinspace_server *s = start("0.0.0.0", NULL);
    int port = sinspace_server_port(s);
    const char *token = sinspace_server_token(s);
    cr_assert_not_null(token);
    cr_assert_eq(strlen(token), 32);
    cr_assert_eq(strspn(token, "0123456789abcdef"), 32);
    cr_assert_eq(get(port, "/api/info", NULL, NULL, 0), 401);
    char hdr[128];
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
    cr_assert_eq(get(port, "/api/info", hdr, NULL, 0), 200);
    char token2[40];
    snprintf(token2, sizeof token2, "%s", token);
    sinspace_server_stop(s);
    s = start("0.0.0.0", NULL);
    cr_assert_str_neq(sinspace_server_token(s), token2, "a new token each start");
    sinspace_server_stop(s);
}

/* The API speaks its own language: no command-line advice in its errors. */
Test(serve, api_words)
{
    static const char *const cases[][2] = {
        {"request: invalid polygon: Self-intersection[1 2] (fix it, or repair it with --make-valid)",
         "request: invalid polygon: Self-intersection[1 2] (fix the polygon and send it again)"},
        {"fence 'x' exists already; remove it first (fence rm)",
         "fence 'x' exists already; choose another name"},
        {"fence 'y': no such fence (see: sinspace fence list)",
         "fence 'y': no such fence (GET /api/fences lists them)"},
        {"map: --dpi 9000 is outside 36..1200", "map: dpi=9000 is outside 36..1200"},
        {"area '1033-x': no area has that code", "area '1033-x': no area has that code"},
        {"a -- b", "a -- b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[256];
        sinspace__api_words(cases[i][0], out, sizeof out);
        cr_assert_str_eq(out, cases[i][1]);
    }
    char small[8];
    sinspace__api_words("fence 'x' exists already; remove it first (fence rm)", small,
                        sizeof small);
    cr_assert_eq(strlen(small), 7);
}
