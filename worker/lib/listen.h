/* listen: "[ADDR:]PORT" flag values and the listening sockets they name,
 * shared by supervisor and worker. */
#ifndef LISTEN_H
#define LISTEN_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned port;
	char text[80];		/* as given back to the user: "[::1]:8888" */
};

/* "8888", "127.0.0.1:8888", "[::1]:8888".  No ADDR means every address
 * (IPv6 any with IPv4 mapped in, which falls back to IPv4 any at bind time
 * where IPv6 is off).  Returns 0, or -1 with a reason in err. */
int listen_parse(const char *spec, struct listen_addr *out,
		 char *err, size_t errlen);

/* A non-blocking, close-on-exec, SO_REUSEADDR socket bound to a and
 * listening.  Returns the fd, or -1 with "ADDR: strerror" in err. */
int listen_open(struct listen_addr *a, char *err, size_t errlen);

/* Close the door of a listening socket its owner (whoever bound it) is
 * about to stop serving: the kernel completes no new handshake, and the
 * connections already in the accept queue stay there to be accepted.
 * Returns 0, or -1 with errno (containers may refuse the filter). */
int listen_block_handshakes(int fd);

#endif
