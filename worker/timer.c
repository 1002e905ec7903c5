/* timer: the min-heap of deadlines. */
#include "timer.h"

#include <stdlib.h>
#include <time.h>

static void heap_place(struct timer_heap *h, size_t i, struct timer *t)
{
	h->items[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct timer_heap *h, size_t i)
{
	struct timer *t = h->items[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->items[parent]->key <= t->key)
			break;
		heap_place(h, i, h->items[parent]);
		i = parent;
	}
	heap_place(h, i, t);
}

static void heap_down(struct timer_heap *h, size_t i)
{
	struct timer *t = h->items[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->len)
			break;
		if (child + 1 < h->len &&
		    h->items[child + 1]->key < h->items[child]->key)
			child++;
		if (t->key <= h->items[child]->key)
			break;
		heap_place(h, i, h->items[child]);
		i = child;
	}
	heap_place(h, i, t);
}

int timer_heap_reserve(struct timer_heap *h, size_t n)
{
	size_t cap = h->cap ? h->cap : 64;
	struct timer **items;

	if (n <= h->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	items = realloc(h->items, cap * sizeof *items);
	if (!items)
		return -1;
	h->items = items;
	h->cap = cap;
	return 0;
}

int timer_heap_set(struct timer_heap *h, struct timer *t, uint64_t when)
{
	if (timer_armed(t)) {
		t->when = when;
		if (when < t->key) {
			t->key = when;
			heap_up(h, t->slot - 1);
		}
		return 0;	/* later: re-sorted when its key comes due */
	}
	if (timer_heap_reserve(h, h->len + 1) < 0)
		return -1;
	t->when = t->key = when;
	h->items[h->len] = t;
	heap_up(h, h->len++);
	return 0;
}

void timer_heap_del(struct timer_heap *h, struct timer *t)
{
	size_t i;

	if (!timer_armed(t))
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (i == --h->len)
		return;
	struct timer *last = h->items[h->len];
	heap_place(h, i, last);
	heap_up(h, i);
	heap_down(h, last->slot - 1);
}

uint64_t timer_heap_next(const struct timer_heap *h)
{
	return h->len ? h->items[0]->key : UINT64_MAX;
}

struct timer *timer_heap_pop_due(struct timer_heap *h, uint64_t now)
{
	while (h->len > 0 && h->items[0]->key <= now) {
		struct timer *t = h->items[0];
		if (t->key == t->when) {
			timer_heap_del(h, t);
			return t;
		}
		t->key = t->when;	/* moved later since: its real place */
		heap_down(h, 0);
	}
	return NULL;
}

void timer_heap_free(struct timer_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->len = h->cap = 0;
}
