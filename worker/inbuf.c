/* inbuf: a connection's unparsed input, and the pool of its buffers. */
#include "inbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

#define INBUF_POOL_KEEP 64	/* free buffers kept for reuse */

/* A free list: taking a buffer per request costs no malloc. */
static char *pool_head;
static int pool_len;

static char *inbuf_pool_get(void)
{
	char *b = pool_head;

	if (!b)
		return malloc(INBUF_SIZE);
	memcpy(&pool_head, b, sizeof pool_head);
	pool_len--;
	return b;
}

static void inbuf_pool_put(char *b)
{
	if (pool_len >= INBUF_POOL_KEEP) {
		free(b);
		return;
	}
	memcpy(b, &pool_head, sizeof pool_head);
	pool_head = b;
	pool_len++;
}

void inbuf_pool_free(void)
{
	while (pool_head) {
		char *b = pool_head;
		memcpy(&pool_head, b, sizeof pool_head);
		free(b);
	}
	pool_len = 0;
}

void inbuf_release(struct inbuf *b)
{
	if (b->buf && inbuf_len(b) == 0) {
		inbuf_pool_put(b->buf);
		b->buf = NULL;
		b->start = b->end = 0;
	}
}

void inbuf_drop(struct inbuf *b)
{
	b->start = b->end;
	inbuf_release(b);
}

ssize_t inbuf_read(struct inbuf *b, int fd, int *drained)
{
	ssize_t n;
	size_t room;

	*drained = 0;
	if (!b->buf && !(b->buf = inbuf_pool_get()))
		return -1;
	if (b->start > 0) {
		memmove(b->buf, b->buf + b->start, inbuf_len(b));
		b->end -= b->start;
		b->start = 0;
	}
	room = INBUF_SIZE - b->end;
	if (room == 0)
		return 0;	/* the parser's limits stop well before */
	do
		n = read(fd, b->buf + b->end, room);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		b->end += (size_t)n;
		*drained = (size_t)n < room;
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		*drained = 1;
		return 0;
	}
	if (n < 0)
		log_debug("read: %s", strerror(errno));
	return -1;
}

void inbuf_skip_empty_lines(struct inbuf *b)
{
	while (inbuf_len(b) >= 2 && b->buf[b->start] == '\r' &&
	       b->buf[b->start + 1] == '\n')
		b->start += 2;
}

int inbuf_heads(const struct inbuf *b)
{
	struct http_request req;
	size_t off = b->start, scan;
	int n = 0;
	long r;

	while (off < b->end) {
		scan = 0;
		r = http_parse_request(b->buf + off, b->end - off, &scan, &req);
		if (r <= 0)
			break;
		n++;
		off += (size_t)r;
		if (req.content_length > 0 || req.chunked)
			break;
	}
	return n;
}
