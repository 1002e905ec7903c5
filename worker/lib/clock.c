/* clock: the monotonic clock, in ms and µs (clock.h). */
#include "clock.h"

#include <time.h>

/* clock_gettime(CLOCK_MONOTONIC) cannot fail with a valid pointer: the
 * vDSO answers it without a system call. */
uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
