/* Unit tests of worker/response: a fixed answer is byte for byte the head
 * response_head writes followed by the body, for every variant, however
 * many variants take turns in the cache. */
#include <string.h>
#include <time.h>

#include "../../worker/response.h"
#include "check.h"

/* Whether response_fixed gives head + body (head alone for HEAD); retried
 * when the second, and so the Date, changed in between. */
static int fixed_is_right(const struct response *r, const char *body,
			  int head_only)
{
	char want[RESPONSE_HEAD_MAX + RESPONSE_FIXED_BODY_MAX];
	const char *got;
	size_t got_len, want_len;
	time_t before;

	do {
		before = time(NULL);
		got = response_fixed(r, body, head_only, &got_len);
		want_len = response_head(want, r);
		if (!head_only) {
			memcpy(want + want_len, body, r->content_length);
			want_len += r->content_length;
		}
	} while (time(NULL) != before);
	return got && got_len == want_len && memcmp(got, want, want_len) == 0;
}

int main(void)
{
	static const char *const bodies[] = {
		"Hello World\n", "ok\n", "Not Found\n", "Hello World 1\n",
		"Hello World 2\n", "slept 5 ms\n",
	};
	struct response r = { .status = 200 };
	const char *a, *b;
	size_t len;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
			r.content_length = strlen(bodies[i]);
			for (int v = 0; v < 8; v++) {
				r.status = v & 4 ? 404 : 200;
				r.close = v & 1;
				r.keep_alive = !r.close && (v & 2);
				CHECK(fixed_is_right(&r, bodies[i], v & 2));
			}
		}
	}

	r = (struct response){ .status = 405, .allow = "GET, HEAD",
			       .close = 1, .content_length = 19 };
	CHECK(fixed_is_right(&r, "Method Not Allowed\n", 0));
	a = response_fixed(&r, "Method Not Allowed\n", 0, &len);
	CHECK(a && strstr(a, "\r\nAllow: GET, HEAD\r\n") != NULL);
	CHECK(a && strstr(a, "\r\nConnection: close\r\n") != NULL);

	/* The same answer twice within a second comes from the same place. */
	r = (struct response){ .status = 200, .content_length = 3 };
	time_t before;
	do {
		before = time(NULL);
		a = response_fixed(&r, "ok\n", 0, &len);
		b = response_fixed(&r, "ok\n", 0, &len);
	} while (time(NULL) != before);
	CHECK(a == b);
	CHECK(len > 3 && memcmp(b + len - 3, "ok\n", 3) == 0);

	/* HEAD: the same head, no body. */
	b = response_fixed(&r, "ok\n", 1, &len);
	CHECK(len > 4 && memcmp(b + len - 4, "\r\n\r\n", 4) == 0);

	/* Bodies past the limit are not cached. */
	static char big[RESPONSE_FIXED_BODY_MAX + 1];
	r.content_length = sizeof big;
	CHECK(response_fixed(&r, big, 0, &len) == NULL);
	r.content_length = RESPONSE_FIXED_BODY_MAX;
	CHECK(fixed_is_right(&r, big, 0));
	return check_done();
}
