/* secret.c: contact details sealed at rest with AES-256-GCM (secret.h). */
#include "core/secret.h"
#include "core/outfile.h"
#include "core/sinspaceInt.h"

#include <nettle/gcm.h>
#include <nettle/memops.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE 12
#define TAG 16

void
sinspace__wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

char *
sinspace__key_path(const char *db_path, const char *override)
{
    if (override && *override)
        return sinspace__strdup(override);
    const char *env = getenv("SINSPACE_KEY_FILE");
    if (env && *env)
        return sinspace__strdup(env);
    size_t n = strlen(db_path) + 5;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.key", db_path);
    return p;
}

static int
fill_random(void *buf, size_t n)
{
    unsigned char *b = buf;
    while (n) {
        ssize_t got = getrandom(b, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += got;
        n -= (size_t)got;
    }
    return 0;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

sinspace_status
sinspace__key_load(sinspace_context *ctx, const char *path, sinspace__key *key,
                   int *missing)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = 1;
            return SINSPACE_OK;
        }
        return sinspace__error(ctx, SINSPACE_IO, "key file %s: %s", path,
                               strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && (sb.st_mode & 077)) {
        close(fd);
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "key file %s: readable or writable by group or "
                               "others (mode %03o); chmod 600 it",
                               path, (unsigned)(sb.st_mode & 0777));
    }
    char buf[130];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return sinspace__error(ctx, SINSPACE_IO, "key file %s: %s", path,
                               strerror(errno));
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    int ok = n == 2 * SINSPACE__KEY_SIZE;
    for (int i = 0; ok && i < SINSPACE__KEY_SIZE; i++) {
        int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            ok = 0;
        else
            key->k[i] = (unsigned char)(hi << 4 | lo);
    }
    sinspace__wipe(buf, sizeof buf);
    if (!ok) {
        sinspace__wipe(key, sizeof *key);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "key file %s: not a sinspace key (one line of "
                               "64 hexadecimal digits)", path);
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace__key_generate(sinspace_context *ctx, sinspace__key *key)
{
    if (fill_random(key->k, sizeof key->k))
        return sinspace__error(ctx, SINSPACE_ERROR, "getrandom: %s",
                               strerror(errno));
    return SINSPACE_OK;
}

sinspace_status
sinspace__key_write(sinspace_context *ctx, const char *path,
                    const sinspace__key *key, int replace)
{
    sinspace__outfile *of = NULL;
    sinspace_status st = sinspace__outfile_open(
        ctx, path, replace ? SINSPACE__OUTFILE_REPLACE : SINSPACE__OUTFILE_NO_REPLACE,
        &of);
    if (st)
        return st;
    FILE *f = sinspace__outfile_stream(of);
    for (int i = 0; i < SINSPACE__KEY_SIZE; i++)
        fprintf(f, "%02x", key->k[i]);
    fputc('\n', f);
    return sinspace__outfile_commit(of);
}

void
sinspace__seal_ad(char *buf, size_t size, const char *responder_id,
                  const char *field)
{
    snprintf(buf, size, "sinspace/responder/%s/%s", responder_id, field);
}

int
sinspace__seal(const sinspace__key *key, const char *ad, const void *plain,
               size_t len, unsigned char **out, size_t *out_size)
{
    size_t n = len + SINSPACE__SEAL_OVERHEAD;
    unsigned char *b = malloc(n);
    if (!b)
        return -1;
    b[0] = 1;
    if (fill_random(b + 1, NONCE)) {
        free(b);
        return -1;
    }
    struct gcm_aes256_ctx g;
    gcm_aes256_set_key(&g, key->k);
    gcm_aes256_set_iv(&g, NONCE, b + 1);
    gcm_aes256_update(&g, strlen(ad), (const uint8_t *)ad);
    gcm_aes256_encrypt(&g, len, b + 1 + NONCE, plain);
    gcm_aes256_digest(&g, TAG, b + 1 + NONCE + len);
    sinspace__wipe(&g, sizeof g);
    *out = b;
    *out_size = n;
    return 0;
}

int
sinspace__unseal(const sinspace__key *key, const char *ad,
                 const unsigned char *sealed, size_t size, char **plain)
{
    *plain = NULL;
    if (size < SINSPACE__SEAL_OVERHEAD || sealed[0] != 1)
        return -1;
    size_t len = size - SINSPACE__SEAL_OVERHEAD;
    char *p = malloc(len + 1);
    if (!p)
        return -2;
    uint8_t tag[TAG];
    struct gcm_aes256_ctx g;
    gcm_aes256_set_key(&g, key->k);
    gcm_aes256_set_iv(&g, NONCE, sealed + 1);
    gcm_aes256_update(&g, strlen(ad), (const uint8_t *)ad);
    gcm_aes256_decrypt(&g, len, (uint8_t *)p, sealed + 1 + NONCE);
    gcm_aes256_digest(&g, TAG, tag);
    sinspace__wipe(&g, sizeof g);
    if (!memeql_sec(tag, sealed + 1 + NONCE + len, TAG)) {
        sinspace__wipe(p, len);
        free(p);
        return -1;
    }
    p[len] = '\0';
    *plain = p;
    return 0;
}
