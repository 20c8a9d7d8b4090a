/**
 * The routing editor: pick a resource, see its records, edit one or create
 * one. Everything goes through the API with its validation; a refused field
 * shows the API's reason next to it. The read token sees the records but no
 * edit controls (and the API would refuse it anyway).
 */
import { api, ApiFailure } from '../data/api.ts';
import { h, replace } from '../page/dom.ts';
import { isAdmin } from '../data/session.ts';
import type { Row } from '../data/types.ts';
import { type FieldDef, RESOURCES, type ResourceDef } from './resources.ts';

class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The value a control holds, shaped as the API takes it (undefined: leave out). */
function controlValue(
  f: FieldDef,
  c: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  creating: boolean,
): unknown {
  if (f.kind === 'checkbox') return (c as HTMLInputElement).checked;
  const raw = c.value.trim();
  if (raw === '') return f.nullable && !creating ? null : undefined;
  if (f.kind === 'number') return Number(raw);
  if (f.kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new InputError(f.name, 'is not valid JSON');
    }
  }
  return raw;
}

/**
 * The request body: every filled-in field on create; on edit only what
 * changed (a PATCH changes only the fields sent), never create-only fields.
 */
function bodyOf(
  def: ResourceDef,
  controls: Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>,
  row: Row | null,
) {
  const body: Record<string, unknown> = {};
  for (const f of def.fields) {
    const c = controls.get(f.name);
    if (!c || (row && f.createOnly)) continue;
    const value = controlValue(f, c, row === null);
    if (value === undefined) continue;
    if (row && !f.writeOnly && JSON.stringify(value) === JSON.stringify(row[f.name] ?? null))
      continue;
    body[f.name] = value;
  }
  return body;
}

function control(
  f: FieldDef,
  value: unknown,
  refs: Map<string, Row[]>,
  id: string,
  editing: boolean,
) {
  const admin = isAdmin();
  const common = {
    id,
    name: f.name,
    disabled: !admin || (editing && f.createOnly === true),
    'aria-describedby': `${id}-msg`,
  };
  if (f.kind === 'select' || f.kind === 'ref') {
    const choices: [string, string][] =
      f.kind === 'select'
        ? (f.options ?? []).map((o) => [o, o])
        : (refs.get(f.ref ?? '') ?? []).map((r) => [r.id, String(r.name ?? r.number ?? r.id)]);
    const sel = h(
      'select',
      common,
      h('option', { value: '' }, '–'),
      choices.map(([v, t]) => h('option', { value: v }, t)),
    );
    sel.value = value === null || value === undefined ? '' : String(value);
    return sel;
  }
  if (f.kind === 'checkbox') {
    const box = h('input', { ...common, type: 'checkbox' });
    box.checked = value === undefined ? true : Boolean(value);
    return box;
  }
  if (f.kind === 'json') {
    const area = h('textarea', { ...common, rows: 2 });
    area.value = value === undefined || value === null ? '' : JSON.stringify(value);
    return area;
  }
  const input = h('input', {
    ...common,
    type: f.kind === 'number' ? 'number' : f.kind === 'password' ? 'password' : 'text',
    autocomplete: 'off',
  });
  input.value = f.writeOnly || value === null || value === undefined ? '' : String(value);
  return input;
}

export function routingPage(root: HTMLElement): () => void {
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Resources' });
  const list = h('div', { class: 'records' });
  const editor = h('div', { class: 'editor' });
  replace(
    root,
    h('h1', {}, 'Routing'),
    isAdmin()
      ? null
      : h('p', { class: 'note' }, 'Read-only: sign in with the admin token to change routing.'),
    tabs,
    h('div', { class: 'split' }, list, editor),
  );
  let current = RESOURCES[0]!;

  const loadRefs = async () => {
    const refs = new Map<string, Row[]>();
    for (const key of ['departments', 'agents']) {
      refs.set(key, (await api<{ items: Row[] }>('GET', `/api/${key}`)).items);
    }
    return refs;
  };

  const edit = async (def: ResourceDef, row: Row | null, notice = '') => {
    const refs = await loadRefs();
    const controls = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();
    const messages = new Map<string, HTMLElement>();
    const general = h('p', { class: 'error', role: 'alert' });
    const saved = h('p', { class: 'saved', role: 'status' }, notice);
    const form = h('form', { class: 'record-form', 'data-resource': def.key, novalidate: true });
    form.append(
      h(
        'h2',
        {},
        row ? `Edit ${def.label(row)}` : `New ${def.title.replace(/s$/, '').toLowerCase()}`,
      ),
    );
    for (const f of def.fields) {
      const id = `${def.key}-${f.name}`;
      const c = control(f, row?.[f.name], refs, id, row !== null);
      const msg = h('span', {
        class: 'field-error',
        id: `${id}-msg`,
        'data-error-for': f.name,
        role: 'alert',
      });
      controls.set(f.name, c);
      messages.set(f.name, msg);
      form.append(
        h(
          'div',
          { class: 'field' },
          h('label', { for: id }, f.label),
          c,
          f.help ? h('small', {}, f.help) : null,
          msg,
        ),
      );
    }
    form.append(general, saved);
    if (isAdmin()) {
      form.append(h('button', { type: 'submit' }, row ? 'Save' : 'Create'));
      if (row) {
        form.append(
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: async () => {
                if (!confirm(`Delete ${def.label(row)}?`)) return;
                try {
                  await api('DELETE', `${def.path}/${row.id}`);
                  replace(editor);
                  await show(def);
                } catch (err) {
                  general.textContent = err instanceof ApiFailure ? err.message : 'failed';
                }
              },
            },
            'Delete',
          ),
        );
      }
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const m of messages.values()) m.textContent = '';
      general.textContent = '';
      saved.textContent = '';
      try {
        const body = bodyOf(def, controls, row);
        const stored = row
          ? await api<Row>('PATCH', `${def.path}/${row.id}`, body)
          : await api<Row>('POST', def.path, body);
        await show(def);
        await edit(def, stored, 'Saved.');
      } catch (err) {
        if (err instanceof InputError) {
          const m = messages.get(err.field);
          if (m) m.textContent = err.message;
          return;
        }
        if (!(err instanceof ApiFailure)) throw err;
        let placed = false;
        for (const p of err.problems) {
          const m = messages.get(p.field.split('.')[0] ?? p.field);
          if (m) {
            m.textContent = p.reason;
            placed = true;
          }
        }
        if (!placed) general.textContent = err.message;
      }
    });
    replace(editor, form);
  };

  const show = async (def: ResourceDef) => {
    current = def;
    for (const b of tabs.querySelectorAll('button'))
      b.setAttribute('aria-pressed', String(b.dataset.key === def.key));
    const { items } = await api<{ items: Row[] }>('GET', def.path);
    replace(
      list,
      h('h2', {}, def.title),
      isAdmin()
        ? h(
            'button',
            { type: 'button', 'data-new': def.key, onclick: () => void edit(def, null) },
            `New`,
          )
        : null,
      h(
        'ul',
        { class: 'record-list' },
        items.map((r) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                'data-record': r.id,
                onclick: () => void edit(def, r),
              },
              def.label(r),
            ),
          ),
        ),
      ),
    );
  };

  for (const def of RESOURCES) {
    tabs.append(
      h(
        'button',
        {
          type: 'button',
          'data-key': def.key,
          onclick: () => {
            replace(editor);
            void show(def);
          },
        },
        def.title,
      ),
    );
  }
  void show(current);
  return () => {};
}
