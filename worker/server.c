/* server: the listener's state machine (server.h) and accept(2). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/* One client per wake-up.  The listener is level-triggered: while its
 * queue is not empty, epoll reports it again at once, with the events of
 * the connections beside it, and the accept4 that would only have said
 * EAGAIN is saved (a wake-up is most often for one client).  Up to this
 * many tries when they fail (EINTR, ECONNABORTED, a firewall's EPERM). */
#define ACCEPT_TRIES 64
#define LISTEN_RETRY_MS 100	/* out of descriptors, no reserve left */
#define LISTEN_PAUSE_MS 2	/* a pause lasts 1 to 2 ms at most (the loop's
				   clock is in whole milliseconds) */
#define LISTEN_ASIDE_MS 2	/* a full worker's turn out of the queue */
#define SWEEP_MAX 256		/* clients a sweep takes: a flood must not
				   hold the loop */
#define LISTEN_NO_PAUSE_MS 100	/* after a pause none of whose clients spoke */

static struct server *server_of(struct watcher *w)
{
	return container_of(w, struct server, listener);
}

/* EPOLLEXCLUSIVE (Linux 4.5, older kernels ignore the bit): of the
 * sibling workers sharing this socket, wake one.  Should a kernel refuse
 * it (EINVAL), watch plainly: every worker wakes, and one wins accept. */
static int server_watch_listener(struct server *s)
{
	if (s->exclusive &&
	    loop_add(&s->loop, &s->listener, EPOLLIN | EPOLLEXCLUSIVE) == 0)
		return 0;
	if (s->exclusive && errno != EINVAL)
		return -1;
	s->exclusive = 0;
	return loop_add(&s->loop, &s->listener, EPOLLIN);
}

/* Take the listener out of the epoll set until listen_timer puts it
 * back, `ms` from now.  server_init has reserved the timer's slot in the
 * heap, so arming cannot fail; were it to, the worker would stay up
 * accepting nothing, unseen by the supervisor: exit instead, and the
 * group stops.  A drain is about to close the listener anyway. */
static void server_unwatch(struct server *s, enum listener_state state,
			   uint64_t ms)
{
	loop_del(&s->loop, &s->listener);
	s->listening = state;
	if (s->conns.draining)
		return;
	if (loop_timer_in(&s->loop, &s->listen_timer, ms) < 0) {
		log_err("cannot watch the listener: out of memory");
		s->exit_status = 1;
		loop_stop(&s->loop);
	}
}

/* The kernel wakes the first idle waiter in the socket's wait queue, and
 * an epoll instance keeps its place there: a worker that is idle when
 * each client arrives would get every connection, and keep-alive clients
 * would stay on it.  Being added again puts this worker at the back of
 * the queue, so the next connection goes to a sibling.  A client that
 * arrived while it was out is not lost: EPOLL_CTL_ADD reports a ready
 * socket. */
static void server_rewatch(struct server *s)
{
	static time_t logged;

	loop_timer_stop(&s->loop, &s->listen_timer);
	if (server_watch_listener(s) == 0) {
		s->listening = LISTENER_WATCHED;
		return;
	}
	if (log_due(&logged))
		log_err("epoll_ctl(listener): %s", strerror(errno));
	server_unwatch(s, LISTENER_BACKOFF, LISTEN_RETRY_MS);
}

/* A client that has just connected sends its request a moment later, and
 * that wakes us anyway.  So when a client comes while the one before it,
 * taken a moment ago, has yet to speak (a flood of short connections),
 * the listener is left out of the epoll set until the last client taken
 * has spoken, or for LISTEN_PAUSE_MS at most, and the ones that arrive
 * meanwhile are taken after each batch (server_after_batch), often with
 * their requests already in.  Each wake-up of a worker that
 * went idle costs the waking CPU an interrupt, and such a client would
 * otherwise pay two: its handshake, then its request.  Out of the set and
 * back in is also a move to the back of the queue (server_rewatch). */
static int server_pause_pays(const struct server *s)
{
	return s->conns.newest &&
	       s->loop.now - s->newest_at <= LISTEN_PAUSE_MS &&
	       s->loop.now >= s->no_pause_until;
}

static void server_pause(struct server *s)
{
	s->heard = 0;
	s->pause_over = 0;
	server_unwatch(s, LISTENER_PAUSED, LISTEN_PAUSE_MS);
}

/* The newest client (conns.newest) spoke, or went without a word. */
static void server_heard(void *arg, int spoke)
{
	struct server *s = arg;

	if (s->listening == LISTENER_PAUSED)
		s->heard |= spoke;
}

/* A worker that refused a client (at --max-connections, or out of
 * descriptors) stands aside: out of the socket's queue, so that a
 * sibling with room gets the clients that come, and every
 * LISTEN_ASIDE_MS it takes what is still queued, serving what it has
 * room for and refusing the rest, until it has room and refuses none. */
static void server_sweep(struct server *s)
{
	unsigned long refused = s->refused;
	int n = 0;

	for (int i = 0; i < SWEEP_MAX && (n = server_accept(s, 0)) > 0; i++)
		;
	if (n < 0)
		return;		/* BACKOFF */
	if (s->refused == refused && s->conns.count < s->cfg.max_connections)
		server_rewatch(s);
	else
		server_unwatch(s, LISTENER_ASIDE, LISTEN_ASIDE_MS);
}

static void server_on_listen_timer(struct timer *t)
{
	struct server *s = container_of(t, struct server, listen_timer);

	switch (s->listening) {
	case LISTENER_PAUSED:
		s->pause_over = 1;	/* see server_after_batch */
		break;
	case LISTENER_ASIDE:
		server_sweep(s);
		break;
	case LISTENER_BACKOFF:
		server_rewatch(s);
		break;
	case LISTENER_WATCHED:
	case LISTENER_CLOSED:
		break;
	}
}

static void server_on_listener(struct watcher *w, uint32_t events)
{
	struct server *s = server_of(w);
	unsigned long refused = s->refused;
	struct conn *before = s->conns.newest;
	int pause = server_pause_pays(s);

	(void)events;
	if (s->listening != LISTENER_WATCHED)
		return;		/* out of the set earlier in this batch */
	if (server_accept(s, 0) <= 0)
		return;		/* none, or out of descriptors: BACKOFF */
	if (s->refused != refused)
		server_unwatch(s, LISTENER_ASIDE, LISTEN_ASIDE_MS);
	else if (pause && s->conns.newest != before)
		server_pause(s);
	else if (s->exclusive && s->loop.now != s->requeued_at) {
		/* To the back of the queue, at most once a millisecond: two
		 * epoll_ctl per connection would cost more than the spreading
		 * is worth, and clients a millisecond or more apart still
		 * take turns. */
		s->requeued_at = s->loop.now;
		loop_del(&s->loop, &s->listener);
		server_rewatch(s);
	}
}

int server_init(struct server *s)
{
	s->conns.loop = &s->loop;
	s->conns.lim = &s->cfg.conn;
	s->conns.events = &s->events;
	s->conns.heard = server_heard;
	s->conns.arg = s;
	s->events.loop = &s->loop;
	s->events.max = s->cfg.max_events;
	s->listener.fd = -1;
	s->listening = LISTENER_CLOSED;
	s->reserve_fd = -1;
	s->loop.after_batch = server_after_batch;
	/* Room for listen_timer and drain_timer (connections reserve their
	 * own as they come): neither can then fail to arm. */
	return timer_heap_reserve(&s->loop.timers, 8);
}

int server_listen(struct server *s, int listen_fd)
{
	int on = 0;
	socklen_t len = sizeof on;

	s->listener.fd = listen_fd;
	/* A socket passed by someone else may lack it (systemd's NoDelay=
	 * is off by default): then each connection gets it (conn_open). */
	if (getsockopt(listen_fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) < 0)
		on = 0;
	s->conns.nodelay = !on;
	s->listener.fn = server_on_listener;
	s->listen_timer.fn = server_on_listen_timer;
	s->exclusive = 1;
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->listening = LISTENER_WATCHED;
	return server_watch_listener(s);
}

/* Out of descriptors (EMFILE, ENFILE): the pending client would make
 * level-triggered epoll spin.  Spend the reserve descriptor to accept and
 * close it: 1, or 0 when the queue was empty after all (accept4 says
 * EMFILE before it looks at the queue).  Without a reserve, stop watching
 * the listener for a while: -1. */
static int server_shed(struct server *s, int err)
{
	static time_t logged;

	if (log_due(&logged))
		log_warn("accept: %s: refusing a connection", strerror(err));
	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		int fd = accept4(s->listener.fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			s->refused++;
		}
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (s->reserve_fd >= 0)
			return fd >= 0;
	}
	server_unwatch(s, LISTENER_BACKOFF, LISTEN_RETRY_MS);
	return -1;
}

int server_accept(struct server *s, int all)
{
	int taken = 0;

	for (int i = 0; all || i < ACCEPT_TRIES; i++) {
		if (!all && taken > 0)
			return taken;	/* see ACCEPT_TRIES */
		int fd = accept4(s->listener.fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return taken;
			case EINTR:
			case ECONNABORTED:	/* accept(2): just try again */
			case EPROTO:
			case EPERM:		/* a firewall said no */
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				switch (server_shed(s, errno)) {
				case -1:
					return -1;
				case 0:
					return taken;	/* the queue is empty */
				}
				taken++;
				if (all)	/* a drain empties the queue */
					continue;
				return taken;
			default:
				log_err("accept: %s", strerror(errno));
				return taken;
			}
		}
		taken++;
		/* Over the limit: refused at once, not left in the queue. */
		if (s->conns.count >= s->cfg.max_connections) {
			static time_t logged;
			s->refused++;
			if (log_due(&logged))
				log_warn("--max-connections %ld reached: "
					 "refusing clients (%lu so far)",
					 s->cfg.max_connections, s->refused);
			close(fd);
			continue;
		}
		struct conn *c = conn_open(&s->conns, fd);
		if (!c) {
			close(fd);
			continue;
		}
		s->conns.newest = c;	/* silent until it speaks */
		s->newest_at = s->loop.now;
	}
	return taken;
}

void server_count_abandoned(struct server *s)
{
	s->abandoned_requests = 0;
	for (struct conn *c = s->conns.list; c; c = c->next)
		s->abandoned_requests += (unsigned long)conn_pending(c);
	s->abandoned_events = (unsigned long)s->events.n;
}

void server_close_listener(struct server *s)
{
	if (s->listening == LISTENER_CLOSED)
		return;
	loop_timer_stop(&s->loop, &s->listen_timer);
	/* Explicitly: a sibling worker holds the same open file description,
	 * and epoll forgets an fd on close only when no copy is left. */
	loop_del(&s->loop, &s->listener);
	close(s->listener.fd);
	s->listener.fd = -1;
	s->listening = LISTENER_CLOSED;
}

void server_after_batch(struct loop *l)
{
	struct server *s = container_of(l, struct server, loop);

	conn_reap(&s->conns);
	/* Paused (server_pause): take the next client ourselves; once the
	 * last one taken has spoken, nothing may wake us soon, so watch
	 * again. */
	if (s->listening == LISTENER_PAUSED && l->running) {
		unsigned long refused = s->refused;
		if (s->pause_over) {
			/* Not one client of this pause spoke in a millisecond
			 * or more, this batch included (a crowd of idle
			 * connections): none is about to, and waiting on them
			 * would take one client a pause.  No pause for a
			 * while. */
			if (!s->heard)
				s->no_pause_until = l->now + LISTEN_NO_PAUSE_MS;
			server_rewatch(s);
		} else if (server_accept(s, 0) > 0 && s->refused != refused)
			server_unwatch(s, LISTENER_ASIDE, LISTEN_ASIDE_MS);
		else if (s->listening == LISTENER_PAUSED && !s->conns.newest)
			server_rewatch(s);
	}
	if (s->conns.draining && s->conns.count == 0 && s->events.n == 0) {
		log_debug("drain complete");
		s->exit_status = 0;
		loop_stop(l);
	}
}

void server_free(struct server *s)
{
	conn_close_all(&s->conns);
	event_free_all(&s->events);
	server_close_listener(s);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	if (s->signals.fd >= 0)
		close(s->signals.fd);
	loop_close(&s->loop);
}
