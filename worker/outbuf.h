/* outbuf: a response's bytes leave in one system call; what the socket
 * does not take is copied aside here and sent as it makes room. */
#ifndef OUTBUF_H
#define OUTBUF_H

#include <stddef.h>
#include <sys/uio.h>

struct outbuf {
	char *buf;		/* NULL unless a write was short */
	size_t off, len;	/* unsent: buf[off..len) */
};

enum outbuf_result {
	OUTBUF_FAILED = -1,	/* the peer is gone, or no memory: close */
	OUTBUF_BLOCKED,		/* the socket took nothing */
	OUTBUF_SHORT,		/* it took part; the rest is in the buffer */
	OUTBUF_SENT,		/* all of it is out */
};

/* Send iov[0..iovcnt) with flags (MSG_NOSIGNAL is added): OUTBUF_SENT,
 * OUTBUF_SHORT (the rest is kept, the caller's iov is free), or
 * OUTBUF_FAILED. */
enum outbuf_result outbuf_send(struct outbuf *o, int fd,
			       struct iovec *iov, int iovcnt, int flags);
/* Send what is kept: any of the four; the buffer goes once SENT. */
enum outbuf_result outbuf_flush(struct outbuf *o, int fd);
void outbuf_free(struct outbuf *o);

#endif
