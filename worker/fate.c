/* fate: keep, close or linger after an answer; the table in fate.h. */
#include "fate.h"

enum fate fate_decide(const struct fate_facts *f)
{
	if (f->keep_alive && !f->error && (!f->draining || f->next_begun))
		return FATE_KEEP;
	/* A client that sent "close" sends no more requests (RFC 9112
	 * §9.6).  When nothing else is in the socket either, a close(2)
	 * sends no reset: no lingering close is needed. */
	if (f->peer_closing && !f->next_begun && f->quiet)
		return FATE_CLOSE;
	return FATE_LINGER;
}
