/* passed: which passed socket serves which --port (pure; sockets.c acts).
 * A --port names a passed socket when their addresses are equal, as
 * getsockname(2) gives the socket's; a --port without ADDR names a socket
 * bound to its port on 0.0.0.0 or [::].  The descriptor store's FDNAME of
 * a socket is its address as the log writes it, each ':' written '_'
 * (systemd allows no ':' in a name): "127.0.0.1_8888", "[__1]_8889",
 * "*_8888". */
#ifndef PASSED_H
#define PASSED_H

#include <stddef.h>
#include <sys/socket.h>

#include "../worker/lib/listen.h"

struct passed_sock {
	int fd;
	struct sockaddr_storage ss;	/* getsockname */
	const char *name;		/* LISTEN_FDNAMES' label */
};

/* Whether --port p names the socket bound to ss. */
int passed_names(const struct listen_addr *p, const struct sockaddr_storage *ss);

/* ss as a --port: "127.0.0.1:8888", "[::]:8888".  Returns 0, or -1 when ss
 * is not IPv4 or IPv6. */
int passed_addr(const struct sockaddr_storage *ss, struct listen_addr *out);

/* The FDNAME= of the socket of --port text. */
void passed_fdname(const char *text, char *out, size_t size);

/* Whether name is the FDNAME we would have stored the socket at ss under:
 * a socket we left in the store ourselves. */
int passed_is_ours(const char *name, const struct sockaddr_storage *ss);

/* For each of the nports ports, the index in s of the passed socket it
 * takes, or -1 (bind it); for each of the n sockets, the port it serves,
 * or -1 (no --port names it).  Returns 0, or -1 with why in err when two
 * passed sockets have one address. */
int passed_match(const struct listen_addr *ports, size_t nports,
		 const struct passed_sock *s, size_t n, int *sock_of_port,
		 int *port_of_sock, char *err, size_t errlen);

#endif
