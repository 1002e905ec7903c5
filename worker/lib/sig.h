/* sig: signal names, as an operator types them to kill(1). */
#ifndef SIG_H
#define SIG_H

/* "SIGTERM"; the number, as text, for a signal without a name (a
 * real-time one).  The string lives until the next call. */
const char *sig_name(int sig);
/* "TERM", "SIGTERM" or "15": the signal, or -1. */
int sig_number(const char *s);

#endif
