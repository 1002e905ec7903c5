/* inject.so: an LD_PRELOAD library that makes chosen system calls fail,
 * for the failures a test cannot provoke from outside.
 *
 *   INJECT_PIPE2_FAIL=N     the Nth pipe2() fails with EMFILE
 *   INJECT_SEND_MATCH=TEXT  a send() of bytes that begin with TEXT...
 *   INJECT_SEND_TAKE=K      ...takes only K of them; 0 (the default):
 *                           fails with EAGAIN, as a full socket does
 *
 * It removes LD_PRELOAD from the environment at load, so the programs the
 * process starts run as they are. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static long pipe2_fail_at;
static long pipe2_calls;
static const char *send_match;
static size_t send_take;

__attribute__((constructor)) static void inject_init(void)
{
	const char *v;

	if ((v = getenv("INJECT_PIPE2_FAIL")))
		pipe2_fail_at = atol(v);
	if ((v = getenv("INJECT_SEND_MATCH")) && *v)
		send_match = strdup(v);
	if ((v = getenv("INJECT_SEND_TAKE")))
		send_take = (size_t)atol(v);
	unsetenv("LD_PRELOAD");
}

int pipe2(int fds[2], int flags)
{
	static int (*real)(int *, int);

	if (++pipe2_calls == pipe2_fail_at) {
		errno = EMFILE;
		return -1;
	}
	if (!real)
		real = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
	return real(fds, flags);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t, int))
			dlsym(RTLD_NEXT, "send");
	if (send_match && len >= strlen(send_match) &&
	    memcmp(buf, send_match, strlen(send_match)) == 0) {
		if (send_take == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (send_take < len)
			len = send_take;
	}
	return real(fd, buf, len, flags);
}
