/* listen: addresses and listening sockets, and the drop filter (listen.h). */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"

#define LISTEN_BACKLOG 4096	/* the kernel caps it at net.core.somaxconn */

static int listen_parse_port(const char *s, unsigned *port)
{
	long v;

	if (opt_long(s, 1, 65535, &v) < 0 || s[0] == '-' || s[0] == '0')
		return -1;
	*port = (unsigned)v;
	return 0;
}

static void listen_set_any(struct listen_addr *a)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_addr = in6addr_any;
	s6->sin6_port = htons((unsigned short)a->port);
	a->len = sizeof *s6;
	snprintf(a->text, sizeof a->text, "*:%u", a->port);
}

int listen_parse(const char *spec, struct listen_addr *a,
		 char *err, size_t errlen)
{
	char host[64];
	const char *colon, *port;
	size_t hlen;

	memset(a, 0, sizeof *a);
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			goto bad;
		hlen = (size_t)(close - spec - 1);
		memcpy(host, spec + 1, hlen < sizeof host ? hlen : 0);
		port = close + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		hlen = (size_t)(colon - spec);
		memcpy(host, spec, hlen < sizeof host ? hlen : 0);
		port = colon + 1;
	} else {
		hlen = 0;
		port = spec;
	}
	if (hlen >= sizeof host || listen_parse_port(port, &a->port) < 0)
		goto bad;
	host[hlen] = '\0';
	if (hlen == 0) {
		if (port != spec)
			goto bad;	/* ":8888" is a typo, not "any" */
		listen_set_any(a);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	if (spec[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)a->port);
		a->len = sizeof *s4;
		snprintf(a->text, sizeof a->text, "%s:%u", host, a->port);
		return 0;
	}
	if (spec[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)a->port);
		a->len = sizeof *s6;
		snprintf(a->text, sizeof a->text, "[%s]:%u", host, a->port);
		return 0;
	}
bad:
	snprintf(err, errlen, "'%s' is not [ADDR:]PORT (ADDR is IPv4 or "
		 "[IPv6], PORT 1-65535)", spec);
	return -1;
}

static int listen_try(const struct listen_addr *a)
{
	int fd, one = 1, zero = 0;
	int family = a->ss.ss_family;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		goto fail;
	/* Linux copies TCP_NODELAY to every connection accepted here: the
	 * workers need not set it on each (an answer leaves in one write,
	 * and Nagle would only delay it). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		goto fail;
	/* An "any" IPv6 socket must take IPv4 too, whatever the sysctl says. */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int listen_open(struct listen_addr *a, char *err, size_t errlen)
{
	int fd = listen_try(a);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	/* No IPv6 in this kernel or namespace: "any" means IPv4 any. */
	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL) &&
	    a->ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
		memset(&a->ss, 0, sizeof a->ss);
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((unsigned short)a->port);
		a->len = sizeof *s4;
		fd = listen_try(a);
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", a->text,
			 strerror(errno));
	return fd;
}

/* A classic BPF program "ret 0" drops every packet that reaches the
 * socket.  The filter belongs to the socket, not to the process that
 * attached it: every other holder of the socket (a sibling worker, the
 * supervisor, systemd under socket activation) gets the dead socket too,
 * and nothing ever detaches it.  Hence only the owner calls this. */
int listen_block_handshakes(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}
