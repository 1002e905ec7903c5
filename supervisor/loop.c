/* loop: waiting, and reading what woke us into events (loop.h). */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/sig.h"
#include "launch.h"
#include "reap.h"
#include "sigs.h"

/* The tags of the loop's own descriptors; a pidfd's is its child's index
 * in the table. */
#define TAG_SIGNAL UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)
#define TAG_NOTIFY (UINT64_MAX - 2)

static const struct group_cause loop_no_cause;

static void loop_on_notify(void *arg, pid_t pid, const char *line,
			   size_t len);

static int loop_watch(struct loop *l, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int loop_init(struct loop *l, const struct config *c)
{
	memset(l, 0, sizeof *l);
	l->cfg = c;
	l->epfd = l->timerfd = l->rx.fd = -1;
	if ((l->sigfd = sigs_take()) < 0) {
		log_err("cannot take signals: %s", strerror(errno));
		return -1;
	}
	/* Orphans of our children are re-parented to us, not to init, so
	 * that we can reap them and kill them at the end. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->timerfd < 0 || ready_open(&l->rx) < 0 ||
	    loop_watch(l, l->sigfd, TAG_SIGNAL) < 0 ||
	    loop_watch(l, l->timerfd, TAG_TIMER) < 0 ||
	    loop_watch(l, l->rx.fd, TAG_NOTIFY) < 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	if (kids_init(&l->kids, c, l->epfd) < 0) {
		log_err("out of memory");
		return -1;
	}
	rollout_init(&l->ro, &l->kids, c);
	watch_init(&l->wd, c);
	group_init(&l->group, c, &l->kids, &l->orphans, &l->ro);
	return 0;
}

/* resume: whether the roll may begin what a request asks at once. */
static void loop_read_signals(struct loop *l, int resume)
{
	struct group_cause c = { .resume = resume };

	while ((c.sig = sigs_next(l->sigfd)) != 0) {
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
			group_on(&l->group, GROUP_EV_ROLL, &c);
			break;
		case SIGINT:
			group_on(&l->group, GROUP_EV_INT, &c);
			break;
		default:	/* SIGTERM, SIGQUIT */
			group_on(&l->group, GROUP_EV_TERM, &c);
			break;
		}
	}
}

/* Whose event an end is: none (a retired worker's), the roll's (a new
 * worker's) or the errgroup's. */
static void loop_child_ended(struct loop *l, struct kid *k, int ws)
{
	struct group *g = &l->group;
	int stop = k->role == KID_FAILER ? SIGTERM : l->cfg->stop_signal;
	struct group_cause c = {
		.k = k, .code = reap_code(ws), .clean = reap_clean(ws, stop),
	};
	char how[64];

	reap_how(ws, how, sizeof how);
	kids_gone(&l->kids, k);	/* k stays readable until a child starts */
	if (l->kids.alive == 0)
		group_on(g, GROUP_EV_EMPTY, &c);
	if (k->role == KID_RETIRING) {
		/* Asked to stop: whatever its status, no failure. */
		log_msg(c.clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
			"%s pid=%d %s after it was asked to stop", k->name,
			(int)k->pid, how);
		return;
	}
	/* An end unasked, or not clean, shows at warning: -q and
	 * journalctl -p warning see every crash. */
	log_msg(group_serving(g) || !c.clean ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
		"%s pid=%d %s", k->name, (int)k->pid, how);
	/* A stop that was asked for, its signal pending while the child's
	 * exit came in (systemd's KillMode=control-group signals every
	 * process at once), is not the child's failure.  A request read
	 * here is kept: nothing starts before the reap is done. */
	if (group_serving(g))
		loop_read_signals(l, 0);
	if (k->role != KID_NEW)
		group_on(g, c.clean ? GROUP_EV_QUIT : GROUP_EV_FAIL, &c);
	else if (group_up(g))	/* a new one that never served: no failure */
		rollout_lost(&l->ro, k, how, 0);  /* last: it may start one */
}

/* SIGCHLDs coalesce, and one pidfd wake-up may stand for several exits:
 * reap until nothing is left to reap. */
static void loop_reap(struct loop *l)
{
	enum reap_result r;
	struct kid *k;
	int ws, reaped = 0;

	while ((r = reap_next(&l->kids, &l->orphans, &k, &ws)) == REAP_KID ||
	       r == REAP_ORPHAN) {
		if (r == REAP_KID)
			loop_child_ended(l, k, ws);
		reaped = 1;
	}
	if (r == REAP_CHILDLESS)
		l->childless = 1;
	if (reaped)
		group_on(&l->group, GROUP_EV_REAPED, &loop_no_cause);
	rollout_feed(&l->ro, ROLL_EV_RESUME, 0, 1);
}

static void loop_became_ready(struct loop *l, struct kid *k)
{
	k->ready = 1;
	/* A READY=1 that comes once it was told to drain arms nothing; one
	 * in the stop delay does: the worker serves. */
	if (group_serving(&l->group) && k->role != KID_RETIRING)
		watch_begin(&l->wd, k);
	log_info("%s pid=%d ready after %ld ms", k->name, (int)k->pid,
		 (long)clock_ms() - k->started_ms);
	if (k->role == KID_NEW && group_up(&l->group)) {
		rollout_feed(&l->ro, ROLL_EV_READY, k->pid, 1);
		return;
	}
	if (k->role != KID_WORKER || l->group.state != GROUP_STARTING)
		return;
	l->unready--;
	if (l->spawned && l->unready == 0)
		group_on(&l->group, GROUP_EV_READY, &loop_no_cause);
}

/* A line a child sent to our notify socket (ready.h). */
static void loop_on_notify(void *arg, pid_t pid, const char *line,
			   size_t len)
{
	struct loop *l = arg;
	struct kid *k = kids_find(&l->kids, pid);

	if (!k || k->role == KID_FAILER) {
		log_debug("notify from pid %d, not a worker: %.*s", (int)pid,
			  (int)len, line);
		return;
	}
	log_debug("%s pid=%d notified %.*s", k->name, (int)pid, (int)len,
		  line);
	if (len == 7 && !memcmp(line, "READY=1", 7) && !k->ready)
		loop_became_ready(l, k);
	else if (len == 10 && !memcmp(line, "WATCHDOG=1", 10))
		watch_heard(k);
}

/* Whatever deadline passed: the group's, then each child's. */
static void loop_on_timer(struct loop *l)
{
	uint64_t ticks;
	long now = (long)clock_ms();

	if (read(l->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_err("timerfd: %s", strerror(errno));
	if (l->group.deadline_ms && now >= l->group.deadline_ms) {
		l->group.deadline_ms = 0;
		group_on(&l->group, GROUP_EV_TIMER, &loop_no_cause);
	}
	/* By index: a new worker refused may start another and move the
	 * table. */
	for (size_t i = 0; i < l->kids.n; i++) {
		struct kid *k = &l->kids.k[i];
		if (!k->alive || !k->deadline_ms || now < k->deadline_ms)
			continue;
		k->deadline_ms = 0;
		if (k->role == KID_RETIRING) {
			log_warn("%s pid=%d still running " OPT_MS_FMT "s after "
				 "it was asked to stop", k->name, (int)k->pid,
				 OPT_MS_ARGS(l->cfg->kill_ms));
			kids_kill(k);
		} else if (k->role == KID_NEW && group_up(&l->group)) {
			rollout_lost(&l->ro, k, NULL, 1);
		}
	}
	watch_on_timer(&l->wd, &l->kids, now);
}

int loop_start(struct loop *l, struct spawn_plan *plan, int *fds)
{
	const struct config *c = l->cfg;
	struct kid *k;
	int rc = 0;

	l->plan = l->ro.plan = plan;
	l->ro.fds = fds;
	group_begin(&l->group, fds);
	for (size_t i = 0; i < c->nports && rc == 0; i++) {
		for (long w = 1; w <= c->workers && rc == 0; w++) {
			/* Room in the queue for the READY=1 of those started
			 * before: many workers starting at once would fill
			 * it (notify.c).  Read before the fork, so that no
			 * READY=1 of this one is seen while it is added. */
			ready_read(&l->rx, loop_on_notify, l);
			k = launch_worker(&l->kids, plan, fds[i], i, KID_WORKER);
			if (!k)
				rc = -1;
			else if (c->ready_exec)
				k->ready = 1;
			else
				l->unready++;
		}
	}
	if (rc == 0 && c->fail_after_ms >= 0 &&
	    !launch_failer(&l->kids, plan, c->fail_after_ms))
		rc = -1;
	if (!plan->use_pidfd)
		log_info("no pidfds: watching children with SIGCHLD and kill(2)");
	l->spawned = 1;
	if (rc == 0 && l->unready == 0)
		group_on(&l->group, GROUP_EV_READY, &loop_no_cause);
	else if (rc < 0)
		group_on(&l->group, GROUP_EV_BROKEN, &loop_no_cause);
	return rc;
}

/* One timer for every deadline: the group's (the ready timeout while
 * starting, the kill timeout once stopping), each new or retiring
 * child's, and the watchdog's.  Armed, before each wait, for the earliest. */
static void loop_arm_timer(struct loop *l)
{
	long at = l->group.deadline_ms, kid = kids_deadline(&l->kids);
	long wd = watch_deadline(&l->wd, &l->kids);
	struct itimerspec its = { 0 };

	if (kid && (!at || kid < at))
		at = kid;
	if (wd && (!at || wd < at))
		at = wd;
	its.it_value.tv_sec = at / 1000;
	its.it_value.tv_nsec = (at % 1000) * 1000000L;
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("cannot arm the timer: %s", strerror(errno));
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[16];
	int n, timer, status;

	loop_reap(l);	/* a failed start may have left nothing to wait for */
	while (group_up(&l->group) || !l->childless) {
		loop_arm_timer(l);
		n = epoll_wait(l->epfd, ev, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			group_on(&l->group, GROUP_EV_STUCK, &loop_no_cause);
			sleep(1);	/* do not spin; SIGKILLed children go */
			loop_reap(l);
			continue;
		}
		/* Signals first: a SIGTERM that is pending while a child's
		 * exit shows up in the same wake-up is the cause, not the
		 * exit (systemd signals the main process first).  SIGCHLD
		 * only wakes us: the reap below handles every exit. */
		loop_read_signals(l, 1);
		timer = 0;
		for (int i = 0; i < n; i++) {
			timer |= ev[i].data.u64 == TAG_TIMER;
			if (ev[i].data.u64 == TAG_NOTIFY)
				ready_read(&l->rx, loop_on_notify, l);
		}
		loop_reap(l);
		if (timer) {
			/* A READY=1 may wait in a batch epoll cut short. */
			ready_read(&l->rx, loop_on_notify, l);
			loop_on_timer(l);
		}
	}
	status = group_end(&l->group);
	orphans_free(&l->orphans);
	kids_free(&l->kids);
	return status;
}
