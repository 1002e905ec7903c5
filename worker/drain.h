/* drain: the graceful stop of SIGTERM and SIGINT (worker(8), Drain), and
 * the stop delay before it (phase.h). */
#ifndef DRAIN_H
#define DRAIN_H

#include <stdint.h>

struct server;
struct watcher;

/* Block SIGTERM, SIGINT and SIGQUIT (a drain), SIGHUP, SIGUSR1 and SIGUSR2
 * (logged, ignored), and watch them through a signalfd. */
int drain_watch_signals(struct server *s);

/* Steps 1-2 now; 3-5 follow as connections and events finish; the drain
 * timeout is step 6. */
void drain_start(struct server *s);

#endif
