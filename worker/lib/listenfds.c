/* listenfds: the sockets passed by LISTEN_FDS, checked (listenfds.h). */
#include "listenfds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opt.h"

static const char *listenfds_type(int type)
{
	switch (type) {
	case SOCK_DGRAM:	return "a datagram socket";
	case SOCK_SEQPACKET:	return "a seqpacket socket";
	case SOCK_RAW:		return "a raw socket";
	default:		return "not SOCK_STREAM";
	}
}

static int listenfds_check(int fd, const char *count, char *err,
			   size_t errlen)
{
	int type = 0, listening = 0, flags;
	socklen_t len = sizeof type;

	if (fcntl(fd, F_GETFD) < 0) {
		snprintf(err, errlen, "LISTEN_FDS=%s: fd %d is not open",
			 count, fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d is not a socket%s%s",
			 fd, errno == ENOTSOCK ? "" : ": ",
			 errno == ENOTSOCK ? "" : strerror(errno));
		return -1;
	}
	if (type != SOCK_STREAM) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d is not a stream "
			 "socket (%s)", fd, listenfds_type(type));
		return -1;
	}
	len = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d is not listening (no "
			 "listen(2) on it)", fd);
		return -1;
	}
	/* The holder may share the file description with others: O_NONBLOCK
	 * is theirs too, which a listening socket's holders all want. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", fd,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* "a:b:c" into lf->name; a missing name is "unknown", as systemd says. */
static void listenfds_names(struct listenfds *lf, const char *names)
{
	for (size_t i = 0; i < lf->n; i++) {
		size_t len = names ? strcspn(names, ":") : 0;
		if (len == 0 || len >= sizeof lf->name[i])
			snprintf(lf->name[i], sizeof lf->name[i], "unknown");
		else
			snprintf(lf->name[i], sizeof lf->name[i], "%.*s",
				 (int)len, names);
		if (names)
			names = names[len] ? names + len + 1 : NULL;
	}
}

int listenfds_read(struct listenfds *lf, char *err, size_t errlen)
{
	char pid_s[32] = "", count[32] = "", *names = NULL;
	const char *v, *fds_v;
	long pid, n;
	int rc = 0;

	memset(lf, 0, sizeof *lf);
	if ((v = getenv("LISTEN_PID")))
		snprintf(pid_s, sizeof pid_s, "%s", v);
	if ((fds_v = getenv("LISTEN_FDS")))
		snprintf(count, sizeof count, "%s", fds_v);
	if ((v = getenv("LISTEN_FDNAMES")) && !(names = strdup(v))) {
		snprintf(err, errlen, "LISTEN_FDNAMES: %s", strerror(errno));
		return -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!pid_s[0] || !fds_v)
		goto out;
	if (opt_long(pid_s, 1, 1L << 30, &pid) < 0) {
		snprintf(err, errlen, "LISTEN_PID: '%s' is not a pid", pid_s);
		rc = -1;
		goto out;
	}
	if (pid != (long)getpid())
		goto out;	/* for someone else, as sd_listen_fds says */
	if (opt_long(count, 0, 1L << 20, &n) < 0) {
		snprintf(err, errlen, "LISTEN_FDS: '%s' is not a number of "
			 "descriptors", count);
		rc = -1;
		goto out;
	}
	if (n > LISTENFDS_MAX) {
		snprintf(err, errlen, "LISTEN_FDS: %ld descriptors, more than "
			 "%d", n, LISTENFDS_MAX);
		rc = -1;
		goto out;
	}
	lf->n = (size_t)n;
	for (size_t i = 0; i < lf->n && rc == 0; i++)
		rc = listenfds_check(LISTENFDS_START + (int)i, count, err,
				     errlen);
	if (rc == 0)
		listenfds_names(lf, names);
	else
		lf->n = 0;
out:
	free(names);
	return rc;
}
