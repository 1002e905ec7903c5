/* loop: one epoll set and one timerfd driving a heap of timers, in the
 * manner of redis' ae.c.  Callbacks run one at a time; a callback may close
 * any descriptor, so owners free their memory only in the `after_batch`
 * hook, never while a batch of epoll events is being dispatched. */
#ifndef LOOP_H
#define LOOP_H

#include <stddef.h>

/* The struct of that type whose member lies at ptr: how a callback given
 * a watcher or a timer finds its owner. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#include <stdint.h>
#include <sys/epoll.h>

#include "timer.h"

struct watcher;
typedef void watcher_fn(struct watcher *w, uint32_t events);

struct watcher {
	int fd;
	watcher_fn *fn;
};

struct loop {
	int epfd;
	struct watcher timerfd;
	struct timer_heap timers;
	uint64_t armed;		/* the timerfd's deadline; UINT64_MAX: none */
	uint64_t now;		/* refreshed once per batch */
	int running;
	void (*after_batch)(struct loop *l);
};

int loop_init(struct loop *l);
void loop_close(struct loop *l);
int loop_add(struct loop *l, struct watcher *w, uint32_t events);
int loop_mod(struct loop *l, struct watcher *w, uint32_t events);
void loop_del(struct loop *l, struct watcher *w);
/* Arm t to run `ms` milliseconds from the loop's notion of now. */
int loop_timer_in(struct loop *l, struct timer *t, uint64_t ms);
void loop_timer_stop(struct loop *l, struct timer *t);
/* Dispatch until loop_stop(); -1 when epoll itself fails. */
int loop_run(struct loop *l);
/* No watcher or timer runs after this; after_batch still ends the batch. */
void loop_stop(struct loop *l);

#endif
