/* clock: the one monotonic clock of both programs.  CLOCK_MONOTONIC
 * never jumps with the wall clock (NTP, an operator's date(1)), so every
 * deadline and duration is measured on it. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Milliseconds, and microseconds, since an arbitrary point (boot). */
uint64_t clock_ms(void);
uint64_t clock_us(void);

#endif
