/* mgwauth cert issue: the progress display on stderr. */
#include "issue.h"

#include <stdio.h>
#include <time.h>

double issue_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void issue_progress(batch *b, double start, bool tty, bool final, double *last)
{
    pthread_mutex_lock(&b->lock);
    size_t done = b->issued + b->skipped + b->failed, total = b->n, issued = b->issued;
    pthread_mutex_unlock(&b->lock);
    double t = issue_now(), el = t - start, rate = el > 0 ? (double)issued / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    if (tty) {
        char bar[31];
        size_t fill = total > 0 ? done * 30 / total : 30;
        for (size_t i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu %.1f/s ETA %.0fs ", bar, done, total, rate, eta);
        if (final)
            fputc('\n', stderr);
        fflush(stderr); /* a Windows console's stderr is buffered (os.c) */
    } else if (final || t - *last >= 5) {
        fprintf(stderr, "progress: %zu/%zu rows, %.1f certificates/s, ETA %.0f s\n", done, total,
                rate, eta);
        *last = t;
    }
}
