/* status: the datagrams upward and the status line (status.h). */
#include "status.h"

#include <stdio.h>

#include "../worker/lib/notify.h"

void status_line(const struct kids *t, const char *last, char *buf,
		 size_t size)
{
	size_t nports = t->cfg->nports;
	size_t total = 0, len, first = kids_count(t, 0, KID_WORKER);
	int same = 1;

	for (size_t p = 0; p < nports; p++) {
		size_t n = kids_count(t, p, KID_WORKER);
		total += n;
		same &= n == first;
	}
	len = (size_t)snprintf(buf, size, "serving: %zu worker%s on %zu "
			       "port%s (", total, total == 1 ? "" : "s",
			       nports, nports == 1 ? "" : "s");
	if (len < size)
		len += (size_t)(same ? snprintf(buf + len, size - len,
						"%zu per port", first)
				     : snprintf(buf + len, size - len,
						"per port:"));
	for (size_t p = 0; !same && p < nports && len < size; p++)
		len += (size_t)snprintf(buf + len, size - len, " %zu",
					kids_count(t, p, KID_WORKER));
	if (len < size)
		snprintf(buf + len, size - len, ")%s%s",
			 last[0] ? "; last restart: " : "", last);
}

void status_send(const char *state, const char *status)
{
	char msg[700];

	snprintf(msg, sizeof msg, "%s%sSTATUS=%s", state ? state : "",
		 state ? "\n" : "", status);
	notify_send(msg);
}
