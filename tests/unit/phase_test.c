/* Unit tests of worker/phase: each stop signal in each phase, with and
 * without a delay. */
#include "../../worker/phase.h"
#include "check.h"

int main(void)
{
	/* SIGTERM or SIGQUIT while serving: the delay, or the drain at once
	 * without one. */
	CHECK(phase_decide(PHASE_SERVING, PHASE_EV_TERM, 5000) ==
	      PHASE_DO_DELAY);
	CHECK(phase_decide(PHASE_SERVING, PHASE_EV_TERM, 0) == PHASE_DO_DRAIN);
	/* SIGINT never waits. */
	CHECK(phase_decide(PHASE_SERVING, PHASE_EV_INT, 5000) ==
	      PHASE_DO_DRAIN);
	CHECK(phase_decide(PHASE_SERVING, PHASE_EV_INT, 0) == PHASE_DO_DRAIN);
	/* During the delay: a repeat is ignored, SIGINT or its end drains. */
	CHECK(phase_decide(PHASE_DELAYING, PHASE_EV_TERM, 5000) ==
	      PHASE_DO_IGNORE);
	CHECK(phase_decide(PHASE_DELAYING, PHASE_EV_INT, 5000) ==
	      PHASE_DO_DRAIN);
	CHECK(phase_decide(PHASE_DELAYING, PHASE_EV_DELAY_OVER, 5000) ==
	      PHASE_DO_DRAIN);
	/* Draining: nothing starts over. */
	CHECK(phase_decide(PHASE_DRAINING, PHASE_EV_TERM, 5000) ==
	      PHASE_DO_IGNORE);
	CHECK(phase_decide(PHASE_DRAINING, PHASE_EV_INT, 5000) ==
	      PHASE_DO_IGNORE);
	CHECK(phase_decide(PHASE_DRAINING, PHASE_EV_DELAY_OVER, 5000) ==
	      PHASE_DO_NOTHING);
	CHECK(phase_decide(PHASE_SERVING, PHASE_EV_DELAY_OVER, 5000) ==
	      PHASE_DO_NOTHING);
	return check_done();
}
