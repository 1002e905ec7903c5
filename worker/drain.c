#include "drain.h"

#include <errno.h>
#include <linux/filter.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "server.h"

/* Step 1: a classic BPF program "ret 0" drops every packet that reaches
 * the listening socket, so the kernel completes no new handshake; the
 * connections already in the accept queue are left alone.  Containers may
 * refuse the filter: then we just go on.  The filter is on the socket
 * itself, which sibling workers share: one worker draining alone stops
 * their handshakes too.  Under the supervisor that is right, since one
 * worker's exit stops the group; a rolling restart (SIGHUP, not built)
 * would need a socket per worker (SO_REUSEPORT) instead. */
static void drain_block_handshakes(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof prog) < 0)
		log_debug("SO_ATTACH_FILTER: %s (going on without)",
			  strerror(errno));
}

/* Step 6: the time is up; count what is abandoned and stop. */
static void drain_on_timeout(struct timer *t)
{
	struct server *s = container_of(t, struct server, drain_timer);

	server_count_abandoned(s);
	log_warn("drain timeout: abandoning %lu requests and %lu events",
		 s->abandoned_requests, s->abandoned_events);
	/* Only lingering closes left (a client slow to close): nothing was
	 * lost, so the exit is clean. */
	s->exit_status = s->abandoned_requests || s->abandoned_events ? 3 : 0;
	loop_stop(&s->loop);
}

void drain_start(struct server *s)
{
	struct conn *c, *next;

	s->draining = 1;
	if (s->listener.fd >= 0) {
		drain_block_handshakes(s->listener.fd);
		server_accept(s, 1);
		server_close_listener(s);
	}
	for (c = s->conns; c; c = next) {
		next = c->next;
		conn_drain(c);
	}
	s->drain_timer.fn = drain_on_timeout;
	if (loop_timer_in(&s->loop, &s->drain_timer,
			  (uint64_t)s->cfg.drain_timeout_ms) < 0) {
		log_err("cannot arm the drain timer: out of memory");
		s->exit_status = 1;
		loop_stop(&s->loop);
	}
}

static void drain_on_signal(struct watcher *w, uint32_t events)
{
	struct server *s = container_of(w, struct server, signals);
	struct signalfd_siginfo si;
	ssize_t n;

	(void)events;
	for (;;) {
		n = read(w->fd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			return;		/* EAGAIN: all read */
		if (s->draining) {
			log_info("%s: already draining, ignored",
				 strsignal((int)si.ssi_signo));
			continue;
		}
		log_info("%s: draining (%ld connections, %ld events)",
			 strsignal((int)si.ssi_signo), s->nconns, s->nevents);
		drain_start(s);
	}
}

int drain_watch_signals(struct server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	s->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	s->signals.fn = drain_on_signal;
	if (s->signals.fd < 0)
		return -1;
	return loop_add(&s->loop, &s->signals, EPOLLIN);
}
