// Why this file exists: swift-crypto's `ChaChaPoly.seal`/`open` cost about 1.1 µs for a 100-byte
// record on this machine, of which the cipher is about a tenth; the rest is the call's wrapping (a
// `SymmetricKey` and an AEAD context allocated per call, `Data` in and out). The event log seals
// and opens one record per event, so that wrapping was the largest single item of both ingest and
// replay. Here each thread keeps one BoringSSL AEAD context and only re-keys it per record: about
// 0.3 µs a record (docs/performance.md).
//
// On Linux swift-crypto vendors BoringSSL with every symbol prefixed `CCryptoBoringSSL_` and does
// not export it as a product, so the functions are declared here, weak. If a future swift-crypto
// renames them, they resolve to NULL, `cchachapoly_available()` says 0, and Swift falls back to
// swift-crypto's own API: the same cipher, byte for byte (`SealingPathTests` hold the two paths to
// each other and report a build that lost the fast path). Only opaque pointers cross this file:
// no BoringSSL struct layout is assumed.

#include "cchachapoly.h"

#if defined(__linux__)

#include <pthread.h>
#include <string.h>

typedef struct evp_aead_st EVP_AEAD;
typedef struct evp_aead_ctx_st EVP_AEAD_CTX;

extern const EVP_AEAD *CCryptoBoringSSL_EVP_aead_chacha20_poly1305(void) __attribute__((weak));
extern EVP_AEAD_CTX *CCryptoBoringSSL_EVP_AEAD_CTX_new(const EVP_AEAD *aead, const uint8_t *key, size_t key_len,
                                                       size_t tag_len) __attribute__((weak));
extern void CCryptoBoringSSL_EVP_AEAD_CTX_free(EVP_AEAD_CTX *ctx) __attribute__((weak));
extern void CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(EVP_AEAD_CTX *ctx) __attribute__((weak));
extern int CCryptoBoringSSL_EVP_AEAD_CTX_init(EVP_AEAD_CTX *ctx, const EVP_AEAD *aead, const uint8_t *key,
                                              size_t key_len, size_t tag_len, void *engine) __attribute__((weak));
extern int CCryptoBoringSSL_EVP_AEAD_CTX_seal(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len,
                                              size_t max_out_len, const uint8_t *nonce, size_t nonce_len,
                                              const uint8_t *in, size_t in_len, const uint8_t *ad,
                                              size_t ad_len) __attribute__((weak));
extern int CCryptoBoringSSL_EVP_AEAD_CTX_open(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len,
                                              size_t max_out_len, const uint8_t *nonce, size_t nonce_len,
                                              const uint8_t *in, size_t in_len, const uint8_t *ad,
                                              size_t ad_len) __attribute__((weak));
extern void CCryptoBoringSSL_ERR_clear_error(void) __attribute__((weak));

enum { KEY_BYTES = 32, NONCE_BYTES = 12, TAG_BYTES = 16 };

int cchachapoly_available(void) {
    return CCryptoBoringSSL_EVP_aead_chacha20_poly1305 != NULL && CCryptoBoringSSL_EVP_AEAD_CTX_new != NULL &&
           CCryptoBoringSSL_EVP_AEAD_CTX_free != NULL && CCryptoBoringSSL_EVP_AEAD_CTX_cleanup != NULL &&
           CCryptoBoringSSL_EVP_AEAD_CTX_init != NULL && CCryptoBoringSSL_EVP_AEAD_CTX_seal != NULL &&
           CCryptoBoringSSL_EVP_AEAD_CTX_open != NULL;
}

// One context per thread, freed (and so wiped: BoringSSL's free cleanses) when the thread ends.
static pthread_key_t context_key;
static int context_key_ok;
static pthread_once_t context_once = PTHREAD_ONCE_INIT;

static void free_context(void *context) { CCryptoBoringSSL_EVP_AEAD_CTX_free(context); }

static void make_context_key(void) { context_key_ok = pthread_key_create(&context_key, free_context) == 0; }

// This thread's context, keyed with `key`; NULL when the fast path cannot be used.
static EVP_AEAD_CTX *keyed_context(const uint8_t *key) {
    if (!cchachapoly_available()) return NULL;
    pthread_once(&context_once, make_context_key);
    if (!context_key_ok) return NULL;
    const EVP_AEAD *aead = CCryptoBoringSSL_EVP_aead_chacha20_poly1305();
    EVP_AEAD_CTX *context = pthread_getspecific(context_key);
    if (context == NULL) {
        context = CCryptoBoringSSL_EVP_AEAD_CTX_new(aead, key, KEY_BYTES, TAG_BYTES);
        if (context == NULL) return NULL;
        if (pthread_setspecific(context_key, context) != 0) {
            CCryptoBoringSSL_EVP_AEAD_CTX_free(context);
            return NULL;
        }
        return context;
    }
    // ChaCha20-Poly1305 keeps its key inline in the context: re-keying allocates nothing.
    CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(context);
    if (CCryptoBoringSSL_EVP_AEAD_CTX_init(context, aead, key, KEY_BYTES, TAG_BYTES, NULL) != 1) {
        // Leave no half-initialised context behind: the next call makes a new one.
        CCryptoBoringSSL_EVP_AEAD_CTX_free(context);
        pthread_setspecific(context_key, NULL);
        return NULL;
    }
    return context;
}

int cchachapoly_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *plaintext, size_t count,
                     uint8_t *sealed) {
    EVP_AEAD_CTX *context = keyed_context(key);
    if (context == NULL) return -1;
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_seal(context, sealed, &written, count + TAG_BYTES, nonce, NONCE_BYTES,
                                                plaintext, count, NULL, 0);
    return ok == 1 && written == count + TAG_BYTES ? 1 : -1;
}

int cchachapoly_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *sealed, size_t count,
                     uint8_t *plaintext) {
    if (count < TAG_BYTES) return 0;
    EVP_AEAD_CTX *context = keyed_context(key);
    if (context == NULL) return -1;
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_open(context, plaintext, &written, count - TAG_BYTES, nonce, NONCE_BYTES,
                                                sealed, count, NULL, 0);
    if (ok == 1 && written == count - TAG_BYTES) return 1;
    if (count > TAG_BYTES) memset(plaintext, 0, count - TAG_BYTES);
    // A failed open leaves its reason on this thread's BoringSSL error queue; clear it, so that
    // swift-crypto, which reads that queue after a failure of its own, never reports ours.
    if (CCryptoBoringSSL_ERR_clear_error != NULL) CCryptoBoringSSL_ERR_clear_error();
    return 0;
}

#else

// Elsewhere swift-crypto runs on the platform's CryptoKit, with no BoringSSL to call: every
// record goes through swift-crypto's API.
int cchachapoly_available(void) { return 0; }

int cchachapoly_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *plaintext, size_t count,
                     uint8_t *sealed) {
    (void)key, (void)nonce, (void)plaintext, (void)count, (void)sealed;
    return -1;
}

int cchachapoly_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *sealed, size_t count,
                     uint8_t *plaintext) {
    (void)key, (void)nonce, (void)sealed, (void)count, (void)plaintext;
    return -1;
}

#endif
