/* peer: who is at the other end of a socket, as text for the log. */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>

/* "127.0.0.1:5555", "[::1]:5555", or "?". */
void peer_name(int fd, char *buf, size_t size);

#endif
