/* Unit tests of supervisor/overdue (which worker is hung, when to look)
 * and worker/lib/watchdog's rule for WATCHDOG_USEC and WATCHDOG_PID. */
#include <stdint.h>
#include <string.h>

#include "../../supervisor/overdue.h"
#include "../../worker/lib/watchdog.h"
#include "check.h"

#define T 1000L		/* --watchdog 1 */
#define KILL 500L	/* --kill-timeout 0.5 */

static struct kid kid(long heard, long aborted)
{
	struct kid k;

	memset(&k, 0, sizeof k);
	k.alive = 1;
	k.heard_ms = heard;
	k.aborted_ms = aborted;
	return k;
}

static void test_one_worker(void)
{
	struct kid k = kid(10000, 0);

	CHECK(overdue_check(&k, 10000, T, KILL) == OVERDUE_NONE);
	CHECK(overdue_check(&k, 10999, T, KILL) == OVERDUE_NONE);
	CHECK(overdue_check(&k, 11000, T, KILL) == OVERDUE_ABORT);
	CHECK(overdue_due(&k, T, KILL) == 11000);
	k.aborted_ms = 11003;	/* SIGABRT sent, a little late */
	CHECK(overdue_check(&k, 11502, T, KILL) == OVERDUE_NONE);
	CHECK(overdue_check(&k, 11503, T, KILL) == OVERDUE_KILL);
	CHECK(overdue_due(&k, T, KILL) == 11503);
	/* A kill timeout of 0: at the next look, never "never". */
	CHECK(overdue_due(&k, T, 0) == 11004);
}

static void test_not_watched(void)
{
	struct kid unwatched = kid(0, 0), dead = kid(10000, 0);

	dead.alive = 0;
	CHECK(overdue_check(&unwatched, 99999, T, KILL) == OVERDUE_NONE);
	CHECK(overdue_due(&unwatched, T, KILL) == 0);
	CHECK(overdue_check(&dead, 99999, T, KILL) == OVERDUE_NONE);
	CHECK(overdue_due(&dead, T, KILL) == 0);
	/* --watchdog off: nobody is ever overdue. */
	struct kid k = kid(10000, 0);
	CHECK(overdue_check(&k, 99999, 0, KILL) == OVERDUE_NONE);
}

static void test_table(void)
{
	struct kid k[4] = {
		kid(0, 0),		/* starting: not ready yet */
		kid(10400, 0),		/* due 11400 */
		kid(10200, 0),		/* due 11200: the earliest */
		kid(10100, 0),		/* dead: does not count */
	};
	struct kids t = { .k = k, .cap = 4, .n = 4, .alive = 3 };

	k[3].alive = 0;
	CHECK(overdue_deadline(&t, T, KILL) == 11200);
	CHECK(!overdue_any(&t, 11199, T));
	CHECK(overdue_any(&t, 11200, T));
	k[2].aborted_ms = 11200;	/* its kill is due at 11700 */
	CHECK(overdue_deadline(&t, T, KILL) == 11400);
	CHECK(overdue_any(&t, 11201, T));	/* aborted: still overdue */
	k[2].heard_ms = k[2].aborted_ms = 0;	/* killed, or told to drain */
	CHECK(!overdue_any(&t, 11399, T));
	k[1].heard_ms = 0;
	CHECK(overdue_deadline(&t, T, KILL) == 0);
}

static void test_environment_rule(void)
{
	uint64_t p = 0;

	CHECK(watchdog_parse(NULL, NULL, 42, &p) == WATCHDOG_OFF);
	CHECK(watchdog_parse(NULL, "42", 42, &p) == WATCHDOG_OFF);
	CHECK(watchdog_parse("2000000", NULL, 42, &p) == WATCHDOG_ON);
	CHECK(p == 2000000);
	p = 0;
	CHECK(watchdog_parse("30000000", "42", 42, &p) == WATCHDOG_ON);
	CHECK(p == 30000000);
	CHECK(watchdog_parse("2000000", "43", 42, &p) == WATCHDOG_OFF);
	CHECK(watchdog_parse("0", NULL, 42, &p) == WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse("-5", NULL, 42, &p) == WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse(" 5", NULL, 42, &p) == WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse("5s", NULL, 42, &p) == WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse("", NULL, 42, &p) == WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse("99999999999999999999999", NULL, 42, &p) ==
	      WATCHDOG_BAD_USEC);
	CHECK(watchdog_parse("2000000", "x", 42, &p) == WATCHDOG_BAD_PID);
	CHECK(watchdog_parse("2000000", "0", 42, &p) == WATCHDOG_BAD_PID);
}

int main(void)
{
	test_one_worker();
	test_not_watched();
	test_table();
	test_environment_rule();
	return check_done();
}
