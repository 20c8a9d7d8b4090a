/**
 * Reports: a period (day, week, month or custom range, in this browser's
 * time zone) and a department; totals, charts (calls per interval, service
 * level per interval, agent ranking) drawn with uPlot, tables, and the same
 * figures as CSV downloads.
 */
import uPlot from 'uplot';
import { api, ApiFailure, downloadCsv } from '../data/api.ts';
import { h, replace } from '../page/dom.ts';
import { duration, num, percent } from '../page/format.ts';
import type { Figures, Row } from '../data/types.ts';

interface Interval extends Figures {
  start: string;
  end: string;
}
interface DeptRow extends Figures {
  departmentId: string | null;
  name: string | null;
  missedRings: number;
}
interface AgentRow {
  agentId: string;
  name: string | null;
  rings: number;
  missedRings: number;
  answered: number;
  talkMinutes: number;
  ahtS: number | null;
  occupancy: number | null;
}

type Period = 'day' | 'week' | 'month' | 'custom';

const dateInput = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** Local midnight of an input date's value. */
function localDay(value: string): Date {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}

export function rangeOf(period: Period, fromValue: string, toValue: string) {
  const from = localDay(fromValue);
  if (period === 'custom') {
    const to = localDay(toValue);
    to.setDate(to.getDate() + 1);
    return { from, to, unit: to.getTime() - from.getTime() > 2 * 86_400_000 ? 'day' : 'hour' };
  }
  if (period === 'week') from.setDate(from.getDate() - ((from.getDay() + 6) % 7));
  if (period === 'month') from.setDate(1);
  const to = new Date(from);
  if (period === 'day') to.setDate(to.getDate() + 1);
  if (period === 'week') to.setDate(to.getDate() + 7);
  if (period === 'month') to.setMonth(to.getMonth() + 1);
  return { from, to, unit: period === 'day' ? 'hour' : 'day' };
}

function field(label: string, control: HTMLElement) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function chart(
  holder: HTMLElement,
  name: string,
  title: string,
  data: uPlot.AlignedData,
  series: uPlot.Series[],
  opts: Partial<uPlot.Options> = {},
): uPlot {
  const box = h('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': title });
  holder.append(h('h2', {}, title), box);
  const width = Math.max(320, Math.min(1100, holder.clientWidth || 800));
  const u = new uPlot({ width, height: 260, series: [{}, ...series], ...opts }, data, box);
  // What the chart drew, for anyone checking it (and the browser tests).
  box.setAttribute('data-points', String(u.data[0]?.length ?? 0));
  box.setAttribute(
    'data-sums',
    u.data
      .slice(1)
      .map((s) => (s as (number | null)[]).reduce<number>((a, b) => a + (b ?? 0), 0))
      .join(','),
  );
  return u;
}

export function reportsPage(root: HTMLElement): () => void {
  const today = dateInput(new Date());
  const period = h(
    'select',
    {},
    (['day', 'week', 'month', 'custom'] as const).map((p) => h('option', { value: p }, p)),
  );
  const from = h('input', { type: 'date', value: today, required: true });
  const to = h('input', { type: 'date', value: today });
  const dept = h('select', {}, h('option', { value: '' }, 'all departments'));
  const run = h('button', { type: 'submit' }, 'Show');
  const message = h('p', { class: 'error', role: 'alert' });
  const totals = h('div', { class: 'totals' });
  const charts = h('div', { class: 'charts' });
  const tables = h('div', {});
  const downloads = h('div', { class: 'downloads' });
  const form = h(
    'form',
    { class: 'report-form' },
    field('Period', period),
    field('From', from),
    field('To (custom)', to),
    field('Department', dept),
    run,
  );
  replace(root, h('h1', {}, 'Reports'), form, message, totals, downloads, charts, tables);
  const plots: uPlot[] = [];

  void api<{ items: Row[] }>('GET', '/api/departments').then(({ items }) => {
    for (const d of items) dept.append(h('option', { value: d.id }, String(d.name)));
  });

  const show = async () => {
    const r = rangeOf(period.value as Period, from.value, to.value || from.value);
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const q = new URLSearchParams({ from: r.from.toISOString(), to: r.to.toISOString() });
    if (dept.value) q.set('departmentId', dept.value);
    const iq = new URLSearchParams(q);
    iq.set('unit', r.unit);
    iq.set('timeZone', timeZone);
    message.textContent = '';
    try {
      const [depts, agents, intervals] = await Promise.all([
        api<DeptRow[]>('GET', `/api/reports/departments?${q}`),
        api<AgentRow[]>('GET', `/api/reports/agents?${q}`),
        api<{ intervals: Interval[] }>('GET', `/api/reports/intervals?${iq}`),
      ]);
      for (const p of plots.splice(0)) p.destroy();
      renderTotals(totals, depts);
      replace(
        downloads,
        h('span', {}, 'CSV: '),
        h(
          'button',
          {
            type: 'button',
            'data-csv': 'departments',
            onclick: () => void downloadCsv(`/api/reports/departments.csv?${q}`, 'departments.csv'),
          },
          'departments',
        ),
        h(
          'button',
          {
            type: 'button',
            'data-csv': 'agents',
            onclick: () => void downloadCsv(`/api/reports/agents.csv?${q}`, 'agents.csv'),
          },
          'agents',
        ),
        h(
          'button',
          {
            type: 'button',
            'data-csv': 'intervals',
            onclick: () => void downloadCsv(`/api/reports/intervals.csv?${iq}`, 'intervals.csv'),
          },
          'intervals',
        ),
      );
      replace(charts);
      const xs = intervals.intervals.map((i) => Date.parse(i.start) / 1000);
      plots.push(
        chart(
          charts,
          'calls',
          `Calls per ${r.unit}`,
          [
            xs,
            intervals.intervals.map((i) => i.offered),
            intervals.intervals.map((i) => i.answered),
            intervals.intervals.map((i) => i.abandoned),
          ],
          [
            { label: 'offered', stroke: '#1f6feb', width: 2 },
            { label: 'answered', stroke: '#1a7f37', width: 2 },
            { label: 'abandoned', stroke: '#cf222e', width: 2 },
          ],
        ),
        chart(
          charts,
          'service-level',
          `Service level per ${r.unit} (%)`,
          [
            xs,
            intervals.intervals.map((i) =>
              i.serviceLevel === null ? null : Math.round(i.serviceLevel * 100),
            ),
          ],
          [{ label: 'service level %', stroke: '#8250df', width: 2, spanGaps: true }],
          { scales: { y: { range: [0, 100] } } },
        ),
      );
      const ranked = agents.slice(0, 15);
      plots.push(
        chart(
          charts,
          'agents',
          'Agent ranking (answered calls)',
          [ranked.map((_, i) => i), ranked.map((a) => a.answered)],
          [
            {
              label: 'answered',
              stroke: '#1a7f37',
              fill: '#1a7f3755',
              paths: uPlot.paths.bars?.({ size: [0.6, 60] }),
            },
          ],
          {
            scales: { x: { time: false, range: [-0.5, Math.max(0.5, ranked.length - 0.5)] } },
            axes: [
              {
                values: (_u, ticks) =>
                  ticks.map((t) => (Number.isInteger(t) ? (ranked[t]?.name ?? '') : '')),
              },
              {},
            ],
          },
        ),
      );
      renderTables(tables, depts, agents);
    } catch (err) {
      message.textContent = err instanceof ApiFailure ? err.message : 'the report failed';
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void show();
  });
  void show();
  return () => {
    for (const p of plots.splice(0)) p.destroy();
  };
}

function renderTotals(el: HTMLElement, rows: DeptRow[]) {
  const sum = (k: keyof Figures) => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0);
  const answered = sum('answered');
  const base = answered + sum('missed') - sum('shortAbandoned');
  const total = (name: string, label: string, value: string) =>
    h(
      'div',
      { class: 'figure', 'data-total': name },
      h('span', { class: 'value' }, value),
      h('span', { class: 'label' }, label),
    );
  replace(
    el,
    total('offered', 'offered', String(sum('offered'))),
    total('answered', 'answered', String(answered)),
    total('abandoned', 'abandoned', String(sum('abandoned'))),
    total(
      'service-level',
      'service level',
      percent(base > 0 ? sum('answeredWithinSl') / base : null),
    ),
    total('talk-minutes', 'talk minutes', num(sum('talkMinutes'), 1)),
  );
}

function renderTables(el: HTMLElement, depts: DeptRow[], agents: AgentRow[]) {
  const table = (name: string, head: string[], rows: (string | number)[][]) =>
    h(
      'table',
      { class: 'grid', 'data-table': name },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c) => h('td', {}, String(c))),
          ),
        ),
      ),
    );
  replace(
    el,
    h('h2', {}, 'Departments'),
    table(
      'report-departments',
      [
        'Department',
        'Offered',
        'Answered',
        'Abandoned (short)',
        'Service level',
        'ASA',
        'AHT',
        'Longest wait',
        'Missed rings',
        'Talk min',
      ],
      depts.map((d) => [
        d.name ?? '(no department)',
        d.offered,
        d.answered,
        `${d.abandoned} (${d.shortAbandoned})`,
        percent(d.serviceLevel),
        duration(d.asaS),
        duration(d.ahtS),
        duration(d.longestWaitS),
        d.missedRings,
        num(d.talkMinutes, 1),
      ]),
    ),
    h('h2', {}, 'Agents'),
    table(
      'report-agents',
      ['Agent', 'Rings', 'Missed rings', 'Answered', 'Talk min', 'AHT', 'Occupancy'],
      agents.map((a) => [
        a.name ?? a.agentId,
        a.rings,
        a.missedRings,
        a.answered,
        num(a.talkMinutes, 1),
        duration(a.ahtS),
        percent(a.occupancy),
      ]),
    ),
  );
}
