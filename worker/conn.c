/* conn: one connection's state machine; it follows the table in conn.h. */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer.h"
#include "event.h"
#include "lib/log.h"
#include "linger.h"
#include "peer.h"

/* Edge-triggered; EPOLLOUT is added at the first short write (conn_send). */
#define CONN_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLET)

/* One request is parsed at a time, and everything an answer needs is
 * copied out of it (struct request) before the next parse: one instance
 * serves all. */
static struct http_request conn_req;

/* Cannot fail: conn_open reserved a heap slot for this timer. */
static void conn_timer(struct conn *c, long ms)
{
	(void)loop_timer_in(c->ctx->loop, &c->timer, (uint64_t)ms);
}

/* The newest client, silent so far, speaks or goes. */
static void conn_heard(struct conn *c, int spoke)
{
	struct conn_ctx *x = c->ctx;

	if (x->newest != c)
		return;
	x->newest = NULL;
	x->heard(x->arg, spoke);
}

/* Reads into the input buffer: > 0 bytes, 0 when the socket is empty,
 * -1 at EOF or on an error (the connection is then done). */
static ssize_t conn_fill(struct conn *c)
{
	int drained;
	ssize_t n = inbuf_read(&c->in, c->w.fd, &drained);

	if (n > 0) {
		conn_heard(c, 1);
		/* A short read emptied the socket: the next edge says when
		 * there is more, unless the peer's FIN is pending. */
		if (drained && !c->hup)
			c->readable = 0;
	} else if (drained) {
		c->readable = 0;
	}
	return n;
}

static void conn_skip_empty_lines(struct conn *c)
{
	if (c->scan == 0)	/* else a head is half parsed from here */
		inbuf_skip_empty_lines(&c->in);
}

/* Nothing more will be read or sent: unsent output, the body and any
 * unparsed input go. */
static void conn_drop_buffers(struct conn *c)
{
	outbuf_free(&c->out);
	request_free_body(&c->req);
	inbuf_drop(&c->in);
}

static void conn_close(struct conn *c)
{
	struct conn_ctx *x = c->ctx;

	if (c->state == CONN_CLOSED)
		return;
	loop_timer_stop(x->loop, &c->timer);
	conn_heard(c, 0);
	/* The socket is ours alone, so close(2) also ends its epoll
	 * registration.  Linux frees the fd even when close says EINTR. */
	close(c->w.fd);
	conn_drop_buffers(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		x->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = x->dead;
	x->dead = c;
	x->count--;
	c->state = CONN_CLOSED;
}

/* A FIN, and read until the peer's: see linger.h. */
static void conn_linger(struct conn *c)
{
	conn_heard(c, 0);	/* it will not send a request now */
	conn_drop_buffers(c);
	if (linger_start(c->w.fd) < 0) {
		conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	c->readable = 1;
	conn_timer(c, LINGER_MS);
}

/* DISPATCH: the whole request is read, head and body. */
static void conn_dispatch(struct conn *c)
{
	c->state = CONN_ANSWER;
	switch (c->req.route.kind) {
	case ROUTE_SLEEP:
		c->state = CONN_IN_FLIGHT;
		conn_timer(c, c->req.route.arg);
		break;
	case ROUTE_EVENT:
		if (event_start(c->ctx->events, c->req.route.arg) < 0)
			request_fail(&c->req, 503);
		break;
	default:
		break;
	}
}

static void conn_on_head(struct conn *c)
{
	struct conn_ctx *x = c->ctx;
	int left;

	switch (request_begin(&c->req, &conn_req, x->draining || x->delaying,
			      x->loop->now)) {
	case REQUEST_FAILED:
		c->state = CONN_ANSWER;
		break;
	case REQUEST_WHOLE:
		conn_dispatch(c);
		break;
	case REQUEST_BODY:
		c->state = CONN_READ_BODY;
		conn_timer(c, x->lim->idle_timeout_ms);
		if (!conn_req.expect_continue || inbuf_len(&c->in) > 0)
			break;
		if ((left = answer_continue(c->w.fd)) < 0)
			conn_close(c);
		else
			c->continue_left = (unsigned char)left;
		break;
	}
}

/* IDLE, GRACE and READ_HEAD: 1 when the state moved on. */
static int conn_step_head(struct conn *c)
{
	conn_skip_empty_lines(c);
	if (inbuf_len(&c->in) > 0) {
		if (c->state != CONN_READ_HEAD) {
			/* A request began; in a drain, steps 3 and 4. */
			c->state = CONN_READ_HEAD;
			conn_timer(c, c->ctx->lim->header_timeout_ms);
		}
		int r = http_parse_request(inbuf_data(&c->in),
					   inbuf_len(&c->in), &c->scan,
					   &conn_req);
		if (r > 0) {
			inbuf_consume(&c->in, (size_t)r);
			c->scan = 0;
			conn_on_head(c);
			return 1;
		}
		if (r == HTTP_ERROR) {
			request_malformed(&c->req, conn_req.status,
					  c->ctx->loop->now);
			c->state = CONN_ANSWER;
			return 1;
		}
	}
	if (!c->readable) {
		inbuf_release(&c->in);
		return 0;
	}
	ssize_t n = conn_fill(c);
	if (n > 0)
		return 1;
	if (n == 0) {
		inbuf_release(&c->in);
		return 0;
	}
	conn_close(c);		/* EOF: a partial head is dropped */
	return 0;
}

static int conn_step_body(struct conn *c)
{
	size_t used;

	if (inbuf_len(&c->in) > 0) {
		enum request_step s = request_body(&c->req, inbuf_data(&c->in),
						   inbuf_len(&c->in), &used);
		inbuf_consume(&c->in, used);
		if (s == REQUEST_FAILED) {
			c->state = CONN_ANSWER;
			return 1;
		}
		if (s == REQUEST_WHOLE) {
			conn_dispatch(c);
			return 1;
		}
	}
	if (!c->readable)
		return 0;
	ssize_t n = conn_fill(c);
	if (n > 0) {
		conn_timer(c, c->ctx->lim->idle_timeout_ms);
		return 1;
	}
	if (n < 0)
		conn_close(c);	/* EOF inside a body */
	return 0;
}

/* The one place an answer's fate is decided, from the connection's state
 * (fate.h). */
static enum fate conn_fate(const struct conn *c)
{
	struct fate_facts f = {
		.keep_alive = c->req.keep_alive,
		.error = c->req.route.status >= 400,
		/* The delay closes each answered connection as a drain
		 * does, so that its client reconnects elsewhere. */
		.draining = c->ctx->draining || c->ctx->delaying,
		.next_begun = inbuf_len(&c->in) > 0,
		.peer_closing = c->req.peer_closing,
		.quiet = !c->readable,
	};

	return fate_decide(&f);
}

/* AFTER: the whole answer is out; its fate is carried out. */
static void conn_answered(struct conn *c)
{
	struct conn_ctx *x = c->ctx;

	x->answered++;
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char peer[64];
		peer_name(c->w.fd, peer, sizeof peer);
		log_debug("answered %s: %d to %s in %llu ms", c->req.what,
			  c->req.route.status, peer,
			  (unsigned long long)(x->loop->now - c->req.began));
	}
	request_free_body(&c->req);
	switch (c->fate) {
	case FATE_KEEP:
		if (inbuf_len(&c->in) > 0) {
			c->state = CONN_READ_HEAD;	/* pipelined */
			conn_timer(c, x->lim->header_timeout_ms);
		} else {
			c->state = CONN_IDLE;
			inbuf_release(&c->in);
			conn_timer(c, x->lim->idle_timeout_ms);
		}
		break;
	case FATE_CLOSE:
		/* Bytes that came since would turn close(2) into a reset. */
		if (!c->readable && linger_needless(c->w.fd)) {
			conn_close(c);
			break;
		}
		conn_linger(c);
		break;
	case FATE_LINGER:
		conn_linger(c);
		break;
	}
}

/* The answer leaves in one system call; what the socket does not take
 * waits in c->out for EPOLLOUT. */
static void conn_send(struct conn *c)
{
	char head[RESPONSE_HEAD_MAX];
	struct iovec iov[3];
	int n = answer_build(iov, head, &c->req, c->continue_left,
			     c->fate != FATE_KEEP);
	/* Closing right after: MSG_MORE holds the answer back for a moment,
	 * and close(2) sends it with the FIN in one segment (tcp_send_fin
	 * tacks the FIN onto an unsent tail), one packet less for both. */
	int flags = c->fate == FATE_CLOSE ? MSG_MORE : 0;

	c->continue_left = 0;
	switch (outbuf_send(&c->out, c->w.fd, iov, n, flags)) {
	case OUTBUF_SENT:
		conn_answered(c);
		return;
	case OUTBUF_FAILED:
		conn_close(c);
		return;
	case OUTBUF_BLOCKED:
	case OUTBUF_SHORT:
		break;
	}
	request_free_body(&c->req);	/* copied aside */
	c->state = CONN_WRITE;
	conn_timer(c, c->ctx->lim->idle_timeout_ms);
	/* Watched for EPOLLOUT only from the first short write on: a new
	 * socket is writable at once, and that event would cost every
	 * client a wake-up for nothing.  MOD reports a socket that is
	 * writable already, so no edge is missed. */
	if (!c->watch_out) {
		if (loop_mod(c->ctx->loop, &c->w, CONN_EVENTS | EPOLLOUT) < 0) {
			log_err("epoll_ctl: %s", strerror(errno));
			conn_close(c);
			return;
		}
		c->watch_out = 1;
	}
}

/* ANSWER.  While draining, an answer closes the connection unless a
 * request has begun behind it (SPEC drain steps 3 and 4): one that sits
 * unread in the socket is read first, so that it is answered rather than
 * discarded by the lingering close.  Its head is then bounded by the
 * header timeout, and everything by the drain timeout.  The answer
 * itself reads nothing. */
static int conn_step_answer(struct conn *c)
{
	conn_skip_empty_lines(c);
	if ((c->ctx->draining || c->ctx->delaying) && c->readable &&
	    inbuf_len(&c->in) == 0) {
		(void)conn_fill(c);	/* at EOF, nothing has begun */
		conn_skip_empty_lines(c);
	}
	c->fate = conn_fate(c);
	conn_send(c);
	return 1;
}

static int conn_step_write(struct conn *c)
{
	switch (outbuf_flush(&c->out, c->w.fd)) {
	case OUTBUF_BLOCKED:
		return 0;
	case OUTBUF_FAILED:
		conn_close(c);
		return 0;
	case OUTBUF_SHORT:
		/* A client that keeps reading is not stalled: the idle
		 * timeout counts from the last progress, not from the first
		 * short write. */
		conn_timer(c, c->ctx->lim->idle_timeout_ms);
		return 1;
	case OUTBUF_SENT:
		conn_timer(c, c->ctx->lim->idle_timeout_ms);
		conn_answered(c);
		return 1;
	}
	return 0;
}

static int conn_step_linger(struct conn *c)
{
	if (linger_discard(c->w.fd) < 0)
		conn_close(c);
	return 0;
}

static void conn_run(struct conn *c)
{
	int progress = 1;

	while (progress) {
		switch (c->state) {
		case CONN_IDLE:
		case CONN_GRACE:
		case CONN_READ_HEAD:
			progress = conn_step_head(c);
			break;
		case CONN_READ_BODY:
			progress = conn_step_body(c);
			break;
		case CONN_ANSWER:
			progress = conn_step_answer(c);
			break;
		case CONN_WRITE:
			progress = conn_step_write(c);
			break;
		case CONN_LINGER:
			progress = conn_step_linger(c);
			break;
		case CONN_IN_FLIGHT:
		case CONN_CLOSED:
			return;
		}
	}
}

static void conn_on_event(struct watcher *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;

	if (c->state == CONN_CLOSED)
		return;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->hup = 1;	/* keeps conn_fill reading until it sees it */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = 1;
	conn_run(c);
}

static void conn_on_timer(struct timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);

	switch (c->state) {
	case CONN_READ_HEAD:
		/* Nothing sent at all: browsers open connections ahead of
		 * time, and a 408 would only be noise (nginx closes too). */
		if (inbuf_len(&c->in) == 0) {
			conn_linger(c);	/* a FIN, never a reset */
			break;
		}
		/* fall through */
	case CONN_READ_BODY:
		request_fail(&c->req, 408);
		c->state = CONN_ANSWER;
		break;
	case CONN_IN_FLIGHT:
		c->state = CONN_ANSWER;
		break;
	case CONN_IDLE:
	case CONN_GRACE:	/* still idle at the end of the grace */
		conn_linger(c);
		break;
	case CONN_WRITE:	/* the client stopped reading */
	case CONN_LINGER:
		conn_close(c);
		break;
	case CONN_ANSWER:
	case CONN_CLOSED:
		break;
	}
	conn_run(c);
}

/* A keep-alive client may have written its next request just now: closing
 * under it would lose that request (nginx's reload does).  It is told by
 * the answer's Connection: close instead, if it asks within the grace. */
void conn_drain(struct conn *c)
{
	/* Its answer went out without Connection: close; with nothing
	 * behind it, the connection now ends after it all the same. */
	if (c->state == CONN_WRITE)
		c->fate = conn_fate(c);
	c->readable = 1;	/* a request may sit unread in the socket */
	conn_run(c);
	if (c->state != CONN_IDLE &&
	    !(c->state == CONN_READ_HEAD && inbuf_len(&c->in) == 0))
		return;
	if (c->ctx->lim->idle_grace_ms > 0) {
		c->state = CONN_GRACE;
		conn_timer(c, c->ctx->lim->idle_grace_ms);
		return;
	}
	conn_linger(c);
	conn_run(c);
}

struct conn *conn_open(struct conn_ctx *x, int fd)
{
	struct conn *c;

	if (timer_heap_reserve(&x->loop->timers,
			       (size_t)(x->count + x->events->n) + 8) < 0)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->w.fd = fd;
	c->w.fn = conn_on_event;
	c->ctx = x;
	c->timer.fn = conn_on_timer;
	c->state = CONN_READ_HEAD;
	if (x->nodelay) {
		int one = 1;	/* see listen.c: our own listeners pass it on */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof one);
	}
	/* No read yet: the request seldom comes with the handshake, and a
	 * read that says EAGAIN would be one system call per client for
	 * nothing.  EPOLL_CTL_ADD reports a socket that is readable already,
	 * so no edge is missed. */
	if (loop_add(x->loop, &c->w, CONN_EVENTS) < 0) {
		log_err("epoll_ctl: %s", strerror(errno));
		free(c);
		return NULL;
	}
	c->next = x->list;
	if (c->next)
		c->next->prev = c;
	x->list = c;
	x->count++;
	conn_timer(c, x->lim->header_timeout_ms);
	return c;
}

void conn_reap(struct conn_ctx *x)
{
	while (x->dead) {
		struct conn *c = x->dead;
		x->dead = c->next;
		free(c);
	}
}

void conn_close_all(struct conn_ctx *x)
{
	while (x->list)
		conn_close(x->list);
	conn_reap(x);
	inbuf_pool_free();
}


int conn_busy(const struct conn *c)
{
	switch (c->state) {
	case CONN_READ_HEAD:
		return inbuf_len(&c->in) > 0;
	case CONN_READ_BODY:
	case CONN_IN_FLIGHT:
	case CONN_ANSWER:
	case CONN_WRITE:
		return 1;
	default:
		return 0;
	}
}

int conn_pending(const struct conn *c)
{
	/* Whole heads pipelined behind the request in progress were read
	 * as well: abandoned, they count too. */
	if (c->state == CONN_IN_FLIGHT || c->state == CONN_WRITE)
		return 1 + inbuf_heads(&c->in);
	return conn_busy(c);
}