/* overdue: deciding, for --watchdog, which worker is hung and when the
 * loop must look again.  Pure: the child table and the time in, a verdict
 * out; no system call, no log (watch.h acts on it).
 *
 *   a watched worker              at now                      verdict
 *   heard within period_ms        -                           NONE
 *   silent for period_ms or more  not aborted yet             ABORT
 *   aborted                       kill_ms after its SIGABRT   KILL
 *
 * A worker is watched while heard_ms is set: from its READY=1, re-armed
 * by each WATCHDOG=1, until it is told to drain.  "Overdue" is silent for
 * the period or more, aborted or not: the supervisor's own WATCHDOG=1
 * upward waits while any worker is. */
#ifndef OVERDUE_H
#define OVERDUE_H

#include "kids.h"

enum overdue_verdict { OVERDUE_NONE, OVERDUE_ABORT, OVERDUE_KILL };

/* What k, if live and watched, needs at now. */
enum overdue_verdict overdue_check(const struct kid *k, long now,
				   long period_ms, long kill_ms);
/* When overdue_check of k next says something other than NONE, or 0 when
 * it never will (not watched, or killed already). */
long overdue_due(const struct kid *k, long period_ms, long kill_ms);
/* The earliest overdue_due over the live children of t, or 0. */
long overdue_deadline(const struct kids *t, long period_ms, long kill_ms);
/* Whether a live, watched child of t is overdue at now. */
int overdue_any(const struct kids *t, long now, long period_ms);

#endif
