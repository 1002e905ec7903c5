/* server: the worker's state, its listening socket and accept(2). */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>
#include <time.h>

#include "conn.h"
#include "event.h"
#include "loop.h"
#include "phase.h"

struct server_config {
	long drain_timeout_ms;
	long stop_delay_ms;	/* --stop-delay: 0, none */
	struct conn_limits conn;
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
	struct conn_ctx conns;		/* every open connection, and what
					   they are given */
	struct events events;		/* background events pending */
	struct watcher listener;
	enum listener_state listening;
	struct timer listen_timer;	/* ends PAUSED and BACKOFF, sweeps
					   ASIDE */
	int heard;			/* a client of this pause spoke */
	int pause_over;			/* its time is up */
	uint64_t no_pause_until;	/* loop time */
	uint64_t newest_at;		/* loop time conns.newest was taken */
	uint64_t requeued_at;		/* loop time of the last requeue */
	struct watcher signals;		/* signalfd: SIGTERM, SIGINT */
	int owns_listener;		/* bound it itself (not passed) */
	int exclusive;			/* watched with EPOLLEXCLUSIVE */
	int reserve_fd;			/* spent to refuse a client at EMFILE */
	int exit_status;
	enum phase phase;
	struct timer delay_timer;	/* the end of a stop delay */
	struct timer drain_timer;
	unsigned long refused;		/* at --max-connections */
	time_t started;
	unsigned long abandoned_requests;
	unsigned long abandoned_events;
};

/* Ready the connections and events of s, whose loop is ready and whose
 * cfg is set: no listener yet (its state is CLOSED). */
int server_init(struct server *s);
/* Watch the listening socket fd (non-blocking, close-on-exec). */
int server_listen(struct server *s, int listen_fd);
/* Takes one client off the queue, or with `all` every one until EAGAIN
 * (a drain).  Returns how many it took, served or refused, or -1 when out
 * of descriptors it stopped watching the listener for a while. */
int server_accept(struct server *s, int all);
void server_close_listener(struct server *s);
/* What is still open, as abandoned: the drain timeout, or any other exit
 * with work left (the summary line counts it). */
void server_count_abandoned(struct server *s);
/* After every batch of events: free closed connections, and end a drain
 * that has nothing left to wait for. */
void server_after_batch(struct loop *l);
void server_free(struct server *s);

#endif
