/* INCRBYFLOAT and HINCRBYFLOAT do their arithmetic in C's long double (80-bit x87 extended
 * precision on x86_64 Linux) and print it with "%.17Lf", so replies like "3001.10000000000000009"
 * are part of what clients see. Rust has no long double; these few lines let the C compiler do
 * exactly what Redis's does. Semantics follow Redis 7.0's string2ld / ld2string(LD_STR_HUMAN). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

/* Parses like Redis's string2ld. Returns 1 on success. The whole of s must be read: strtold
 * stops at an embedded NUL, so checking *end alone would take "1\0002" for 1. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *end;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long double value = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* a + b, written to out as Redis's ld2string(LD_STR_HUMAN) would.
 * Returns the length written, -1 if a or b is not a valid float, -2 if the sum is NaN or
 * infinite, -3 if out is too small. */
long shardis_ld_add(const char *a, size_t alen, const char *b, size_t blen, char *out, size_t outlen) {
    long double x, y;
    if (!parse_ld(a, alen, &x) || !parse_ld(b, blen, &y)) return -1;
    long double sum = x + y;
    if (isnan(sum) || isinf(sum)) return -2;
    int l = snprintf(out, outlen, "%.17Lf", sum);
    if (l < 0 || (size_t)l + 1 > outlen) return -3;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}

/* A blocking command's timeout in seconds, as Redis 7.0's getTimeoutFromObjectOrReply reads
 * it: string2ld, times 1000, rounded up to whole milliseconds, then C's (long long) cast, which
 * on x86-64 turns anything out of range (inf, 1e300) into LLONG_MIN ("timeout is negative").
 * Returns 0 if the text is not a valid float. */
int shardis_timeout_ms(const char *s, size_t len, long long *out) {
    long double v;
    if (!parse_ld(s, len, &v)) return 0;
    long double ms = ceill(v * 1000.0L);
    if (!(ms >= -9223372036854775808.0L && ms < 9223372036854775808.0L))
        *out = (-9223372036854775807LL - 1);
    else
        *out = (long long)ms;
    return 1;
}
