/* ready: the receiving end of sd_notify(3).  The supervisor listens on a
 * datagram socket of its own and hands its name to every child as
 * NOTIFY_SOCKET; a child says "READY=1" there once it serves.  The sender
 * is known by the credentials the kernel attaches (SO_PASSCRED), never by
 * what the datagram claims, so a message counts only for the process that
 * sent it: a wrapper script must exec its server. */
#ifndef READY_H
#define READY_H

#include <stddef.h>
#include <sys/types.h>

struct ready {
	int fd;
	char name[16];		/* "@" and the kernel's autobind name */
};

/* A non-blocking, close-on-exec socket with an abstract name: no file to
 * clean up, and reachable by children that run as another user.  Returns
 * 0, or -1 with errno. */
int ready_open(struct ready *r);

/* Called for each line of each datagram queued, with the sender's pid. */
typedef void ready_fn(void *arg, pid_t pid, const char *line, size_t len);

/* Reads until the socket is empty, or a batch is done. */
void ready_read(struct ready *r, ready_fn *fn, void *arg);

#endif
