/* notify: sd_notify(3) datagrams, the sending side (notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static const struct timeval notify_timeout = { .tv_sec = 2 };

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t r;
	int fd;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof sun.sun_path) {
		log_warn("NOTIFY_SOCKET '%s' is not a socket path", path);
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL terminator */
	else
		len++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("notify %s: socket: %s", state, strerror(errno));
		return -1;
	}
	/* A receiver's queue holds net.unix.max_dgram_qlen datagrams (10 by
	 * default): many workers starting at once fill it, and a READY=1
	 * dropped then is a start that fails.  Wait for room, as sd_notify
	 * does, but never long: a receiver that stopped reading must not
	 * stall us. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &notify_timeout,
			 sizeof notify_timeout);
	do
		r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			   (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		log_warn("notify %s to %s: %s", state, path, strerror(errno));
	else
		log_debug("notified %.*s", (int)strcspn(state, "\n"), state);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* sd_pid_notify_with_fds(3)'s datagram: state, and fd by SCM_RIGHTS.  Kept
 * apart from notify_send so that its callers are untouched; the address
 * is built the same way. */
int notify_send_fd(const char *state, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	union {		/* aligned for CMSG_* */
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)state,
			     .iov_len = strlen(state) };
	struct msghdr m = { .msg_name = &sun, .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c;
	size_t len;
	ssize_t r;
	int s, saved;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof sun.sun_path) {
		log_debug("NOTIFY_SOCKET '%s' is not a socket path", path);
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL terminator */
	else
		len++;
	m.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	memset(&ctl, 0, sizeof ctl);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		log_debug("notify with fd %d: socket: %s", fd, strerror(errno));
		return -1;
	}
	(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &notify_timeout,
			 sizeof notify_timeout);
	do
		r = sendmsg(s, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	saved = errno;
	close(s);
	if (r < 0) {
		log_debug("notify %.*s with fd %d to %s: %s",
			  (int)strcspn(state, "\n"), state, fd, path,
			  strerror(saved));
		return -1;
	}
	return 1;
}
