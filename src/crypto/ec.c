/* ECDSA key generation and signing on a loaded group kept per thread.
 *
 * mbedTLS 2.28 builds the fixed-point comb table of the generator (grp->T) the
 * first time a loaded group multiplies G, and keeps it only in that group:
 * mbedtls_ecp_gen_key builds it in the new key's group, and mbedtls_pk_sign
 * copies the key's group (mbedtls_ecdsa_from_keypair reloads it by id) and
 * builds it again for every signature. That table costs about as much as the
 * multiplication itself. Each thread here keeps one loaded P-256 and one
 * P-384 group, so a thread builds each table once. mbedTLS 3.6 loads these
 * curves with static tables; the cache then only saves the group load.
 *
 * Thread safety: a group is never shared between threads (thread-specific
 * data, freed when the thread exits). A group is public data (curve constants
 * and multiples of G), so no secret outlives an operation in it.
 * Re-entrancy: a caller's random callback that calls back into the library
 * finds its thread's group busy and gets a freshly loaded one.
 * Fork safety: the child's copy of the forking thread's groups is complete
 * and holds no locks or random state, so the child may go on using it.
 * Unloading: see forget_groups_key.
 * Without thread-specific data (MGW_HAVE_THREAD_CACHE unset) every operation
 * loads its own group, as mbedTLS itself does. */
#include "crypto/crypto.h"

#include <mbedtls/asn1write.h>
#include <stdlib.h>
#include <string.h>

#define CURVES 2

static int curve_slot(mbedtls_ecp_group_id id)
{
    return id == MBEDTLS_ECP_DP_SECP256R1 ? 0 : id == MBEDTLS_ECP_DP_SECP384R1 ? 1 : -1;
}

typedef struct {
    mbedtls_ecp_group grp[CURVES];
    bool loaded[CURVES];
    bool busy[CURVES];
} thread_groups;

#if defined(MGW_HAVE_THREAD_CACHE)
#include <pthread.h>
#include <stdatomic.h>

static pthread_key_t groups_key;
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;
static atomic_bool groups_key_live;

static void free_groups(void *p)
{
    thread_groups *t = p;
    for (int i = 0; i < CURVES; i++)
        mbedtls_ecp_group_free(&t->grp[i]);
    free(t);
}

static void make_key(void)
{
    atomic_store(&groups_key_live, pthread_key_create(&groups_key, free_groups) == 0);
}

static thread_groups *this_thread(void)
{
    pthread_once(&groups_once, make_key);
    if (!atomic_load(&groups_key_live))
        return NULL;
    thread_groups *t = pthread_getspecific(groups_key);
    if (t == NULL && (t = calloc(1, sizeof(*t))) != NULL) {
        for (int i = 0; i < CURVES; i++)
            mbedtls_ecp_group_init(&t->grp[i]);
        if (pthread_setspecific(groups_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

#if defined(__GNUC__)
/* When the library is unloaded (dlclose) while threads that used it live
 * on, their exit must not call free_groups, which is gone with it: the key
 * goes first. The unloading thread's groups are freed; other threads' are
 * left to them (at process exit they may still be in use), and their later
 * calls load a group per operation. */
__attribute__((destructor)) static void forget_groups_key(void)
{
    if (!atomic_exchange(&groups_key_live, false))
        return;
    thread_groups *t = pthread_getspecific(groups_key);
    pthread_setspecific(groups_key, NULL);
    pthread_key_delete(groups_key);
    bool busy = false;
    for (int i = 0; t != NULL && i < CURVES; i++)
        busy = busy || t->busy[i];
    if (t != NULL && !busy)
        free_groups(t);
}
#endif
#else
static thread_groups *this_thread(void)
{
    return NULL;
}
#endif

/* A loaded group of curve `id`: this thread's, or `own` loaded afresh. */
static int group_acquire(mbedtls_ecp_group_id id, mbedtls_ecp_group *own, mbedtls_ecp_group **grp)
{
    int slot = curve_slot(id);
    thread_groups *t = slot >= 0 ? this_thread() : NULL;
    if (t != NULL && !t->busy[slot]) {
        if (!t->loaded[slot]) {
            int rc = mbedtls_ecp_group_load(&t->grp[slot], id);
            if (rc != 0)
                return rc;
            t->loaded[slot] = true;
        }
        t->busy[slot] = true;
        *grp = &t->grp[slot];
        return 0;
    }
    *grp = own;
    return mbedtls_ecp_group_load(own, id);
}

static void group_release(mbedtls_ecp_group *grp, mbedtls_ecp_group *own)
{
    if (grp == own)
        return;
    thread_groups *t = this_thread();
    for (int i = 0; t != NULL && i < CURVES; i++)
        if (grp == &t->grp[i])
            t->busy[i] = false;
}

int mgw_ec_generate(mbedtls_ecp_group_id id, mbedtls_ecp_keypair *kp, mgw_compat_rng f_rng,
                    void *p_rng)
{
    mbedtls_ecp_group own, *grp = NULL;
    mbedtls_ecp_group_init(&own);
    /* the key's own group: loading it is cheap, its table is never built */
    int rc = mbedtls_ecp_group_load(mgw_compat_ecp_grp(kp), id);
    if (rc == 0 && (rc = group_acquire(id, &own, &grp)) == 0) {
        rc = mbedtls_ecp_gen_keypair(grp, mgw_compat_ecp_d(kp), mgw_compat_ecp_Q(kp), f_rng, p_rng);
        group_release(grp, &own);
    }
    mbedtls_ecp_group_free(&own);
    return rc;
}

/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } */
static int write_signature(const mbedtls_mpi *r, const mbedtls_mpi *s, uint8_t *sig,
                           size_t sig_size, size_t *sig_len)
{
    unsigned char buf[MBEDTLS_ECDSA_MAX_LEN];
    unsigned char *p = buf + sizeof(buf); /* mbedTLS writes backwards */
    int n;
    size_t len = 0;
    if ((n = mbedtls_asn1_write_mpi(&p, buf, s)) < 0)
        return n;
    len += (size_t)n;
    if ((n = mbedtls_asn1_write_mpi(&p, buf, r)) < 0)
        return n;
    len += (size_t)n;
    if ((n = mbedtls_asn1_write_len(&p, buf, len)) < 0)
        return n;
    len += (size_t)n;
    if ((n = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return n;
    len += (size_t)n;
    if (len > sig_size)
        return MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL;
    memcpy(sig, p, len);
    *sig_len = len;
    return 0;
}

int mgw_ec_sign(mbedtls_ecp_keypair *kp, mbedtls_md_type_t md, const uint8_t *hash, size_t hash_len,
                uint8_t *sig, size_t sig_size, size_t *sig_len, mgw_compat_rng f_rng, void *p_rng)
{
    mbedtls_ecp_group own, *grp = NULL;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&own);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int rc = group_acquire(mgw_compat_ecp_grp(kp)->id, &own, &grp);
    if (rc == 0) {
        rc = mgw_compat_ecdsa_sign(grp, &r, &s, mgw_compat_ecp_d(kp), hash, hash_len, md, f_rng,
                                   p_rng);
        group_release(grp, &own);
    }
    if (rc == 0)
        rc = write_signature(&r, &s, sig, sig_size, sig_len);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_group_free(&own);
    return rc;
}

int mgw_pk_sign(mbedtls_pk_context *pk, mbedtls_md_type_t md, const uint8_t *hash, size_t hash_len,
                uint8_t *sig, size_t sig_size, size_t *sig_len, mgw_compat_rng f_rng, void *p_rng)
{
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY)
        return mgw_ec_sign(mbedtls_pk_ec(*pk), md, hash, hash_len, sig, sig_size, sig_len, f_rng,
                           p_rng);
    return mgw_compat_pk_sign(pk, md, hash, hash_len, sig, sig_size, sig_len, f_rng, p_rng);
}
