/* children: the pids of a process's children, from /proc (children.h). */
#include "children.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../worker/lib/log.h"

/* A pid, 1 to INT_MAX, or -1: a stray -1 given to kill(2) would reach
 * every process. */
static pid_t children_pid(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	return *end == s || errno || v < 1 || v > INT_MAX ? -1 : (pid_t)v;
}

/* "12 34 56" into a 0-ended array. */
static pid_t *children_parse(const char *s)
{
	size_t n = 0, cap = 16;
	pid_t *pids = malloc(cap * sizeof *pids);
	char *end;

	while (pids) {
		pid_t v = children_pid(s, &end);
		if (end == s)
			break;
		s = end;
		if (n + 1 >= cap) {
			pid_t *more = realloc(pids, (cap *= 2) * sizeof *pids);
			if (!more) {
				free(pids);
				return NULL;
			}
			pids = more;
		}
		if (v > 0)
			pids[n++] = v;
	}
	if (pids)
		pids[n] = 0;
	return pids;
}

/* The parent pid in a PROC/N/stat line, or -1. */
static long children_stat_ppid(const char *proc, const char *name)
{
	char path[4096], stat[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s/stat", proc, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	do
		n = read(fd, stat, sizeof stat - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	stat[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and ')', so the
	 * fields start after the last ')'. */
	char *r = strrchr(stat, ')');
	if (!r || strlen(r) < 5)
		return -1;
	return strtol(r + 4, NULL, 10);
}

static pid_t *children_scan(const char *proc, pid_t pid)
{
	static int warned;
	char list[65536];
	size_t len = 0;
	struct dirent *d;
	DIR *dir = opendir(proc);

	if (!warned++)
		log_warn("no %s/self/task/PID/children: scanning %s", proc, proc);
	if (!dir)
		return NULL;
	list[0] = '\0';
	while ((d = readdir(dir)) && len < sizeof list - 16) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    children_stat_ppid(proc, d->d_name) != (long)pid)
			continue;
		len += (size_t)snprintf(list + len, sizeof list - len, "%.12s ",
					d->d_name);
	}
	closedir(dir);
	return children_parse(list);
}

/* Our pid as PROC numbers it, or -1 with errno set. */
static pid_t children_self(const char *proc)
{
	char path[4096], link[32], *end;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof path, "%s/self", proc);
	n = readlink(path, link, sizeof link - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	pid = children_pid(link, &end);
	if (pid < 0 || *end) {
		errno = EINVAL;
		return -1;
	}
	return pid;
}

/* The whole file, 0-ended (the list can be longer than one read). */
static char *children_slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *more;
	ssize_t n;

	while (buf) {
		if (len + 1 >= cap) {
			if (!(more = realloc(buf, cap *= 2)))
				break;
			buf = more;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			buf[len] = '\0';
			return buf;
		}
		if (n < 0)
			break;
		len += (size_t)n;
	}
	int saved = errno;
	free(buf);
	errno = saved;
	return NULL;
}

pid_t *children_list(const char *proc, pid_t self)
{
	char path[4096], *text;
	pid_t seen = children_self(proc), *pids;
	int fd;

	if (seen < 0)
		return NULL;
	/* A /proc of an ancestor pid namespace (unshare --pid without
	 * --mount-proc) numbers every process otherwise: its pids are not
	 * ours to kill. */
	if (seen != self) {
		errno = EXDEV;
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%d/task/%d/children", proc,
		 (int)self, (int)self);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? children_scan(proc, self) : NULL;
	text = children_slurp(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	if (!text)
		return NULL;
	pids = children_parse(text);
	free(text);
	return pids;
}
