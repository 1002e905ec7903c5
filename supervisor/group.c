#include "group.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../worker/listen.h"
#include "../worker/log.h"
#include "../worker/opt.h"
#include "children.h"
#include "../worker/notify.h"

#define TAG_SIGNAL UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)
#define TAG_NOTIFY (UINT64_MAX - 2)

static const int group_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

static void group_read_signals(struct group *g);

static long group_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* STARTING or RUNNING: not asked to stop yet. */
static int group_up(const struct group *g)
{
	return g->state == GROUP_STARTING || g->state == GROUP_RUNNING;
}

static const char *group_sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	static char buf[16];

	if (!n) {
		snprintf(buf, sizeof buf, "%d", sig);
		return buf;
	}
	snprintf(buf, sizeof buf, "SIG%s", n);
	return buf;
}

/* A shell starts background jobs with SIGINT ignored, and an ignored
 * signal is dropped even while blocked, so set every disposition we rely
 * on before blocking: an ignored SIGCHLD would even reap for us. */
static int group_take_signals(struct group *g)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof group_signals / sizeof *group_signals; i++) {
		if (sigaction(group_signals[i], &dfl, NULL) < 0)
			return -1;
		sigaddset(&set, group_signals[i]);
	}
	/* A reader of our stderr that goes away must not kill us. */
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		return -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	g->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return g->sigfd < 0 ? -1 : 0;
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
	g->epfd = g->sigfd = g->timerfd = g->rx.fd = -1;
	g->status = -1;
	g->kill_ms = c->kill_ms;
	g->cap = c->nports * (size_t)c->workers + (c->fail_after_ms >= 0);
	if (!(g->kids = calloc(g->cap, sizeof *g->kids))) {
		log_err("out of memory");
		return -1;
	}
	if (group_take_signals(g) < 0) {
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
	return 0;
}

static void group_signal_child(struct child *k, int sig)
{
	int r;

	/* Through the pidfd the signal cannot reach a recycled pid.  Without
	 * one, kill(2) is still safe: a child we have not reaped keeps its
	 * pid, and k->alive is cleared when we reap it. */
	if (k->pidfd >= 0)
		r = (int)syscall(SYS_pidfd_send_signal, k->pidfd, sig, NULL, 0);
	else
		r = kill(k->pid, sig);
	if (r < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send %s: %s", k->name, (int)k->pid,
			 group_sig_name(sig), strerror(errno));
	else
		log_info("sent %s to %s pid=%d", group_sig_name(sig), k->name,
			 (int)k->pid);
}

static struct child *group_find(struct group *g, pid_t pid)
{
	for (size_t i = 0; i < g->nkids; i++)
		if (g->kids[i].alive && g->kids[i].pid == pid)
			return &g->kids[i];
	return NULL;
}

/* Signal every adopted orphan: the processes that are our children but
 * none of the group's.  Unreaped, they keep their pids, so kill(2) is safe. */
static void group_signal_orphans(struct group *g, int sig)
{
	pid_t *pids = children_list("/proc", getpid());

	if (!pids) {
		log_warn("cannot list adopted orphans: %s", errno == EXDEV ?
			 "/proc is another pid namespace's (mount one)" :
			 strerror(errno));
		return;
	}
	for (pid_t *p = pids; *p; p++)
		if (!group_find(g, *p) && kill(*p, sig) == 0)
			log_info("sent %s to orphan pid=%d", group_sig_name(sig),
				 (int)*p);
	free(pids);
}

/* One timer serves both deadlines: the ready timeout while starting, the
 * kill timeout once stopping (which replaces it). */
static void group_arm_timer(struct group *g, long ms)	/* 0: disarm */
{
	struct itimerspec its = {
		.it_value.tv_sec = ms / 1000,
		.it_value.tv_nsec = (ms % 1000) * 1000000L,
	};

	if (timerfd_settime(g->timerfd, 0, &its, NULL) < 0)
		log_err("cannot arm the timer: %s", strerror(errno));
}

/* One datagram: systemd shows STATUS= in `systemctl status`. */
static void group_notify(const char *state, const char *status)
{
	char msg[600];

	snprintf(msg, sizeof msg, "%s\nSTATUS=%s", state, status);
	notify_send(msg);
}

static void group_kill(struct group *g)
{
	g->state = GROUP_KILLING;
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (!k->alive)
			continue;
		/* The whole process group: what a worker started dies too.
		 * Its leader is unreaped, so the group id is still ours. */
		if (killpg(k->pid, SIGKILL) == 0)
			log_info("sent SIGKILL to %s pid=%d and its process group",
				 k->name, (int)k->pid);
		else
			group_signal_child(k, SIGKILL);
	}
	group_signal_orphans(g, SIGKILL);
}

/* Before any worker is asked to stop: the workers hold these sockets too,
 * and each one empties the accept queue before it closes its copy, so a
 * client whose handshake completed is answered, not reset.  Only the owner
 * may do this (listen.h); a refusal (some containers) is not fatal. */
static void group_close_doors(struct group *g)
{
	int told = 0;

	for (size_t i = 0; i < g->nlisten; i++)
		if (listen_block_handshakes(g->listen_fds[i]) < 0 && !told) {
			log_info("cannot filter the listening sockets (%s): "
				 "going on without", strerror(errno));
			told = 1;
		}
}

static void group_close_listeners(struct group *g)
{
	for (size_t i = 0; i < g->nlisten; i++)
		close(g->listen_fds[i]);
	g->nlisten = 0;
}

/* why: the cause, for the log and `systemctl status`. */
static void group_stop(struct group *g, const char *why)
{
	char status[300];

	g->state = GROUP_STOPPING;
	log_notice("stopping: %s", why);
	snprintf(status, sizeof status, "stopping: %s", why);
	group_notify("STOPPING=1", status);
	group_close_doors(g);
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (k->alive)
			group_signal_child(k, k->worker ? g->cfg->stop_signal
							: SIGTERM);
	}
	group_signal_orphans(g, SIGTERM);
	group_arm_timer(g, g->kill_ms);	/* 0 disarms the ready timeout */
	if (g->kill_ms == 0)
		group_kill(g);
}

/* 128 + signal for a death by signal, as shells report it. */
static int group_status_code(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void group_child_ended(struct group *g, struct child *k, int ws)
{
	k->alive = 0;
	g->alive--;
	/* Deleted by hand: a copy of the pidfd held elsewhere (by a child,
	 * for a moment) would keep the dead, readable pidfd in the set. */
	if (k->pidfd >= 0) {
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, k->pidfd, NULL);
		close(k->pidfd);
	}
	k->pidfd = -1;
	if (g->alive == 0)
		group_close_listeners(g);	/* nobody left to serve them */
	if (WIFEXITED(ws))
		log_info("%s pid=%d exited with status %d", k->name,
			 (int)k->pid, WEXITSTATUS(ws));
	else
		log_info("%s pid=%d killed by %s", k->name, (int)k->pid,
			 group_sig_name(WTERMSIG(ws)));
	/* A stop that was asked for, its signal pending while the child's
	 * exit came in (systemd's KillMode=control-group signals every
	 * process at once), is not the child's failure. */
	if (group_up(g))
		group_read_signals(g);
	if (group_up(g)) {
		/* A server that stops serving unasked has failed, even with
		 * status 0. */
		char why[128];
		int code = group_status_code(ws);
		g->status = code ? code : 1;
		snprintf(why, sizeof why, "%s pid=%d ended while the group was "
			 "%s", k->name, (int)k->pid,
			 g->state == GROUP_STARTING ? "starting" : "running");
		group_stop(g, why);
		return;
	}
	/* Stopping: exit 0 and death by the signal we sent are clean. */
	int clean = WIFEXITED(ws) ? WEXITSTATUS(ws) == 0
				  : WTERMSIG(ws) == SIGTERM ||
				    (k->worker &&
				     WTERMSIG(ws) == g->cfg->stop_signal);
	if (!clean && g->status < 0)
		g->status = group_status_code(ws);
	if (g->alive == 0 && g->state == GROUP_STOPPING)
		group_signal_orphans(g, SIGTERM);
}

/* SIGCHLDs coalesce, and one pidfd wake-up may stand for several exits:
 * reap until nothing is left to reap. */
static void group_reap(struct group *g)
{
	int ws, reaped = 0;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &ws, WNOHANG);
		if (pid == 0)
			break;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				g->childless = 1;
			else
				log_err("waitpid: %s", strerror(errno));
			break;
		}
		struct child *k = group_find(g, pid);
		if (k)
			group_child_ended(g, k, ws);
		else
			log_info("reaped orphan pid=%d (status %d)", (int)pid,
				 group_status_code(ws));
		reaped = 1;
	}
	/* A reaped process's own children are ours now: kill those too. */
	if (reaped && g->state == GROUP_KILLING)
		group_signal_orphans(g, SIGKILL);
}

static void group_on_signal(struct group *g, int sig, pid_t from)
{
	if (sig == SIGCHLD)
		return;		/* the loop reaps after reading signals */
	log_info("received %s from pid %d", group_sig_name(sig), (int)from);
	if (sig == SIGHUP) {
		log_notice("SIGHUP ignored: rolling restart is not implemented");
	} else if (group_up(g)) {
		group_stop(g, group_sig_name(sig));
	} else if (sig == SIGINT && g->state == GROUP_STOPPING) {
		log_notice("second SIGINT: killing every child now");
		group_kill(g);
	} else {
		log_info("%s ignored: already stopping", group_sig_name(sig));
	}
}

static void group_read_signals(struct group *g)
{
	struct signalfd_siginfo si;
	ssize_t r;

	for (;;) {
		r = read(g->sigfd, &si, sizeof si);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof si) {
			if (r < 0 && errno != EAGAIN)
				log_err("signalfd: %s", strerror(errno));
			return;
		}
		group_on_signal(g, (int)si.ssi_signo, (pid_t)si.ssi_pid);
	}
}

/* Every worker is ready: tell the service manager, with a status line. */
static void group_running(struct group *g)
{
	const struct config *c = g->cfg;
	long n = c->workers * (long)c->nports;
	char status[300];

	g->state = GROUP_RUNNING;
	group_arm_timer(g, 0);
	snprintf(status, sizeof status, "serving: %ld worker%s on %zu port%s "
		 "(%ld per port)", n, n == 1 ? "" : "s", c->nports,
		 c->nports == 1 ? "" : "s", c->workers);
	log_info("%s, all ready after %ld ms", status,
		 group_now_ms() - g->started_ms);
	group_notify("READY=1", status);
}

static void group_ready_timeout(struct group *g)
{
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (k->alive && k->worker && !k->ready)
			log_err("%s pid=%d: not ready after " OPT_MS_FMT "s: no "
				"READY=1 on its NOTIFY_SOCKET (--ready exec is "
				"for programs that never notify)", k->name,
				(int)k->pid, OPT_MS_ARGS(g->cfg->ready_ms));
	}
	g->status = 1;	/* a start-up failure */
	group_stop(g, "a worker was not ready in time");
}

/* A line a child sent to our notify socket (ready.h). */
static void group_on_notify(void *arg, pid_t pid, const char *line,
			    size_t len)
{
	struct group *g = arg;
	struct child *k = group_find(g, pid);

	if (!k || !k->worker) {
		log_debug("notify from pid %d, not a worker: %.*s", (int)pid,
			  (int)len, line);
		return;
	}
	log_debug("%s pid=%d notified %.*s", k->name, (int)pid, (int)len,
		  line);
	if (len != 7 || memcmp(line, "READY=1", 7) || k->ready)
		return;
	k->ready = 1;
	g->unready--;
	log_info("%s pid=%d ready after %ld ms", k->name, (int)pid,
		 group_now_ms() - g->started_ms);
	if (g->state == GROUP_STARTING && g->spawned && g->unready == 0)
		group_running(g);
}

static void group_on_timer(struct group *g)
{
	uint64_t ticks;

	if (read(g->timerfd, &ticks, sizeof ticks) < 0)
		return;		/* EAGAIN: disarmed meanwhile */
	if (g->state == GROUP_STARTING) {
		group_ready_timeout(g);
		return;
	}
	if (g->state != GROUP_STOPPING)
		return;
	log_notice("kill timeout of " OPT_MS_FMT "s ran out",
		   OPT_MS_ARGS(g->kill_ms));
	group_kill(g);
}

static int group_add(struct group *g, const char *name, pid_t pid, int pidfd,
		     int worker)
{
	struct child *k = &g->kids[g->nkids++];

	snprintf(k->name, sizeof k->name, "%s", name);
	k->pid = pid;
	k->pidfd = pidfd;
	k->alive = 1;
	k->worker = worker;
	/* The failing child is never waited for. */
	k->ready = !worker || g->cfg->ready_exec;
	g->unready += !k->ready;
	g->alive++;
	if (pidfd >= 0 && group_watch(g, pidfd, (uint64_t)(k - g->kids)) < 0) {
		log_err("%s pid=%d: epoll_ctl: %s", name, (int)pid,
			strerror(errno));
		return -1;	/* still alive: the stop will signal it */
	}
	return 0;
}

int group_start(struct group *g, const struct config *c,
		struct spawn_plan *plan, int *fds)
{
	char name[32], err[256];
	int pidfd, rc = 0;
	pid_t pid;

	g->listen_fds = fds;
	g->nlisten = c->nports;
	g->started_ms = group_now_ms();
	group_arm_timer(g, c->ready_ms);	/* for the whole start */
	for (size_t i = 0; i < c->nports && rc == 0; i++) {
		for (long w = 1; w <= c->workers && rc == 0; w++) {
			snprintf(name, sizeof name, "worker:%u#%ld",
				 c->ports[i].port, w);
			pid = spawn_worker(plan, name, &c->ports[i], fds[i],
					   &pidfd, err, sizeof err);
			if (pid < 0)
				log_err("%s: %s", name, err);
			if (pid < 0 || group_add(g, name, pid, pidfd, 1) < 0) {
				rc = -1;
				break;
			}
			log_info("%s pid=%d started on %s", name, (int)pid,
				 c->ports[i].text);
			/* Room in the queue for the next ones' READY=1. */
			ready_read(&g->rx, group_on_notify, g);
		}
	}
	if (rc == 0 && c->fail_after_ms >= 0) {
		pid = spawn_failer(plan, c->fail_after_ms, &pidfd, err, sizeof err);
		if (pid < 0)
			log_err("fail: %s", err);
		if (pid < 0 || group_add(g, "fail", pid, pidfd, 0) < 0) {
			rc = -1;
		} else {
			log_info("fail pid=%d started, exits 1 in " OPT_MS_FMT
				 "s", (int)pid, OPT_MS_ARGS(c->fail_after_ms));
		}
	}
	if (!plan->use_pidfd)
		log_info("no pidfds: watching children with SIGCHLD and kill(2)");
	g->spawned = 1;
	if (rc == 0) {
		if (g->unready == 0)
			group_running(g);
		return 0;
	}
	g->status = 1;	/* start-up failure, whatever the others do */
	group_stop(g, "start-up failure");
	return -1;
}

int group_run(struct group *g)
{
	struct epoll_event ev[16];
	int n;

	group_reap(g);	/* a failed start may have left nothing to wait for */
	while (!(!group_up(g) && g->childless)) {
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
		group_read_signals(g);
		int timer = 0;
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
	int status = g->status < 0 ? 0 : g->status;
	log_notice("exiting with status %d", status);
	return status;
}
