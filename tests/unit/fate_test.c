/* Unit tests of worker/fate: every combination of the facts gets the fate
 * of the table in fate.h, and the cases the connection meets by name. */
#include "../../worker/fate.h"
#include "check.h"

/* The table of fate.h, row by row. */
static enum fate table(const struct fate_facts *f)
{
	if (f->keep_alive && !f->error && !f->draining)
		return FATE_KEEP;
	if (f->keep_alive && !f->error && f->draining && f->next_begun)
		return FATE_KEEP;
	if (f->peer_closing && !f->next_begun && f->quiet)
		return FATE_CLOSE;
	return FATE_LINGER;
}

static enum fate decide(unsigned keep_alive, unsigned error,
			unsigned draining, unsigned next_begun,
			unsigned peer_closing, unsigned quiet)
{
	struct fate_facts f = {
		.keep_alive = keep_alive & 1, .error = error & 1,
		.draining = draining & 1, .next_begun = next_begun & 1,
		.peer_closing = peer_closing & 1, .quiet = quiet & 1,
	};

	return fate_decide(&f);
}

int main(void)
{
	for (unsigned bits = 0; bits < 64; bits++) {
		struct fate_facts f = {
			.keep_alive = bits & 1, .error = bits >> 1 & 1,
			.draining = bits >> 2 & 1, .next_begun = bits >> 3 & 1,
			.peer_closing = bits >> 4 & 1, .quiet = bits >> 5 & 1,
		};
		CHECK(fate_decide(&f) == table(&f));
	}
	/* keep-alive, serving: kept, pipelined or not */
	CHECK(decide(1, 0, 0, 0, 0, 1) == FATE_KEEP);
	CHECK(decide(1, 0, 0, 1, 0, 0) == FATE_KEEP);
	/* an error closes even a keep-alive one, lingering */
	CHECK(decide(1, 1, 0, 0, 0, 1) == FATE_LINGER);
	/* draining: kept only while a next request has begun */
	CHECK(decide(1, 0, 1, 1, 0, 1) == FATE_KEEP);
	CHECK(decide(1, 0, 1, 0, 0, 1) == FATE_LINGER);
	/* Connection: close (or HTTP/1.0), answered at once, nothing else
	 * sent: closed at once; bytes behind it or an event since: linger */
	CHECK(decide(0, 0, 0, 0, 1, 1) == FATE_CLOSE);
	CHECK(decide(0, 1, 0, 0, 1, 1) == FATE_CLOSE);
	CHECK(decide(0, 0, 1, 0, 1, 1) == FATE_CLOSE);
	CHECK(decide(0, 0, 0, 1, 1, 1) == FATE_LINGER);
	CHECK(decide(0, 0, 0, 0, 1, 0) == FATE_LINGER);
	/* close after a body, or a /sleep: not peer_closing, linger */
	CHECK(decide(0, 0, 0, 0, 0, 1) == FATE_LINGER);
	return check_done();
}
