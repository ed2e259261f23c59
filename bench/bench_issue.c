/*
 * Per-certificate cost of the whole job in one process: key generation, a
 * self-signed clientAuth certificate with UPN and e-mail SANs, the compat PFX
 * and the DER export. Usage: bench_issue rsa2048|p256 COUNT. Prints JSON,
 * with the time of each step (key generation, certificate with its
 * signature, PFX, CER) and the process's CPU time per certificate (the
 * machine may be shared: CPU time leaves out the waits for a core).
 */
#include "mgwauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static double phase[4]; /* key, certificate, PFX, CER */

static int one(int type)
{
    mgw_key_t *k = mgw_key_new();
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_pfxopts_t *p = mgw_pfxopts_new();
    mgw_cert_t *c = NULL;
    uint8_t *pfx = NULL, *cer = NULL;
    size_t pl = 0, cl = 0;
    double t0 = now();
    int r = mgw_key_generate(k, type);
    double t1 = now();
    if (r == MGW_OK)
        r = mgw_certopts_set_subject(o, "CN=imagoverum.com");
    if (r == MGW_OK)
        r = mgw_certopts_add_upn(o, "eas@imagoverum.com");
    if (r == MGW_OK)
        r = mgw_certopts_add_email(o, "eas@imagoverum.com");
    if (r == MGW_OK)
        r = mgw_cert_create(o, k, NULL, NULL, &c);
    double t2 = now();
    if (r == MGW_OK)
        r = mgw_pfx_write(p, c, k, "Secret123", 9, &pfx, &pl);
    double t3 = now();
    if (r == MGW_OK)
        r = mgw_cert_export(c, MGW_FORMAT_DER, &cer, &cl);
    double t4 = now();
    phase[0] += t1 - t0;
    phase[1] += t2 - t1;
    phase[2] += t3 - t2;
    phase[3] += t4 - t3;
    mgw_free(pfx);
    mgw_free(cer);
    mgw_cert_free(&c);
    mgw_pfxopts_free(&p);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int type = strcmp(argv[1], "rsa2048") == 0 ? MGW_KEY_RSA2048 : MGW_KEY_P256;
    int count = atoi(argv[2]);
    double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < count; i++)
        if (one(type) != MGW_OK) {
            fprintf(stderr, "%s\n", mgw_last_error());
            return 1;
        }
    double el = now() - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("{\"key\":\"%s\",\"count\":%d,\"seconds\":%.6f,\"per_cert_s\":%.6f,"
           "\"per_cert_cpu_s\":%.6f,\"keygen_s\":%.6f,\"cert_s\":%.6f,\"pfx_s\":%.6f,"
           "\"cer_s\":%.6f}\n",
           argv[1], count, el, el / count, cpu / count, phase[0] / count, phase[1] / count,
           phase[2] / count, phase[3] / count);
    return 0;
}
