/* notifier: a stand-in server that reports readiness the sd_notify way.
 *
 *   notifier DELAY_MS [MESSAGE]
 *
 * Sleeps DELAY_MS, sends MESSAGE (default "READY=1") as one datagram from
 * its own pid to $NOTIFY_SOCKET (a path, or "@name" for an abstract
 * socket), then waits for SIGTERM or SIGINT and exits 0.  Exits 1 when
 * the datagram could not be sent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *msg = argc > 2 ? argv[2] : "READY=1";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long ms = argc > 1 ? atol(argv[1]) : 0;
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t stop;
	size_t len;
	int fd, sig;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if (!path || (len = strlen(path)) == 0 || len >= sizeof sun.sun_path) {
		fprintf(stderr, "notifier: no usable NOTIFY_SOCKET\n");
		return 1;
	}
	nanosleep(&d, NULL);
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					 len + (path[0] != '@'))) < 0) {
		perror("notifier: sendto");
		return 1;
	}
	close(fd);
	sigwait(&stop, &sig);
	return 0;
}
