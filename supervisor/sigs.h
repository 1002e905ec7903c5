/* sigs: the signals the supervisor takes.  Their dispositions are set
 * whatever was inherited, they are blocked, and read one at a time from a
 * signalfd, each logged with its sender. */
#ifndef SIGS_H
#define SIGS_H

/* Every signal whose default action would end or stop us, but SIGKILL,
 * SIGSTOP and the ones the kernel sends for a fault.  Run before anything
 * is bound or forked, so that a SIGTERM during start-up is kept for the
 * loop.  Returns the signalfd (non-blocking), or -1 with errno. */
int sigs_take(void);
/* The next pending signal, logged but for SIGCHLD; 0 when none is. */
int sigs_next(int fd);

#endif
