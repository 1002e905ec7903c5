/* opt: strict parsing of flag values, shared by supervisor and worker. */
#ifndef OPT_H
#define OPT_H

/* "5", "0.5", ".5", "2.25": seconds to the millisecond, stored as
 * milliseconds.  No sign, no exponent, no trailing junk, at most a day.
 * Returns 0, or OPT_BAD, OPT_TOO_BIG or OPT_TOO_FINE (a non-zero digit
 * past the milliseconds), which opt_seconds_why puts in words. */
enum { OPT_BAD = -1, OPT_TOO_BIG = -2, OPT_TOO_FINE = -3 };
int opt_seconds(const char *s, long *ms);
/* "is not a number of seconds", ... for a result of opt_seconds. */
const char *opt_seconds_why(int rc);

/* --stop-delay SECONDS, for both programs: opt_seconds, at most
 * OPT_STOP_DELAY_MAX seconds.  Returns 0, or -1 with the line to print
 * (naming the flag, the same from both) in err. */
#define OPT_STOP_DELAY_MAX 3600L
int opt_stop_delay(const char *s, long *ms, char *err, unsigned long errlen);

/* Milliseconds printed as seconds: printf(OPT_MS_FMT, OPT_MS_ARGS(ms)). */
#define OPT_MS_FMT "%ld.%03ld"
#define OPT_MS_ARGS(ms) (long)(ms) / 1000, (long)(ms) % 1000

/* A decimal integer in [min, max], nothing else. Returns 0 or -1. */
int opt_long(const char *s, long min, long max, long *out);

#endif
