/* answer: the bytes of a request's answer, put together to leave in one
 * system call — what is left of a 100 Continue, the head, the body — and
 * the 100 Continue itself. */
#ifndef ANSWER_H
#define ANSWER_H

#include <stddef.h>
#include <sys/uio.h>

#include "request.h"
#include "response.h"

/* The answer to r, with Connection: close when `close`, after the last
 * continue_left bytes of a 100 Continue: fills iov (3 at most) and
 * returns how many.  head is room for RESPONSE_HEAD_MAX bytes; iov may
 * point there, into r, or into response_fixed's cache. */
int answer_build(struct iovec *iov, char *head, const struct request *r,
		 size_t continue_left, int close);
/* Sends "100 Continue" on fd: returns how many of its bytes the socket did
 * not take (to go in front of the answer), 0 also when it took none (the
 * hint is skipped), -1 when the peer is gone. */
int answer_continue(int fd);

#endif
