/* check: the smallest unit-test harness.  CHECK records a failure with its
 * line and goes on; check_done prints the closing "N passed, N failed"
 * line and gives main its exit status. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		check_passed++;						\
	} else {							\
		check_failed++;						\
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, \
			#cond);						\
	}								\
} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
