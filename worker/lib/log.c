/* log: one line per event on stderr (log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "?";
static int log_max = LOG_LEVEL_INFO;
static int log_journal;		/* stderr is the journal's stream socket */
static int log_fd = 2;		/* where lines go; see log_open_nonblocking */
static int log_is_socket;
static pid_t log_pid;
static char log_tag[160];

static int log_stderr_is_journal(const struct stat *st)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	return (unsigned long long)st->st_dev == dev &&
	       (unsigned long long)st->st_ino == ino;
}

/* A pipe reader that stops reading, or a terminal stopped by ^S, would
 * block a plain write(2) forever.  O_NONBLOCK on fd 2 itself would leak
 * into every child sharing that open file description, so we open a second
 * description of the same pipe or device through /proc and make only that
 * one non-blocking.  Sockets get MSG_DONTWAIT per send instead; regular
 * files do not stall. */
static void log_open_nonblocking(const struct stat *st)
{
	if (S_ISSOCK(st->st_mode)) {
		log_is_socket = 1;
		return;
	}
	if (!S_ISFIFO(st->st_mode) && !S_ISCHR(st->st_mode))
		return;
	int fd = open("/proc/self/fd/2",
		      O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0)
		log_fd = fd;
}

void log_init(const char *prog, int verbosity)
{
	struct stat st;
	const char *slash = strrchr(prog, '/');

	log_prog = slash ? slash + 1 : prog;
	log_max = verbosity < 0 ? LOG_LEVEL_WARN :
		  verbosity > 0 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	log_pid = getpid();
	if (log_fd != 2) {
		close(log_fd);
		log_fd = 2;
	}
	log_is_socket = 0;
	log_journal = 0;
	if (fstat(2, &st) < 0)
		return;
	log_journal = log_stderr_is_journal(&st);
	log_open_nonblocking(&st);
}

void log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof log_tag, "%s", tag);
}

int log_enabled(enum log_level level)
{
	return (int)level <= log_max;
}

/* "2026-12-01T13:55:18.123+0000 prog[pid]: " and the tag if any: a file
 * or a terminal has no journal to add the time.  Local time, as the
 * operator's other logs have it; the offset makes it unambiguous. */
static int log_prefix(char *line, size_t size)
{
	struct timespec ts = { 0, 0 };
	struct tm tm;
	char when[40] = "";
	char zone[8] = "";

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    localtime_r(&ts.tv_sec, &tm)) {
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof zone, "%z", &tm);
	}
	return snprintf(line, size, "%s.%03ld%s %s[%ld]: %s%s", when,
			ts.tv_nsec / 1000000, zone, log_prog, (long)log_pid,
			log_tag, log_tag[0] ? ": " : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	int saved = errno, n, m;
	va_list ap;

	if (!log_enabled(level))
		return;
	if (log_journal && log_tag[0])
		n = snprintf(line, sizeof line, "<%d>%s pid=%ld: ", (int)level,
			     log_tag, (long)log_pid);
	else if (log_journal)
		n = snprintf(line, sizeof line, "<%d>", (int)level);
	else
		n = log_prefix(line, sizeof line);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;	/* truncated: still one line */
	line[n++] = '\n';
	/* One write per line, so lines from many processes do not interleave.
	 * Failure (EAGAIN, EPIPE, EBADF) drops the line: logging must never
	 * stop the program it describes. */
	ssize_t r;
	do {
		if (log_is_socket)
			r = send(log_fd, line, (size_t)n,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			r = write(log_fd, line, (size_t)n);
	} while (r < 0 && errno == EINTR);
	errno = saved;
}

int log_due(time_t *last)
{
	time_t now = time(NULL);

	if (now == *last)
		return 0;
	*last = now;
	return 1;
}
