/** Mutable counters behind `stats()`. Live values are incremented and decremented by their owners. */
import type { EdgeStats } from './types.ts';

export class Counters {
  messagesIn = 0;
  messagesOut = 0;
  retransmissions = 0;
  badMessages = 0;
  serverTransactions = 0;
  clientTransactions = 0;
  dialogs = 0;
  pendingRequests = 0;
  timers = 0;
  appConnections = 0;
  tcpConnections = 0;
  transactionsCreated = 0;
  dialogsCreated = 0;
  framesIn = 0;
  framesOut = 0;

  snapshot(): EdgeStats {
    return {
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      retransmissions: this.retransmissions,
      badMessages: this.badMessages,
      transactions: this.serverTransactions + this.clientTransactions,
      serverTransactions: this.serverTransactions,
      clientTransactions: this.clientTransactions,
      dialogs: this.dialogs,
      pendingRequests: this.pendingRequests,
      timers: this.timers,
      appConnections: this.appConnections,
      tcpConnections: this.tcpConnections,
      transactionsCreated: this.transactionsCreated,
      dialogsCreated: this.dialogsCreated,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
    };
  }
}
