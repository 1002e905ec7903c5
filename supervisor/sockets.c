/* sockets: taking the passed sockets, binding the rest, the descriptor
 * store (sockets.h). */
#include "sockets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../worker/lib/listenfds.h"
#include "../worker/lib/log.h"
#include "../worker/lib/notify.h"
#include "../worker/lib/opt.h"
#include "passed.h"

static void sockets_close_passed(size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(LISTENFDS_START + (int)i);
}

static int sockets_addresses(const struct listenfds *lf,
			     struct passed_sock *s)
{
	for (size_t i = 0; i < lf->n; i++) {
		socklen_t len = sizeof s[i].ss;
		struct listen_addr a;
		s[i].fd = LISTENFDS_START + (int)i;
		s[i].name = lf->name[i];
		if (getsockname(s[i].fd, (struct sockaddr *)&s[i].ss, &len) < 0) {
			log_err("LISTEN_FDS: fd %d: getsockname: %s", s[i].fd,
				strerror(errno));
			return -1;
		}
		if (passed_addr(&s[i].ss, &a) < 0) {
			log_err("LISTEN_FDS: fd %d is not a TCP socket (address "
				"family %d)", s[i].fd, (int)s[i].ss.ss_family);
			return -1;
		}
	}
	return 0;
}

/* A socket no --port names: one we stored ourselves may leave the store
 * (a --port dropped from the unit must not fail every restart); any other
 * is an error.  Returns 0 or -1. */
static int sockets_unnamed(const struct passed_sock *s)
{
	struct listen_addr a;

	(void)passed_addr(&s->ss, &a);
	if (passed_is_ours(s->name, &s->ss))
		return 0;
	log_err("LISTEN_FDS: fd %d (%s, named '%s') is not named by any "
		"--port", s->fd, a.text, s->name);
	return -1;
}

/* Once the start is decided: out of the store, and closed. */
static void sockets_unstore(const struct passed_sock *s)
{
	struct listen_addr a;
	char msg[160];

	(void)passed_addr(&s->ss, &a);
	log_warn("the stored socket %s is not named by any --port: removed "
		 "from the descriptor store and closed", a.text);
	snprintf(msg, sizeof msg, "FDSTOREREMOVE=1\nFDNAME=%s\n", s->name);
	notify_send(msg);
	close(s->fd);
}

/* No --port: the ports are the passed sockets. */
static void sockets_all(struct config *c, const struct passed_sock *s,
			size_t n, int *fds)
{
	c->nports = n;
	for (size_t i = 0; i < n; i++) {
		(void)passed_addr(&s[i].ss, &c->ports[i]);
		fds[i] = s[i].fd;
	}
}

static int sockets_match(struct config *c, const struct passed_sock *s,
			 size_t n, int *fds)
{
	int port_of[LISTENFDS_MAX], sock_of[CONFIG_PORTS_MAX];
	char err[256];

	if (passed_match(c->ports, c->nports, s, n, sock_of, port_of, err,
			 sizeof err) < 0) {
		log_err("%s", err);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (port_of[i] < 0 && sockets_unnamed(&s[i]) < 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (port_of[i] < 0)
			sockets_unstore(&s[i]);
	for (size_t p = 0; p < c->nports; p++)
		fds[p] = sock_of[p] < 0 ? -1 : s[sock_of[p]].fd;
	return 0;
}

int sockets_take(struct config *c, int *fds)
{
	static struct passed_sock s[LISTENFDS_MAX];
	struct listenfds lf;
	char err[256];

	for (size_t p = 0; p < CONFIG_PORTS_MAX; p++)
		fds[p] = -1;
	if (listenfds_read(&lf, err, sizeof err) < 0) {
		log_err("%s", err);
		return 2;
	}
	if (lf.n == 0)
		return 0;
	if (sockets_addresses(&lf, s) < 0 ||
	    (c->ports_default ? (sockets_all(c, s, lf.n, fds), 0)
			      : sockets_match(c, s, lf.n, fds)) < 0) {
		sockets_close_passed(lf.n);
		return 2;
	}
	for (size_t p = 0; p < c->nports; p++) {
		if (fds[p] < 0)
			continue;
		c->passed[p] = 1;
		log_info("serving %s on the passed socket fd %d ('%s')",
			 c->ports[p].text, fds[p],
			 s[fds[p] - LISTENFDS_START].name);
	}
	return 0;
}

int sockets_bind(struct config *c, int *fds)
{
	char err[256];

	for (size_t i = 0; i < c->nports; i++) {
		if (fds[i] >= 0)
			continue;
		fds[i] = listen_open(&c->ports[i], err, sizeof err);
		if (fds[i] < 0) {
			log_err("%s", err);
			for (size_t j = 0; j < c->nports; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			return -1;
		}
	}
	return 0;
}

/* How many more sockets systemd's store takes.  systemd 254 and later set
 * FDSTORE to FileDescriptorStoreMax= when it is above 0, and leave it
 * unset when it is 0; older ones never set it.  Unset is thus unknown:
 * every socket is sent, and one sent to no store stays open only in the
 * workers and the supervisor (supervisor(8) says so).  The sockets taken
 * back hold their places in it. */
static size_t sockets_store_room(const struct config *c)
{
	const char *v = getenv("FDSTORE");
	size_t held = 0;
	long max;

	if (!v)
		return c->nports;
	if (opt_long(v, 0, 1L << 20, &max) < 0) {
		log_warn("FDSTORE='%s' is not a number of descriptors: nothing "
			 "stored", v);
		return 0;
	}
	if (max == 0) {
		log_debug("FDSTORE=0: no descriptor store");
		return 0;
	}
	for (size_t i = 0; i < c->nports; i++)
		held += c->passed[i];
	if ((size_t)max < c->nports)
		log_debug("FDSTORE=%ld: %ld sockets stored at most, those past "
			  "it keep the drop filter", max, max);
	return (size_t)max > held ? (size_t)max - held : 0;
}

void sockets_store(struct config *c, const int *fds)
{
	char msg[160], name[80];
	size_t room;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	room = sockets_store_room(c);
	for (size_t i = 0; i < c->nports; i++) {
		if (c->passed[i])
			continue;	/* taken back: stored already */
		if (room == 0)
			break;
		passed_fdname(c->ports[i].text, name, sizeof name);
		/* The final LF (sd_notify allows it) keeps the next datagram
		 * on a line of its own for whoever reads them as a stream. */
		snprintf(msg, sizeof msg, "FDSTORE=1\nFDNAME=%s\n", name);
		if (notify_send_fd(msg, fds[i]) > 0) {
			c->passed[i] = 1;
			room--;
			log_debug("%s: sent to the descriptor store as '%s'",
				  c->ports[i].text, name);
		}
	}
}
