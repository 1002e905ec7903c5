/* group: the errgroup's loop, and its state machine (group.h's table). */
#include "group.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/sig.h"
#include "launch.h"
#include "reap.h"
#include "rollout.h"
#include "sigs.h"
#include "status.h"
#include "stop.h"

#define TAG_SIGNAL UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)
#define TAG_NOTIFY (UINT64_MAX - 2)

enum group_event {
	GROUP_EV_TERM, GROUP_EV_INT, GROUP_EV_FAIL, GROUP_EV_READY,
	GROUP_EV_TIMER, GROUP_EV_ROLL, GROUP_EV_BROKEN, GROUP_NEVENTS
};

enum group_do {
	DO_NOTHING, DO_STOP, DO_BROKEN, DO_FAIL, DO_NOTE, DO_RUN, DO_LATE,
	DO_ROLL, DO_KILL, DO_IGNORE,
};

static const enum group_do group_table[GROUP_NEVENTS][4] = {
	/*                   STARTING   RUNNING     STOPPING    KILLING */
	[GROUP_EV_TERM]   = { DO_STOP,   DO_STOP,    DO_IGNORE,  DO_IGNORE },
	[GROUP_EV_INT]    = { DO_STOP,   DO_STOP,    DO_KILL,    DO_IGNORE },
	[GROUP_EV_FAIL]   = { DO_FAIL,   DO_FAIL,    DO_NOTE,    DO_NOTE },
	[GROUP_EV_READY]  = { DO_RUN,    DO_NOTHING, DO_NOTHING, DO_NOTHING },
	[GROUP_EV_TIMER]  = { DO_LATE,   DO_NOTHING, DO_KILL,    DO_NOTHING },
	[GROUP_EV_ROLL]   = { DO_ROLL,   DO_ROLL,    DO_IGNORE,  DO_IGNORE },
	[GROUP_EV_BROKEN] = { DO_BROKEN, DO_NOTHING, DO_NOTHING, DO_NOTHING },
};

/* What an event is about: a signal, or a child that ended. */
struct group_cause {
	int sig;
	int resume;		/* ROLL: the roll may begin at once (roll.h) */
	const struct kid *k;
	int code, clean;
};

static const struct group_cause group_no_cause;

static void group_on_notify(void *arg, pid_t pid, const char *line,
			    size_t len);

/* STARTING or RUNNING: not asked to stop yet. */
static int group_up(const struct group *g)
{
	return g->state == GROUP_STARTING || g->state == GROUP_RUNNING;
}

static int group_watch(struct group *g, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int group_init(struct group *g, const struct config *c)
{
	memset(g, 0, sizeof *g);
	g->cfg = c;
	g->epfd = g->timerfd = g->rx.fd = -1;
	g->status = -1;
	if ((g->sigfd = sigs_take()) < 0) {
		log_err("cannot take signals: %s", strerror(errno));
		return -1;
	}
	/* Orphans of our children are re-parented to us, not to init, so
	 * that we can reap them and kill them at the end. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g->epfd < 0 || g->timerfd < 0 || ready_open(&g->rx) < 0 ||
	    group_watch(g, g->sigfd, TAG_SIGNAL) < 0 ||
	    group_watch(g, g->timerfd, TAG_TIMER) < 0 ||
	    group_watch(g, g->rx.fd, TAG_NOTIFY) < 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	if (kids_init(&g->kids, c, g->epfd) < 0) {
		log_err("out of memory");
		return -1;
	}
	rollout_init(&g->ro, &g->kids, c);
	return 0;
}

/* A worker of the start. */
static struct kid *group_spawn(struct group *g, size_t port)
{
	/* Room in the queue for the READY=1 of those started before: many
	 * workers starting at once would fill it (notify.c).  Read before
	 * the fork, so that no READY=1 of this one is seen while it is
	 * being added. */
	ready_read(&g->rx, group_on_notify, g);
	return launch_worker(&g->kids, g->plan, g->listen_fds[port], port,
			     KID_WORKER);
}

static void group_close_listeners(struct group *g)
{
	for (size_t i = 0; i < g->nlisten; i++)
		close(g->listen_fds[i]);
	g->nlisten = 0;
}

static void group_kill(struct group *g)
{
	g->state = GROUP_KILLING;
	stop_kill_all(&g->kids);
	orphans_signal(&g->orphans, &g->kids, SIGKILL);
}

/* why: the cause, for the log and `systemctl status`. */
static void group_stop(struct group *g, const char *why)
{
	char status[300];

	g->state = GROUP_STOPPING;
	rollout_feed(&g->ro, ROLL_EV_STOP, 0, 0);
	log_notice("stopping: %s", why);
	snprintf(status, sizeof status, "stopping: %s", why);
	status_send("STOPPING=1", status);
	/* Before any worker is asked to stop. */
	stop_close_doors(g->listen_fds, g->nlisten);
	stop_all(&g->kids, g->cfg->stop_signal);
	orphans_signal(&g->orphans, &g->kids, SIGTERM);
	g->deadline_ms = (long)clock_ms() + g->cfg->kill_ms;
	if (g->cfg->kill_ms == 0)
		group_kill(g);
}

/* Every worker is ready: tell the service manager, with a status line. */
static void group_running(struct group *g)
{
	char status[400];

	g->state = GROUP_RUNNING;
	g->deadline_ms = 0;
	status_line(&g->kids, g->ro.roll.last, status, sizeof status);
	log_info("%s, all ready after %ld ms", status,
		 (long)clock_ms() - g->started_ms);
	status_send("READY=1", status);
	rollout_feed(&g->ro, ROLL_EV_BOOTED, 0, 1);
}

static void group_late(struct group *g)
{
	for (size_t i = 0; i < g->kids.n; i++) {
		const struct kid *k = &g->kids.k[i];
		if (k->alive && k->role == KID_WORKER && !k->ready)
			log_err("%s pid=%d: not ready after " OPT_MS_FMT "s: no "
				"READY=1 on its NOTIFY_SOCKET (--ready exec is "
				"for programs that never notify)", k->name,
				(int)k->pid, OPT_MS_ARGS(g->cfg->ready_ms));
	}
	g->status = 1;	/* a start-up failure */
	group_stop(g, "a worker was not ready in time");
}

/* A server that stops serving unasked has failed, even with status 0. */
static void group_fail(struct group *g, const struct kid *k, int code)
{
	char why[200];

	g->status = code ? code : 1;
	snprintf(why, sizeof why, "%s pid=%d ended while the group was %s",
		 k->name, (int)k->pid,
		 g->state == GROUP_STARTING ? "starting" : "running");
	group_stop(g, why);
}

static enum roll_event_type group_request(int sig)
{
	return sig == SIGHUP ? ROLL_EV_HUP :
	       sig == SIGTTIN ? ROLL_EV_TTIN : ROLL_EV_TTOU;
}

static void group_on(struct group *g, enum group_event ev,
		     const struct group_cause *c)
{
	switch (group_table[ev][g->state]) {
	case DO_NOTHING:
		break;
	case DO_STOP:
		group_stop(g, sig_name(c->sig));
		break;
	case DO_BROKEN:
		g->status = 1;	/* whatever the others do */
		group_stop(g, "start-up failure");
		break;
	case DO_FAIL:
		group_fail(g, c->k, c->code);
		break;
	case DO_NOTE:
		if (!c->clean && g->status < 0)
			g->status = c->code;
		break;
	case DO_RUN:
		group_running(g);
		break;
	case DO_LATE:
		group_late(g);
		break;
	case DO_ROLL:
		rollout_feed(&g->ro, group_request(c->sig), 0, c->resume);
		break;
	case DO_KILL:
		if (ev == GROUP_EV_INT)
			log_notice("second SIGINT: killing every child now");
		else
			log_warn("kill timeout of " OPT_MS_FMT "s ran out",
				 OPT_MS_ARGS(g->cfg->kill_ms));
		group_kill(g);
		break;
	case DO_IGNORE:
		log_info("%s ignored: %s", sig_name(c->sig),
			 ev == GROUP_EV_ROLL ? "stopping" : "already stopping");
		break;
	}
}

/* resume: whether the roll may begin what a request asks at once. */
static void group_read_signals(struct group *g, int resume)
{
	struct group_cause c = { .resume = resume };

	while ((c.sig = sigs_next(g->sigfd)) != 0) {
		switch (c.sig) {
		case SIGCHLD:
			break;	/* the loop reaps after reading signals */
		case SIGUSR1:
		case SIGUSR2:
			log_info("%s ignored", sig_name(c.sig));
			break;
		case SIGHUP:
		case SIGTTIN:
		case SIGTTOU:
			group_on(g, GROUP_EV_ROLL, &c);
			break;
		case SIGINT:
			group_on(g, GROUP_EV_INT, &c);
			break;
		default:	/* SIGTERM, SIGQUIT */
			group_on(g, GROUP_EV_TERM, &c);
			break;
		}
	}
}

/* Clean: exit 0, or death by the signal we stop it with. */
static int group_clean(const struct group *g, const struct kid *k, int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws) == 0;
	return WTERMSIG(ws) == SIGTERM ||
	       (k->role != KID_FAILER && WTERMSIG(ws) == g->cfg->stop_signal);
}

static void group_child_ended(struct group *g, struct kid *k, int ws)
{
	struct group_cause c = {
		.k = k, .code = reap_code(ws), .clean = group_clean(g, k, ws),
	};
	char how[64];

	reap_how(ws, how, sizeof how);
	kids_gone(&g->kids, k);	/* k stays readable until a child starts */
	if (g->kids.alive == 0)
		group_close_listeners(g);	/* nobody left to serve them */
	if (g->kids.alive == 0 && g->state == GROUP_STOPPING)
		orphans_signal(&g->orphans, &g->kids, SIGTERM);
	if (k->role == KID_RETIRING) {
		/* Asked to stop: whatever its status, no failure. */
		log_msg(c.clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
			"%s pid=%d %s after it was asked to stop", k->name,
			(int)k->pid, how);
		return;
	}
	/* An end unasked, or not clean, shows at warning: -q and
	 * journalctl -p warning see every crash. */
	log_msg(group_up(g) || !c.clean ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
		"%s pid=%d %s", k->name, (int)k->pid, how);
	/* A stop that was asked for, its signal pending while the child's
	 * exit came in (systemd's KillMode=control-group signals every
	 * process at once), is not the child's failure.  A request read
	 * here is kept: nothing starts before the reap is done. */
	if (group_up(g))
		group_read_signals(g, 0);
	if (k->role != KID_NEW)
		group_on(g, GROUP_EV_FAIL, &c);
	else if (group_up(g))	/* a new one that never served: no failure */
		rollout_lost(&g->ro, k, how, 0);	/* last: it may start a child */
}

/* SIGCHLDs coalesce, and one pidfd wake-up may stand for several exits:
 * reap until nothing is left to reap. */
static void group_reap(struct group *g)
{
	enum reap_result r;
	struct kid *k;
	int ws, reaped = 0;

	while ((r = reap_next(&g->kids, &g->orphans, &k, &ws)) == REAP_KID ||
	       r == REAP_ORPHAN) {
		if (r == REAP_KID)
			group_child_ended(g, k, ws);
		reaped = 1;
	}
	if (r == REAP_CHILDLESS)
		g->childless = 1;
	/* A reaped process's own children are ours now: stop those too, at
	 * once, not at the kill timeout. */
	if (reaped && g->state == GROUP_KILLING)
		orphans_signal(&g->orphans, &g->kids, SIGKILL);
	else if (reaped && g->state == GROUP_STOPPING)
		orphans_signal(&g->orphans, &g->kids, SIGTERM);
	rollout_feed(&g->ro, ROLL_EV_RESUME, 0, 1);
}

static void group_became_ready(struct group *g, struct kid *k)
{
	k->ready = 1;
	log_info("%s pid=%d ready after %ld ms", k->name, (int)k->pid,
		 (long)clock_ms() - k->started_ms);
	if (k->role == KID_NEW && group_up(g)) {
		rollout_feed(&g->ro, ROLL_EV_READY, k->pid, 1);
		return;
	}
	if (k->role != KID_WORKER || g->state != GROUP_STARTING)
		return;
	g->unready--;
	if (g->spawned && g->unready == 0)
		group_on(g, GROUP_EV_READY, &group_no_cause);
}

/* A line a child sent to our notify socket (ready.h). */
static void group_on_notify(void *arg, pid_t pid, const char *line,
			    size_t len)
{
	struct group *g = arg;
	struct kid *k = kids_find(&g->kids, pid);

	if (!k || k->role == KID_FAILER) {
		log_debug("notify from pid %d, not a worker: %.*s", (int)pid,
			  (int)len, line);
		return;
	}
	log_debug("%s pid=%d notified %.*s", k->name, (int)pid, (int)len,
		  line);
	if (len == 7 && !memcmp(line, "READY=1", 7) && !k->ready)
		group_became_ready(g, k);
}

/* Whatever deadline passed: the group's, then each child's. */
static void group_on_timer(struct group *g)
{
	uint64_t ticks;
	long now = (long)clock_ms();

	if (read(g->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_err("timerfd: %s", strerror(errno));
	if (g->deadline_ms && now >= g->deadline_ms) {
		g->deadline_ms = 0;
		group_on(g, GROUP_EV_TIMER, &group_no_cause);
	}
	/* By index: a new worker refused may start another and move the
	 * table. */
	for (size_t i = 0; i < g->kids.n; i++) {
		struct kid *k = &g->kids.k[i];
		if (!k->alive || !k->deadline_ms || now < k->deadline_ms)
			continue;
		k->deadline_ms = 0;
		if (k->role == KID_RETIRING) {
			log_warn("%s pid=%d still running " OPT_MS_FMT "s after "
				 "it was asked to stop", k->name, (int)k->pid,
				 OPT_MS_ARGS(g->cfg->kill_ms));
			kids_kill(k);
		} else if (k->role == KID_NEW && group_up(g)) {
			rollout_lost(&g->ro, k, NULL, 1);
		}
	}
}

int group_start(struct group *g, const struct config *c,
		struct spawn_plan *plan, int *fds)
{
	struct kid *k;
	int rc = 0;

	g->plan = g->ro.plan = plan;
	g->listen_fds = fds;
	g->ro.fds = fds;
	g->nlisten = c->nports;
	g->started_ms = (long)clock_ms();
	g->deadline_ms = g->started_ms + c->ready_ms;	/* the whole start */
	for (size_t i = 0; i < c->nports && rc == 0; i++) {
		for (long w = 1; w <= c->workers && rc == 0; w++) {
			if (!(k = group_spawn(g, i)))
				rc = -1;
			else if (c->ready_exec)
				k->ready = 1;
			else
				g->unready++;
		}
	}
	if (rc == 0 && c->fail_after_ms >= 0 &&
	    !launch_failer(&g->kids, plan, c->fail_after_ms))
		rc = -1;
	if (!plan->use_pidfd)
		log_info("no pidfds: watching children with SIGCHLD and kill(2)");
	g->spawned = 1;
	if (rc == 0 && g->unready == 0)
		group_on(g, GROUP_EV_READY, &group_no_cause);
	else if (rc < 0)
		group_on(g, GROUP_EV_BROKEN, &group_no_cause);
	return rc;
}

/* One timer for every deadline: the group's (the ready timeout while
 * starting, the kill timeout once stopping) and each new or retiring
 * child's.  Armed, before each wait, for the earliest. */
static void group_arm_timer(struct group *g)
{
	long at = g->deadline_ms, kid = kids_deadline(&g->kids);
	struct itimerspec its = { 0 };

	if (kid && (!at || kid < at))
		at = kid;
	its.it_value.tv_sec = at / 1000;
	its.it_value.tv_nsec = (at % 1000) * 1000000L;
	if (timerfd_settime(g->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("cannot arm the timer: %s", strerror(errno));
}

int group_run(struct group *g)
{
	struct epoll_event ev[16];
	int n, timer, status;

	group_reap(g);	/* a failed start may have left nothing to wait for */
	while (group_up(g) || !g->childless) {
		group_arm_timer(g);
		n = epoll_wait(g->epfd, ev, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			group_kill(g);
			sleep(1);	/* do not spin; SIGKILLed children go */
			group_reap(g);
			continue;
		}
		/* Signals first: a SIGTERM that is pending while a child's
		 * exit shows up in the same wake-up is the cause, not the
		 * exit (systemd signals the main process first).  SIGCHLD
		 * only wakes us: the reap below handles every exit. */
		group_read_signals(g, 1);
		timer = 0;
		for (int i = 0; i < n; i++) {
			timer |= ev[i].data.u64 == TAG_TIMER;
			if (ev[i].data.u64 == TAG_NOTIFY)
				ready_read(&g->rx, group_on_notify, g);
		}
		group_reap(g);
		if (timer) {
			/* A READY=1 may wait in a batch epoll cut short. */
			ready_read(&g->rx, group_on_notify, g);
			group_on_timer(g);
		}
	}
	group_close_listeners(g);
	orphans_free(&g->orphans);
	kids_free(&g->kids);
	status = g->status < 0 ? 0 : g->status;
	log_notice("exiting with status %d", status);
	return status;
}
