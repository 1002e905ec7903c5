/* loop: the epoll set, the timerfd and the batch of events. */
#include "loop.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define LOOP_BATCH 256

static void loop_on_timerfd(struct watcher *w, uint32_t events);

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof *l);
	l->armed = UINT64_MAX;
	l->now = clock_ms();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	l->timerfd.fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
	l->timerfd.fn = loop_on_timerfd;
	if (l->timerfd.fd < 0 || loop_add(l, &l->timerfd, EPOLLIN) < 0) {
		int saved = errno;
		loop_close(l);
		errno = saved;
		return -1;
	}
	return 0;
}

void loop_close(struct loop *l)
{
	if (l->timerfd.fd > 0)
		close(l->timerfd.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->timerfd.fd = l->epfd = -1;
	timer_heap_free(&l->timers);
}

static int loop_ctl(struct loop *l, int op, struct watcher *w, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = w };

	return epoll_ctl(l->epfd, op, w->fd, &e);
}

int loop_add(struct loop *l, struct watcher *w, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_ADD, w, events);
}

int loop_mod(struct loop *l, struct watcher *w, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_MOD, w, events);
}

void loop_del(struct loop *l, struct watcher *w)
{
	/* Failure means the fd was never added: nothing to undo. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int loop_timer_in(struct loop *l, struct timer *t, uint64_t ms)
{
	return timer_heap_set(&l->timers, t, l->now + ms);
}

void loop_timer_stop(struct loop *l, struct timer *t)
{
	timer_heap_del(&l->timers, t);
}

void loop_stop(struct loop *l)
{
	l->running = 0;
}

/* The timerfd is moved only when the earliest deadline comes nearer.  A
 * deadline pushed later (every keep-alive request pushes its idle timer)
 * leaves it early; it then fires, finds nothing due and is re-armed: a few
 * syscalls a second instead of one per request. */
static void loop_arm(struct loop *l)
{
	uint64_t next = timer_heap_next(&l->timers);
	struct itimerspec its = { 0 };

	if (next >= l->armed)
		return;
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	if (timerfd_settime(l->timerfd.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_err("timerfd_settime: %s", strerror(errno));
		return;
	}
	l->armed = next;
}

static void loop_on_timerfd(struct watcher *w, uint32_t events)
{
	struct loop *l = container_of(w, struct loop, timerfd);
	uint64_t expirations;
	struct timer *t;

	(void)events;
	while (read(w->fd, &expirations, sizeof expirations) < 0 &&
	       errno == EINTR)
		;
	l->armed = UINT64_MAX;
	l->now = clock_ms();
	while (l->running && (t = timer_heap_pop_due(&l->timers, l->now)))
		t->fn(t);
}

int loop_run(struct loop *l)
{
	struct epoll_event events[LOOP_BATCH];

	l->running = 1;
	while (l->running) {
		loop_arm(l);
		int n = epoll_wait(l->epfd, events, LOOP_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		l->now = clock_ms();
		/* Once stopped, nothing more runs: what the drain timeout
		 * counted as abandoned stays abandoned. */
		for (int i = 0; i < n && l->running; i++) {
			struct watcher *w = events[i].data.ptr;
			w->fn(w, events[i].events);
		}
		if (l->after_batch)
			l->after_batch(l);
	}
	return 0;
}
