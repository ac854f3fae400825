/* Connections refused past a limit (peerlimits.h). The caller writes the
 * refusal; domd then keeps the socket a moment, discarding what the peer
 * still sends, until the peer closes or REFUSE_LINGER seconds pass: a peer
 * that writes its request after the refusal was sent would otherwise get
 * EPIPE and never read why. Few linger: REFUSE_PER_OWNER per peer and
 * REFUSE_MAX in all, a new one taking the place of the oldest. */
#ifndef BULKHEAD_DOMD_REFUSE_H
#define BULKHEAD_DOMD_REFUSE_H

#define REFUSE_MAX 64
#define REFUSE_PER_OWNER 4
#define REFUSE_LINGER 2 /* seconds */

/* Takes fd (the refusal already written to it); owner names the peer. */
void refuse_linger(int fd, const char *owner);
/* Closes the sockets that lingered long enough. */
void refuse_tick(void);

#endif
