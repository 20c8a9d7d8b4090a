/**
 * Follows the live view over the WebSocket: a one-time ticket (asked for
 * with the bearer header) opens `/api/events?live=true`, the first message is
 * the whole view and later `live.snapshot` messages replace it. Reconnects
 * after a drop; `stop()` ends it.
 */
import { api } from './api.ts';
import type { LiveView } from './types.ts';

export interface LiveFeed {
  stop(): void;
}

export function followLive(
  onView: (view: LiveView) => void,
  onStatus: (connected: boolean) => void,
): LiveFeed {
  let ws: WebSocket | null = null;
  let stopped = false;
  let retry: number | undefined;
  const open = async () => {
    if (stopped) return;
    try {
      const { ticket } = await api<{ ticket: string }>('GET', '/api/events/ticket');
      if (stopped) return;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const socket = new WebSocket(
        `${scheme}://${location.host}/api/events?live=true&types=live.*&ticket=${encodeURIComponent(ticket)}`,
      );
      ws = socket;
      socket.onopen = () => onStatus(true);
      socket.onmessage = (m) => {
        const event = JSON.parse(String(m.data));
        if (event.type === 'live.snapshot') onView(event.data as LiveView);
      };
      socket.onclose = () => {
        onStatus(false);
        if (!stopped) retry = window.setTimeout(open, 2000);
      };
    } catch {
      onStatus(false);
      if (!stopped) retry = window.setTimeout(open, 3000);
    }
  };
  void open();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(retry);
      ws?.close();
    },
  };
}
