/* kids: the child table; its entries, pidfds and signals (kids.h). */
#include "kids.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/sig.h"

int kids_init(struct kids *t, const struct config *c, int epfd)
{
	memset(t, 0, sizeof *t);
	t->cfg = c;
	t->epfd = epfd;
	/* Room for a restart's replacements too; SIGTTIN grows it. */
	t->cap = c->nports * (size_t)c->workers + 2;
	t->k = calloc(t->cap, sizeof *t->k);
	t->numbered = calloc(c->nports, sizeof *t->numbered);
	return t->k && t->numbered ? 0 : -1;
}

void kids_free(struct kids *t)
{
	free(t->k);
	free(t->numbered);
	t->k = NULL;
	t->numbered = NULL;
	t->n = t->cap = 0;
}

/* "8888", or "[::1]:8888" when another address has the same port: no two
 * workers share a name. */
static const char *kids_port_name(const struct kids *t, size_t port)
{
	static char num[8];
	const struct listen_addr *a = &t->cfg->ports[port];

	for (size_t i = 0; i < t->cfg->nports; i++)
		if (i != port && t->cfg->ports[i].port == a->port)
			return a->text;
	snprintf(num, sizeof num, "%u", a->port);
	return num;
}

long kids_name(struct kids *t, size_t port, char *name, size_t size)
{
	long seq = ++t->numbered[port];

	snprintf(name, size, "worker:%s#%ld", kids_port_name(t, port), seq);
	return seq;
}

/* A free entry (one whose child was reaped), else a larger array. */
static struct kid *kids_slot(struct kids *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->k[i].alive && t->k[i].pidfd < 0)
			return &t->k[i];
	if (t->n == t->cap) {
		struct kid *k = realloc(t->k, 2 * t->cap * sizeof *k);
		if (!k)
			return NULL;
		t->k = k;
		t->cap *= 2;
	}
	return &t->k[t->n++];
}

struct kid *kids_add(struct kids *t, const char *name, pid_t pid, int pidfd,
		     enum kid_role role, size_t port)
{
	struct kid *k = kids_slot(t);
	struct epoll_event ev = { .events = EPOLLIN };

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
	t->alive++;
	ev.data.u64 = (uint64_t)(k - t->k);
	if (pidfd >= 0 && epoll_ctl(t->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		log_err("%s pid=%d: epoll_ctl: %s", name, (int)pid,
			strerror(errno));
		kids_kill(k);	/* SIGCHLD brings its end */
		return NULL;
	}
	return k;
}

void kids_gone(struct kids *t, struct kid *k)
{
	k->alive = 0;
	t->alive--;
	/* Deleted by hand: a copy of the pidfd held elsewhere (by a child,
	 * for a moment) would keep the dead, readable pidfd in the set. */
	if (k->pidfd >= 0) {
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, k->pidfd, NULL);
		close(k->pidfd);
	}
	k->pidfd = -1;
}

struct kid *kids_find(struct kids *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->k[i].alive && t->k[i].pid == pid)
			return &t->k[i];
	return NULL;
}

size_t kids_count(const struct kids *t, size_t port, enum kid_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->k[i].alive && t->k[i].role == role &&
		     t->k[i].port == port;
	return n;
}

long kids_deadline(const struct kids *t)
{
	long at = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct kid *k = &t->k[i];
		if (k->alive && k->deadline_ms && (!at || k->deadline_ms < at))
			at = k->deadline_ms;
	}
	return at;
}

/* Through the pidfd the signal cannot reach a recycled pid.  Without one,
 * kill(2) is still safe: a child we have not reaped keeps its pid, and
 * k->alive is cleared when we reap it. */
int kids_send(const struct kid *k, int sig)
{
	if (k->pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, k->pidfd, sig, NULL, 0);
	return kill(k->pid, sig);
}

void kids_signal(const struct kid *k, int sig)
{
	int r = kids_send(k, sig);

	if (r < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send %s: %s", k->name, (int)k->pid,
			 sig_name(sig), strerror(errno));
	else
		log_info("sent %s to %s pid=%d", sig_name(sig), k->name,
			 (int)k->pid);
}

/* The whole process group: what a worker started dies too.  Its leader
 * is unreaped, so the group id is still ours. */
void kids_kill(const struct kid *k)
{
	if (killpg(k->pid, SIGKILL) == 0)
		log_warn("sent SIGKILL to %s pid=%d and its process group",
			 k->name, (int)k->pid);
	else
		kids_signal(k, SIGKILL);
}
