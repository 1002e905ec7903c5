/* children_list: the task/PID/children file, and the scan of every stat
 * file when a kernel has no such file, on a made-up /proc tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../supervisor/children.h"
#include "check.h"

static char root[64];
static pid_t self;	/* what PROC/self names */

static void put(const char *rel, const char *text)
{
	char path[256], dir[256], *slash;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	/* mkdir -p of the directories in rel */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			perror(dir);
	}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* PROC/self names the process asking. */
static void self_is(int pid)
{
	char path[256], target[16];

	snprintf(path, sizeof path, "%s/self", root);
	snprintf(target, sizeof target, "%d", pid);
	self = pid;
	if ((unlink(path) < 0 && errno != ENOENT) || symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

/* children_list fails, with that errno. */
static int list_fails(const char *proc, pid_t pid, int err)
{
	errno = 0;
	return children_list(proc, pid) == NULL && errno == err;
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

/* The list, sorted, as "a b c", or "NULL". */
static const char *show(pid_t *pids)
{
	static char s[8192];
	size_t n = 0, len = 0;

	if (!pids)
		return "NULL";
	while (pids[n])
		n++;
	qsort(pids, n, sizeof *pids, cmp_pid);
	s[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof s - 16; i++)
		len += (size_t)snprintf(s + len, sizeof s - len, "%s%d",
					i ? " " : "", (int)pids[i]);
	free(pids);
	return s;
}

static void test_task_file(void)
{
	put("42/task/42/children", "7 1234 99 ");
	self_is(42);
	CHECK(strcmp(show(children_list(root, self)), "7 99 1234") == 0);
	put("43/task/43/children", "");
	self_is(43);
	CHECK(strcmp(show(children_list(root, self)), "") == 0);
}

/* Longer than the first read buffer and than any single read. */
static void test_long_task_file(void)
{
	char *text = malloc(3000 * 8), *p = text;
	pid_t *pids;
	size_t n = 0;

	for (int i = 1; i <= 3000; i++)
		p += sprintf(p, "%d ", 100000 + i);
	put("44/task/44/children", text);
	free(text);
	self_is(44);
	pids = children_list(root, self);
	CHECK(pids != NULL);
	while (pids && pids[n])
		n++;
	CHECK(n == 3000);
	CHECK(pids && pids[0] == 100001 && pids[2999] == 103000);
	free(pids);
}

/* No task/PID/children for pid 50: every N/stat is read instead. */
static void test_scan(void)
{
	put("100/stat", "100 (sh) S 50 100 100 0 -1 4194560\n");
	/* comm may hold ") S 50 " itself: only the last ')' counts */
	put("101/stat", "101 (a) S 9 (b) R 50 1 1 0\n");
	put("102/stat", "102 (x) S 7 1 1 0\n");
	put("103/stat", "103 (odd) S 9 1 1\n");	/* ppid 9, not 50 */
	put("104/stat", "");			/* a process that just went */
	put("105/stat", "105 (cut");		/* no ')' at all */
	put("50/stat", "50 (supervisor) S 1 1 1 0\n");
	put("sys/stat", "not a process");
	self_is(50);
	CHECK(strcmp(show(children_list(root, self)), "100 101") == 0);
	self_is(7);
	CHECK(strcmp(show(children_list(root, self)), "102") == 0);
	self_is(8);
	CHECK(strcmp(show(children_list(root, self)), "") == 0);
}

/* A children file that cannot be read is an error, not a reason to scan
 * (which would also find nothing here): NULL, errno kept. */
static void test_unreadable(void)
{
	put("60/stat", "60 (c) S 45 1 1 0\n");
	put("45/task", "a file where a directory should be");
	self_is(45);
	CHECK(list_fails(root, self, ENOTDIR));
	put("46/task/46/children/x", "");	/* a directory: read fails */
	self_is(46);
	CHECK(list_fails(root, self, EISDIR));
}

/* A /proc of another pid namespace: its pids are not ours. */
static void test_other_namespace(void)
{
	self_is(42);
	CHECK(list_fails(root, 1, EXDEV));
}

/* PROC/self must be a pid, and listed pids must be 1..INT_MAX: a -1 or a
 * wrapped value would make kill(2) reach every process. */
static void test_bad_numbers(void)
{
	char path[256];

	put("47/task/47/children", "5 4294967295 -1 0 2147483648 6 ");
	self_is(47);
	CHECK(strcmp(show(children_list(root, 47)), "5 6") == 0);
	snprintf(path, sizeof path, "%s/self", root);
	if (unlink(path) < 0 || symlink("47x", path) < 0) {
		perror(path);
		exit(1);
	}
	CHECK(list_fails(root, 47, EINVAL));
}

static void test_no_proc(void)
{
	char missing[80];

	snprintf(missing, sizeof missing, "%s/none", root);
	CHECK(list_fails(missing, 1, ENOENT));
}

int main(void)
{
	char cmd[128];
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof root, "%s/children_test.XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_task_file();
	test_long_task_file();
	test_scan();
	test_unreadable();
	test_other_namespace();
	test_bad_numbers();
	test_no_proc();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_done();
}
