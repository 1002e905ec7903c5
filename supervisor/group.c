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

#include "../worker/lib/listen.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/clock.h"
#include "../worker/lib/sig.h"
#include "children.h"
#include "../worker/lib/notify.h"

#define TAG_SIGNAL UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)
#define TAG_NOTIFY (UINT64_MAX - 2)

/* Every signal whose default action would end or stop us, but SIGKILL,
 * SIGSTOP and the ones the kernel sends for a fault. */
static const int group_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGTTIN, SIGTTOU,
	SIGUSR1, SIGUSR2,
};

static void group_read_signals(struct group *g);

/* STARTING or RUNNING: not asked to stop yet. */
static int group_up(const struct group *g)
{
	return g->state == GROUP_STARTING || g->state == GROUP_RUNNING;
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
	/* Room for a restart's replacements too; SIGTTIN grows it. */
	g->cap = c->nports * (size_t)c->workers + 2;
	g->kids = calloc(g->cap, sizeof *g->kids);
	g->numbered = calloc(c->nports, sizeof *g->numbered);
	if (!g->kids || !g->numbered) {
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

/* Through the pidfd the signal cannot reach a recycled pid.  Without one,
 * kill(2) is still safe: a child we have not reaped keeps its pid, and
 * k->alive is cleared when we reap it. */
static int group_send(const struct child *k, int sig)
{
	if (k->pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, k->pidfd, sig, NULL, 0);
	return kill(k->pid, sig);
}

static void group_signal_child(struct child *k, int sig)
{
	int r = group_send(k, sig);

	if (r < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send %s: %s", k->name, (int)k->pid,
			 sig_name(sig), strerror(errno));
	else
		log_info("sent %s to %s pid=%d", sig_name(sig), k->name,
			 (int)k->pid);
}

struct child *group_find(struct group *g, pid_t pid)
{
	for (size_t i = 0; i < g->nkids; i++)
		if (g->kids[i].alive && g->kids[i].pid == pid)
			return &g->kids[i];
	return NULL;
}

/* Whether orphan pid has had sig (or SIGKILL) already; notes that it
 * has now. */
static int group_told(struct group *g, pid_t pid, int sig)
{
	struct orphan_told *t;

	for (size_t i = 0; i < g->ntold; i++) {
		if (g->told[i].pid != pid)
			continue;
		if (g->told[i].sig == sig || g->told[i].sig == SIGKILL)
			return 1;
		g->told[i].sig = sig;
		return 0;
	}
	if ((t = realloc(g->told, (g->ntold + 1) * sizeof *t))) {
		g->told = t;
		g->told[g->ntold++] = (struct orphan_told){ pid, sig };
	}
	return 0;
}

static void group_forget_orphan(struct group *g, pid_t pid)
{
	for (size_t i = 0; i < g->ntold; i++)
		if (g->told[i].pid == pid)
			g->told[i] = g->told[--g->ntold];
}

/* Signal every adopted orphan: the processes that are our children but
 * none of the group's.  Unreaped, they keep their pids, so kill(2) is safe.
 * Each signal goes once to each, so that it can be sent again whenever
 * more may have been adopted. */
static void group_signal_orphans(struct group *g, int sig)
{
	pid_t *pids = children_list("/proc", getpid());

	if (!pids) {
		log_warn("cannot list adopted orphans: %s", errno == EXDEV ?
			 "/proc is another pid namespace's (mount one)" :
			 strerror(errno));
		return;
	}
	for (pid_t *p = pids; *p; p++) {
		if (group_find(g, *p) || group_told(g, *p, sig))
			continue;
		if (sig == SIGTERM)
			(void)kill(*p, SIGCONT);	/* as to a child: first */
		if (kill(*p, sig) == 0)
			log_info("sent %s to orphan pid=%d",
				 sig_name(sig), (int)*p);
	}
	free(pids);
}

/* One timer for every deadline: the group's (the ready timeout while
 * starting, the kill timeout once stopping) and each new or retiring
 * child's.  Armed, before each wait, for the earliest. */
static void group_arm_timer(struct group *g)
{
	long at = g->deadline_ms;
	struct itimerspec its = { 0 };

	for (size_t i = 0; i < g->nkids; i++) {
		const struct child *k = &g->kids[i];
		if (k->alive && k->deadline_ms && (!at || k->deadline_ms < at))
			at = k->deadline_ms;
	}
	its.it_value.tv_sec = at / 1000;
	its.it_value.tv_nsec = (at % 1000) * 1000000L;
	if (timerfd_settime(g->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("cannot arm the timer: %s", strerror(errno));
}

size_t group_count(const struct group *g, size_t port, enum child_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nkids; i++)
		n += g->kids[i].alive && g->kids[i].role == role &&
		     g->kids[i].port == port;
	return n;
}

/* "serving: 4 workers on 2 ports (2 per port); last restart: ...", or
 * "(per port: 3 1)" once SIGTTIN or SIGTTOU made them differ. */
static void group_status(struct group *g, char *buf, size_t size)
{
	size_t total = 0, len, first = group_count(g, 0, CHILD_WORKER);
	int same = 1;

	for (size_t p = 0; p < g->cfg->nports; p++) {
		size_t n = group_count(g, p, CHILD_WORKER);
		total += n;
		same &= n == first;
	}
	len = (size_t)snprintf(buf, size, "serving: %zu worker%s on %zu "
			       "port%s (", total, total == 1 ? "" : "s",
			       g->cfg->nports, g->cfg->nports == 1 ? "" : "s");
	if (len < size)
		len += (size_t)(same ? snprintf(buf + len, size - len,
						"%zu per port", first)
				     : snprintf(buf + len, size - len,
						"per port:"));
	for (size_t p = 0; !same && p < g->cfg->nports && len < size; p++)
		len += (size_t)snprintf(buf + len, size - len, " %zu",
					group_count(g, p, CHILD_WORKER));
	if (len < size)
		snprintf(buf + len, size - len, ")%s%s",
			 g->roll.last[0] ? "; last restart: " : "",
			 g->roll.last);
}

/* One datagram: systemd shows STATUS= in `systemctl status`. */
void group_notify(struct group *g, const char *state, const char *status)
{
	char msg[700], own[400];

	if (!status) {
		group_status(g, own, sizeof own);
		status = own;
	}
	snprintf(msg, sizeof msg, "%s%sSTATUS=%s", state ? state : "",
		 state ? "\n" : "", status);
	notify_send(msg);
}

/* The whole process group: what a worker started dies too.  Its leader
 * is unreaped, so the group id is still ours. */
static void group_kill_child(struct child *k)
{
	if (killpg(k->pid, SIGKILL) == 0)
		log_warn("sent SIGKILL to %s pid=%d and its process group",
			 k->name, (int)k->pid);
	else
		group_signal_child(k, SIGKILL);
}

static void group_kill(struct group *g)
{
	g->state = GROUP_KILLING;
	for (size_t i = 0; i < g->nkids; i++)
		if (g->kids[i].alive)
			group_kill_child(&g->kids[i]);
	group_signal_orphans(g, SIGKILL);
}

/* A stopped process cannot act on a signal, so SIGCONT goes with it, as
 * systemd sends it, but first: a SIGCONT discards every pending stop
 * signal, and one sent after SIGTERM could discard the SIGSTOP of a
 * ptrace attach that the exiting child began meanwhile (LeakSanitizer's
 * at exit, a debugger's), which then waits for a stop that never comes. */
static void group_ask_stop(struct child *k, int sig)
{
	if (group_send(k, SIGCONT) < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send SIGCONT: %s", k->name,
			 (int)k->pid, strerror(errno));
	group_signal_child(k, sig);
}

void group_retire(struct group *g, struct child *k)
{
	k->role = CHILD_RETIRING;
	k->deadline_ms = (long)clock_ms() + (g->kill_ms ? g->kill_ms : 1);
	group_ask_stop(k, g->cfg->stop_signal);
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
	roll_abort(g);
	log_notice("stopping: %s", why);
	snprintf(status, sizeof status, "stopping: %s", why);
	group_notify(g, "STOPPING=1", status);
	group_close_doors(g);
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (k->alive)
			group_ask_stop(k, k->role == CHILD_FAILER ?
				       SIGTERM : g->cfg->stop_signal);
	}
	group_signal_orphans(g, SIGTERM);
	g->deadline_ms = (long)clock_ms() + g->kill_ms;	/* ends the ready one */
	if (g->kill_ms == 0)
		group_kill(g);
}

/* 128 + signal for a death by signal, as shells report it. */
static int group_status_code(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* "exited with status 3", "killed by SIGSEGV"; clean: exit 0, or death by
 * the signal we stop it with. */
static const char *group_describe(const struct group *g,
				  const struct child *k, int ws, int *clean)
{
	static char how[64];

	if (WIFEXITED(ws)) {
		*clean = WEXITSTATUS(ws) == 0;
		snprintf(how, sizeof how, "exited with status %d",
			 WEXITSTATUS(ws));
	} else {
		*clean = WTERMSIG(ws) == SIGTERM ||
			 (k->role != CHILD_FAILER &&
			  WTERMSIG(ws) == g->cfg->stop_signal);
		snprintf(how, sizeof how, "killed by %s",
			 sig_name(WTERMSIG(ws)));
	}
	return how;
}

static void group_child_ended(struct group *g, struct child *k, int ws)
{
	int clean;
	const char *how = group_describe(g, k, ws, &clean);

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
	if (g->alive == 0 && g->state == GROUP_STOPPING)
		group_signal_orphans(g, SIGTERM);
	if (k->role == CHILD_RETIRING) {
		/* Asked to stop: whatever its status, no failure. */
		log_msg(clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
			"%s pid=%d %s after it was asked to stop", k->name,
			(int)k->pid, how);
		return;
	}
	/* An end unasked, or not clean, shows at warning: -q and
	 * journalctl -p warning see every crash. */
	log_msg(group_up(g) || !clean ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
		"%s pid=%d %s", k->name, (int)k->pid, how);
	/* A stop that was asked for, its signal pending while the child's
	 * exit came in (systemd's KillMode=control-group signals every
	 * process at once), is not the child's failure.  (A SIGHUP read
	 * here only waits: nothing is started while reaping, so k stays.) */
	if (group_up(g))
		group_read_signals(g);
	if (k->role == CHILD_NEW) {
		/* A replacement never served: refused, or stopped with the
		 * group, it is no failure. */
		if (group_up(g))
			roll_refuse(g, k, how);	/* may move g->kids */
		return;
	}
	if (group_up(g)) {
		/* A server that stops serving unasked has failed, even with
		 * status 0. */
		char why[200];
		int code = group_status_code(ws);
		g->status = code ? code : 1;
		snprintf(why, sizeof why, "%s pid=%d ended while the group was "
			 "%s", k->name, (int)k->pid,
			 g->state == GROUP_STARTING ? "starting" : "running");
		group_stop(g, why);
		return;
	}
	if (!clean && g->status < 0)
		g->status = group_status_code(ws);
}

/* SIGCHLDs coalesce, and one pidfd wake-up may stand for several exits:
 * reap until nothing is left to reap. */
static void group_reap(struct group *g)
{
	int ws, reaped = 0;
	pid_t pid;

	g->reaping = 1;
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
		if (k) {
			group_child_ended(g, k, ws);
		} else {
			log_info("reaped orphan pid=%d (status %d)", (int)pid,
				 group_status_code(ws));
			group_forget_orphan(g, pid);	/* its pid may return */
		}
		reaped = 1;
	}
	g->reaping = 0;
	/* A reaped process's own children are ours now: stop those too, at
	 * once, not at the kill timeout. */
	if (reaped && g->state == GROUP_KILLING)
		group_signal_orphans(g, SIGKILL);
	else if (reaped && g->state == GROUP_STOPPING)
		group_signal_orphans(g, SIGTERM);
	roll_resume(g);		/* what came while reaping */
}

static void group_on_signal(struct group *g, int sig, pid_t from)
{
	if (sig == SIGCHLD)
		return;		/* the loop reaps after reading signals */
	/* pid 0: the kernel sent it (a terminal's Ctrl-C, for one). */
	if (from > 0)
		log_info("received %s from pid %d", sig_name(sig),
			 (int)from);
	else
		log_info("received %s from the kernel (a terminal?)",
			 sig_name(sig));
	if (sig == SIGUSR1 || sig == SIGUSR2) {
		log_info("%s ignored", sig_name(sig));
	} else if (sig == SIGHUP || sig == SIGTTIN || sig == SIGTTOU) {
		if (group_up(g))
			roll_request(g, sig);
		else
			log_info("%s ignored: stopping", sig_name(sig));
	} else if (group_up(g)) {
		group_stop(g, sig_name(sig));
	} else if (sig == SIGINT && g->state == GROUP_STOPPING) {
		log_notice("second SIGINT: killing every child now");
		group_kill(g);
	} else {
		log_info("%s ignored: already stopping", sig_name(sig));
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
	char status[400];

	g->state = GROUP_RUNNING;
	g->deadline_ms = 0;
	group_status(g, status, sizeof status);
	log_info("%s, all ready after %ld ms", status,
		 (long)clock_ms() - g->started_ms);
	group_notify(g, "READY=1", status);
	roll_resume(g);		/* a SIGHUP that came during the start */
}

static void group_ready_timeout(struct group *g)
{
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (k->alive && k->role == CHILD_WORKER && !k->ready)
			log_err("%s pid=%d: not ready after " OPT_MS_FMT "s: no "
				"READY=1 on its NOTIFY_SOCKET (--ready exec is "
				"for programs that never notify)", k->name,
				(int)k->pid, OPT_MS_ARGS(g->cfg->ready_ms));
	}
	g->status = 1;	/* a start-up failure */
	group_stop(g, "a worker was not ready in time");
}

static void group_became_ready(struct group *g, struct child *k)
{
	k->ready = 1;
	log_info("%s pid=%d ready after %ld ms", k->name, (int)k->pid,
		 (long)clock_ms() - k->started_ms);
	if (k->role == CHILD_NEW && group_up(g)) {
		roll_on_ready(g, k);	/* may move g->kids */
		return;
	}
	if (k->role != CHILD_WORKER || g->state != GROUP_STARTING)
		return;
	g->unready--;
	if (g->spawned && g->unready == 0)
		group_running(g);
}

/* A line a child sent to our notify socket (ready.h). */
static void group_on_notify(void *arg, pid_t pid, const char *line,
			    size_t len)
{
	struct group *g = arg;
	struct child *k = group_find(g, pid);

	if (!k || k->role == CHILD_FAILER) {
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
		if (g->state == GROUP_STARTING) {
			group_ready_timeout(g);
		} else if (g->state == GROUP_STOPPING) {
			log_warn("kill timeout of " OPT_MS_FMT "s ran out",
				 OPT_MS_ARGS(g->kill_ms));
			group_kill(g);
		}
	}
	/* By index: roll_refuse may start a child and move g->kids. */
	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (!k->alive || !k->deadline_ms || now < k->deadline_ms)
			continue;
		k->deadline_ms = 0;
		if (k->role == CHILD_RETIRING) {
			log_warn("%s pid=%d still running " OPT_MS_FMT "s after "
				 "it was asked to stop", k->name, (int)k->pid,
				 OPT_MS_ARGS(g->kill_ms));
			group_kill_child(k);
		} else if (k->role == CHILD_NEW && group_up(g)) {
			roll_refuse(g, k, NULL);
		}
	}
}

/* A free entry (one whose child was reaped), else a larger array. */
static struct child *group_slot(struct group *g)
{
	for (size_t i = 0; i < g->nkids; i++)
		if (!g->kids[i].alive && g->kids[i].pidfd < 0)
			return &g->kids[i];
	if (g->nkids == g->cap) {
		struct child *k = realloc(g->kids, 2 * g->cap * sizeof *k);
		if (!k)
			return NULL;
		g->kids = k;
		g->cap *= 2;
	}
	return &g->kids[g->nkids++];
}

static struct child *group_add(struct group *g, const char *name, pid_t pid,
			       int pidfd, enum child_role role, size_t port)
{
	struct child *k = group_slot(g);

	if (!k) {
		log_err("%s pid=%d: out of memory", name, (int)pid);
		kill(pid, SIGKILL);	/* reaped as an orphan */
		if (pidfd >= 0)
			close(pidfd);
		return NULL;
	}
	memset(k, 0, sizeof *k);
	snprintf(k->name, sizeof k->name, "%s", name);
	k->pid = pid;
	k->pidfd = pidfd;
	k->alive = 1;
	k->role = role;
	k->port = port;
	k->started_ms = (long)clock_ms();
	g->alive++;
	if (pidfd >= 0 && group_watch(g, pidfd, (uint64_t)(k - g->kids)) < 0) {
		log_err("%s pid=%d: epoll_ctl: %s", name, (int)pid,
			strerror(errno));
		group_kill_child(k);	/* SIGCHLD brings its end */
		return NULL;
	}
	return k;
}

/* "8888", or "[::1]:8888" when another address has the same port: no two
 * workers share a name. */
static const char *group_port_name(const struct group *g, size_t port)
{
	static char num[8];
	const struct listen_addr *a = &g->cfg->ports[port];

	for (size_t i = 0; i < g->cfg->nports; i++)
		if (i != port && g->cfg->ports[i].port == a->port)
			return a->text;
	snprintf(num, sizeof num, "%u", a->port);
	return num;
}

struct child *group_spawn(struct group *g, size_t port, enum child_role role)
{
	const struct listen_addr *a = &g->cfg->ports[port];
	char name[112], err[256];
	struct child *k;
	int pidfd;
	pid_t pid;

	/* Room in the queue for the READY=1 of those started before: many
	 * workers starting at once would fill it (notify.c).  Read before
	 * the fork, so that no READY=1 of this one is seen while it is
	 * being added. */
	ready_read(&g->rx, group_on_notify, g);
	snprintf(name, sizeof name, "worker:%s#%ld", group_port_name(g, port),
		 ++g->numbered[port]);
	pid = spawn_worker(g->plan, name, a, g->listen_fds[port], &pidfd, err,
			   sizeof err);
	if (pid < 0) {
		log_err("%s: %s", name, err);
		return NULL;
	}
	if (!(k = group_add(g, name, pid, pidfd, role, port)))
		return NULL;
	k->seq = g->numbered[port];
	log_info("%s pid=%d started on %s", name, (int)pid, a->text);
	return k;
}

int group_start(struct group *g, const struct config *c,
		struct spawn_plan *plan, int *fds)
{
	char err[256];
	int pidfd, rc = 0;
	struct child *k;
	pid_t pid;

	g->plan = plan;
	g->listen_fds = fds;
	g->nlisten = c->nports;
	g->started_ms = (long)clock_ms();
	g->deadline_ms = g->started_ms + c->ready_ms;	/* the whole start */
	for (size_t i = 0; i < c->nports && rc == 0; i++) {
		for (long w = 1; w <= c->workers && rc == 0; w++) {
			if (!(k = group_spawn(g, i, CHILD_WORKER)))
				rc = -1;
			else if (c->ready_exec)
				k->ready = 1;
			else
				g->unready++;
		}
	}
	if (rc == 0 && c->fail_after_ms >= 0) {
		pid = spawn_failer(plan, c->fail_after_ms, &pidfd, err, sizeof err);
		if (pid < 0)
			log_err("fail: %s", err);
		if (pid < 0 || !(k = group_add(g, "fail", pid, pidfd,
					      CHILD_FAILER, 0))) {
			rc = -1;
		} else {
			k->ready = 1;	/* never waited for */
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
	roll_free(&g->roll);
	free(g->told);
	int status = g->status < 0 ? 0 : g->status;
	log_notice("exiting with status %d", status);
	return status;
}
