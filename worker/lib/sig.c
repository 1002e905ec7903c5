/* sig: signal names and numbers (sig.h). */
#include "sig.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "opt.h"

const char *sig_name(int sig)
{
	static char buf[16];
	const char *n = sigabbrev_np(sig);

	if (n)
		snprintf(buf, sizeof buf, "SIG%s", n);
	else
		snprintf(buf, sizeof buf, "%d", sig);
	return buf;
}

int sig_number(const char *s)
{
	const char *name = strncmp(s, "SIG", 3) ? s : s + 3;
	long n;

	if (opt_long(s, 1, SIGRTMAX, &n) == 0)
		return (int)n;
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcmp(abbrev, name))
			return i;
	}
	return -1;
}
