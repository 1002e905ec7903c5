/* loadclient: hostile and heavy clients for tests/fault.bats and
 * tests/soak.bats, loopback only, every mode bounded in time.
 *
 *   loadclient load PORT CLIENTS MS [SLEEP_EVERY]
 *	CLIENTS keep-alive connections loop GET / (every SLEEP_EVERY-th a
 *	GET /sleep?ms=100) for MS ms, reconnecting after Connection: close
 *	or EOF; a client stops once a connect is refused.  Prints
 *	complete= truncated= reset= unanswered= refused= connect_timeout=
 *	bad= closes= p50_ms= p99_ms= max_ms= (latency of a request, from
 *	its connect when it is a connection's first).  truncated: EOF
 *	after part of a response; reset:
 *	ECONNRESET/EPIPE at any time; unanswered: EOF on a reused
 *	connection before any byte of the answer (the race a lingering
 *	close turns into a clean EOF); refused: ECONNREFUSED on connect.
 *   loadclient close PORT CLIENTS MS
 *	the same, each request with Connection: close: a new connection
 *	per request.
 *   loadclient pipeline PORT N
 *	N requests on one connection, written while the answers are read;
 *	prints responses= ok= ending=.
 *   loadclient reset PORT N
 *	N times: POST /echo 256 KiB, read part of the answer, close with
 *	SO_LINGER 0 (RST); prints resets= partial_bytes=.
 *   loadclient hold PORT N MS
 *	opens N connections, each sends one GET / and keeps the socket for
 *	MS ms; prints connected= answered= eof= reset=.
 *   loadclient slowloris PORT N MS
 *	N connections send a request line, then one header byte per
 *	connection every 100 ms, for MS ms; prints connected= alive=.
 *   loadclient silent PORT N MS
 *	opens N connections as fast as it can and sends nothing on them,
 *	holds them MS ms; prints connected= once all are open.
 *   loadclient latency PORT K
 *	K sequential GET / on fresh connections; prints ok= max_ms= p50_ms=.
 *
 * Exit status 0 unless the tool itself failed (bad usage, socket(2)). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_msf(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* A non-blocking socket with a connect under way: returns the fd, with
 * *err 0 (connected or in progress) or the connect errno. */
static int start_connect(int *err)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	*err = 0;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 &&
	    errno != EINPROGRESS)
		*err = errno;
	return fd;
}

static int blocking_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A worker that stops answering must not hang the test. */
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

/* Length of the complete response at the start of buf, 0 if incomplete,
 * -1 if what is there is not an HTTP/1.x response. */
static long response_len(const char *buf, size_t len, int *status,
			 int *closes)
{
	const char *end, *p;
	size_t head;
	unsigned long body = 0;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0)
		return -1;
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		return 0;
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	head = (size_t)(end + 4 - buf);
	*closes = 0;
	for (p = buf; (p = memchr(p, '\n', head - (size_t)(p - buf)));) {
		p++;
		if (strncasecmp(p, "content-length:", 15) == 0)
			body = strtoul(p + 15, NULL, 10);
		else if (strncasecmp(p, "connection: close", 17) == 0)
			*closes = 1;
	}
	if (*status < 200)
		body = 0;
	return head + body <= len ? (long)(head + body) : 0;
}

/* ---- load ---- */

enum phase { P_CONNECTING, P_ACTIVE, P_DONE };

struct client {
	int fd;
	enum phase phase;
	long long since;	/* connect start */
	char req[128];
	size_t req_len, req_off;	/* the request being sent */
	int outstanding;	/* a request sent (or being sent), not answered */
	double began;		/* this request's start (its connect's, if first) */
	int reused;		/* this connection already had an answer */
	char buf[4096];
	size_t got;
};

static struct {
	long complete, truncated, reset, unanswered, refused, ctimeout, bad,
	     closes;
} st;

static long nreq;
static int sleep_every;
static float *lat;		/* ms, one per complete request */
static size_t nlat, caplat;

static void lat_add(double ms)
{
	if (nlat == caplat) {
		size_t cap = caplat ? 2 * caplat : 65536;
		float *l = realloc(lat, cap * sizeof *l);
		if (!l)
			return;		/* the counts still hold */
		lat = l;
		caplat = cap;
	}
	lat[nlat++] = (float)ms;
}

static int lat_cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static double lat_at(double q)
{
	return nlat ? lat[(size_t)(q * (double)(nlat - 1))] : 0;
}
static const char *conn_field = "";	/* "Connection: close\r\n" */

static void next_request(struct client *c)
{
	nreq++;
	if (sleep_every > 0 && nreq % sleep_every == 0)
		c->req_len = (size_t)snprintf(c->req, sizeof c->req,
			"GET /sleep?ms=100 HTTP/1.1\r\nHost: l\r\n%s\r\n",
			conn_field);
	else
		c->req_len = (size_t)snprintf(c->req, sizeof c->req,
			"GET / HTTP/1.1\r\nHost: l\r\n%s\r\n", conn_field);
	c->req_off = 0;
	c->outstanding = 1;
	c->got = 0;
	if (c->reused)
		c->began = now_msf();
}

static void client_connect(struct client *c)
{
	int err;

	c->began = now_msf();
	c->fd = start_connect(&err);
	c->since = now_ms();
	c->reused = 0;
	c->outstanding = 0;
	c->got = 0;
	c->phase = P_CONNECTING;
	if (err == ECONNREFUSED) {
		st.refused++;
		close(c->fd);
		c->fd = -1;
		c->phase = P_DONE;
	} else if (err) {
		errno = err;
		perror("loadclient: connect");
		st.bad++;
		close(c->fd);
		c->fd = -1;
		c->phase = P_DONE;
	}
}

/* Close c's connection, then open a new one, or stop when stopping. */
static void client_recycle(struct client *c, int stopping)
{
	close(c->fd);
	c->fd = -1;
	if (stopping)
		c->phase = P_DONE;
	else
		client_connect(c);
}

/* The connection ended (EOF or error): classify, then go again or stop. */
static void client_lost(struct client *c, int err, int stopping)
{
	if (err == ECONNRESET || err == EPIPE)
		st.reset++;
	else if (err)
		st.bad++;
	else if (c->outstanding && c->got > 0)
		st.truncated++;
	else if (c->outstanding && c->reused)
		st.unanswered++;
	else if (c->outstanding)
		st.truncated++;	/* a fresh connection closed unanswered */
	client_recycle(c, stopping);
}

static void client_io(struct client *c, short revents, int stopping)
{
	if (c->phase == P_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err == ECONNREFUSED) {
			st.refused++;
			close(c->fd);
			c->fd = -1;
			c->phase = P_DONE;
			return;
		}
		if (err) {
			client_lost(c, err, 1);
			return;
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->phase = P_ACTIVE;
		if (stopping) {
			close(c->fd);
			c->fd = -1;
			c->phase = P_DONE;
			return;
		}
		next_request(c);
	}
	if (c->outstanding && c->req_off < c->req_len) {
		ssize_t n = send(c->fd, c->req + c->req_off,
				 c->req_len - c->req_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_lost(c, errno, stopping);
			return;
		}
		if (n > 0)
			c->req_off += (size_t)n;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->got, sizeof c->buf - c->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			client_lost(c, errno, stopping);
			return;
		}
		if (n == 0) {
			client_lost(c, 0, stopping);
			return;
		}
		if (!c->outstanding) {	/* bytes nobody asked for */
			st.bad++;
			client_lost(c, 0, 1);
			return;
		}
		c->got += (size_t)n;
		int status, closes;
		long len = response_len(c->buf, c->got, &status, &closes);
		if (len < 0 || (len == 0 && c->got == sizeof c->buf)) {
			st.bad++;
			client_lost(c, 0, 1);
			return;
		}
		if (len == 0)
			continue;
		if (status != 200 || (size_t)len != c->got)
			st.bad++;	/* nothing was pipelined: one answer */
		st.complete++;
		lat_add(now_msf() - c->began);
		c->outstanding = 0;
		c->reused = 1;
		c->got = 0;
		if (closes || stopping) {
			if (closes)
				st.closes++;
			client_recycle(c, stopping);
			return;
		}
		next_request(c);
		client_io(c, 0, stopping);
		return;
	}
}

static int mode_load(int nclients, long ms)
{
	struct client *cs = calloc((size_t)nclients, sizeof *cs);
	struct pollfd *pf = calloc((size_t)nclients, sizeof *pf);
	long long start = now_ms(), end = start + ms, hard = end + 15000;

	if (!cs || !pf)
		die("calloc");
	for (int i = 0; i < nclients; i++)
		client_connect(&cs[i]);
	for (;;) {
		long long t = now_ms();
		int stopping = t >= end, live = 0;
		if (t >= hard)
			break;
		for (int i = 0; i < nclients; i++) {
			struct client *c = &cs[i];
			pf[i].fd = -1;
			pf[i].events = 0;
			if (c->phase == P_DONE)
				continue;
			if (c->phase == P_CONNECTING && t - c->since > 3000) {
				st.ctimeout++;
				close(c->fd);
				c->fd = -1;
				c->phase = P_DONE;
				continue;
			}
			/* Past the end, idle clients leave; busy ones finish. */
			if (stopping && c->phase == P_ACTIVE && !c->outstanding) {
				close(c->fd);
				c->fd = -1;
				c->phase = P_DONE;
				continue;
			}
			live++;
			pf[i].fd = c->fd;
			pf[i].events = POLLIN;
			if (c->phase == P_CONNECTING ||
			    (c->outstanding && c->req_off < c->req_len))
				pf[i].events |= POLLOUT;
		}
		if (!live)
			break;
		if (poll(pf, (nfds_t)nclients, 50) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < nclients; i++)
			if (pf[i].fd >= 0 && pf[i].revents)
				client_io(&cs[i], pf[i].revents, stopping);
	}
	for (int i = 0; i < nclients; i++)
		if (cs[i].phase != P_DONE) {
			if (cs[i].outstanding)
				st.truncated++;	/* no answer by the hard end */
			close(cs[i].fd);
		}
	qsort(lat, nlat, sizeof *lat, lat_cmp);
	printf("complete=%ld truncated=%ld reset=%ld unanswered=%ld "
	       "refused=%ld connect_timeout=%ld bad=%ld closes=%ld "
	       "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	       st.complete, st.truncated, st.reset, st.unanswered, st.refused,
	       st.ctimeout, st.bad, st.closes, lat_at(0.5), lat_at(0.99),
	       lat_at(1.0));
	free(lat);
	free(cs);
	free(pf);
	return 0;
}

/* ---- pipeline ---- */

static int mode_pipeline(long n)
{
	static const char rq[] = "GET / HTTP/1.1\r\nHost: p\r\n\r\n";
	static char buf[1 << 16];
	size_t got = 0, rq_off = 0;
	long sent = 0, responses = 0, ok = 0;
	long long hard = now_ms() + 30000;
	const char *ending = "DONE";
	int fd = blocking_connect();

	if (fd < 0)
		die("connect");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (responses < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (sent < n)
			p.events |= POLLOUT;
		if (now_ms() > hard) {
			ending = "TIMEOUT";
			break;
		}
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			die("poll");
		if (p.revents & POLLOUT) {
			/* As many whole requests as the socket takes. */
			char chunk[64 * (sizeof rq - 1)];
			size_t len = 0;
			for (long k = sent; k < n && len + sizeof rq - 1 <= sizeof chunk; k++) {
				memcpy(chunk + len, rq, sizeof rq - 1);
				len += sizeof rq - 1;
			}
			ssize_t w = send(fd, chunk + rq_off, len - rq_off, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN) {
				ending = "RESET";
				break;
			}
			if (w > 0) {
				rq_off += (size_t)w;
				sent += (long)(rq_off / (sizeof rq - 1));
				rq_off %= sizeof rq - 1;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(fd, buf + got, sizeof buf - got);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0) {
				ending = "RESET";
				break;
			}
			if (r == 0) {
				ending = "EOF";
				break;
			}
			got += (size_t)r;
			size_t off = 0;
			int status, closes;
			long len;
			while ((len = response_len(buf + off, got - off, &status,
						   &closes)) > 0) {
				responses++;
				ok += status == 200;
				off += (size_t)len;
			}
			if (len < 0) {
				ending = "GARBAGE";
				break;
			}
			memmove(buf, buf + off, got - off);
			got -= off;
		}
	}
	printf("responses=%ld ok=%ld ending=%s\n", responses, ok, ending);
	close(fd);
	return 0;
}

/* ---- reset ---- */

static int mode_reset(long n)
{
	enum { BODY = 256 * 1024 };
	static char req[BODY + 256], sink[8192];
	long resets = 0, partial = 0;
	int hl = snprintf(req, 256, "POST /echo HTTP/1.1\r\nHost: r\r\n"
			  "Content-Length: %d\r\n\r\n", BODY);

	memset(req + hl, 'r', BODY);
	for (long i = 0; i < n; i++) {
		int fd = blocking_connect();
		if (fd < 0)
			die("connect");
		size_t off = 0, total = (size_t)hl + BODY;
		while (off < total) {
			ssize_t w = send(fd, req + off, total - off, MSG_NOSIGNAL);
			if (w < 0)
				die("send");
			off += (size_t)w;
		}
		/* Part of the answer, so the worker is mid-response. */
		ssize_t r = read(fd, sink, sizeof sink);
		if (r > 0)
			partial += r;
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd);
		resets++;
	}
	printf("resets=%ld partial_bytes=%ld\n", resets, partial);
	return 0;
}

/* ---- hold ---- */

static int mode_hold(int n, long ms)
{
	static const char rq[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	struct pollfd *pf = calloc((size_t)n, sizeof *pf);
	int connected = 0, answered = 0, eof = 0, reset = 0;
	long long end = now_ms() + ms;

	if (!pf)
		die("calloc");
	for (int i = 0; i < n; i++) {
		int err;
		pf[i].fd = start_connect(&err);
		pf[i].events = POLLOUT;
		if (err) {
			close(pf[i].fd);
			pf[i].fd = -1;
		}
	}
	while (now_ms() < end) {
		if (poll(pf, (nfds_t)n, 50) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < n; i++) {
			char b[512];
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			if (pf[i].events & POLLOUT) {
				int err = 0;
				socklen_t len = sizeof err;
				getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					close(pf[i].fd);
					pf[i].fd = -1;
					continue;
				}
				connected++;
				send(pf[i].fd, rq, sizeof rq - 1, MSG_NOSIGNAL);
				pf[i].events = POLLIN;
				continue;
			}
			ssize_t r = read(pf[i].fd, b, sizeof b);
			if (r > 0 && memcmp(b, "HTTP/1.1 200", 12) == 0)
				answered++;
			if (r <= 0) {
				if (r == 0)
					eof++;
				else if (errno != EAGAIN)
					reset++;
				else
					continue;
				close(pf[i].fd);
				pf[i].fd = -1;
			}
		}
	}
	printf("connected=%d answered=%d eof=%d reset=%d\n", connected,
	       answered, eof, reset);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	free(pf);
	return 0;
}

/* ---- silent ---- */

static int mode_silent(int n, long ms)
{
	int *fds = calloc((size_t)n, sizeof *fds);
	int connected = 0;
	struct rlimit rl;

	if (!fds)
		die("calloc");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;	/* N may be over 1024 */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < n; i++)
		if ((fds[i] = blocking_connect()) >= 0)
			connected++;
	printf("connected=%d\n", connected);
	fflush(stdout);
	poll(NULL, 0, (int)ms);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* ---- slowloris ---- */

static int mode_slowloris(int n, long ms)
{
	static const char line[] = "GET / HTTP/1.1\r\nHost: s\r\n";
	static const char drip[] = "X-Slow: abcdefghijklmnopqrstuvwxyz\r\n";
	int *fds = calloc((size_t)n, sizeof *fds);
	size_t *pos = calloc((size_t)n, sizeof *pos);
	int connected = 0, alive = 0;
	long long end = now_ms() + ms;

	if (!fds || !pos)
		die("calloc");
	for (int i = 0; i < n; i++) {
		fds[i] = blocking_connect();
		if (fds[i] < 0)
			continue;
		connected++;
		send(fds[i], line, sizeof line - 1, MSG_NOSIGNAL);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	printf("connected=%d\n", connected);
	fflush(stdout);
	while (now_ms() < end) {
		poll(NULL, 0, 100);
		for (int i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			if (send(fds[i], drip + pos[i] % (sizeof drip - 1), 1,
				 MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			pos[i]++;
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			alive++;
			close(fds[i]);
		}
	printf("alive=%d\n", alive);
	free(fds);
	free(pos);
	return 0;
}

/* ---- latency ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int mode_latency(int k)
{
	static const char rq[] = "GET / HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n";
	double *t = calloc((size_t)k, sizeof *t);
	int ok = 0;

	if (!t)
		die("calloc");
	for (int i = 0; i < k; i++) {
		char buf[1024];
		size_t got = 0;
		double t0 = now_msf();
		int fd = blocking_connect();
		t[i] = 1e9;
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		send(fd, rq, sizeof rq - 1, MSG_NOSIGNAL);
		for (;;) {
			ssize_t r = read(fd, buf + got, sizeof buf - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			int status, closes;
			long len = response_len(buf, got, &status, &closes);
			if (len > 0) {
				if (status == 200) {
					ok++;
					t[i] = now_msf() - t0;
				}
				break;
			}
			if (len < 0 || got == sizeof buf)
				break;
		}
		close(fd);
		poll(NULL, 0, 20);
	}
	qsort(t, (size_t)k, sizeof *t, cmp_double);
	printf("ok=%d max_ms=%.1f p50_ms=%.1f\n", ok, t[k - 1], t[k / 2]);
	free(t);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: loadclient load|close|pipeline|reset|hold|"
		"silent|slowloris|latency PORT ARGS... (see the source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	signal(SIGPIPE, SIG_IGN);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argv[1];
	if (strcmp(m, "close") == 0 && argc == 5) {
		conn_field = "Connection: close\r\n";
		return mode_load(atoi(argv[3]), atol(argv[4]));
	}
	if (strcmp(m, "load") == 0 && argc >= 5) {
		sleep_every = argc > 5 ? atoi(argv[5]) : 0;
		return mode_load(atoi(argv[3]), atol(argv[4]));
	}
	if (strcmp(m, "pipeline") == 0)
		return mode_pipeline(atol(argv[3]));
	if (strcmp(m, "reset") == 0)
		return mode_reset(atol(argv[3]));
	if (strcmp(m, "hold") == 0 && argc == 5)
		return mode_hold(atoi(argv[3]), atol(argv[4]));
	if (strcmp(m, "silent") == 0 && argc == 5)
		return mode_silent(atoi(argv[3]), atol(argv[4]));
	if (strcmp(m, "slowloris") == 0 && argc == 5)
		return mode_slowloris(atoi(argv[3]), atol(argv[4]));
	if (strcmp(m, "latency") == 0)
		return mode_latency(atoi(argv[3]));
	usage();
	return 2;
}
