/* passed: matching passed sockets to --ports (passed.h). */
#include "passed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static unsigned passed_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static int passed_is_any(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return s4->sin_addr.s_addr == htonl(INADDR_ANY);
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

int passed_names(const struct listen_addr *p, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&p->ss;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&p->ss;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)ss;

	if (passed_port(ss) != p->port)
		return 0;
	if (!strncmp(p->text, "*:", 2))	/* -p PORT: every address */
		return passed_is_any(ss);
	if (p->ss.ss_family != ss->ss_family)
		return 0;
	if (ss->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return ss->ss_family == AF_INET6 &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof b6->sin6_addr);
}

int passed_addr(const struct sockaddr_storage *ss, struct listen_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	const void *in = ss->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	memset(out, 0, sizeof *out);
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return -1;
	if (!inet_ntop(ss->ss_family, in, host, sizeof host))
		return -1;
	out->ss = *ss;
	out->len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					      sizeof(struct sockaddr_in6);
	out->port = passed_port(ss);
	snprintf(out->text, sizeof out->text, ss->ss_family == AF_INET ?
		 "%s:%u" : "[%s]:%u", host, out->port);
	return 0;
}

void passed_fdname(const char *text, char *out, size_t size)
{
	size_t i;

	for (i = 0; text[i] && i + 1 < size; i++)
		out[i] = text[i] == ':' ? '_' : text[i];
	if (size)
		out[i] = '\0';
}

int passed_is_ours(const char *name, const struct sockaddr_storage *ss)
{
	struct listen_addr a;
	char spec[80], err[160];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof spec; i++)
		spec[i] = name[i] == '_' ? ':' : name[i];
	spec[i] = '\0';
	if (name[i])
		return 0;
	/* "*_8888" is the FDNAME of -p 8888, which listen_parse spells
	 * "8888". */
	if (listen_parse(!strncmp(spec, "*:", 2) ? spec + 2 : spec, &a, err,
			 sizeof err) < 0)
		return 0;
	return passed_names(&a, ss);
}

int passed_match(const struct listen_addr *ports, size_t nports,
		 const struct passed_sock *s, size_t n, int *sock_of_port,
		 int *port_of_sock, char *err, size_t errlen)
{
	for (size_t p = 0; p < nports; p++)
		sock_of_port[p] = -1;
	for (size_t i = 0; i < n; i++) {
		port_of_sock[i] = -1;
		for (size_t p = 0; p < nports && port_of_sock[i] < 0; p++)
			if (passed_names(&ports[p], &s[i].ss))
				port_of_sock[i] = (int)p;
		int p = port_of_sock[i];
		if (p < 0)
			continue;
		if (sock_of_port[p] >= 0) {
			snprintf(err, errlen, "LISTEN_FDS: fd %d and fd %d are "
				 "both %s", s[sock_of_port[p]].fd, s[i].fd,
				 ports[p].text);
			return -1;
		}
		sock_of_port[p] = (int)i;
	}
	return 0;
}
