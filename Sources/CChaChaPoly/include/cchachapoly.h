#ifndef CCHACHAPOLY_H
#define CCHACHAPOLY_H

#include <stddef.h>
#include <stdint.h>

// ChaCha20-Poly1305 (RFC 8439) one record at a time, straight through BoringSSL's EVP_AEAD
// interface, the code swift-crypto's `ChaChaPoly` itself runs on Linux. See cchachapoly.c for why
// and how it falls back.

/// 1 when the BoringSSL that swift-crypto vendors is linked into this binary under the names this
/// target expects, else 0 (then every call below returns -1 and the caller uses swift-crypto's API).
int cchachapoly_available(void);

/// Seals `count` bytes at `plaintext` under the 32-byte `key` and 12-byte `nonce` into `sealed`,
/// which must have room for `count + 16` bytes: the ciphertext, then the 16-byte tag.
/// Returns 1 on success, -1 when the fast path is not available or failed (nothing is promised
/// about `sealed` then).
int cchachapoly_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *plaintext, size_t count,
                     uint8_t *sealed);

/// Opens `count` bytes at `sealed` (ciphertext then tag, `count` >= 16) into `plaintext`, which
/// must have room for `count - 16` bytes. Returns 1 when the tag matches, 0 when it does not
/// (`plaintext` is then zeroed), -1 when the fast path is not available or failed.
int cchachapoly_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *sealed, size_t count,
                     uint8_t *plaintext);

#endif
