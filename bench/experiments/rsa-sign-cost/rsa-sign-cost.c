/*
 * CPU per RSA-2048 PKCS#1 v1.5 signature over a SHA-1 digest through OpenSSL's EVP interface, with a fresh
 * EVP_PKEY_CTX per signature as bench/NullMilter (the C reference milter) makes them; "reuse" keeps one context.
 *   rsa-sign-cost KEY.pem COUNT [reuse]
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static EVP_PKEY_CTX *new_context(EVP_PKEY *key)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) <= 0) {
        fprintf(stderr, "cannot set up signing\n");
        exit(1);
    }
    return ctx;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: rsa-sign-cost KEY.pem COUNT [reuse]\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (!key) { fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    fclose(f);
    int count = atoi(argv[2]), reuse = argc > 3 && strcmp(argv[3], "reuse") == 0;
    unsigned char digest[20] = {1, 2, 3}, signature[512];
    EVP_PKEY_CTX *ctx = reuse ? new_context(key) : NULL;

    double start = cpu_seconds();
    for (int i = 0; i < count; i++) {
        EVP_PKEY_CTX *use = reuse ? ctx : new_context(key);
        size_t length = sizeof signature;
        if (EVP_PKEY_sign(use, signature, &length, digest, sizeof digest) <= 0) { fprintf(stderr, "sign failed\n"); return 1; }
        digest[0] = signature[0];
        if (!reuse) EVP_PKEY_CTX_free(use);
    }
    double seconds = cpu_seconds() - start;
    printf("C %s: %.4f ms/signature, %.0f per CPU-second\n", reuse ? "one context" : "context per signature",
           seconds * 1000 / count, count / seconds);
    return 0;
}
