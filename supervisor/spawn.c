/* spawn: fork and exec one child, with only what it may inherit (spawn.h). */
#include "spawn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/fdlimit.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* What a child reports through its close-on-exec pipe when a step before
 * exec fails; an exec that succeeds closes the pipe with nothing written. */
struct spawn_failure {
	int step;
	int err;
};

enum spawn_step { STEP_PARENT, STEP_GROUPS, STEP_GID, STEP_UID, STEP_EXEC };
static const char *const spawn_step_names[] = {
	"supervisor died", "setgroups", "setgid", "setuid", "exec",
};

/* access(2) alone passes a directory, and root passes any x bit. */
static int spawn_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* Our own directory's parent: /usr/bin/supervisor gives /usr, the build
 * tree's supervisor/supervisor gives the tree, /supervisor gives "" (so
 * that a path built on it starts with one slash).  No /proc: trust
 * argv[0]. */
static void spawn_own_prefix(char *dir, size_t size, const char *self)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (len < 0 && !realpath(self, exe))
		snprintf(exe, sizeof exe, "%s", self);
	else if (len >= 0)
		exe[len] = '\0';
	snprintf(dir, size, "%s", exe);
	for (int up = 0; up < 2; up++) {
		if (!(slash = strrchr(dir, '/'))) {
			snprintf(dir, size, ".");
			return;
		}
		*slash = '\0';
	}
}

/* Where -W is not given: where `make install` puts it, PREFIX/libexec/
 * prefork-supervisor/worker (a plain "worker" on PATH could be anything),
 * then the build tree's worker/worker.  A -W name without a slash is
 * looked up in PATH, as the shell would. */
static int spawn_find_worker(struct spawn_plan *p, const char *want,
			     const char *self, char *tried, size_t tried_len)
{
	static const char default_path[] = "/usr/local/bin:/usr/bin:/bin";
	char dir[PATH_MAX];
	const char *path = getenv("PATH") ? getenv("PATH") : default_path;
	size_t n;

	tried[0] = '\0';
	if (want && strchr(want, '/')) {
		snprintf(p->worker, sizeof p->worker, "%s", want);
		return spawn_executable(want) ? 0 : -1;
	}
	if (!want) {
		spawn_own_prefix(dir, sizeof dir, self);
		snprintf(p->worker, sizeof p->worker,
			 "%s/libexec/prefork-supervisor/worker", dir);
		if (spawn_executable(p->worker))
			return 0;
		snprintf(tried, tried_len, "%s", p->worker);
		snprintf(p->worker, sizeof p->worker, "%s/worker/worker", dir);
		if (spawn_executable(p->worker))
			return 0;
		n = strlen(tried);
		snprintf(tried + n, tried_len - n, ", %s", p->worker);
		errno = ENOENT;
		return -1;
	}
	snprintf(tried, tried_len, "PATH=%s", path);
	for (; *path; path += n + (path[n] == ':')) {
		n = strcspn(path, ":");
		snprintf(p->worker, sizeof p->worker, "%.*s/%s", (int)n,
			 n ? path : ".", want);
		if (spawn_executable(p->worker))
			return 0;
	}
	snprintf(p->worker, sizeof p->worker, "%s", want);
	errno = ENOENT;
	return -1;
}

static int spawn_find_user(struct spawn_plan *p, const char *name)
{
	struct passwd *pw;
	int n = 32;

	errno = 0;
	if (!(pw = getpwnam(name))) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	for (;;) {
		gid_t *g = realloc(p->groups, (size_t)n * sizeof *g);
		if (!g)
			return -1;
		p->groups = g;
		int want = n;
		if (getgrouplist(name, p->gid, g, &want) >= 0) {
			p->ngroups = want;
			break;
		}
		if (want <= n)
			return -1;
		n = want;
	}
	p->as_user = 1;
	return 0;
}

static int spawn_inherited_var(const char *v)
{
	static const char *const drop[] = {
		"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=",
		"LISTEN_PIDFDID=", "NOTIFY_SOCKET=", "WORKER_NAME=",
		"WORKER_ADDR=", "WORKER_PORT=",
		"WATCHDOG_USEC=", "WATCHDOG_PID=",	/* ours, not theirs */
		"FDSTORE=",	/* systemd's store is ours: theirs is no store */
	};
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
		if (!strncmp(v, drop[i], strlen(drop[i])))
			return 0;
	return 1;
}

static int spawn_build_env(struct spawn_plan *p, const struct config *c)
{
	size_t n = 0, k = 0;

	while (environ[n])
		n++;
	if (!(p->envp = calloc(n + 10, sizeof *p->envp)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (spawn_inherited_var(environ[i]))
			p->envp[k++] = environ[i];
	strcpy(p->listen_pid, "LISTEN_PID=");
	p->envp[k++] = p->listen_pid;
	p->envp[k++] = "LISTEN_FDS=1";
	p->envp[k++] = "LISTEN_FDNAMES=http";
	p->envp[k++] = p->worker_name;
	p->envp[k++] = p->worker_addr;
	p->envp[k++] = p->worker_port;
	p->envp[k++] = p->notify;
	if (c->watchdog_ms) {	/* --watchdog: systemd's convention */
		snprintf(p->watchdog_usec, sizeof p->watchdog_usec,
			 "WATCHDOG_USEC=%lld", (long long)c->watchdog_ms * 1000);
		strcpy(p->watchdog_pid, "WATCHDOG_PID=");
		p->envp[k++] = p->watchdog_usec;
		p->envp[k++] = p->watchdog_pid;
	}
	p->envp[k] = NULL;
	return 0;
}

int spawn_prepare(struct spawn_plan *p, const struct config *c,
		  const char *self, const char *notify, char *err,
		  size_t errlen)
{
	int k = 0;

	memset(p, 0, sizeof *p);
	p->use_pidfd = !getenv("SUPERVISOR_NO_PIDFD");
	p->verbosity = c->verbosity;
	snprintf(p->notify, sizeof p->notify, "NOTIFY_SOCKET=%s", notify);
	p->want = c->command ? c->command[0] : c->worker_path;
	p->self = self;
	if (spawn_lookup(p, err, errlen) < 0)
		return -1;
	if (c->user && spawn_find_user(p, c->user) < 0) {
		snprintf(err, errlen, "--user %s: %s", c->user,
			 errno == ENOENT ? "no such user" : strerror(errno));
		return -1;
	}
	if (spawn_build_env(p, c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->command) {	/* exactly as given, argv[0] too */
		p->argv = c->command;
		return 0;
	}
	snprintf(p->drain, sizeof p->drain, OPT_MS_FMT, OPT_MS_ARGS(c->drain_ms));
	p->argv = p->wargv;
	p->argv[k++] = p->worker;
	p->argv[k++] = "--drain-timeout";
	p->argv[k++] = p->drain;
	if (c->stop_delay_ms > 0) {
		/* A second more: the supervisor ends the delay (SIGINT), the
		 * worker's own timer is a backstop only. */
		long ms = c->stop_delay_ms + 1000;
		if (ms > OPT_STOP_DELAY_MAX * 1000)
			ms = OPT_STOP_DELAY_MAX * 1000;
		snprintf(p->delay, sizeof p->delay, OPT_MS_FMT, OPT_MS_ARGS(ms));
		p->argv[k++] = "--stop-delay";
		p->argv[k++] = p->delay;
	}
	if (c->verbosity)
		p->argv[k++] = c->verbosity < 0 ? "--quiet" : "--verbose";
	p->argv[k] = NULL;
	return 0;
}

int spawn_lookup(struct spawn_plan *p, char *err, size_t errlen)
{
	char tried[2 * PATH_MAX + 8];

	if (spawn_find_worker(p, p->want, p->self, tried, sizeof tried) == 0)
		return 0;
	if (!p->want)
		snprintf(err, errlen, "cannot find the worker (looked for %s); "
			 "give --worker PATH", tried);
	else if (tried[0])
		snprintf(err, errlen, "cannot execute worker '%s': %s (looked "
			 "in %s)", p->worker, strerror(errno), tried);
	else
		snprintf(err, errlen, "cannot execute worker '%s': %s",
			 p->worker, strerror(errno));
	return -1;
}

void spawn_release(struct spawn_plan *p)
{
	free(p->envp);
	free(p->groups);
	p->envp = NULL;
	p->groups = NULL;
}

/* The child side, between fork and exec: only async-signal-safe calls. */

static _Noreturn void spawn_report(int fd, enum spawn_step step)
{
	struct spawn_failure f = { (int)step, errno };
	ssize_t r;

	if (fd >= 0)
		do
			r = write(fd, &f, sizeof f);
		while (r < 0 && errno == EINTR);
	_exit(127);
}

/* Back to the default action.  glibc's sigaction refuses the two signals
 * it reserves for its threads (32 and 33), yet an ignored one is passed
 * through exec like any other: those go through the system call itself. */
static void spawn_reset_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct {		/* the kernel's struct sigaction */
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} k = { SIG_DFL, 0, NULL, 0 };

	if (sigaction(sig, &dfl, NULL) == 0 || errno != EINVAL ||
	    sig == SIGKILL || sig == SIGSTOP)
		return;
	syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask);
}

static void spawn_child_setup(const struct spawn_plan *p, pid_t parent,
			      int report)
{
	sigset_t none;

	/* Ignored or caught dispositions and blocked signals survive exec:
	 * undo ours (SIGPIPE is ignored, four signals are blocked) and
	 * whatever we inherited. */
	for (int s = 1; s < NSIG; s++)
		spawn_reset_signal(s);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The parent also calls setpgid on us; whoever runs first wins, so
	 * killpg from the parent can never miss the group. */
	setpgid(0, 0);
	if (p->as_user) {
		if (setgroups((size_t)p->ngroups, p->groups) < 0)
			spawn_report(report, STEP_GROUPS);
		if (setgid(p->gid) < 0)
			spawn_report(report, STEP_GID);
		if (setuid(p->uid) < 0)
			spawn_report(report, STEP_UID);
		if (p->uid != 0 && setuid(0) == 0) {
			errno = EPERM;	/* root could be regained: refuse */
			spawn_report(report, STEP_UID);
		}
	}
	/* After the user change, which clears the parent-death signal.  If
	 * the supervisor died before prctl, no signal will ever come: the
	 * re-parented child sees another parent and gives up. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
		errno = ESRCH;
		spawn_report(report, STEP_PARENT);
	}
}

/* Every descriptor from fd up, whatever we inherited: close it, or with
 * CLOSE_RANGE_CLOEXEC only mark it close-on-exec. */
static void spawn_close_from(int fd, unsigned flags)
{
	if (syscall(SYS_close_range, (unsigned)fd, ~0U, flags) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);	/* kernel < 5.9, or 5.11 */
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (long i = fd; i < max; i++)
		if (flags)
			fcntl((int)i, F_SETFD, FD_CLOEXEC);
		else
			close((int)i);
}

static void spawn_put_pid(char *dst, pid_t pid)
{
	char digits[16];
	int n = 0;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	while (n > 0)
		*dst++ = digits[--n];
	*dst = '\0';
}

static _Noreturn void spawn_exec_worker(struct spawn_plan *p, pid_t parent,
					int listen_fd, int report)
{
	spawn_child_setup(p, parent, report);
	/* The socket goes to fd 3: move the report pipe out of its way. */
	if (report == 3 && (report = fcntl(3, F_DUPFD_CLOEXEC, 4)) < 0)
		spawn_report(-1, STEP_EXEC);
	/* dup2 leaves the new fd 3 without close-on-exec; when the socket is
	 * fd 3 already, dup2 would do nothing, so clear the flag by hand. */
	if (listen_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(listen_fd, 3) < 0)
		spawn_report(report, STEP_EXEC);
	spawn_close_from(4, CLOSE_RANGE_CLOEXEC);
	fdlimit_restore();	/* the program may use select(2) */
	spawn_put_pid(p->listen_pid + strlen("LISTEN_PID="), getpid());
	if (p->watchdog_pid[0])
		spawn_put_pid(p->watchdog_pid + strlen("WATCHDOG_PID="),
			      getpid());
	execve(p->worker, p->argv, p->envp);
	spawn_report(report, STEP_EXEC);
}

/* 0 when SIGTERM came within ms, 1 when the time ran out. */
static int spawn_failer_wait(long ms)
{
	uint64_t end = clock_ms() + (uint64_t)ms, now;
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	while ((now = clock_ms()) < end) {
		struct timespec left = {
			.tv_sec = (time_t)((end - now) / 1000),
			.tv_nsec = (long)((end - now) % 1000) * 1000000L,
		};
		if (sigtimedwait(&term, NULL, &left) == SIGTERM)
			return 0;
		if (errno == EAGAIN)
			return 1;
	}
	return 1;
}

static _Noreturn void spawn_run_failer(struct spawn_plan *p, pid_t parent,
				       long ms, int report)
{
	spawn_child_setup(p, parent, report);
	/* Keep nothing of the parent's: a listening socket held here would
	 * queue connections no worker will ever accept.  This also closes
	 * the report pipe, which tells the parent that the setup is done. */
	spawn_close_from(3, 0);
	int status = spawn_failer_wait(ms);
	log_init("supervisor", p->verbosity);
	if (status)
		log_info("fail: fork err (failing on purpose after "
			 OPT_MS_FMT "s)", OPT_MS_ARGS(ms));
	_exit(status);
}

/* The parent side. */

static int spawn_take_pidfd(struct spawn_plan *p, pid_t pid, int *pidfd)
{
	*pidfd = -1;
	if (!p->use_pidfd)
		return 0;
	/* Only this process calls waitpid, and not before this returns, so
	 * the child is unreaped and its pid cannot have been reused. */
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd >= 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	p->use_pidfd = 0;	/* kernel < 5.3: SIGCHLD and kill(2) */
	return 0;
}

/* What the child said through its report pipe: 0 when it closed with
 * nothing written (exec'd, or the failer's setup done), else -1 with the
 * reason in err. */
static int spawn_read_report(struct spawn_plan *p, int fd, char *err,
			     size_t errlen)
{
	struct spawn_failure f;
	ssize_t r;

	do
		r = read(fd, &f, sizeof f);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r == (ssize_t)sizeof f && f.step == STEP_EXEC)
		snprintf(err, errlen, "cannot execute worker '%s': %s",
			 p->worker, strerror(f.err));
	else if (r == (ssize_t)sizeof f)
		snprintf(err, errlen, "child setup failed at %s: %s",
			 spawn_step_names[f.step], strerror(f.err));
	else
		snprintf(err, errlen, "reading the exec status: %s",
			 r < 0 ? strerror(errno) : "short read");
	return -1;
}

/* A worker when listen_fd >= 0, else the failing child.  The parent
 * waits until the child has exec'd (or set itself up), so that a child
 * that cannot start is a start-up failure, reported and reaped here. */
static pid_t spawn_child(struct spawn_plan *p, int listen_fd, long fail_ms,
			 int *pidfd, char *err, size_t errlen)
{
	pid_t parent = getpid(), pid;
	int pipefd[2], rc;

	*pidfd = -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (listen_fd >= 0)
			spawn_exec_worker(p, parent, listen_fd, pipefd[1]);
		spawn_run_failer(p, parent, fail_ms, pipefd[1]);
	}
	close(pipefd[1]);
	setpgid(pid, pid);	/* EACCES once it has exec'd: it did it */
	if (spawn_take_pidfd(p, pid, pidfd) < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		rc = -1;
	} else {
		rc = spawn_read_report(p, pipefd[0], err, errlen);
	}
	close(pipefd[0]);
	if (rc == 0)
		return pid;
	if (*pidfd >= 0)
		close(*pidfd);
	*pidfd = -1;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* The numeric address and the port, for a program that must name them in
 * its own configuration (lighttpd's server.port = env.WORKER_PORT). */
static void spawn_put_addr(struct spawn_plan *p, const struct listen_addr *a)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN] = "";

	if (a->ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
	else
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
	snprintf(p->worker_addr, sizeof p->worker_addr, "WORKER_ADDR=%s", host);
	snprintf(p->worker_port, sizeof p->worker_port, "WORKER_PORT=%u",
		 a->port);
}

pid_t spawn_worker(struct spawn_plan *p, const char *name,
		   const struct listen_addr *a, int listen_fd, int *pidfd,
		   char *err, size_t errlen)
{
	snprintf(p->worker_name, sizeof p->worker_name, "WORKER_NAME=%s", name);
	spawn_put_addr(p, a);
	return spawn_child(p, listen_fd, 0, pidfd, err, errlen);
}

pid_t spawn_failer(struct spawn_plan *p, long ms, int *pidfd,
		   char *err, size_t errlen)
{
	return spawn_child(p, -1, ms, pidfd, err, errlen);
}
