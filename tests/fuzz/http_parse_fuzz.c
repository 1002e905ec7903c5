/* libFuzzer harness for the HTTP parser.  Beyond "no crash, no sanitizer
 * report", it checks the parser's promises on every input:
 *   - a result is bytes consumed (within the input), HTTP_INCOMPLETE, or
 *     HTTP_ERROR with a 4xx/5xx status;
 *   - the head parses the same when it arrives in two pieces (the split
 *     point comes from the input), and a shorter prefix never succeeds
 *     with a different length;
 *   - a chunked body decodes to the same bytes fed in one piece or byte by
 *     byte, and never past its capacity. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/http_parse.h"

#define BODY_CAP 4096

static void check(int ok)
{
	if (!ok)
		abort();
}

static int parse(const char *buf, size_t len, struct http_request *req)
{
	size_t scan = 0;
	return http_parse_request(buf, len, &scan, req);
}

static void check_head(const char *buf, size_t len, size_t split)
{
	struct http_request whole, part;
	size_t scan = 0;
	int r = parse(buf, len, &whole);

	check(r == HTTP_INCOMPLETE || r == HTTP_ERROR ||
	      (r > 0 && (size_t)r <= len));
	if (r == HTTP_ERROR)
		check(whole.status >= 400 && whole.status <= 599);
	if (r > 0) {
		check(whole.num_headers <= HTTP_HEADERS_MAX);
		check(whole.target >= buf && whole.target + whole.target_len <= buf + r);
	}
	/* The same buffer, first a prefix, then all of it, resuming scan. */
	int rp = http_parse_request(buf, split, &scan, &part);
	if (rp > 0)
		check(r == rp);	/* a complete head is complete in any longer buffer */
	else if (rp == HTTP_INCOMPLETE)
		check(http_parse_request(buf, len, &scan, &part) == r);
}

static void check_chunked(const char *in, size_t len)
{
	static char one[BODY_CAP], bytewise[BODY_CAP];
	struct http_chunked a, b;
	long ra, rb = 0;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	ra = http_chunked_decode(&a, in, len, one, sizeof one);
	check(ra == HTTP_ERROR || (ra >= 0 && (size_t)ra <= len));
	check(a.body_len <= sizeof one);
	for (size_t i = 0; i < len && b.state != CHUNK_DONE; i++) {
		long r = http_chunked_decode(&b, in + i, 1, bytewise, sizeof bytewise);
		if (r == HTTP_ERROR) {
			rb = HTTP_ERROR;
			break;
		}
		rb += r;
	}
	check((ra == HTTP_ERROR) == (rb == HTTP_ERROR));
	if (ra != HTTP_ERROR) {
		check(a.state == b.state && ra == rb);
		check(a.body_len == b.body_len);
		check(memcmp(one, bytewise, a.body_len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check_head(buf, size, size ? data[0] % (size + 1) : 0);
	struct http_request req;
	int r = parse(buf, size, &req);
	if (r > 0 && req.chunked)
		check_chunked(buf + r, size - (size_t)r);
	else
		check_chunked(buf, size);
	free(buf);
	return 0;
}
