/* sigs: taking and reading the supervisor's signals (sigs.h). */
#include "sigs.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <unistd.h>

#include "../worker/lib/log.h"
#include "../worker/lib/sig.h"

static const int sigs_taken[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGTTIN, SIGTTOU,
	SIGUSR1, SIGUSR2,
};

/* A shell starts background jobs with SIGINT ignored, and an ignored
 * signal is dropped even while blocked, so set every disposition we rely
 * on before blocking: an ignored SIGCHLD would even reap for us. */
int sigs_take(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof sigs_taken / sizeof *sigs_taken; i++) {
		if (sigaction(sigs_taken[i], &dfl, NULL) < 0)
			return -1;
		sigaddset(&set, sigs_taken[i]);
	}
	/* A reader of our stderr that goes away must not kill us. */
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		return -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sigs_next(int fd)
{
	struct signalfd_siginfo si;
	ssize_t r;
	int sig;

	do
		r = read(fd, &si, sizeof si);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof si) {
		if (r < 0 && errno != EAGAIN)
			log_err("signalfd: %s", strerror(errno));
		return 0;
	}
	sig = (int)si.ssi_signo;
	if (sig == SIGCHLD)
		return sig;
	/* pid 0: the kernel sent it (a terminal's Ctrl-C, for one). */
	if (si.ssi_pid > 0)
		log_info("received %s from pid %d", sig_name(sig),
			 (int)si.ssi_pid);
	else
		log_info("received %s from the kernel (a terminal?)",
			 sig_name(sig));
	return sig;
}
