/* Per-object random source (see crypto.h). */
#include "crypto/crypto.h"
#include "platform/entropy.h"

#include <string.h>
#if !defined(_WIN32) && !defined(MGW_HAVE_FORK_HOOK)
#include <unistd.h>
#endif

void mgw_rng_init(mgw_rng *rng)
{
    memset(rng, 0, sizeof(*rng));
    mbedtls_ctr_drbg_init(&rng->drbg);
}

void mgw_rng_free(mgw_rng *rng)
{
    mbedtls_ctr_drbg_free(&rng->drbg);
    memset(rng, 0, sizeof(*rng));
}

void mgw_rng_set_cb(mgw_rng *rng, mgw_rng_cb cb, void *ctx)
{
    rng->cb = cb;
    rng->cb_ctx = ctx;
}

static int os_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    return mgw_os_entropy(out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* Each thread has one CTR-DRBG seeded from the OS (and reseeded from it by
 * the DRBG's own schedule); the objects' DRBGs are seeded from it. An object
 * costs no system call, which matters where system calls are slow. A child
 * process must not repeat its parent's stream: fork() discards the master
 * state and bumps the fork generation, and every object's DRBG seeded before
 * the fork is reseeded (from the child's fresh master) before its next draw,
 * so parent and child never share an output (keys, serials, nonces). */
#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

static THREAD_LOCAL struct {
    bool ready;
    mbedtls_ctr_drbg_context drbg;
} master;

#if defined(MGW_HAVE_FORK_HOOK)
#include <pthread.h>
/* Written only by the child's handler, while the child has one thread. */
static volatile unsigned long fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void forget_master(void)
{
    master.ready = false; /* the child thread's copy; mutex state is not reused */
    fork_gen++;
}
static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_master);
}
#endif

unsigned long mgw_fork_generation(void)
{
#if defined(_WIN32)
    return 0; /* no fork() */
#elif defined(MGW_HAVE_FORK_HOOK)
    pthread_once(&atfork_once, install_atfork);
    return fork_gen;
#else
    return (unsigned long)getpid(); /* the child has another one */
#endif
}

static int master_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
#if defined(MGW_HAVE_FORK_HOOK)
    pthread_once(&atfork_once, install_atfork);
#endif
    if (!master.ready) {
        static const char pers[] = "libmgwauth thread";
        mbedtls_ctr_drbg_init(&master.drbg);
        if (mbedtls_ctr_drbg_seed(&master.drbg, os_entropy, NULL, (const unsigned char *)pers,
                                  sizeof(pers) - 1) != 0)
            return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
        master.ready = true;
    }
    return mbedtls_ctr_drbg_random(&master.drbg, out, len);
}

int mgw_rng_fill(mgw_rng *rng, uint8_t *out, size_t len)
{
    if (rng->cb != NULL)
        return rng->cb(rng->cb_ctx, out, len) == 0
                   ? MGW_OK
                   : mgw_err(MGW_ERR_RANDOM, "the caller's random generator failed");
    unsigned long gen = mgw_fork_generation();
    if (!rng->seeded) {
        static const char pers[] = "libmgwauth";
        if (mbedtls_ctr_drbg_seed(&rng->drbg, master_entropy, NULL,
                                  (const unsigned char *)pers, sizeof(pers) - 1) != 0)
            return mgw_err(MGW_ERR_RANDOM, "cannot seed the random generator from the OS");
        rng->seeded = true;
        rng->fork_gen = gen;
    } else if (rng->fork_gen != gen) {
        /* a child of the process that seeded it: fresh entropy from the
         * child's own master before anything is drawn */
        static const char fork_pers[] = "libmgwauth fork";
        if (mbedtls_ctr_drbg_reseed(&rng->drbg, (const unsigned char *)fork_pers,
                                    sizeof(fork_pers) - 1) != 0)
            return mgw_err(MGW_ERR_RANDOM, "cannot reseed the random generator after fork()");
        rng->fork_gen = gen;
    }
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&rng->drbg, out, n) != 0)
            return mgw_err(MGW_ERR_RANDOM, "the random generator failed");
        out += n;
        len -= n;
    }
    return MGW_OK;
}

int mgw_rng_mbedtls(void *p_rng, unsigned char *out, size_t len)
{
    return mgw_rng_fill(p_rng, out, len) == MGW_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int mgw_digest(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (info == NULL || mbedtls_md(info, p, n, out) != 0)
        return mgw_err(MGW_ERR_CRYPTO, "digest failed");
    return MGW_OK;
}

MGW_API int mgw_password_generate(size_t length, char **out)
{
    /* no 0/O/o, 1/I/i/l: 55 characters; bytes below 4 * 55 = 220 map without bias */
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
    const size_t n = sizeof(alphabet) - 1;
    if (out == NULL || length < 16 || length > 256)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "password length must be 16 to 256");
    char *pw = mgw_out_alloc(length);
    if (pw == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_rng rng;
    mgw_rng_init(&rng);
    uint8_t buf[64];
    size_t k = 0;
    int r = MGW_OK;
    while (k < length && r == MGW_OK) {
        r = mgw_rng_fill(&rng, buf, sizeof(buf));
        for (size_t i = 0; r == MGW_OK && i < sizeof(buf) && k < length; i++)
            if (buf[i] < 4 * n)
                pw[k++] = alphabet[buf[i] % n];
    }
    mgw_zeroize(buf, sizeof(buf));
    mgw_rng_free(&rng);
    if (r != MGW_OK) {
        mgw_free(pw);
        return r;
    }
    pw[length] = '\0';
    *out = pw;
    mgw_err_clear();
    return MGW_OK;
}
