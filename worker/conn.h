/* conn: one HTTP connection's state machine, one request at a time. */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>

#include "fate.h"
#include "inbuf.h"
#include "loop.h"
#include "outbuf.h"
#include "request.h"

/* A connection's states, and what moves it; conn.c follows this table.
 *
 *   state      event                         action; next state
 *   READ_HEAD  a whole head, no body         DISPATCH
 *              a whole head, a body          100 Continue if asked and
 *                                            nothing is held; READ_BODY
 *              a bad head, over 1 MiB, an    ANSWER (its error)
 *              error route
 *              header timeout, nothing held  LINGER (no 408, as nginx)
 *              header timeout, a part held   ANSWER (408)
 *   READ_BODY  body bytes                    idle timer anew
 *              the body is whole             DISPATCH
 *              bad chunking, out of memory   ANSWER (400, 413, 503)
 *              idle timeout                  ANSWER (408)
 *   DISPATCH   /sleep                        IN_FLIGHT (sleep timer)
 *              /event                        start it (503 if refused);
 *                                            ANSWER
 *              any other                     ANSWER
 *   IN_FLIGHT  sleep timer                   ANSWER
 *   ANSWER     (at once)                     draining and nothing held:
 *                                            read what the socket holds;
 *                                            the fate (fate.h); send it:
 *                                            all taken: AFTER, else WRITE
 *   WRITE      the socket takes more         idle timer anew; all: AFTER
 *              idle timeout                  CLOSED (it stopped reading)
 *              drain                         the fate decided anew
 *   AFTER      fate KEEP, bytes held         READ_HEAD (header timer)
 *              fate KEEP, nothing held       IDLE (idle timer)
 *              fate CLOSE                    CLOSED, or LINGER if bytes
 *                                            came since (EPOLLIN,
 *                                            MSG_PEEK)
 *              fate LINGER                   LINGER
 *   IDLE       bytes                         READ_HEAD (header timer)
 *              idle timeout                  LINGER
 *              drain                         GRACE, or LINGER without one
 *   GRACE      bytes                         READ_HEAD (header timer)
 *              grace timeout                 LINGER
 *   LINGER     bytes                         read and dropped
 *              EOF, linger timeout           CLOSED
 *   any        EOF before an answer, a       CLOSED
 *              failed send or epoll_ctl
 *
 * A drain also makes each connection read what its socket holds; a
 * READ_HEAD that holds nothing (taken, silent) goes to GRACE as IDLE. */
enum conn_state {
	CONN_READ_HEAD,		/* a request has begun, its head is not whole */
	CONN_READ_BODY,		/* head parsed, body (CL or chunked) arriving */
	CONN_IN_FLIGHT,		/* /sleep: the answer waits on the timer */
	CONN_ANSWER,		/* whole, or failed: answer it now */
	CONN_WRITE,		/* an answer is queued, the socket full */
	CONN_IDLE,		/* keep-alive, nothing buffered */
	CONN_GRACE,		/* draining, idle: one more request may come */
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
	int delaying;		/* a stop delay: /healthz 503, answers close
				   (phase.h) */
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
	enum fate fate;		/* of the answer being sent */
	struct timer timer;	/* header, idle, sleep, grace or linger */
	struct inbuf in;
	size_t scan;		/* http_parse_request's resume point */
	unsigned readable : 1;	/* no EAGAIN since the last EPOLLIN edge */
	unsigned hup : 1;	/* the peer's FIN (or an error) is pending */
	unsigned watch_out : 1;	/* EPOLLOUT is in its epoll events */
	unsigned char continue_left;	/* of a 100 Continue the socket
					   took only part of */
	struct request req;	/* the one being handled */
	struct outbuf out;	/* what a short write left */
};

/* Take over an accepted, non-blocking socket.  NULL when out of memory. */
struct conn *conn_open(struct conn_ctx *x, int fd);
/* Drain step 2 (ctx->draining is set): an idle connection may send one
 * more request for --idle-grace, answered with Connection: close, then
 * gets a lingering close; else the request in progress is finished and
 * answered with Connection: close. */
void conn_drain(struct conn *c);
/* Whether a request has begun on c and is not yet answered. */
int conn_busy(const struct conn *c);
/* How many requests read on c are not yet answered (the drain timeout
 * counts them as abandoned). */
int conn_pending(const struct conn *c);
/* After every batch of events: free the connections closed in it. */
void conn_reap(struct conn_ctx *x);
/* At exit: close and free them all, and the pool of input buffers. */
void conn_close_all(struct conn_ctx *x);

#endif
