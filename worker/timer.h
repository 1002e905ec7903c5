/* timer: a binary min-heap of deadlines, in milliseconds of CLOCK_MONOTONIC.
 * Timers are embedded in their owners; the heap holds pointers and only
 * grows (doubling), so arming and re-arming a timer allocates nothing once
 * the heap has reached its working size.
 *
 * Moving an armed timer later costs nothing: the heap keeps it at its old,
 * earlier place (`key`) and re-sorts it only when that place comes due.  A
 * keep-alive connection pushes its deadline on every request; the heap
 * sees it about once per timeout instead. */
#ifndef TIMER_H
#define TIMER_H

#include <stddef.h>
#include <stdint.h>

struct timer;
typedef void timer_fn(struct timer *t);

struct timer {
	uint64_t when;		/* the deadline */
	uint64_t key;		/* its place in the heap: <= when */
	size_t slot;		/* index in the heap + 1; 0 when not armed */
	timer_fn *fn;
};

struct timer_heap {
	struct timer **items;
	size_t len, cap;
};

/* Arm t for `when`, or move it there if it is armed.  -1 on ENOMEM. */
int timer_heap_set(struct timer_heap *h, struct timer *t, uint64_t when);
/* Make room for n armed timers, so that arming cannot fail. */
int timer_heap_reserve(struct timer_heap *h, size_t n);
void timer_heap_del(struct timer_heap *h, struct timer *t);
/* The earliest deadline, or UINT64_MAX when no timer is armed. */
uint64_t timer_heap_next(const struct timer_heap *h);
/* Disarm and return one timer due at now, or NULL.  Timers come out in
 * the order of their deadlines. */
struct timer *timer_heap_pop_due(struct timer_heap *h, uint64_t now);
void timer_heap_free(struct timer_heap *h);

static inline int timer_armed(const struct timer *t) { return t->slot != 0; }

#endif
