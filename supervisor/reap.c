/* reap: waitpid for the group's children and its orphans (reap.h). */
#include "reap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../worker/lib/log.h"
#include "../worker/lib/sig.h"

enum reap_result reap_next(struct kids *t, struct orphans *o,
			   struct kid **k, int *ws)
{
	pid_t pid;

	do
		pid = waitpid(-1, ws, WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == 0)
		return REAP_NONE;
	if (pid < 0 && errno == ECHILD)
		return REAP_CHILDLESS;
	if (pid < 0) {
		log_err("waitpid: %s", strerror(errno));
		return REAP_ERROR;
	}
	if ((*k = kids_find(t, pid)))
		return REAP_KID;
	log_info("reaped orphan pid=%d (status %d)", (int)pid, reap_code(*ws));
	orphans_forget(o, pid);	/* its pid may return */
	return REAP_ORPHAN;
}

int reap_code(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

int reap_clean(int ws, int stop)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws) == 0;
	return WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == stop;
}

void reap_how(int ws, char *how, size_t size)
{
	if (WIFEXITED(ws))
		snprintf(how, size, "exited with status %d", WEXITSTATUS(ws));
	else
		snprintf(how, size, "killed by %s", sig_name(WTERMSIG(ws)));
}
