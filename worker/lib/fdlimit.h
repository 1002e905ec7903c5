/* fdlimit: the soft RLIMIT_NOFILE, shared by supervisor and worker.
 *
 * The soft limit defaults to 1024 for the sake of select(2), whose fd_set
 * cannot hold more; a program that never calls select raises it to the
 * hard limit itself (systemd's advice since v240) and gives the programs
 * it starts the soft limit it was given. */
#ifndef FDLIMIT_H
#define FDLIMIT_H

/* Raises the soft limit to the hard one and remembers the old soft limit.
 * Returns the soft limit now in force, or -1 if it cannot be read. */
long fdlimit_raise(void);

/* In a child about to exec another program: the soft limit as it was
 * before fdlimit_raise.  Async-signal-safe. */
void fdlimit_restore(void);

/* How many descriptors this process has open, or -1 if /proc cannot
 * tell. */
long fdlimit_in_use(void);

#endif
