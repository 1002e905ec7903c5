/* conn: one HTTP connection, one request at a time. */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "loop.h"
#include "router.h"

enum conn_state {
	CONN_READ_HEAD,		/* a request has begun, its head is not whole */
	CONN_READ_BODY,		/* head parsed, body (CL or chunked) arriving */
	CONN_IN_FLIGHT,		/* /sleep: the response waits on the timer */
	CONN_WRITE,		/* a response is queued, socket full */
	CONN_IDLE,		/* keep-alive, nothing buffered */
	CONN_LINGER,		/* FIN sent; read and discard until EOF */
	CONN_CLOSED,		/* fd closed; freed after this batch */
};

struct conn;
struct events;

struct conn_limits {
	long header_timeout_ms;
	long idle_timeout_ms;
	long idle_grace_ms;	/* drain step 2: how long idle ones may ask */
};

/* What connections get from the server that takes them, and where they
 * keep their list and their count of answers. */
struct conn_ctx {
	struct loop *loop;
	const struct conn_limits *lim;
	struct events *events;	/* where /event starts one */
	int nodelay;		/* set TCP_NODELAY (the listener does not
				   pass it on) */
	int draining;		/* drain steps 2 to 4 apply */
	/* The last client taken, while it has not spoken: the server sets
	 * it; when that client speaks (spoke 1) or goes without a word
	 * (spoke 0), newest is cleared and heard(arg, spoke) runs. */
	struct conn *newest;
	void (*heard)(void *arg, int spoke);
	void *arg;

	struct conn *list;	/* every open connection */
	struct conn *dead;	/* closed, freed by conn_reap */
	long count;		/* on list */
	unsigned long answered;
};

struct conn {
	struct watcher w;
	struct conn_ctx *ctx;
	struct conn *prev, *next;
	enum conn_state state;
	struct timer timer;	/* header, idle, sleep or linger deadline */

	char *in;		/* pooled input buffer, only while needed */
	size_t in_start, in_end;	/* unparsed bytes: in[in_start..in_end) */
	size_t scan;		/* http_parse_request's resume point */
	unsigned readable : 1;	/* no EAGAIN since the last EPOLLIN edge */
	unsigned hup : 1;	/* the peer's FIN (or an error) is pending */
	unsigned keep_alive : 1;
	unsigned http10 : 1;
	unsigned head_only : 1;
	unsigned grace : 1;	/* draining, idle: one more request may come */
	unsigned peer_closing : 1;	/* it said close, and all it sent of
					   this request is read */
	unsigned watch_out : 1;		/* EPOLLOUT is in its epoll events */
	unsigned char continue_left;	/* of a 100 Continue the socket
					   took only part of */

	/* The request being handled. */
	char what[64];		/* "GET /sleep?ms=5", for the log */
	uint64_t began;		/* loop time (ms) its head was parsed */
	struct route route;
	int chunked;
	struct http_chunked dechunk;
	char *body;
	size_t body_len, body_need, body_cap;

	char *out;		/* unsent response bytes, only after a short write */
	size_t out_off, out_len;
	int close_after;	/* the queued response closes the connection */
};

/* Take over an accepted, non-blocking socket.  NULL when out of memory. */
struct conn *conn_open(struct conn_ctx *x, int fd);
/* Drain step 2 (ctx->draining is set): an idle connection may send one more request for
 * --idle-grace, answered with Connection: close, then gets a lingering
 * close; else the request in progress is finished and answered with
 * Connection: close. */
void conn_drain(struct conn *c);
/* Whether a request has begun on c and is not yet answered. */
int conn_busy(const struct conn *c);
/* How many requests read on c are not yet answered (the drain timeout
 * counts them as abandoned). */
int conn_pending(struct conn *c);
void conn_close(struct conn *c);
/* "127.0.0.1:5555", "[::1]:5555": the client, for the log. */
void conn_peer(const struct conn *c, char *buf, size_t size);
/* After every batch of events: free the connections closed in it. */
void conn_reap(struct conn_ctx *x);
/* At exit: close and free them all. */
void conn_close_all(struct conn_ctx *x);
void conn_pool_free(void);

#endif
