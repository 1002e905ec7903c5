/* Unit tests of worker/timer: the heap pops in deadline order through
 * random arming, re-arming and disarming; a deadline moved later is not
 * due at the old one. */
#include <stdio.h>
#include <stdlib.h>

#include "../../worker/timer.h"

#define N 1000

static int passed, failed;

#define CHECK(cond, what)                                                 \
	do {                                                              \
		if (cond)                                                 \
			passed++;                                         \
		else {                                                    \
			failed++;                                         \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
		}                                                         \
	} while (0)

static void noop(struct timer *t) { (void)t; }

int main(void)
{
	static struct timer timers[N];
	struct timer_heap h = { 0 };
	int armed = 0;

	srand(7);
	CHECK(timer_heap_next(&h) == UINT64_MAX, "empty heap");
	for (int i = 0; i < N; i++) {
		timers[i].fn = noop;
		CHECK(timer_heap_set(&h, &timers[i], 1 + (uint64_t)(rand() % 500)) == 0,
		      "set");
	}
	/* Move half of them, disarm a quarter. */
	for (int i = 0; i < N; i += 2)
		timer_heap_set(&h, &timers[i], 1 + (uint64_t)(rand() % 1000));
	for (int i = 0; i < N; i += 4)
		timer_heap_del(&h, &timers[i]);
	for (int i = 0; i < N; i++)
		armed += timer_armed(&timers[i]);
	CHECK(armed == N - N / 4, "armed count");
	CHECK(timer_heap_pop_due(&h, 0) == NULL, "nothing due at 0");

	uint64_t last = 0;
	int popped = 0, ordered = 1;
	struct timer *t;
	while ((t = timer_heap_pop_due(&h, UINT64_MAX - 1)) != NULL) {
		ordered &= t->when >= last && !timer_armed(t);
		last = t->when;
		popped++;
	}
	CHECK(ordered, "popped in deadline order, disarmed");
	CHECK(popped == armed, "every armed timer popped once");
	CHECK(timer_heap_next(&h) == UINT64_MAX, "empty again");
	timer_heap_del(&h, &timers[1]);	/* disarmed: a no-op */
	CHECK(h.len == 0, "deleting a disarmed timer");

	/* Moved later: not due at its old deadline, due at its new one. */
	timer_heap_set(&h, &timers[0], 100);
	timer_heap_set(&h, &timers[1], 150);
	timer_heap_set(&h, &timers[0], 300);
	CHECK(timers[0].when == 300, "later deadline recorded");
	CHECK(timer_heap_pop_due(&h, 100) == NULL, "not due at the old deadline");
	CHECK(timer_armed(&timers[0]), "still armed");
	CHECK(timer_heap_pop_due(&h, 299) == &timers[1], "the other one first");
	CHECK(timer_heap_pop_due(&h, 299) == NULL, "not due before 300");
	CHECK(timer_heap_pop_due(&h, 300) == &timers[0], "due at 300");
	/* Moved later, then earlier again (still after the heap's place). */
	timer_heap_set(&h, &timers[0], 100);
	timer_heap_set(&h, &timers[0], 400);
	timer_heap_set(&h, &timers[0], 200);
	timer_heap_set(&h, &timers[1], 250);
	CHECK(timer_heap_pop_due(&h, 199) == NULL, "not due before 200");
	CHECK(timer_heap_pop_due(&h, 1000) == &timers[0], "200 first");
	CHECK(timer_heap_pop_due(&h, 1000) == &timers[1], "250 next");
	/* Moved earlier than the heap's place. */
	timer_heap_set(&h, &timers[0], 500);
	timer_heap_set(&h, &timers[1], 400);
	timer_heap_set(&h, &timers[0], 50);
	CHECK(timer_heap_next(&h) == 50, "earlier deadline is next");
	CHECK(timer_heap_pop_due(&h, 50) == &timers[0], "due at 50");
	timer_heap_del(&h, &timers[1]);
	CHECK(h.len == 0, "empty at the end");
	timer_heap_free(&h);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
