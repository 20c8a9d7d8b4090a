/**
 * Live calls and agents: waiting calls (position, wait, expected wait, who
 * rings), connected calls, and every agent with state and time in state. A
 * call's routing explanation (candidates, chosen agent, why others were
 * skipped) opens on request. Admins can change an agent's status here.
 */
import { api, ApiFailure } from '../data/api.ts';
import { h, replace } from '../page/dom.ts';
import { duration, STATE_LABEL } from '../page/format.ts';
import { followLive } from '../data/live-feed.ts';
import { isAdmin } from '../data/session.ts';
import type { LiveView } from '../data/types.ts';

interface Routing {
  strategy?: string;
  candidates?: string[];
  chosen?: string[];
  skipped?: { agentId: string; reason: string; detail?: string }[];
}

export function livePage(root: HTMLElement): () => void {
  const status = h('p', { class: 'feed-status', role: 'status' }, 'connecting…');
  const calls = h('div', {});
  const agents = h('div', {});
  const why = h('div', { class: 'explanation', 'aria-live': 'polite' });
  replace(root, h('h1', {}, 'Live calls and agents'), status, calls, why, agents);
  let names = new Map<string, string>();
  let deptNames = new Map<string, string>();
  // Redrawing while an admin picks a status would close the menu under their pointer.
  let editing = false;

  const explain = async (callId: string) => {
    replace(why, `Loading the routing of ${callId}…`);
    try {
      const call = await api<{ routing: Routing | null }>(
        'GET',
        `/api/calls/${encodeURIComponent(callId)}`,
      );
      const r = call.routing;
      if (!r) return replace(why, h('p', {}, 'No routing decision logged yet for this call.'));
      const who = (id: string) => names.get(id) ?? id;
      replace(
        why,
        h('h2', {}, `Routing of call ${callId}`),
        h('p', {}, `Strategy: ${r.strategy ?? '–'}`),
        h('p', {}, `Candidates: ${(r.candidates ?? []).map(who).join(', ') || 'none'}`),
        h('p', {}, `Chosen: ${(r.chosen ?? []).map(who).join(', ') || 'none'}`),
        h(
          'ul',
          {},
          (r.skipped ?? []).map((s) =>
            h('li', {}, `${who(s.agentId)}: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`),
          ),
        ),
      );
    } catch (err) {
      replace(why, h('p', { class: 'error' }, err instanceof ApiFailure ? err.message : 'failed'));
    }
  };

  const setStatus = async (agentId: string, value: string, out: HTMLElement) => {
    try {
      await api('PUT', `/api/agents/${agentId}/status`, { status: value });
      out.textContent = '';
    } catch (err) {
      out.textContent = err instanceof ApiFailure ? err.message : 'failed';
    }
  };

  const render = (v: LiveView) => {
    names = new Map(v.agents.map((a) => [a.id, a.name]));
    deptNames = new Map(v.departments.map((d) => [d.id, d.name]));
    const waiting = v.departments.flatMap((d) => d.waiting.map((w) => ({ ...w, dept: d.name })));
    replace(
      calls,
      h('h2', {}, `Waiting calls (${waiting.length})`),
      h(
        'table',
        { class: 'grid', 'data-table': 'waiting' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Department', 'Caller', 'Position', 'Wait', 'Expected wait', 'Ringing', ''].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          waiting.map((w) =>
            h(
              'tr',
              { 'data-call': w.callId },
              h('td', {}, w.dept),
              h('td', {}, w.vip ? `${w.caller} (VIP)` : w.caller),
              h('td', {}, String(w.position)),
              h('td', {}, duration(w.waitS)),
              h('td', {}, duration(w.expectedWaitS)),
              h('td', {}, w.ringing.map((id) => names.get(id) ?? id).join(', ')),
              h(
                'td',
                {},
                h('button', { type: 'button', onclick: () => void explain(w.callId) }, 'Why?'),
              ),
            ),
          ),
        ),
      ),
      h('h2', {}, `Connected calls (${v.calls.length})`),
      h(
        'table',
        { class: 'grid', 'data-table': 'connected' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Department', 'Agent', 'Talking', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          v.calls.map((c) =>
            h(
              'tr',
              { 'data-call': c.callId },
              h('td', {}, deptNames.get(c.departmentId) ?? c.departmentId),
              h('td', {}, names.get(c.agentId) ?? c.agentId),
              h('td', {}, duration(c.talkS)),
              h(
                'td',
                {},
                h('button', { type: 'button', onclick: () => void explain(c.callId) }, 'Why?'),
              ),
            ),
          ),
        ),
      ),
    );
    if (editing) return;
    replace(
      agents,
      h('h2', {}, 'Agents'),
      h(
        'table',
        { class: 'grid', 'data-table': 'agents' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Agent', 'State', 'Time in state', 'Departments', isAdmin() ? 'Set status' : ''].map(
              (t) => h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          v.agents.map((a) => {
            const out = h('span', { class: 'error', role: 'alert' });
            const select = h(
              'select',
              { 'aria-label': `Status of ${a.name}`, 'data-status-of': a.id },
              ['', 'available', 'away', 'offline'].map((s) =>
                h('option', { value: s }, s === '' ? 'change…' : s),
              ),
            );
            select.addEventListener('focus', () => {
              editing = true;
            });
            select.addEventListener('blur', () => {
              editing = false;
            });
            select.addEventListener('change', () => {
              editing = false;
              if (select.value) void setStatus(a.id, select.value, out);
            });
            return h(
              'tr',
              { 'data-agent': a.id },
              h('td', {}, a.name),
              h(
                'td',
                { class: `state state-${a.state}`, 'data-state': a.state },
                STATE_LABEL[a.state] ?? a.state,
              ),
              h('td', {}, duration(a.timeInStateS)),
              h(
                'td',
                {},
                a.departments
                  .map((m) => `${deptNames.get(m.id) ?? m.id} (${m.priority})`)
                  .join(', '),
              ),
              h('td', {}, isAdmin() ? [select, out] : null),
            );
          }),
        ),
      ),
    );
  };
  const feed = followLive(render, (up) => {
    status.textContent = up ? 'live' : 'reconnecting…';
  });
  return () => feed.stop();
}
