/* stdfd: descriptors 0, 1 and 2 made safe to use (stdfd.h). */
#include "stdfd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int stdfd_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* Without O_CLOEXEC: children are to inherit it as well.
		 * open(2) takes the lowest free number, which is fd. */
		int null = open("/dev/null", O_RDWR);
		if (null != fd) {
			if (null >= 0)
				close(null);
			return -1;
		}
	}
	return 0;
}
