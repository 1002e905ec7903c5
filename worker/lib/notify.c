/* notify: sd_notify(3) datagrams, the sending side (notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const struct timeval notify_timeout = { .tv_sec = 2 };

/* $NOTIFY_SOCKET as an address: its length, 0 when unset, -1 (logged)
 * when it is no socket path. */
static socklen_t notify_address(struct sockaddr_un *sun, const char **path)
{
	size_t len;

	*path = getenv("NOTIFY_SOCKET");
	if (!*path || !**path)
		return 0;
	len = strlen(*path);
	if (((*path)[0] != '/' && (*path)[0] != '@') ||
	    len >= sizeof sun->sun_path) {
		log_warn("NOTIFY_SOCKET '%s' is not a socket path", *path);
		return (socklen_t)-1;
	}
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, *path, len);
	if ((*path)[0] == '@')
		sun->sun_path[0] = '\0';	/* abstract: no NUL terminator */
	else
		len++;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

int notify_send(const char *state)
{
	struct sockaddr_un sun;
	const char *path;
	socklen_t len = notify_address(&sun, &path);
	ssize_t r;
	int fd;

	if (len == 0)
		return 0;
	if (len == (socklen_t)-1)
		return -1;
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
			   (struct sockaddr *)&sun, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		log_warn("notify %s to %s: %s", state, path, strerror(errno));
	else
		log_debug("notified %.*s", (int)strcspn(state, "\n"), state);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* sd_pid_notify_with_fds(3)'s datagram: state, and fd by SCM_RIGHTS.  Kept
 * apart from notify_send so that its callers are untouched. */
int notify_send_fd(const char *state, int fd)
{
	struct sockaddr_un sun;
	const char *path;
	socklen_t len = notify_address(&sun, &path);
	union {		/* aligned for CMSG_* */
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)state,
			     .iov_len = strlen(state) };
	struct msghdr m = { .msg_name = &sun, .msg_namelen = len,
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c;
	ssize_t r;
	int s, saved;

	if (len == 0)
		return 0;
	if (len == (socklen_t)-1)
		return -1;
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

/* One socket for every beat, connected once: each beat is then a single
 * send.  -1 until the first beat, -2 once it could not be set up. */
static int notify_beat_fd = -1;
static time_t notify_beat_told;	/* a failing beat says so once a second */

static int notify_beat_open(void)
{
	struct sockaddr_un sun;
	const char *path;
	socklen_t len = notify_address(&sun, &path);
	int fd;

	if (len == 0 || len == (socklen_t)-1)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0) {
		log_warn("notify WATCHDOG=1 to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int notify_beat(void)
{
	static const char beat[] = "WATCHDOG=1";
	ssize_t r;

	if (notify_beat_fd == -2)
		return -1;
	if (notify_beat_fd == -1 && (notify_beat_fd = notify_beat_open()) < 0) {
		notify_beat_fd = -2;
		return -1;
	}
	/* Never waits: a beat comes from an event loop, and a receiver
	 * whose queue is full now gets the next one, half a period on. */
	do
		r = send(notify_beat_fd, beat, sizeof beat - 1, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0 && log_due(&notify_beat_told))
		log_warn("notify WATCHDOG=1: %s", strerror(errno));
	return r < 0 ? -1 : 0;
}
