/* stop: asking children to stop, and killing them (stop.h). */
#include "stop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/listen.h"
#include "../worker/lib/log.h"
#include "watch.h"

/* A stopped process cannot act on a signal, so SIGCONT goes with it, as
 * systemd sends it, but first: a SIGCONT discards every pending stop
 * signal, and one sent after SIGTERM could discard the SIGSTOP of a
 * ptrace attach that the exiting child began meanwhile (LeakSanitizer's
 * at exit, a debugger's), which then waits for a stop that never comes. */
void stop_ask(struct kid *k, int sig)
{
	if (kids_send(k, SIGCONT) < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send SIGCONT: %s", k->name,
			 (int)k->pid, strerror(errno));
	kids_signal(k, sig);
}

void stop_retire(struct kid *k, int sig, long kill_ms)
{
	k->role = KID_RETIRING;
	watch_end(k);	/* --watchdog: a draining worker is not watched */
	k->deadline_ms = (long)clock_ms() + (kill_ms ? kill_ms : 1);
	stop_ask(k, sig);
}

void stop_all(struct kids *t, int sig)
{
	for (size_t i = 0; i < t->n; i++) {
		struct kid *k = &t->k[i];
		if (k->alive)
			stop_ask(k, k->role == KID_FAILER ? SIGTERM : sig);
	}
}

void stop_lame(struct kids *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct kid *k = &t->k[i];
		if (k->alive && (k->role == KID_WORKER || k->role == KID_NEW))
			stop_ask(k, SIGTERM);
	}
}

void stop_kill_all(struct kids *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->k[i].alive)
			kids_kill(&t->k[i]);
}

/* The workers hold these sockets too, and each one empties the accept
 * queue before it closes its copy, so a client whose handshake completed
 * is answered, not reset.  Only the owner may do this (listen.h): a
 * passed socket, or one left in systemd's store, must keep working for
 * the next supervisor.  A refusal (some containers) is not fatal. */
void stop_close_doors(const int *fds, const unsigned char *passed, size_t n)
{
	int told = 0;

	for (size_t i = 0; i < n; i++)
		if (!passed[i] && listen_block_handshakes(fds[i]) < 0 &&
		    !told) {
			log_info("cannot filter the listening sockets (%s): "
				 "going on without", strerror(errno));
			told = 1;
		}
}
