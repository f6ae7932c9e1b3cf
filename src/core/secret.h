/* secret.h: contact details sealed at rest (AES-256-GCM, nettle).
 *
 * The key is 32 random bytes kept in a key file beside the database
 * (DB.key, mode 0600, one line of 64 hex digits), or where --key-file or
 * SINSPACE_KEY_FILE says.  Each value is sealed with a fresh random 96-bit
 * nonce (getrandom) and associated data that names what it is (the
 * responder's id and the field), so a sealed value moved to another row or
 * field no longer opens.  A sealed value is
 *
 *     0x01 | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
 *
 * and opening it checks the tag first: a wrong key or a changed byte is
 * refused, never turned into garbage. */
#ifndef SINSPACE_CORE_SECRET_H
#define SINSPACE_CORE_SECRET_H

#include <sinspace/context.h>

#include <stddef.h>

#define SINSPACE__KEY_SIZE 32
#define SINSPACE__SEAL_OVERHEAD (1 + 12 + 16)

typedef struct sinspace__key {
    unsigned char k[SINSPACE__KEY_SIZE];
} sinspace__key;

/* The key file of the database at db_path: override when given, else
 * $SINSPACE_KEY_FILE when set and not empty, else db_path + ".key".
 * Returns a malloc'd path, NULL when memory runs out. */
char *sinspace__key_path(const char *db_path, const char *override);

/* Reads the key file.  *missing is set to 1 (and SINSPACE_OK returned)
 * when the file does not exist; a file that exists but is unreadable,
 * open to group or others, or not 64 hex digits fails naming it. */
sinspace_status sinspace__key_load(sinspace_context *ctx, const char *path,
                                   sinspace__key *key, int *missing);

/* A new random key. */
sinspace_status sinspace__key_generate(sinspace_context *ctx, sinspace__key *key);

/* Writes the key file, mode 0600, atomically (temporary file, fsync,
 * rename); refused when path exists unless replace. */
sinspace_status sinspace__key_write(sinspace_context *ctx, const char *path,
                                    const sinspace__key *key, int replace);

/* Seals plain (len bytes) with ad; *out (malloc'd, *out_size bytes) is the
 * sealed value.  Non-zero when memory or randomness fails. */
int sinspace__seal(const sinspace__key *key, const char *ad,
                   const void *plain, size_t len,
                   unsigned char **out, size_t *out_size);

/* Opens a sealed value: *plain is a malloc'd NUL-terminated string.
 * -1 when the tag does not match (wrong key, another row's value, a
 * changed byte) or the value is malformed; -2 when memory runs out. */
int sinspace__unseal(const sinspace__key *key, const char *ad,
                     const unsigned char *sealed, size_t size, char **plain);

/* The associated data of a responder's field: "sinspace/responder/" id
 * "/" field, written into buf (size bytes). */
void sinspace__seal_ad(char *buf, size_t size, const char *responder_id,
                       const char *field);

/* Wipes memory the compiler may not skip. */
void sinspace__wipe(void *p, size_t n);

#endif
