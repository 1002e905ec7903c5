/* ready: the notify socket the children say READY=1 on (ready.h). */
#include "ready.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../worker/lib/log.h"

#define READY_DATAGRAM_MAX 4096	/* systemd's own limit is larger; READY=1
				   and a STATUS= line fit many times over */
#define READY_BATCH 64		/* datagrams per call: then the loop's turn */

int ready_open(struct ready *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int one = 1;

	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -1;
	/* Binding the bare family asks the kernel for a unique abstract
	 * name ("autobind", unix(7)): five hex digits after a NUL. */
	if (setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(r->fd, (struct sockaddr *)&sun, len) < 0)
		goto fail;
	len = sizeof sun;
	if (getsockname(r->fd, (struct sockaddr *)&sun, &len) < 0)
		goto fail;
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	if (n < 2 || n >= sizeof r->name || sun.sun_path[0] != '\0') {
		errno = EPROTO;
		goto fail;
	}
	r->name[0] = '@';
	memcpy(r->name + 1, sun.sun_path + 1, n - 1);
	r->name[n] = '\0';
	return 0;
fail:;
	int saved = errno;
	close(r->fd);
	r->fd = -1;
	errno = saved;
	return -1;
}

/* The sender's pid; descriptors passed along (FDSTORE=1) are closed, for
 * we keep none.  0 when the kernel attached no credentials. */
static pid_t ready_sender(struct msghdr *m)
{
	pid_t pid = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			pid = u.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof fd,
				       sizeof fd);
				close(fd);
			}
		}
	}
	return pid;
}

static void ready_lines(const char *buf, size_t len, pid_t pid, ready_fn *fn,
			void *arg)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		if (n > 0)
			fn(arg, pid, buf, n);
		buf += n + (nl != NULL);
		len -= n + (nl != NULL);
	}
}

void ready_read(struct ready *r, ready_fn *fn, void *arg)
{
	char buf[READY_DATAGRAM_MAX];
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred)) +
			   CMSG_SPACE(16 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	ssize_t n;

	/* Any process of this network namespace can reach an abstract name:
	 * one that keeps sending must not keep us from signals and reaping.
	 * What is left is read at the next wake-up (level-triggered). */
	for (int i = 0; i < READY_BATCH; i++) {
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &ctl, .msg_controllen = sizeof ctl,
		};
		n = recvmsg(r->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("notify socket: %s", strerror(errno));
			return;
		}
		pid_t pid = ready_sender(&m);
		if (m.msg_flags & MSG_TRUNC)
			log_warn("notify socket: a datagram of pid %d over %d "
				 "bytes ignored", (int)pid, READY_DATAGRAM_MAX);
		else if (pid > 0)
			ready_lines(buf, (size_t)n, pid, fn, arg);
	}
}
