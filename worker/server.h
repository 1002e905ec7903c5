/* server: the worker's state, its listening socket and accept(2). */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>
#include <time.h>

#include "loop.h"

struct conn;
struct event;

struct server_config {
	long drain_timeout_ms;
	long header_timeout_ms;
	long idle_timeout_ms;
	long idle_grace_ms;	/* drain step 2: how long idle ones may ask */
	long max_connections;
	long max_events;	/* background events pending at once */
};

/* The listening socket and this worker's epoll set (server.c):
 *   WATCHED --a client while the one before has yet to speak--> PAUSED
 *   PAUSED  --the last client taken has spoken, or 2 ms--> WATCHED
 *   WATCHED, PAUSED --a client refused--> ASIDE
 *   ASIDE   --2 ms: take the queue; room, none refused--> WATCHED
 *   any     --out of descriptors, epoll_ctl failed--> BACKOFF
 *   BACKOFF --100 ms--> WATCHED
 *   any     --drain--> CLOSED */
enum listener_state {
	LISTENER_WATCHED,	/* in the set: epoll says when a client waits */
	LISTENER_PAUSED,	/* out: a client just taken will wake us */
	LISTENER_ASIDE,		/* out: full, leaving clients to siblings */
	LISTENER_BACKOFF,	/* out: no descriptor to accept with */
	LISTENER_CLOSED,	/* the drain closed it; fd is -1 */
};

struct server {
	struct loop loop;
	struct server_config cfg;
	struct watcher listener;
	enum listener_state listening;
	struct timer listen_timer;	/* ends PAUSED and BACKOFF, sweeps
					   ASIDE */
	int heard;			/* a client of this pause spoke */
	int pause_over;			/* its time is up */
	uint64_t no_pause_until;	/* loop time */
	struct conn *newest;		/* the last client taken, while silent */
	uint64_t newest_at;		/* loop time it was taken */
	uint64_t requeued_at;		/* loop time of the last requeue */
	struct watcher signals;		/* signalfd: SIGTERM, SIGINT */
	int owns_listener;		/* bound it itself (not passed) */
	int exclusive;			/* watched with EPOLLEXCLUSIVE */
	int nodelay_inherited;		/* the listener has TCP_NODELAY */
	int reserve_fd;			/* spent to refuse a client at EMFILE */
	int draining;
	int exit_status;
	struct timer drain_timer;
	struct conn *conns;		/* every open connection */
	struct conn *dead;		/* closed, freed after the batch */
	long nconns;
	struct event *events;		/* background events pending */
	long nevents;
	unsigned long answered;
	unsigned long refused;		/* at --max-connections */
	time_t started;
	unsigned long abandoned_requests;
	unsigned long abandoned_events;
};

/* Watch the listening socket fd (non-blocking, close-on-exec). */
int server_init(struct server *s, int listen_fd);
/* Takes one client off the queue, or with `all` every one until EAGAIN
 * (a drain).  Returns how many it took, served or refused, or -1 when out
 * of descriptors it stopped watching the listener for a while. */
int server_accept(struct server *s, int all);
/* s->newest has sent its first byte (spoke), or is closing without one:
 * it is silent no more, and no longer the newest. */
void server_heard(struct server *s, int spoke);
void server_close_listener(struct server *s);
/* What is still open, as abandoned: the drain timeout, or any other exit
 * with work left (the summary line counts it). */
void server_count_abandoned(struct server *s);
/* After every batch of events: free closed connections, and end a drain
 * that has nothing left to wait for. */
void server_after_batch(struct loop *l);
void server_free(struct server *s);

#endif
