/* sockets: the group's listening sockets, taken or made.  The ones passed
 * by LISTEN_FDS serve the --ports that name them (passed.h; with no
 * --port, exactly the passed ones), the other ports are bound here, and
 * the ones bound here go to systemd's descriptor store so that the next
 * supervisor of the unit is passed them back.  config's passed[] says
 * which sockets are not ours to close the door of at the stop. */
#ifndef SOCKETS_H
#define SOCKETS_H

#include "config.h"

/* fds[i] for c->ports[i]: the passed socket, or -1.  Returns 0, or 2 (the
 * exit status) after one line saying what is wrong with what was passed;
 * nothing is left open then. */
int sockets_take(struct config *c, int *fds);

/* Binds every port whose fds[i] is -1.  Returns 0, or -1 (logged) with
 * every socket closed. */
int sockets_bind(struct config *c, int *fds);

/* With NOTIFY_SOCKET set and FDSTORE not 0: each socket bound here to the
 * descriptor store, FDNAME its address; from then on it counts as passed.
 * A store that refuses is one debug line. */
void sockets_store(struct config *c, const int *fds);

#endif
