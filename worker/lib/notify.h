/* notify: the sender side of the sd_notify(3) datagram protocol, without
 * libsystemd, shared by supervisor and worker. */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Sends one datagram ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET, a path
 * or an abstract name written with a leading '@'.  Returns 0, 0 when the
 * variable is unset, or -1 (logged) when sending failed. */
int notify_send(const char *state);

/* The same datagram with the descriptor fd attached (SCM_RIGHTS), as
 * sd_pid_notify_with_fds(3) sends "FDSTORE=1".  Returns 1 when sent, 0
 * when NOTIFY_SOCKET is unset, -1 when refused (a debug line only: the
 * caller decides whether it matters). */
int notify_send_fd(const char *state, int fd);
/* Sends "WATCHDOG=1" to $NOTIFY_SOCKET without waiting, on a socket kept
 * open (close-on-exec) for the next beat.  Returns 0, or -1 (logged).
 * After a socket that could not be set up, every later call is -1 and
 * silent. */
int notify_beat(void);

#endif
