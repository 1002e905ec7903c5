/* log: one line per event on stderr, shared by supervisor and worker.
 *
 * When stderr is the journal (JOURNAL_STREAM names its device:inode) a line
 * is "<N>text", the journal adds name and pid; elsewhere it is
 * "2026-12-01T13:55:18.123+0000 prog[pid]: text".
 * A full, closed or broken stderr never blocks or kills the caller: the
 * line is dropped. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERR = 3,	/* syslog priorities, as sd-daemon(3) uses */
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Call once, early. verbosity: -1 quiet (warnings and errors), 0 normal,
 * 1 verbose (debug too). Safe to call again after fork to refresh the pid. */
void log_init(const char *prog, int verbosity);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int log_enabled(enum log_level level);

/* Name the speaker in each line: "tag pid=N: " on the journal, which files
 * every line of a stream under the name and pid of the process that opened
 * it (for a child that shares its parent's stream, the parent's);
 * "prog[pid]: tag: " elsewhere. */
void log_set_tag(const char *tag);

/* A fault that repeats on every wakeup says so at most once a second:
 * true when the caller's last line (*last) is a second old. */
int log_due(time_t *last);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
/* Debug lines sit on per-request paths: without -v they cost one test,
 * not a call with its arguments formatted into registers. */
#define log_debug(...)							\
	(log_enabled(LOG_LEVEL_DEBUG) ?					\
	 log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__) : (void)0)

#endif
