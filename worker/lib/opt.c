/* opt: strict flag values: seconds and integers (opt.h). */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define OPT_SECONDS_MAX 86400L

int opt_seconds(const char *s, long *ms)
{
	long whole = 0, frac = 0, scale = 100;
	int too_big = 0, too_fine = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p) &&
	    !(*p == '.' && isdigit((unsigned char)p[1])))
		return OPT_BAD;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > OPT_SECONDS_MAX) {
			too_big = 1;
			whole = OPT_SECONDS_MAX;
		}
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return OPT_BAD;
		for (; isdigit((unsigned char)*p); p++, scale /= 10) {
			frac += (*p - '0') * scale;
			too_fine |= scale == 0 && *p != '0';
		}
	}
	if (*p != '\0')
		return OPT_BAD;
	if (too_big || whole * 1000 + frac > OPT_SECONDS_MAX * 1000)
		return OPT_TOO_BIG;
	if (too_fine)
		return OPT_TOO_FINE;
	*ms = whole * 1000 + frac;
	return 0;
}

const char *opt_seconds_why(int rc)
{
	switch (rc) {
	case OPT_TOO_BIG:
		return "is over the limit of 86400 seconds (a day)";
	case OPT_TOO_FINE:
		return "is finer than a millisecond (0.001)";
	default:
		return "is not a number of seconds (such as 5 or 0.5)";
	}
}

/* A delay is how long a balancer needs to stop sending clients: seconds
 * or minutes.  An hour is already more than any health check needs. */
int opt_stop_delay(const char *s, long *ms, char *err, unsigned long errlen)
{
	const char *why = NULL;
	long v = 0;
	int rc = opt_seconds(s, &v);

	if (s[0] == '-' && opt_seconds(s + 1, &v) != OPT_BAD)
		why = "is negative (0 means no delay)";
	else if (rc == OPT_TOO_BIG || (rc == 0 && v > OPT_STOP_DELAY_MAX * 1000))
		why = "is over the limit of 3600 seconds (an hour)";
	else if (rc != 0)
		why = opt_seconds_why(rc);
	if (why) {
		snprintf(err, errlen, "--stop-delay: '%s' %s", s, why);
		return -1;
	}
	*ms = v;
	return 0;
}

int opt_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s) && *s != '-')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
