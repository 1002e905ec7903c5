/* rawhttp: a test client that sends raw bytes and reports the responses.
 *
 *   rawhttp [-n N] [-t MS] [-S] [-d MS] [-r N] [-x] PORT < request-bytes
 *
 * Sends stdin to 127.0.0.1:PORT in one write, then reads.  With -S it
 * prints each response's status code on a line of its own, then how the
 * exchange ended: EOF (the server closed), TIMEOUT (MS ms of silence,
 * default 2000), DONE (-n N responses arrived) or RESET.  Without -S it
 * prints the bytes received.  -d MS waits that long after connecting
 * before sending.  -r N sends the bytes N times; -x then never reads
 * (a client that does not read its answers).  make builds it into
 * build/tests/; not part of the product. */
#define _GNU_SOURCE	/* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char req[1 << 21], resp[1 << 21];

/* Complete responses at the start of buf: prints their statuses, returns
 * how many bytes they take; 0 when the first is not complete yet. */
static size_t take_response(const char *buf, size_t len, int *status)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *cl;
	size_t head, body = 0;

	if (!end || sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return 0;
	head = (size_t)(end + 4 - buf);
	for (cl = buf; (cl = memchr(cl, '\n', head - (size_t)(cl - buf)));) {
		cl++;
		if (strncasecmp(cl, "content-length:", 15) == 0)
			body = strtoul(cl + 15, NULL, 10);
	}
	if (*status < 200)
		body = 0;
	return head + body <= len ? head + body : 0;
}

int main(int argc, char **argv)
{
	int opt, statuses = 0, want = -1, timeout = 2000, delay = 0;
	long repeat = 1, no_read = 0;
	size_t rlen = 0, got = 0, parsed = 0;
	const char *ending = "EOF";

	while ((opt = getopt(argc, argv, "n:t:Sd:r:x")) != -1) {
		if (opt == 'n')
			want = atoi(optarg);
		else if (opt == 't')
			timeout = atoi(optarg);
		else if (opt == 'S')
			statuses = 1;
		else if (opt == 'd')
			delay = atoi(optarg);
		else if (opt == 'r')
			repeat = atol(optarg);
		else if (opt == 'x')
			no_read = 1;
		else
			return 2;
	}
	if (optind != argc - 1)
		return 2;
	for (ssize_t n; (n = read(0, req + rlen, sizeof req - rlen)) > 0;)
		rlen += (size_t)n;

	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)atoi(argv[optind])) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("rawhttp: connect");
		return 1;
	}
	if (delay)
		poll(NULL, 0, delay);
	for (long i = 0; i < repeat; i++)
		if (rlen && send(fd, req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen) {
			perror("rawhttp: send");
			return 1;
		}
	if (no_read)
		pause();
	int responses = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout);
		if (r == 0) {
			ending = "TIMEOUT";
			break;
		}
		ssize_t n = read(fd, resp + got, sizeof resp - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ending = "RESET";
			break;
		}
		if (n == 0)
			break;
		if (!statuses)
			fwrite(resp + got, 1, (size_t)n, stdout);
		got += (size_t)n;
		size_t used;
		int status;
		while ((used = take_response(resp + parsed, got - parsed,
					     &status)) > 0) {
			parsed += used;
			if (statuses)
				printf("%d\n", status);
			if (status >= 200)
				responses++;
		}
		/* Keep only the unfinished response: answers may be many. */
		memmove(resp, resp + parsed, got - parsed);
		got -= parsed;
		parsed = 0;
		if (want >= 0 && responses >= want) {
			ending = "DONE";
			break;
		}
		fflush(stdout);
	}
	if (statuses)
		printf("%s\n", ending);
	close(fd);
	return 0;
}
