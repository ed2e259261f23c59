/* Internal layout of certificate options (certopts.c, issue.c). */
#ifndef MGW_OPTS_H
#define MGW_OPTS_H

#include "cert/key.h"

struct mgw_certopts {
    mgw_dbuf subject; /* DER Name */
    bool subject_set;
    mgw_san_entry *sans;
    size_t n_sans;
    char **ekus; /* dotted OIDs */
    size_t n_ekus;
    uint32_t days;
    int64_t not_before;
    bool not_before_set;
    bool is_ca;
    int pathlen;
    mgw_rng rng;
};

/* Short name of a known EKU OID, or NULL. */
const char *mgw_eku_name(const char *oid);

#endif
