/* outbuf: one send per answer; the rest kept for EPOLLOUT. */
#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"

/* The rest of iov, past the `sent` bytes the socket took, into the buffer. */
static enum outbuf_result outbuf_keep(struct outbuf *o, const struct iovec *iov,
				      int iovcnt, size_t total, size_t sent)
{
	size_t off = 0;

	o->buf = malloc(total - sent);
	if (!o->buf)
		return OUTBUF_FAILED;
	for (int i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len, skip = sent < len ? sent : len;
		sent -= skip;
		if (len == skip)
			continue;	/* also an empty /echo body: NULL */
		memcpy(o->buf + off, (char *)iov[i].iov_base + skip,
		       len - skip);
		off += len - skip;
	}
	o->off = 0;
	o->len = off;
	return OUTBUF_SHORT;
}

/* Head and body in one system call: send when they are one buffer. */
enum outbuf_result outbuf_send(struct outbuf *o, int fd,
			       struct iovec *iov, int iovcnt, int flags)
{
	struct msghdr msg = { .msg_iov = iov,
			      .msg_iovlen = (size_t)iovcnt };
	size_t total = 0;
	ssize_t n;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	flags |= MSG_NOSIGNAL;
	do
		n = iovcnt == 1 ? send(fd, iov[0].iov_base, total, flags) :
				  sendmsg(fd, &msg, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("send: %s", strerror(errno));
		return OUTBUF_FAILED;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n == total)
		return OUTBUF_SENT;
	return outbuf_keep(o, iov, iovcnt, total, (size_t)n);
}

enum outbuf_result outbuf_flush(struct outbuf *o, int fd)
{
	ssize_t n;

	do
		n = send(fd, o->buf + o->off, o->len - o->off, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return OUTBUF_BLOCKED;
		log_debug("send: %s", strerror(errno));
		return OUTBUF_FAILED;
	}
	o->off += (size_t)n;
	if (o->off < o->len)
		return OUTBUF_SHORT;
	outbuf_free(o);
	return OUTBUF_SENT;
}

void outbuf_free(struct outbuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->off = o->len = 0;
}
