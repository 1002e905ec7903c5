/* stdfd: descriptors 0, 1 and 2 open before anything else, shared by
 * supervisor and worker. */
#ifndef STDFD_H
#define STDFD_H

/* Opens /dev/null on each of 0, 1, 2 that is closed.  With one closed, the
 * first socket opened would take its number, and log lines would go into
 * a client connection.  Returns 0, or -1 (nowhere to say why). */
int stdfd_open(void);

#endif
