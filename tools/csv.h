/* RFC 4180 CSV reading for batch issuance (UTF-8, optional BOM, CRLF or LF). */
#ifndef MGW_CSV_H
#define MGW_CSV_H

#include <stddef.h>
#include <stdint.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD (64u * 1024)
#define CSV_MAX_RECORDS 1000000u

typedef struct {
    char **fields;
    size_t n;
    size_t line; /* line on which the record starts, 1-based */
} csv_record;

typedef struct {
    csv_record *recs;
    size_t n;
} csv_table;

/* Parse all records. Completely empty lines are skipped. On error returns -1
 * with a message naming the line in err, and t is left empty. */
int csv_parse(const uint8_t *data, size_t len, csv_table *t, char *err, size_t errsz);
void csv_free(csv_table *t);
/* Append one field to buf as CSV (quoted when needed); returns the new length
 * or (size_t)-1 when cap is too small. */
size_t csv_quote(char *buf, size_t len, size_t cap, const char *field);

#endif
