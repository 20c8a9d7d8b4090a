/**
 * The wallboard: per department big numbers (waiting, longest wait, service
 * level today, agents available / on a call / wrap-up / away) with colour
 * thresholds, for a wall TV. Follows the live feed; the waits tick on
 * locally between snapshots.
 */
import { h, replace } from '../page/dom.ts';
import { duration, percent } from '../page/format.ts';
import { followLive } from '../data/live-feed.ts';
import type { LiveView } from '../data/types.ts';

type Level = 'ok' | 'warn' | 'bad';

/** Longest wait against the department's service-level target. */
function waitLevel(waitS: number, targetS: number): Level {
  if (waitS > targetS) return 'bad';
  return waitS > targetS / 2 ? 'warn' : 'ok';
}

function slLevel(sl: number | null): Level {
  if (sl === null || sl >= 0.8) return 'ok';
  return sl >= 0.6 ? 'warn' : 'bad';
}

function figure(name: string, label: string, value: string, level: Level = 'ok') {
  return h(
    'div',
    { class: `figure level-${level}`, 'data-figure': name },
    h('span', { class: 'value' }, value),
    h('span', { class: 'label' }, label),
  );
}

export function wallboard(root: HTMLElement): () => void {
  const status = h('p', { class: 'feed-status', role: 'status' }, 'connecting…');
  const board = h('div', { class: 'wallboard', 'aria-live': 'polite' });
  replace(root, h('h1', {}, 'Wallboard'), status, board);
  let view: LiveView | null = null;
  let received = 0;

  const render = () => {
    if (!view) return;
    const elapsed = Math.max(0, Math.round((Date.now() - received) / 1000));
    replace(
      board,
      view.departments.map((d) => {
        const longest = d.waiting.length > 0 ? d.longestWaitS + elapsed : 0;
        const away = d.agents.away + d.agents.break;
        return h(
          'section',
          { class: 'dept-card', 'data-dept': d.id, 'aria-label': d.name },
          h('h2', {}, d.name),
          h(
            'div',
            { class: 'figures' },
            figure(
              'waiting',
              'waiting',
              String(d.waiting.length),
              d.waiting.length > 0 ? 'warn' : 'ok',
            ),
            figure(
              'longest-wait',
              'longest wait',
              duration(longest),
              waitLevel(longest, d.serviceLevelS),
            ),
            figure(
              'service-level',
              'service level today',
              percent(d.today.serviceLevel),
              slLevel(d.today.serviceLevel),
            ),
            figure(
              'available',
              'available',
              String(d.agents.available),
              d.agents.available === 0 ? 'bad' : 'ok',
            ),
            figure('on-call', 'on a call', String(d.agents.onCall + d.agents.ringing)),
            figure('wrap-up', 'wrap-up', String(d.agents.wrapUp)),
            figure('away', 'away', String(away)),
          ),
        );
      }),
    );
  };
  const feed = followLive(
    (v) => {
      view = v;
      received = Date.now();
      render();
    },
    (up) => {
      status.textContent = up ? 'live' : 'reconnecting…';
      status.className = `feed-status ${up ? 'up' : 'down'}`;
    },
  );
  const ticker = window.setInterval(render, 1000);
  return () => {
    feed.stop();
    window.clearInterval(ticker);
  };
}
