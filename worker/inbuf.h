/* inbuf: a connection's unparsed input, in a buffer lent from a pool only
 * while it holds bytes. */
#ifndef INBUF_H
#define INBUF_H

#include <stddef.h>
#include <sys/types.h>

#include "http_parse.h"

#define INBUF_SIZE (HTTP_HEAD_MAX + 512)	/* a whole head fits */

struct inbuf {
	char *buf;		/* NULL while it holds nothing */
	size_t start, end;	/* the unparsed bytes: buf[start..end) */
};

static inline size_t inbuf_len(const struct inbuf *b)
{
	return b->end - b->start;
}

static inline const char *inbuf_data(const struct inbuf *b)
{
	return b->buf + b->start;
}

static inline void inbuf_consume(struct inbuf *b, size_t n)
{
	b->start += n;
}

/* One read(2) from fd: > 0 bytes, 0 when nothing came (the socket is
 * empty, or the buffer is full), -1 at EOF or on an error.  *drained is
 * set when the socket was found empty: a short read, or EAGAIN. */
ssize_t inbuf_read(struct inbuf *b, int fd, int *drained);
/* Empty lines before a request line are ignored (RFC 9112 §2.2): a
 * client may send CRLF after a body.  Dropped here, they do not make an
 * idle connection look busy. */
void inbuf_skip_empty_lines(struct inbuf *b);
/* Back to the pool when it holds nothing. */
void inbuf_release(struct inbuf *b);
/* The unparsed bytes go, and the buffer. */
void inbuf_drop(struct inbuf *b);
/* How many whole request heads it holds, up to the first with a body
 * (whose body is not a head). */
int inbuf_heads(const struct inbuf *b);
/* At exit: the pool's free buffers. */
void inbuf_pool_free(void);

#endif
