/* watchdog: WATCHDOG_USEC and WATCHDOG_PID read (watchdog.h). */
#include "watchdog.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

/* Digits only, no sign or space (strtoull would take " -1"), above 0. */
static int watchdog_number(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v == 0)
		return -1;
	*out = v;
	return 0;
}

enum watchdog_verdict watchdog_parse(const char *usec, const char *pid,
				     pid_t self, uint64_t *period_usec)
{
	uint64_t p;

	if (!usec)
		return WATCHDOG_OFF;
	if (pid) {
		if (watchdog_number(pid, &p) < 0)
			return WATCHDOG_BAD_PID;
		if (p != (uint64_t)self)
			return WATCHDOG_OFF;	/* meant for someone else */
	}
	if (watchdog_number(usec, &p) < 0)
		return WATCHDOG_BAD_USEC;
	*period_usec = p;
	return WATCHDOG_ON;
}

uint64_t watchdog_half_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t period = 0;

	switch (watchdog_parse(usec, pid, getpid(), &period)) {
	case WATCHDOG_ON:
		return period / 2000 ? period / 2000 : 1;
	case WATCHDOG_BAD_USEC:
		log_warn("WATCHDOG_USEC='%s' is not a number of microseconds "
			 "above 0: no watchdog", usec);
		return 0;
	case WATCHDOG_BAD_PID:
		log_warn("WATCHDOG_PID='%s' is not a pid: no watchdog", pid);
		return 0;
	default:
		return 0;
	}
}
