#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "event.h"
#include "lib/log.h"
#include "response.h"

#define CONN_BUF_SIZE (HTTP_HEAD_MAX + 512)	/* a whole head fits */
#define CONN_LINGER_MS 1000
#define CONN_POOL_KEEP 64	/* free input buffers kept for reuse */
/* Edge-triggered; EPOLLOUT is added at the first short write (conn_send). */
#define CONN_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLET)

/* One request is parsed at a time, and everything a response needs is
 * copied out of it before the next parse: one instance serves all. */
static struct http_request conn_req;

/* Input buffers belong to a connection only while it has unparsed bytes;
 * a free list makes taking one per request cost no malloc. */
static char *pool_head;
static int pool_len;

static char *pool_get(void)
{
	char *b = pool_head;

	if (!b)
		return malloc(CONN_BUF_SIZE);
	memcpy(&pool_head, b, sizeof pool_head);
	pool_len--;
	return b;
}

static void pool_put(char *b)
{
	if (pool_len >= CONN_POOL_KEEP) {
		free(b);
		return;
	}
	memcpy(b, &pool_head, sizeof pool_head);
	pool_head = b;
	pool_len++;
}

void conn_pool_free(void)
{
	while (pool_head) {
		char *b = pool_head;
		memcpy(&pool_head, b, sizeof pool_head);
		free(b);
	}
	pool_len = 0;
}

static struct conn *conn_of_timer(struct timer *t)
{
	return container_of(t, struct conn, timer);
}

static size_t conn_buffered(const struct conn *c)
{
	return c->in_end - c->in_start;
}

static void conn_release_input(struct conn *c)
{
	if (c->in && conn_buffered(c) == 0) {
		pool_put(c->in);
		c->in = NULL;
		c->in_start = c->in_end = 0;
	}
}

void conn_peer(const struct conn *c, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	const void *addr;
	unsigned port;

	if (getpeername(c->w.fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(buf, size, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		addr = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		addr = &s4->sin_addr;
		port = ntohs(s4->sin_port);
	}
	if (!inet_ntop(ss.ss_family, addr, host, sizeof host))
		snprintf(host, sizeof host, "?");
	snprintf(buf, size, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, port);
}

/* What the request is, kept for the log: method and target, cut to fit.
 * Two copies, no formatting: it runs for every request. */
static void conn_remember(struct conn *c, const struct http_request *req)
{
	size_t m = req->method_len < 16 ? req->method_len : 16;
	size_t room = sizeof c->what - m - 2;
	size_t t = req->target_len < room ? req->target_len : room;

	memcpy(c->what, req->method_str, m);
	c->what[m] = ' ';
	memcpy(c->what + m + 1, req->target, t);
	c->what[m + 1 + t] = '\0';
	c->began = c->ctx->loop->now;
}

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

int conn_pending(struct conn *c)
{
	struct http_request req;
	size_t off = c->in_start, scan;
	int n = conn_busy(c);
	long r;

	/* Complete heads pipelined behind the request in progress were read
	 * as well: abandoned, they count too. */
	if (c->state != CONN_IN_FLIGHT && c->state != CONN_WRITE)
		return n;
	while (off < c->in_end) {
		scan = 0;
		r = http_parse_request(c->in + off, c->in_end - off, &scan, &req);
		if (r <= 0)
			break;
		n++;
		off += (size_t)r;
		if (req.content_length > 0 || req.chunked)
			break;	/* its body is not a head: stop counting */
	}
	return n;
}

int conn_busy(const struct conn *c)
{
	switch (c->state) {
	case CONN_READ_HEAD:
		return conn_buffered(c) > 0;
	case CONN_READ_BODY:
	case CONN_IN_FLIGHT:
	case CONN_WRITE:
		return 1;
	default:
		return 0;
	}
}

/* Nothing more will be read or sent: unsent output, the body and any
 * unparsed input go. */
static void conn_drop_buffers(struct conn *c)
{
	free(c->out);
	free(c->body);
	c->out = c->body = NULL;
	c->in_start = c->in_end;
	conn_release_input(c);
}

void conn_close(struct conn *c)
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

/* Half-close, then read and discard until the peer's EOF: a client whose
 * request crosses our close sees a clean EOF, not a reset (RFC 9112 §9.6). */
static void conn_linger(struct conn *c)
{
	conn_heard(c, 0);	/* it will not send a request now */
	conn_drop_buffers(c);
	if (shutdown(c->w.fd, SHUT_WR) < 0) {
		conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	c->readable = 1;
	conn_timer(c, CONN_LINGER_MS);
}

/* Reads into the input buffer: > 0 bytes, 0 when the socket is empty,
 * -1 at EOF or on an error (the connection is then done). */
static ssize_t conn_fill(struct conn *c)
{
	ssize_t n;
	size_t room;

	if (!c->in && !(c->in = pool_get()))
		return -1;
	if (c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, conn_buffered(c));
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	room = CONN_BUF_SIZE - c->in_end;
	if (room == 0)
		return 0;	/* the parser's limits stop well before */
	do
		n = read(c->w.fd, c->in + c->in_end, room);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_end += (size_t)n;
		conn_heard(c, 1);
		/* A short read emptied the socket: the next edge says when
		 * there is more, unless the peer's FIN is pending. */
		if ((size_t)n < room && !c->hup)
			c->readable = 0;
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->readable = 0;
		return 0;
	}
	if (n < 0)
		log_debug("read: %s", strerror(errno));
	return -1;
}

/* Empty lines before a request line are ignored (RFC 9112 §2.2): a client
 * may send CRLF after a body.  Dropped here, they do not make an idle
 * connection look busy. */
static void conn_skip_empty_lines(struct conn *c)
{
	if (c->scan)
		return;		/* a head is half parsed: scan counts from here */
	while (conn_buffered(c) >= 2 && c->in[c->in_start] == '\r' &&
	       c->in[c->in_start + 1] == '\n')
		c->in_start += 2;
}

/* RFC 9112 §9.6: a client that sent "close" sends no more requests.  When
 * nothing else is in the socket either, no reset is to be feared: close at
 * once after the answer, no lingering close.  peer_closing is only set
 * for a request without a body answered as soon as it was read, so that
 * the socket was found empty a moment ago (an old client may send a CRLF
 * after a body; one kept waiting by /sleep has had time to send more). */
static int conn_ends_clean(const struct conn *c)
{
	return c->close_after && c->peer_closing && conn_buffered(c) == 0 &&
	       !c->readable;
}

/* The last check before a close(2) that unread bytes would turn into a
 * reset: 1 when the socket holds none. */
static int conn_socket_empty(const struct conn *c)
{
	char b;
	ssize_t n;

	do
		n = recv(c->w.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void conn_response_done(struct conn *c)
{
	struct conn_ctx *x = c->ctx;

	x->answered++;
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char peer[64];
		conn_peer(c, peer, sizeof peer);
		log_debug("answered %s: %d to %s in %llu ms", c->what,
			  c->route.status, peer,
			  (unsigned long long)(x->loop->now - c->began));
	}
	free(c->body);
	c->body = NULL;
	conn_skip_empty_lines(c);
	if (conn_ends_clean(c) && conn_socket_empty(c)) {
		conn_close(c);
	} else if (c->close_after ||
		   (x->draining && conn_buffered(c) == 0)) {
		conn_linger(c);
	} else if (conn_buffered(c) > 0) {
		c->state = CONN_READ_HEAD;	/* pipelined: parse it now */
		conn_timer(c, x->lim->header_timeout_ms);
	} else {
		c->state = CONN_IDLE;
		conn_release_input(c);
		conn_timer(c, x->lim->idle_timeout_ms);
	}
}

static const char conn_continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define CONN_CONTINUE_LEN (sizeof conn_continue_line - 1)

/* One system call for head and body (send when they are one buffer);
 * what the socket does not take now is copied aside and sent on EPOLLOUT. */
static void conn_send(struct conn *c, struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	size_t total = 0, off = 0;
	/* Closing right after: MSG_MORE holds the answer back for a moment,
	 * and close(2) sends it with the FIN in one segment (tcp_send_fin
	 * tacks the FIN onto an unsent tail), one packet less for both. */
	int flags = MSG_NOSIGNAL | (conn_ends_clean(c) ? MSG_MORE : 0);
	ssize_t n;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	do
		n = iovcnt == 1 ?
		    send(c->w.fd, iov[0].iov_base, total, flags) :
		    sendmsg(c->w.fd, &msg, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("send: %s", strerror(errno));
		conn_close(c);
		return;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n == total) {
		conn_response_done(c);
		return;
	}
	c->out = malloc(total - (size_t)n);
	if (!c->out) {
		conn_close(c);
		return;
	}
	for (int i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len, skip = 0;
		if ((size_t)n > 0) {
			skip = (size_t)n < len ? (size_t)n : len;
			n -= (ssize_t)skip;
		}
		if (len == skip)
			continue;	/* also an empty /echo body: NULL */
		memcpy(c->out + off, (char *)iov[i].iov_base + skip, len - skip);
		off += len - skip;
	}
	c->out_off = 0;
	c->out_len = off;
	free(c->body);
	c->body = NULL;
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

/* While draining, a response closes the connection unless a request has
 * begun behind it (SPEC drain steps 3 and 4): one that sits unread in the
 * socket is read first, so that it is answered rather than discarded by
 * the lingering close.  Its head is then bounded by the header timeout,
 * and everything by the drain timeout. */
static int conn_next_started(struct conn *c)
{
	if (c->readable && conn_fill(c) < 0)
		return 0;
	conn_skip_empty_lines(c);
	return conn_buffered(c) > 0;
}

static void conn_respond(struct conn *c)
{
	const struct route *rt = &c->route;
	struct response r = { .status = rt->status, .allow = rt->allow };
	char head[RESPONSE_HEAD_MAX];
	struct iovec iov[3];
	/* iov[0]: what the socket did not take of a 100 Continue. */
	int first = c->continue_left == 0;

	iov[0].iov_base = (char *)conn_continue_line + CONN_CONTINUE_LEN -
			  c->continue_left;
	iov[0].iov_len = c->continue_left;
	c->continue_left = 0;
	iov[2].iov_base = rt->kind == ROUTE_ECHO ? c->body : (char *)rt->text;
	iov[2].iov_len = rt->kind == ROUTE_ECHO ? c->body_len : rt->text_len;
	r.content_length = iov[2].iov_len;
	c->close_after = !c->keep_alive || rt->status >= 400 ||
			 (c->ctx->draining && !conn_next_started(c));
	r.close = c->close_after;
	r.keep_alive = !r.close && c->http10;
	if (rt->kind != ROUTE_ECHO) {
		iov[1].iov_base = (char *)response_fixed(&r, rt->text,
							 c->head_only,
							 &iov[1].iov_len);
		if (iov[1].iov_base) {
			conn_send(c, iov + first, 2 - first);
			return;
		}
	}
	iov[1].iov_base = head;
	iov[1].iov_len = response_head(head, &r);
	if (c->head_only)
		iov[2].iov_len = 0;
	conn_send(c, iov + first, 3 - first);
}

/* An error answer; a HEAD request that parsed still gets no body. */
static void conn_fail(struct conn *c, int status)
{
	router_error(&c->route, status);
	c->keep_alive = 0;
	conn_respond(c);
}

/* The whole request is read: head, and body if any. */
static void conn_dispatch(struct conn *c)
{
	c->peer_closing = !c->keep_alive && !c->chunked && c->body_need == 0 &&
			  c->route.kind != ROUTE_SLEEP;
	switch (c->route.kind) {
	case ROUTE_SLEEP:
		c->state = CONN_IN_FLIGHT;
		conn_timer(c, c->route.arg);
		return;
	case ROUTE_EVENT:
		if (event_start(c->ctx->events, c->route.arg) < 0) {
			conn_fail(c, 503);
			return;
		}
		break;
	default:
		break;
	}
	conn_respond(c);
}

/* RFC 9110 §10.1.1: a "100 Continue" is a hint.  A client waits a moment
 * for it, then sends its body anyway.  The socket may still hold answers
 * to earlier requests the client has not read: when it takes none of the
 * line, skip the hint; when it takes part, the rest goes out in front of
 * the final response (conn_respond). */
static void conn_continue(struct conn *c)
{
	ssize_t n;

	do
		n = send(c->w.fd, conn_continue_line, CONN_CONTINUE_LEN,
			 MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("send: %s", strerror(errno));
		conn_close(c);
	} else if (n < 0) {
		log_debug("100 Continue skipped: the socket is full");
	} else {
		c->continue_left = (unsigned char)(CONN_CONTINUE_LEN - (size_t)n);
	}
}

static void conn_on_head(struct conn *c)
{
	const struct http_request *req = &conn_req;

	c->keep_alive = req->keep_alive;
	c->http10 = req->minor_version == 0;
	c->head_only = req->method == HTTP_HEAD;
	log_debug("request: %.*s %.*s", (int)req->method_len, req->method_str,
		  (int)req->target_len, req->target);
	conn_remember(c, req);
	router_route(req, c->ctx->draining, &c->route);
	if (req->content_length > HTTP_BODY_MAX) {
		conn_fail(c, 413);
		return;
	}
	if (c->route.status >= 400) {
		conn_respond(c);	/* the lingering close eats any body */
		return;
	}
	c->chunked = req->chunked;
	c->body_len = 0;
	c->body_need = req->content_length > 0 ? (size_t)req->content_length : 0;
	if (!c->chunked && c->body_need == 0) {
		conn_dispatch(c);
		return;
	}
	/* A chunked body has no length up front: its buffer grows with
	 * what arrives (conn_body_reserve), not the 1 MiB limit at once. */
	c->body = c->chunked ? NULL : malloc(c->body_need);
	c->body_cap = c->chunked ? 0 : c->body_need;
	if (!c->chunked && !c->body) {
		conn_fail(c, 503);
		return;
	}
	memset(&c->dechunk, 0, sizeof c->dechunk);
	c->state = CONN_READ_BODY;
	conn_timer(c, c->ctx->lim->idle_timeout_ms);
	if (req->expect_continue && conn_buffered(c) == 0)
		conn_continue(c);
}

/* CONN_IDLE and CONN_READ_HEAD: 1 when the state moved on. */
static int conn_step_head(struct conn *c)
{
	conn_skip_empty_lines(c);
	if (conn_buffered(c) > 0) {
		if (c->state == CONN_IDLE || c->grace) {
			c->state = CONN_READ_HEAD;
			c->grace = 0;	/* a request began: steps 3 and 4 */
			conn_timer(c, c->ctx->lim->header_timeout_ms);
		}
		int r = http_parse_request(c->in + c->in_start,
					   conn_buffered(c), &c->scan,
					   &conn_req);
		if (r > 0) {
			c->in_start += (size_t)r;
			c->scan = 0;
			conn_on_head(c);
			return 1;
		}
		if (r == HTTP_ERROR) {
			c->head_only = 0;	/* nothing parsed: not a HEAD */
			memcpy(c->what, "(malformed)", sizeof "(malformed)");
			c->began = c->ctx->loop->now;
			conn_fail(c, conn_req.status);
			return 1;
		}
	}
	if (!c->readable) {
		conn_release_input(c);
		return 0;
	}
	ssize_t n = conn_fill(c);
	if (n > 0)
		return 1;
	if (n == 0) {
		conn_release_input(c);
		return 0;
	}
	conn_close(c);		/* EOF: a partial head is dropped */
	return 0;
}

/* Room for need bytes of chunked body: the decoder never writes more
 * than the input it is given, and never past HTTP_BODY_MAX (then 413). */
static int conn_body_reserve(struct conn *c, size_t need)
{
	size_t cap = c->body_cap ? c->body_cap : 4096;
	char *body;

	if (need > HTTP_BODY_MAX)
		need = HTTP_BODY_MAX;
	if (c->body && c->body_cap >= need)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > HTTP_BODY_MAX)
		cap = HTTP_BODY_MAX;
	if (!(body = realloc(c->body, cap)))
		return -1;
	c->body = body;
	c->body_cap = cap;
	return 0;
}

static int conn_step_body(struct conn *c)
{
	size_t avail = conn_buffered(c);

	if (avail > 0 && c->chunked) {
		if (conn_body_reserve(c, c->body_len + avail) < 0) {
			conn_fail(c, 503);
			return 1;
		}
		long used = http_chunked_decode(&c->dechunk, c->in + c->in_start,
						avail, c->body, HTTP_BODY_MAX);
		if (used < 0) {
			conn_fail(c, c->dechunk.status);
			return 1;
		}
		c->in_start += (size_t)used;
		c->body_len = c->dechunk.body_len;
		if (c->dechunk.state == CHUNK_DONE) {
			conn_dispatch(c);
			return 1;
		}
	} else if (avail > 0) {
		size_t n = c->body_need - c->body_len;
		if (n > avail)
			n = avail;
		memcpy(c->body + c->body_len, c->in + c->in_start, n);
		c->body_len += n;
		c->in_start += n;
	}
	if (!c->chunked && c->body_len == c->body_need) {
		conn_dispatch(c);
		return 1;
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

static int conn_step_write(struct conn *c)
{
	ssize_t n;

	do
		n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		log_debug("send: %s", strerror(errno));
		conn_close(c);
		return 0;
	}
	c->out_off += (size_t)n;
	/* A client that keeps reading is not stalled: the idle timeout
	 * counts from the last progress, not from the first short write. */
	conn_timer(c, c->ctx->lim->idle_timeout_ms);
	if (c->out_off < c->out_len)
		return 1;
	free(c->out);
	c->out = NULL;
	conn_response_done(c);
	return 1;
}

static int conn_step_linger(struct conn *c)
{
	static char sink[4096];
	ssize_t n;

	do
		n = read(c->w.fd, sink, sizeof sink);
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	conn_close(c);		/* EOF, or the peer reset: done either way */
	return 0;
}

static void conn_run(struct conn *c)
{
	int progress = 1;

	while (progress) {
		switch (c->state) {
		case CONN_IDLE:
		case CONN_READ_HEAD:
			progress = conn_step_head(c);
			break;
		case CONN_READ_BODY:
			progress = conn_step_body(c);
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
	struct conn *c = conn_of_timer(t);

	if (c->grace) {		/* still idle at the end of the grace */
		c->grace = 0;
		conn_linger(c);
		conn_run(c);
		return;
	}
	switch (c->state) {
	case CONN_READ_HEAD:
		/* Nothing sent at all: browsers open connections ahead of
		 * time, and a 408 would only be noise (nginx closes too). */
		if (conn_buffered(c) == 0) {
			conn_linger(c);	/* a FIN, never a reset */
			break;
		}
		conn_fail(c, 408);
		break;
	case CONN_READ_BODY:
		conn_fail(c, 408);
		break;
	case CONN_IN_FLIGHT:
		conn_respond(c);
		break;
	case CONN_IDLE:
		conn_linger(c);
		break;
	case CONN_WRITE:	/* the client stopped reading */
	case CONN_LINGER:
		conn_close(c);
		break;
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
	c->readable = 1;	/* a request may sit unread in the socket */
	conn_run(c);
	if (c->state != CONN_IDLE &&
	    !(c->state == CONN_READ_HEAD && conn_buffered(c) == 0))
		return;
	if (c->ctx->lim->idle_grace_ms > 0) {
		c->grace = 1;
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
}
