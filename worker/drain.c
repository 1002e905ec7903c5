/* drain: the graceful stop, steps 1 to 6 of SPEC worker(8). */
#include "drain.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/opt.h"
#include "lib/sig.h"
#include "peer.h"
#include "phase.h"
#include "server.h"

/* Step 1.  Only the owner of a socket closes its door (listen.h): a
 * socket the worker received (from the supervisor, from systemd) is left
 * as it is, for its owner and the other workers that hold it; the owner
 * filters it itself before it asks anyone to stop.  Either way the
 * connections already queued are accepted and answered. */
static void drain_stop_accepting(struct server *s)
{
	if (s->owns_listener && listen_block_handshakes(s->listener.fd) < 0)
		log_debug("SO_ATTACH_FILTER: %s (going on without)",
			  strerror(errno));
	server_accept(s, 1);
	server_close_listener(s);
}

/* The first few requests a drain timeout abandons, by what, whose, and
 * how old: a number alone does not say which client to look for. */
static void drain_name_abandoned(struct server *s)
{
	int shown = 0;

	for (struct conn *c = s->conns.list; c && shown < 5; c = c->next) {
		if (!conn_busy(c))
			continue;
		char peer[64];
		peer_name(c->w.fd, peer, sizeof peer);
		if (c->state == CONN_READ_HEAD)
			log_warn("abandoned: a request still arriving from %s",
				 peer);
		else
			log_warn("abandoned: %s from %s, %llu ms old",
				 c->req.what, peer,
				 (unsigned long long)(s->loop.now -
						      c->req.began));
		shown++;
	}
}

/* Step 6: the time is up; count what is abandoned and stop. */
static void drain_on_timeout(struct timer *t)
{
	struct server *s = container_of(t, struct server, drain_timer);

	server_count_abandoned(s);
	log_warn("drain timeout: abandoning %lu requests and %lu events",
		 s->abandoned_requests, s->abandoned_events);
	drain_name_abandoned(s);
	/* Only lingering closes left (a client slow to close): nothing was
	 * lost, so the exit is clean. */
	s->exit_status = s->abandoned_requests || s->abandoned_events ? 3 : 0;
	loop_stop(&s->loop);
}

void drain_start(struct server *s)
{
	struct conn *c, *next;

	if (s->phase == PHASE_SERVING)
		notify_send("STOPPING=1");	/* a delay has said it */
	loop_timer_stop(&s->loop, &s->delay_timer);
	s->phase = PHASE_DRAINING;
	s->conns.delaying = 0;
	s->conns.draining = 1;
	if (s->listener.fd >= 0)
		drain_stop_accepting(s);
	for (c = s->conns.list; c; c = next) {
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

static void drain_now(struct server *s, const char *why)
{
	log_info("%s: draining (%ld connection%s, %ld event%s)", why,
		 s->conns.count, s->conns.count == 1 ? "" : "s", s->events.n,
		 s->events.n == 1 ? "" : "s");
	drain_start(s);
}

static void drain_on_delay_over(struct timer *t)
{
	struct server *s = container_of(t, struct server, delay_timer);

	if (phase_decide(s->phase, PHASE_EV_DELAY_OVER, s->cfg.stop_delay_ms) ==
	    PHASE_DO_DRAIN)
		drain_now(s, "the stop delay is over");
}

/* Lame duck (phase.h): serving on, but telling balancers and keep-alive
 * clients to go elsewhere. */
static void drain_delay(struct server *s, int sig)
{
	s->phase = PHASE_DELAYING;
	s->conns.delaying = 1;
	notify_send("STOPPING=1");
	log_info("%s: the drain begins in " OPT_MS_FMT " s (stop delay): "
		 "serving on, /healthz 503, keep-alive answers close",
		 sig_name(sig), OPT_MS_ARGS(s->cfg.stop_delay_ms));
	s->delay_timer.fn = drain_on_delay_over;
	if (loop_timer_in(&s->loop, &s->delay_timer,
			  (uint64_t)s->cfg.stop_delay_ms) < 0)
		drain_now(s, "cannot arm the delay timer (out of memory)");
}

static void drain_on_stop_signal(struct server *s, int sig)
{
	enum phase_event ev = sig == SIGINT ? PHASE_EV_INT : PHASE_EV_TERM;

	switch (phase_decide(s->phase, ev, s->cfg.stop_delay_ms)) {
	case PHASE_DO_DELAY:
		drain_delay(s, sig);
		break;
	case PHASE_DO_DRAIN:
		drain_now(s, sig_name(sig));
		break;
	case PHASE_DO_IGNORE:
		log_info("%s: already %s, ignored", sig_name(sig),
			 s->phase == PHASE_DELAYING ? "in the stop delay" :
			 "draining");
		break;
	case PHASE_DO_NOTHING:
		break;
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
		int sig = (int)si.ssi_signo;
		/* `systemctl kill -s HUP` reaches every process of a unit,
		 * and logrotate sends USR1: none of them may end a worker
		 * without its drain. */
		if (sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2) {
			log_info("%s from pid %d: ignored", sig_name(sig),
				 (int)si.ssi_pid);
			continue;
		}
		drain_on_stop_signal(s, sig);
	}
}

int drain_watch_signals(struct server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);	/* nginx's graceful stop: a drain too */
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	s->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	s->signals.fn = drain_on_signal;
	if (s->signals.fd < 0)
		return -1;
	return loop_add(&s->loop, &s->signals, EPOLLIN);
}
