/* libFuzzer harness for the connection state machine (worker/conn.c).
 *
 * Each input is a byte stream a client sends on one connection.  A fresh
 * server (its loop, connections and events; no listener, no signalfd)
 * takes one end of a Unix socketpair through conn_open; the harness
 * writes the input to the other end in pieces and, between pieces,
 * dispatches the loop's ready events, fires the earliest timer (the clock
 * is the harness's: header, idle and /sleep deadlines pass on demand),
 * reads the answers, half-closes, or starts a drain.  Piece sizes and actions come from a generator seeded by
 * a hash of the input, so a crash replays exactly and the input itself
 * stays a plain HTTP byte stream (the llhttp corpus seeds it well).
 *
 * Beyond the sanitizers and the leak check it checks that:
 *   - what the worker writes is a sequence of well-formed responses:
 *     "HTTP/1.1 NNN ", a head within 8 KiB, Content-Length on every final
 *     response, exactly that many body bytes (skipped when the input holds
 *     "HEAD", whose answers have no body);
 *   - nothing is written after a response with Connection: close;
 *   - the server's connection count is 0 or 1 and a drain ends. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "drain.h"
#include "event.h"
#include "lib/log.h"
#include "server.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* ---- the response stream checker ---- */

struct out_check {
	int enabled;
	int closed;		/* a Connection: close response was seen */
	char head[8192 + 1024];
	size_t head_len;
	size_t body_left;
	unsigned long responses;
};

static void out_head_done(struct out_check *o)
{
	const char *h = o->head, *p;
	size_t len = o->head_len;
	int status, have_cl = 0, closes = 0;
	unsigned long cl = 0;

	check(len >= 13 && memcmp(h, "HTTP/1.1 ", 9) == 0);
	check(h[9] >= '1' && h[9] <= '5' && h[10] >= '0' && h[10] <= '9' &&
	      h[11] >= '0' && h[11] <= '9' && h[12] == ' ');
	status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	for (p = h; (p = memchr(p, '\n', len - (size_t)(p - h)));) {
		p++;
		if ((size_t)(h + len - p) > 15 &&
		    strncasecmp(p, "Content-Length:", 15) == 0) {
			check(!have_cl);
			have_cl = 1;
			cl = strtoul(p + 15, NULL, 10);
		} else if ((size_t)(h + len - p) > 17 &&
			   strncasecmp(p, "Connection: close", 17) == 0) {
			closes = 1;
		}
	}
	if (status >= 200) {
		check(have_cl);
		check(cl <= (1UL << 20));
		o->body_left = cl;
		o->responses++;
		if (closes)
			o->closed = 1;
	}
	o->head_len = 0;
}

static void out_feed(struct out_check *o, const char *b, size_t n)
{
	if (!o->enabled)
		return;
	while (n > 0) {
		/* Once a closing response is complete nothing may follow. */
		check(!(o->closed && o->body_left == 0));
		if (o->body_left > 0) {
			size_t k = n < o->body_left ? n : o->body_left;
			o->body_left -= k;
			b += k;
			n -= k;
			continue;
		}
		check(o->head_len < sizeof o->head);
		o->head[o->head_len++] = *b++;
		n--;
		if (o->head_len >= 4 &&
		    memcmp(o->head + o->head_len - 4, "\r\n\r\n", 4) == 0)
			out_head_done(o);
	}
}

/* ---- driving the server ---- */

struct harness {
	struct server s;
	int peer;		/* the client's end */
	uint64_t now;		/* the harness's clock, ms */
	uint64_t rng;
	struct out_check out;
};

static void after_batch(struct harness *h)
{
	server_after_batch(&h->s.loop);
	check(h->s.conns.count == 0 || h->s.conns.count == 1);
}

/* One batch of ready events, as loop_run dispatches them. */
static void run_batch(struct harness *h)
{
	struct epoll_event ev[16];
	int n = epoll_wait(h->s.loop.epfd, ev, 16, 0);

	h->s.loop.now = h->now;
	for (int i = 0; i < n; i++) {
		struct watcher *w = ev[i].data.ptr;
		w->fn(w, ev[i].events);
	}
	after_batch(h);
}

/* Move the clock to the earliest deadline and run what is due. */
static void fire_timer(struct harness *h)
{
	uint64_t next = timer_heap_next(&h->s.loop.timers);
	struct timer *t;

	if (next == UINT64_MAX)
		return;
	if (next > h->now)
		h->now = next;
	h->s.loop.now = h->now;
	while ((t = timer_heap_pop_due(&h->s.loop.timers, h->now)) != NULL)
		t->fn(t);
	after_batch(h);
}

static void read_answers(struct harness *h)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(h->peer, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		out_feed(&h->out, buf, (size_t)n);
}

/* The worker has stopped: drain complete, drain timeout, or the
 * connection is gone. */
static int finished(const struct harness *h)
{
	return h->s.conns.count == 0 || h->s.exit_status == 3;
}

/* Between pieces: what is ready runs, answers are mostly read, a /sleep
 * in flight mostly ends (time passes), and now and then a timeout fires
 * early or a drain starts. */
static void act(struct harness *h)
{
	uint64_t r;

	run_batch(h);
	if (rng_below(&h->rng, 4) != 0)
		read_answers(h);
	if (h->s.conns.list && h->s.conns.list->state == CONN_IN_FLIGHT &&
	    rng_below(&h->rng, 4) != 0)
		fire_timer(h);
	r = rng_below(&h->rng, 64);
	if (r < 2)
		fire_timer(h);
	else if (r == 2 && !h->s.conns.draining)
		drain_start(&h->s);
}

static uint64_t fnv1a(const uint8_t *d, size_t n)
{
	uint64_t x = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		x = (x ^ d[i]) * 0x100000001b3ULL;
	return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("conn_fuzz", -1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	int sv[2];
	size_t pos = 0;

	memset(&h, 0, sizeof h);
	h.rng = fnv1a(data, size);
	h.out.enabled = !memmem(data, size, "HEAD", 4);
	h.s.cfg.drain_timeout_ms = 5000;
	h.s.cfg.conn.header_timeout_ms = 10000;
	h.s.cfg.conn.idle_timeout_ms = 60000;
	/* Half the drains give idle connections a grace (CONN_GRACE). */
	h.s.cfg.conn.idle_grace_ms = rng_below(&h.rng, 2) ? 500 : 0;
	h.s.cfg.max_connections = 16;
	h.s.cfg.max_events = 16;
	h.s.signals.fd = -1;
	if (loop_init(&h.s.loop) < 0 || server_init(&h.s) < 0)
		abort();
	h.now = h.s.loop.now;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		abort();
	h.peer = sv[1];
	/* Often a small send buffer: answers then leave in several writes
	 * (CONN_WRITE, EPOLLOUT), and a client that does not read blocks. */
	if (rng_below(&h.rng, 2)) {
		int small = 4096;
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	}
	/* As server_accept leaves it: the newest client, silent. */
	if (!(h.s.conns.newest = conn_open(&h.s.conns, sv[0]))) {
		close(sv[0]);
		goto out;
	}

	/* At most ~64 pieces, so a long input costs few system calls. */
	size_t min_piece = size / 64 + 1;
	while (pos < size && !finished(&h)) {
		size_t left = size - pos, piece;
		if (rng_below(&h.rng, 2))
			piece = min_piece + rng_below(&h.rng, 8);
		else
			piece = min_piece + rng_below(&h.rng, left);
		if (piece > left)
			piece = left;
		ssize_t n = send(h.peer, data + pos, piece,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			pos += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;	/* the worker closed its end */
		act(&h);
		if (n <= 0)
			read_answers(&h);	/* make room: back-pressure */
	}
	if (rng_below(&h.rng, 2))
		shutdown(h.peer, SHUT_WR);
	/* Let it finish: answers read, timers run, until nothing is left. */
	for (int i = 0; i < 64 && !finished(&h); i++) {
		read_answers(&h);
		run_batch(&h);
		if (i % 4 == 3)
			fire_timer(&h);
	}
	read_answers(&h);
	if (h.s.conns.draining && h.s.exit_status != 3)
		check(h.s.conns.count == 0 || timer_heap_next(&h.s.loop.timers) !=
		      UINT64_MAX);
out:
	close(h.peer);
	server_free(&h.s);
	return 0;
}
