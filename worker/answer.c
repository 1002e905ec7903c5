/* answer: a request's answer, ready to leave in one system call. */
#include "answer.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"

static const char answer_continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define ANSWER_CONTINUE_LEN (sizeof answer_continue_line - 1)

int answer_build(struct iovec *iov, char *head, const struct request *r,
		 size_t continue_left, int close)
{
	const struct route *rt = &r->route;
	int echo = rt->kind == ROUTE_ECHO;
	struct response resp = {
		.status = rt->status,
		.allow = rt->allow,
		.content_length = echo ? r->body_len : rt->text_len,
		.close = close,
		.keep_alive = !close && r->http10,
	};
	const char *body = echo ? r->body : rt->text;
	int n = 0;

	if (continue_left > 0) {
		iov[n].iov_base = (char *)answer_continue_line +
				  ANSWER_CONTINUE_LEN - continue_left;
		iov[n++].iov_len = continue_left;
	}
	if (!echo) {
		const char *fixed = response_fixed(&resp, body, r->head_only,
						   &iov[n].iov_len);
		if (fixed) {
			iov[n++].iov_base = (void *)fixed;
			return n;
		}
	}
	iov[n].iov_base = head;
	iov[n++].iov_len = response_head(head, &resp);
	iov[n].iov_base = (void *)body;	/* an empty /echo body: NULL */
	iov[n++].iov_len = r->head_only ? 0 : resp.content_length;
	return n;
}

/* RFC 9110 §10.1.1: a "100 Continue" is a hint.  A client waits a moment
 * for it, then sends its body anyway.  The socket may still hold answers
 * to earlier requests the client has not read: when it takes none of the
 * line, skip the hint; when it takes part, the rest goes out in front of
 * the final answer. */
int answer_continue(int fd)
{
	ssize_t n;

	do
		n = send(fd, answer_continue_line, ANSWER_CONTINUE_LEN,
			 MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("send: %s", strerror(errno));
		return -1;
	}
	if (n < 0) {
		log_debug("100 Continue skipped: the socket is full");
		return 0;
	}
	return (int)(ANSWER_CONTINUE_LEN - (size_t)n);
}
