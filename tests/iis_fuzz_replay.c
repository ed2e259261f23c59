/* Runs the IIS XML fuzz target (fuzz/fuzz_iis_xml.c) as an ordinary test:
 * its seed corpus, then hostile variants of every fixture: each cut short at
 * many points, bytes flipped, and nested or repeated past the caps. The
 * target aborts on any broken promise; ASan and UBSan watch the rest. */
#include "mgwauth.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *read_all(const char *path, size_t *len)
{
    uint8_t *p = NULL;
    if (mgw_file_read(path, 1u << 24, &p, len) != MGW_OK) {
        fprintf(stderr, "cannot read %s: %s\n", path, mgw_last_error());
        exit(1);
    }
    uint8_t *copy = malloc(*len + 1);
    memcpy(copy, p, *len);
    mgw_free(p);
    return copy;
}

static size_t replay_dir(const char *dir, bool mutate)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "cannot open %s\n", dir);
        exit(1);
    }
    size_t runs = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".py") != NULL ||
            strstr(e->d_name, ".md") != NULL)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *data = read_all(path, &len);
        LLVMFuzzerTestOneInput(data, len);
        runs++;
        if (!mutate) {
            free(data);
            continue;
        }
        for (size_t cut = 0; cut < len; cut += 1 + len / 300, runs++)
            LLVMFuzzerTestOneInput(data, cut);
        uint8_t *m = malloc(len);
        static const uint8_t bytes[] = {'<', '>', '"', '&', '/', 0, 0xFF, 0xC3, '\n', '='};
        for (size_t i = 0; i < len; i += 1 + len / 200)
            for (size_t k = 0; k < sizeof(bytes); k++, runs++) {
                memcpy(m, data, len);
                m[i] = bytes[k];
                LLVMFuzzerTestOneInput(m, len);
            }
        free(m);
        free(data);
    }
    closedir(d);
    return runs;
}

static void repeated(const char *open, const char *close, size_t n)
{
    size_t lo = strlen(open), lc = strlen(close);
    uint8_t *b = malloc(n * (lo + lc) + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(b + i * lo, open, lo);
    for (size_t i = 0; i < n; i++)
        memcpy(b + n * lo + i * lc, close, lc);
    LLVMFuzzerTestOneInput(b, n * (lo + lc));
    free(b);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CORPUS_DIR FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    size_t runs = replay_dir(argv[1], false) + replay_dir(argv[2], true);
    repeated("<a>", "</a>", 64);
    repeated("<a>", "</a>", 65);
    repeated("<a>", "</a>", 100000);
    repeated("<configuration><location path=\"Default Web Site\">", "</location></configuration>",
             2);
    printf("1..1\nok 1 - %zu inputs replayed through fuzz_iis_xml\n", runs + 4);
    return 0;
}
