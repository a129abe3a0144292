#ifndef TRELLIS_COPENSSL_SHIM_H
#define TRELLIS_COPENSSL_SHIM_H
// Only libcrypto's HMAC is used (MatrixCrypto's HMAC); libsodium has no HMAC-SHA1.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif
