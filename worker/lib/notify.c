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
