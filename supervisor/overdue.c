/* overdue: which worker is hung, and when to look (overdue.h). */
#include "overdue.h"

long overdue_due(const struct kid *k, long period_ms, long kill_ms)
{
	if (!k->alive || !k->heard_ms || period_ms <= 0)
		return 0;
	if (!k->aborted_ms)
		return k->heard_ms + period_ms;
	/* The kill timeout may be 0: kill at the next look, not never. */
	return k->aborted_ms + (kill_ms > 0 ? kill_ms : 1);
}

enum overdue_verdict overdue_check(const struct kid *k, long now,
				   long period_ms, long kill_ms)
{
	long due = overdue_due(k, period_ms, kill_ms);

	if (!due || now < due)
		return OVERDUE_NONE;
	return k->aborted_ms ? OVERDUE_KILL : OVERDUE_ABORT;
}

long overdue_deadline(const struct kids *t, long period_ms, long kill_ms)
{
	long at = 0;

	for (size_t i = 0; i < t->n; i++) {
		long due = overdue_due(&t->k[i], period_ms, kill_ms);
		if (due && (!at || due < at))
			at = due;
	}
	return at;
}

int overdue_any(const struct kids *t, long now, long period_ms)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct kid *k = &t->k[i];
		if (k->alive && k->heard_ms && period_ms > 0 &&
		    (k->aborted_ms || now - k->heard_ms >= period_ms))
			return 1;
	}
	return 0;
}
