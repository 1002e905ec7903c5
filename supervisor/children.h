/* children: the pids of a process's children, read from /proc. */
#ifndef CHILDREN_H
#define CHILDREN_H

#include <sys/types.h>

/* The calling process's children, from PROC/PID/task/PID/children with
 * PID read from PROC/self, else (a kernel without CONFIG_PROC_CHILDREN)
 * from the parent field of every PROC/N/stat.  PROC is "/proc" but in
 * the tests.  Returns a malloc'ed array ended by 0, or NULL with errno
 * set. */
pid_t *children_list(const char *proc);

#endif
