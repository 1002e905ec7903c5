/* Flag values: seconds, bounded integers, [ADDR:]PORT. */
#include <arpa/inet.h>
#include <string.h>

#include "../../worker/lib/listen.h"
#include "../../worker/lib/opt.h"
#include "check.h"

static long seconds(const char *s)
{
	long ms = -42;
	return opt_seconds(s, &ms) < 0 ? -1 : ms;
}

static void test_seconds(void)
{
	CHECK(seconds("5") == 5000);
	CHECK(seconds("0") == 0);
	CHECK(seconds("0.5") == 500);
	CHECK(seconds("2.25") == 2250);
	CHECK(seconds("1.0000") == 1000);	/* zeros past ms are fine */
	CHECK(seconds("86400") == 86400000);
	CHECK(seconds("86400.000") == 86400000);
	CHECK(seconds(".5") == 500);
	long ms;
	/* Out of range or finer than ms: said so, not rounded. */
	CHECK(opt_seconds("1.0005", &ms) == OPT_TOO_FINE);
	CHECK(opt_seconds("0.0001", &ms) == OPT_TOO_FINE);
	CHECK(opt_seconds("86401", &ms) == OPT_TOO_BIG);
	CHECK(opt_seconds("86400.5", &ms) == OPT_TOO_BIG);
	CHECK(opt_seconds("100000", &ms) == OPT_TOO_BIG);
	CHECK(opt_seconds("99999999999999999999", &ms) == OPT_TOO_BIG);
	CHECK(opt_seconds("abc", &ms) == OPT_BAD);
	CHECK(seconds("") == -1);
	CHECK(seconds("-1") == -1);
	CHECK(seconds("+1") == -1);
	CHECK(seconds("1s") == -1);
	CHECK(seconds("1.") == -1);
	CHECK(seconds(".") == -1);
	CHECK(seconds(".x") == -1);
	CHECK(seconds("1e3") == -1);
	CHECK(seconds(" 1") == -1);
}

static void test_long(void)
{
	long v = 0;

	CHECK(opt_long("1", 1, 10, &v) == 0 && v == 1);
	CHECK(opt_long("10", 1, 10, &v) == 0 && v == 10);
	CHECK(opt_long("0", 1, 10, &v) == -1);
	CHECK(opt_long("11", 1, 10, &v) == -1);
	CHECK(opt_long("1x", 1, 10, &v) == -1);
	CHECK(opt_long("", 1, 10, &v) == -1);
	CHECK(opt_long(" 1", 1, 10, &v) == -1);
	CHECK(opt_long("99999999999999999999999", 1, 10, &v) == -1);
}

static int parses(const char *spec, const char *text)
{
	struct listen_addr a;
	char err[160];

	if (listen_parse(spec, &a, err, sizeof err) < 0)
		return text == NULL && strstr(err, spec) != NULL;
	return text != NULL && strcmp(a.text, text) == 0;
}

static void test_listen_parse(void)
{
	struct listen_addr a;
	char err[160];

	CHECK(parses("8888", "*:8888"));
	CHECK(parses("127.0.0.1:80", "127.0.0.1:80"));
	CHECK(parses("[::1]:8888", "[::1]:8888"));
	CHECK(parses("[::]:1", "[::]:1"));
	CHECK(parses("65535", "*:65535"));
	CHECK(parses("0", NULL));
	CHECK(parses("65536", NULL));
	CHECK(parses("080", NULL));
	CHECK(parses(":80", NULL));
	CHECK(parses("::1:80", NULL));		/* IPv6 needs brackets */
	CHECK(parses("[127.0.0.1]:80", NULL));
	CHECK(parses("[::1]", NULL));
	CHECK(parses("[::1]80", NULL));
	CHECK(parses("1.2.3:80", NULL));
	CHECK(parses("localhost:80", NULL));
	CHECK(parses("", NULL));

	CHECK(listen_parse("10.1.2.3:443", &a, err, sizeof err) == 0);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 443);
	CHECK(s4->sin_addr.s_addr == htonl(0x0a010203));
	CHECK(a.len == sizeof *s4);
}

/* --stop-delay: each refusal names the flag and says why. */
static void test_stop_delay(void)
{
	char err[200];
	long ms = -42;

	CHECK(opt_stop_delay("5", &ms, err, sizeof err) == 0 && ms == 5000);
	CHECK(opt_stop_delay("0", &ms, err, sizeof err) == 0 && ms == 0);
	CHECK(opt_stop_delay("0.25", &ms, err, sizeof err) == 0 && ms == 250);
	CHECK(opt_stop_delay("3600", &ms, err, sizeof err) == 0 &&
	      ms == 3600000);
	CHECK(opt_stop_delay("-1", &ms, err, sizeof err) == -1);
	CHECK(!strcmp(err, "--stop-delay: '-1' is negative (0 means no delay)"));
	CHECK(opt_stop_delay("-0.5", &ms, err, sizeof err) == -1);
	CHECK(strstr(err, "is negative") != NULL);
	CHECK(opt_stop_delay("3600.001", &ms, err, sizeof err) == -1);
	CHECK(!strcmp(err, "--stop-delay: '3600.001' is over the limit of "
		      "3600 seconds (an hour)"));
	CHECK(opt_stop_delay("99999999999", &ms, err, sizeof err) == -1);
	CHECK(strstr(err, "over the limit") != NULL);
	CHECK(opt_stop_delay("abc", &ms, err, sizeof err) == -1);
	CHECK(strstr(err, "--stop-delay: 'abc' is not a number") == err);
	CHECK(opt_stop_delay("-x", &ms, err, sizeof err) == -1);
	CHECK(strstr(err, "is not a number") != NULL);
	CHECK(opt_stop_delay("", &ms, err, sizeof err) == -1);
	CHECK(opt_stop_delay("0.0001", &ms, err, sizeof err) == -1);
	CHECK(strstr(err, "finer than a millisecond") != NULL);
	CHECK(ms == 3600000);	/* untouched by a refusal */
}

int main(void)
{
	test_stop_delay();
	test_seconds();
	test_long();
	test_listen_parse();
	return check_done();
}
