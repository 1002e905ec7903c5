/* passed: --ports matched to passed sockets by address, IPv4 and IPv6,
 * and the FDNAMEs of the descriptor store. */
#include <arpa/inet.h>
#include <string.h>

#include "../../supervisor/passed.h"
#include "check.h"

static struct sockaddr_storage sa(const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
	} else {
		ss.ss_family = AF_UNIX;
	}
	return ss;
}

static struct listen_addr port(const char *spec)
{
	struct listen_addr a;
	char err[200];

	if (listen_parse(spec, &a, err, sizeof err) < 0)
		fprintf(stderr, "%s\n", err);
	return a;
}

static int names(const char *spec, const char *host, unsigned p)
{
	struct listen_addr a = port(spec);
	struct sockaddr_storage ss = sa(host, p);

	return passed_names(&a, &ss);
}

static void test_names(void)
{
	CHECK(names("127.0.0.1:8888", "127.0.0.1", 8888));
	CHECK(!names("127.0.0.1:8888", "127.0.0.1", 8889));
	CHECK(!names("127.0.0.1:8888", "127.0.0.2", 8888));
	CHECK(!names("127.0.0.1:8888", "0.0.0.0", 8888));
	CHECK(!names("127.0.0.1:8888", "::ffff:127.0.0.1", 8888));
	CHECK(names("[::1]:8888", "::1", 8888));
	CHECK(!names("[::1]:8888", "::2", 8888));
	CHECK(!names("[::1]:8888", "127.0.0.1", 8888));
	CHECK(names("[::]:80", "::", 80));
	CHECK(!names("[::]:80", "0.0.0.0", 80));
	/* -p PORT: every address, either family. */
	CHECK(names("8888", "0.0.0.0", 8888));
	CHECK(names("8888", "::", 8888));
	CHECK(!names("8888", "127.0.0.1", 8888));
	CHECK(!names("8888", "::1", 8888));
	CHECK(!names("8888", "::", 8889));
	CHECK(!names("8888", "unix", 8888));
}

static int addr_is(const char *host, unsigned p, const char *text)
{
	struct sockaddr_storage ss = sa(host, p);
	struct listen_addr a;

	if (passed_addr(&ss, &a) < 0)
		return text == NULL;
	return text && !strcmp(a.text, text) && a.port == p &&
	       passed_names(&a, &ss);
}

static void test_addr(void)
{
	CHECK(addr_is("127.0.0.1", 8888, "127.0.0.1:8888"));
	CHECK(addr_is("0.0.0.0", 1, "0.0.0.0:1"));
	CHECK(addr_is("::1", 65535, "[::1]:65535"));
	CHECK(addr_is("::", 80, "[::]:80"));
	CHECK(addr_is("unix", 80, NULL));
}

static int fdname_is(const char *spec, const char *want)
{
	struct listen_addr a = port(spec);
	char name[80];

	passed_fdname(a.text, name, sizeof name);
	return !strcmp(name, want);
}

static int ours(const char *name, const char *host, unsigned p)
{
	struct sockaddr_storage ss = sa(host, p);

	return passed_is_ours(name, &ss);
}

static void test_fdname(void)
{
	char small[4];

	CHECK(fdname_is("127.0.0.1:8888", "127.0.0.1_8888"));
	CHECK(fdname_is("[::1]:8889", "[__1]_8889"));
	CHECK(fdname_is("8888", "*_8888"));
	passed_fdname("127.0.0.1:8888", small, sizeof small);
	CHECK(!strcmp(small, "127"));
	CHECK(ours("127.0.0.1_8888", "127.0.0.1", 8888));
	CHECK(ours("[__1]_8889", "::1", 8889));
	CHECK(ours("*_8888", "::", 8888));
	CHECK(ours("*_8888", "0.0.0.0", 8888));
	CHECK(!ours("*_8888", "::", 8889));
	CHECK(!ours("127.0.0.1_8888", "127.0.0.2", 8888));
	CHECK(!ours("http", "127.0.0.1", 8888));
	CHECK(!ours("unknown", "::", 8888));
	CHECK(!ours("", "::", 8888));
}

static void test_match(void)
{
	struct listen_addr ports[3] = {
		port("127.0.0.1:8000"), port("8001"), port("[::1]:8002"),
	};
	struct passed_sock s[3] = {
		{ .fd = 3, .ss = sa("::1", 8002) },
		{ .fd = 4, .ss = sa("10.0.0.1", 9999) },
		{ .fd = 5, .ss = sa("127.0.0.1", 8000) },
	};
	int sock_of[3], port_of[3];
	char err[200] = "";

	CHECK(passed_match(ports, 3, s, 3, sock_of, port_of, err,
			   sizeof err) == 0);
	CHECK(sock_of[0] == 2 && sock_of[1] == -1 && sock_of[2] == 0);
	CHECK(port_of[0] == 2 && port_of[1] == -1 && port_of[2] == 0);
	/* No socket passed: every port is bound. */
	CHECK(passed_match(ports, 3, s, 0, sock_of, port_of, err,
			   sizeof err) == 0);
	CHECK(sock_of[0] == -1 && sock_of[1] == -1 && sock_of[2] == -1);
	/* Two sockets for -p 8001: 0.0.0.0 and [::] (IPV6_V6ONLY). */
	s[0].ss = sa("0.0.0.0", 8001);
	s[1].ss = sa("::", 8001);
	CHECK(passed_match(ports, 3, s, 3, sock_of, port_of, err,
			   sizeof err) < 0);
	CHECK(!strcmp(err, "LISTEN_FDS: fd 3 and fd 4 are both *:8001"));
}

int main(void)
{
	test_names();
	test_addr();
	test_fdname();
	test_match();
	return check_done();
}
