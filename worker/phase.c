/* phase: the worker's phase table (phase.h). */
#include "phase.h"

static const enum phase_do phase_table[3][3] = {
	/*                        SERVING         DELAYING        DRAINING */
	[PHASE_EV_TERM]       = { PHASE_DO_DELAY, PHASE_DO_IGNORE,
				  PHASE_DO_IGNORE },
	[PHASE_EV_INT]        = { PHASE_DO_DRAIN, PHASE_DO_DRAIN,
				  PHASE_DO_IGNORE },
	[PHASE_EV_DELAY_OVER] = { PHASE_DO_NOTHING, PHASE_DO_DRAIN,
				  PHASE_DO_NOTHING },
};

enum phase_do phase_decide(enum phase p, enum phase_event ev, long delay_ms)
{
	enum phase_do d = phase_table[ev][p];

	return d == PHASE_DO_DELAY && delay_ms <= 0 ? PHASE_DO_DRAIN : d;
}
