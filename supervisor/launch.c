/* launch: one child started into the table (launch.h). */
#include "launch.h"

#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"

struct kid *launch_worker(struct kids *t, struct spawn_plan *plan, int fd,
			  size_t port, enum kid_role role)
{
	const struct listen_addr *a = &t->cfg->ports[port];
	char name[112], err[256];
	long seq = kids_name(t, port, name, sizeof name);
	struct kid *k;
	int pidfd;
	pid_t pid;

	pid = spawn_worker(plan, name, a, fd, &pidfd, err, sizeof err);
	if (pid < 0) {
		log_err("%s: %s", name, err);
		return NULL;
	}
	if (!(k = kids_add(t, name, pid, pidfd, role, port)))
		return NULL;
	k->seq = seq;
	log_info("%s pid=%d started on %s", name, (int)pid, a->text);
	return k;
}

struct kid *launch_failer(struct kids *t, struct spawn_plan *plan, long ms)
{
	char err[256];
	struct kid *k;
	int pidfd;
	pid_t pid = spawn_failer(plan, ms, &pidfd, err, sizeof err);

	if (pid < 0) {
		log_err("fail: %s", err);
		return NULL;
	}
	if (!(k = kids_add(t, "fail", pid, pidfd, KID_FAILER, 0)))
		return NULL;
	k->ready = 1;	/* never waited for */
	log_info("fail pid=%d started, exits 1 in " OPT_MS_FMT "s", (int)pid,
		 OPT_MS_ARGS(ms));
	return k;
}
