/*
 * The key operations against mbedTLS's own: RSA key generation
 * (mbedtls_rsa_gen_key against the sieved search, with the candidates it
 * tests), one 1024-bit modular exponentiation, one RSA-2048 signature, and
 * P-256 key generation and signing with a freshly loaded group (what
 * mbedtls_ecp_gen_key and mbedtls_pk_sign do) against this thread's group.
 * Usage: bench_keygen [RSA_KEYS [EC_KEYS]]. Prints JSON.
 */
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench_keygen: %s failed (-0x%04X)\n", what, (unsigned)-rc);
        exit(1);
    }
}

static void rsa_setup(mbedtls_pk_context *pk)
{
    mbedtls_pk_init(pk);
    check(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "pk_setup");
}

int main(int argc, char **argv)
{
    int nrsa = argc > 1 ? atoi(argv[1]) : 20, nec = argc > 2 ? atoi(argv[2]) : 500;
    if (nrsa < 1 || nec < 1 || mgw_compat_init() != 0)
        return 2;
    mgw_rng rng;
    mgw_rng_init(&rng);
    mbedtls_pk_context rsa;
    double t_ours = 0, t_mbedtls = 0;
    unsigned long tested = 0;
    for (int i = 0; i < nrsa; i++) { /* interleaved: the machine's load hits both */
        rsa_setup(&rsa);
        double t0 = now();
        check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(rsa), mgw_rng_mbedtls, &rng, 2048, 65537),
              "mbedtls_rsa_gen_key");
        double t1 = now();
        mbedtls_pk_free(&rsa);
        rsa_setup(&rsa);
        double t2 = now();
        check(mgw_rsa_generate(mbedtls_pk_rsa(rsa), 2048, 65537, mgw_rng_mbedtls, &rng),
              "mgw_rsa_generate");
        double t3 = now();
        t_mbedtls += t1 - t0;
        t_ours += t3 - t2;
        if (i + 1 < nrsa)
            mbedtls_pk_free(&rsa);
    }
    mbedtls_mpi X, P;
    mbedtls_mpi_init(&X);
    mbedtls_mpi_init(&P);
    double t_prime = now();
    for (int i = 0; i < nrsa; i++) {
        mgw_prime_stats st;
        check(mgw_prime_generate(&P, 1024, 6, mgw_rng_mbedtls, &rng, &st), "prime");
        tested += st.tested;
    }
    t_prime = now() - t_prime;
    /* one exponentiation modulo a 1024-bit prime, full-size exponent */
    mbedtls_mpi A, E, RR;
    mbedtls_mpi_init(&A);
    mbedtls_mpi_init(&E);
    mbedtls_mpi_init(&RR);
    check(mbedtls_mpi_fill_random(&A, 120, mgw_rng_mbedtls, &rng), "random");
    check(mbedtls_mpi_sub_int(&E, &P, 1), "sub");
    double t_exp = now();
    for (int i = 0; i < 50; i++)
        check(mbedtls_mpi_exp_mod(&X, &A, &E, &P, &RR), "exp_mod");
    t_exp = (now() - t_exp) / 50;
    uint8_t hash[32] = {1}, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t sl;
    double t_sign = now();
    for (int i = 0; i < 50; i++)
        check(mgw_pk_sign(&rsa, MBEDTLS_MD_SHA256, hash, 32, sig, sizeof(sig), &sl, mgw_rng_mbedtls,
                          &rng),
              "RSA signature");
    t_sign = (now() - t_sign) / 50;
    mbedtls_pk_free(&rsa);

    /* P-256: a fresh group per key and per signature (mbedTLS's own calls)
     * against this thread's group */
    mbedtls_pk_context pk;
    double t_fresh_gen = 0, t_fresh_sign = 0, t_gen = 0, t_sig = 0;
    for (int i = 0; i < nec; i++) {
        mbedtls_pk_init(&pk);
        check(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "pk_setup");
        double t0 = now();
        check(
            mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mgw_rng_mbedtls, &rng),
            "mbedtls_ecp_gen_key");
        double t1 = now();
        check(mgw_compat_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sizeof(sig), &sl,
                                 mgw_rng_mbedtls, &rng),
              "mbedtls_pk_sign");
        double t2 = now();
        mbedtls_pk_free(&pk);
        mbedtls_pk_init(&pk);
        check(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "pk_setup");
        double t3 = now();
        check(mgw_ec_generate(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mgw_rng_mbedtls, &rng),
              "mgw_ec_generate");
        double t4 = now();
        check(mgw_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sizeof(sig), &sl, mgw_rng_mbedtls,
                          &rng),
              "mgw_pk_sign");
        double t5 = now();
        mbedtls_pk_free(&pk);
        t_fresh_gen += t1 - t0;
        t_fresh_sign += t2 - t1;
        t_gen += t4 - t3;
        t_sig += t5 - t4;
    }
    printf("{\"rsa_keys\":%d,\"rsa2048_mbedtls_s\":%.6f,\"rsa2048_ours_s\":%.6f,"
           "\"prime1024_s\":%.6f,\"prime1024_tested\":%.2f,\"exp1024_s\":%.6f,"
           "\"rsa2048_sign_s\":%.6f,\"ec_keys\":%d,\"p256_keygen_fresh_s\":%.6f,"
           "\"p256_sign_fresh_s\":%.6f,\"p256_keygen_s\":%.6f,\"p256_sign_s\":%.6f}\n",
           nrsa, t_mbedtls / nrsa, t_ours / nrsa, t_prime / nrsa, (double)tested / nrsa, t_exp,
           t_sign, nec, t_fresh_gen / nec, t_fresh_sign / nec, t_gen / nec, t_sig / nec);
    mbedtls_mpi_free(&A);
    mbedtls_mpi_free(&E);
    mbedtls_mpi_free(&RR);
    mbedtls_mpi_free(&X);
    mbedtls_mpi_free(&P);
    mgw_rng_free(&rng);
    return 0;
}
