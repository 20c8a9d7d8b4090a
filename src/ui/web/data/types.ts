/** The API's answers the UI reads (see docs/api.md and docs/ui.md). */
export type AgentState =
  | 'available'
  | 'ringing'
  | 'onCall'
  | 'wrapUp'
  | 'away'
  | 'break'
  | 'offline';

export interface LiveView {
  at: string;
  routing: boolean;
  departments: {
    id: string;
    name: string;
    strategy: string;
    serviceLevelS: number;
    waiting: {
      callId: string;
      caller: string;
      position: number;
      vip: boolean;
      waitS: number;
      expectedWaitS: number | null;
      ringing: string[];
    }[];
    longestWaitS: number;
    agents: Record<AgentState, number>;
    today: {
      offered: number;
      answered: number;
      abandoned: number;
      serviceLevel: number | null;
      asaS: number | null;
    };
  }[];
  agents: {
    id: string;
    name: string;
    state: AgentState;
    timeInStateS: number | null;
    presenceReason: string | null;
    activeCalls: number;
    ringingCallId: string | null;
    departments: { id: string; priority: number; callsEnabled: boolean }[];
  }[];
  calls: { callId: string; departmentId: string; agentId: string; talkS: number }[];
}

export interface Figures {
  calls: number;
  offered: number;
  answered: number;
  missed: number;
  abandoned: number;
  shortAbandoned: number;
  answeredWithinSl: number;
  serviceLevel: number | null;
  asaS: number | null;
  ahtS: number | null;
  talkMinutes: number;
  longestWaitS: number | null;
}

export interface Row {
  id: string;
  [field: string]: unknown;
}
