/* UTC time without the C library's time zone machinery (portable to Windows). */
#include "core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t mgw_now(void)
{
    return (int64_t)time(NULL);
}

/* Days from 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t mgw_time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
    return days_from_civil(y, (unsigned)mon, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

void mgw_time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *mon = (int)mm;
    *d = (int)dd;
    *h = (int)(rem / 3600);
    *mi = (int)(rem % 3600 / 60);
    *s = (int)(rem % 60);
}

int mgw_der_put_time(mgw_dbuf *b, int64_t t)
{
    int y, mo, d, h, mi, s;
    mgw_time_to_civil(t, &y, &mo, &d, &h, &mi, &s);
    if (y < 0 || y > 9999)
        return MGW_ERR_VALIDITY;
    char buf[20];
    if (y >= 1950 && y < 2050) {
        snprintf(buf, sizeof(buf), "%02d%02d%02d%02d%02d%02dZ", y % 100, mo, d, h, mi, s);
        return mgw_der_put(b, MGW_ASN1_UTC_TIME, buf, 13);
    }
    snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02dZ", y, mo, d, h, mi, s);
    return mgw_der_put(b, MGW_ASN1_GENERALIZED_TIME, buf, 15);
}

static int digits(const uint8_t *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int mgw_der_parse_time(unsigned tag, mgw_span c, int64_t *t)
{
    const uint8_t *p = c.p;
    int y;
    if (tag == MGW_ASN1_UTC_TIME && c.len == 13) {
        y = digits(p, 2);
        if (y < 0)
            goto bad;
        y += y < 50 ? 2000 : 1900;
        p += 2;
    } else if (tag == MGW_ASN1_GENERALIZED_TIME && c.len == 15) {
        y = digits(p, 4);
        if (y < 0)
            goto bad;
        p += 4;
    } else {
        goto bad;
    }
    int mo = digits(p, 2), d = digits(p + 2, 2), h = digits(p + 4, 2);
    int mi = digits(p + 6, 2), s = digits(p + 8, 2);
    if (p[10] != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || s < 0 || s > 59)
        goto bad;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        goto bad;
    *t = mgw_time_from_civil(y, mo, d, h, mi, s);
    return MGW_OK;
bad:
    return mgw_err(MGW_ERR_DER, "malformed UTCTime/GeneralizedTime");
}

void mgw_time_iso(int64_t t, char buf[21])
{
    int y, mo, d, h, mi, s;
    mgw_time_to_civil(t, &y, &mo, &d, &h, &mi, &s);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    memcpy(buf, tmp, 20);
    buf[20] = '\0';
}
