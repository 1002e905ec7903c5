/* linger: a close without a reset (RFC 9112 §9.6). */
#include "linger.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int linger_start(int fd)
{
	return shutdown(fd, SHUT_WR);
}

int linger_discard(int fd)
{
	static char sink[4096];
	ssize_t n;

	do
		n = read(fd, sink, sizeof sink);
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return -1;		/* EOF, or the peer reset: done either way */
}

int linger_needless(int fd)
{
	char b;
	ssize_t n;

	do
		n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}
