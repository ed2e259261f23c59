/* The operating system's entropy source (the DRBGs' seed). */
#ifndef MGW_ENTROPY_H
#define MGW_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with len bytes from the OS; 0 on success, -1 on failure. */
int mgw_os_entropy(uint8_t *buf, size_t len);

#endif
