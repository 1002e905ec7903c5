/* watchdog: whether this process is asked to say WATCHDOG=1, and how
 * often: systemd's convention (sd_watchdog_enabled(3)), shared by the
 * supervisor (asked by systemd's WatchdogSec=) and the worker (asked by
 * the supervisor's --watchdog, or by systemd when it runs alone).
 * WATCHDOG_USEC is the period in microseconds; WATCHDOG_PID, when set,
 * names the one process it is meant for. */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

enum watchdog_verdict {
	WATCHDOG_OFF,		/* not asked, or asked of another pid */
	WATCHDOG_ON,		/* *usec is the period */
	WATCHDOG_BAD_USEC,	/* not a number above 0 */
	WATCHDOG_BAD_PID,	/* not a number above 0 */
};

/* The pure rule, on the two values (NULL: unset) and our own pid. */
enum watchdog_verdict watchdog_parse(const char *usec, const char *pid,
				     pid_t self, uint64_t *period_usec);

/* From the environment: the half period in ms (at least 1), the interval
 * at which to say WATCHDOG=1, or 0 when no watchdog is asked of us; a
 * malformed value is one warning, and no watchdog. */
uint64_t watchdog_half_ms(void);

#endif
