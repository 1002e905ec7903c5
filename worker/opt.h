/* opt: strict parsing of flag values, shared by supervisor and worker. */
#ifndef OPT_H
#define OPT_H

/* "5", "0.5", "2.25": seconds with up to millisecond precision, stored as
 * milliseconds.  No sign, no exponent, no trailing junk, at most a day.
 * Returns 0, or -1 when s is not such a number. */
int opt_seconds(const char *s, long *ms);

/* Milliseconds printed as seconds: printf(OPT_MS_FMT, OPT_MS_ARGS(ms)). */
#define OPT_MS_FMT "%ld.%03ld"
#define OPT_MS_ARGS(ms) (long)(ms) / 1000, (long)(ms) % 1000

/* A decimal integer in [min, max], nothing else. Returns 0 or -1. */
int opt_long(const char *s, long min, long max, long *out);

#endif
