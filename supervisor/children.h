/* children: the pids of a process's children, read from /proc. */
#ifndef CHILDREN_H
#define CHILDREN_H

#include <sys/types.h>

/* The children of the calling process, whose pid is self, from
 * PROC/self/task/SELF/children, else (a kernel without
 * CONFIG_PROC_CHILDREN) from the parent field of every PROC/N/stat.
 * PROC is "/proc" but in the tests.  Returns a malloc'ed array ended by 0,
 * or NULL with errno set: EXDEV when PROC/self is not self, a /proc of
 * another pid namespace. */
pid_t *children_list(const char *proc, pid_t self);

#endif
