/* fdlimit: raising and counting descriptors (fdlimit.h). */
#include "fdlimit.h"

#include <dirent.h>
#include <sys/resource.h>

static struct rlimit fdlimit_given;
static int fdlimit_raised;

long fdlimit_raise(void)
{
	struct rlimit now;

	if (getrlimit(RLIMIT_NOFILE, &now) < 0)
		return -1;
	fdlimit_given = now;
	if (now.rlim_cur < now.rlim_max) {
		struct rlimit up = { now.rlim_max, now.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
			fdlimit_raised = 1;
			now = up;
		}
	}
	return now.rlim_cur == RLIM_INFINITY ? (long)(~0UL >> 1)
					      : (long)now.rlim_cur;
}

void fdlimit_restore(void)
{
	if (fdlimit_raised)
		setrlimit(RLIMIT_NOFILE, &fdlimit_given);
}

long fdlimit_in_use(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;		/* the directory's own descriptor */
}
