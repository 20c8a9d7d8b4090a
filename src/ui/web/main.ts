/**
 * The web UI's entry: sign-in (the admin or the read token, kept for this tab
 * only), then four pages behind hash routes: wallboard, live, reports,
 * routing. The read token sees the wallboard, live view, reports and the
 * routing records, without edit controls.
 */
import { api, ApiFailure } from './data/api.ts';
import { h, replace } from './page/dom.ts';
import { currentRole, type Role, setRole, signIn, signOut, token } from './data/session.ts';
import { livePage } from './views/live.ts';
import { reportsPage } from './views/reports.ts';
import { routingPage } from './views/routing.ts';
import { wallboard } from './views/wallboard.ts';

const PAGES: Record<string, { title: string; open: (root: HTMLElement) => () => void }> = {
  wallboard: { title: 'Wallboard', open: wallboard },
  live: { title: 'Live', open: livePage },
  reports: { title: 'Reports', open: reportsPage },
  routing: { title: 'Routing', open: routingPage },
};

const app = document.getElementById('app')!;
let closePage: (() => void) | null = null;

function signInForm(message = '') {
  closePage?.();
  closePage = null;
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const error = h('p', { class: 'error', role: 'alert' }, message);
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'open-acd'),
    h('label', { for: 'token' }, 'API token (admin, or the read token for wallboards)'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { role } = await api<{ role: Role }>(
        'GET',
        '/api/session',
        undefined,
        input.value.trim(),
      );
      signIn(input.value.trim(), role);
      input.value = '';
      route();
    } catch (err) {
      error.textContent =
        err instanceof ApiFailure && err.status === 401
          ? 'That token is not valid.'
          : 'Sign-in failed.';
    }
  });
  replace(app, form);
  input.focus();
}

function route() {
  if (!token() || !currentRole()) return signInForm();
  const name = location.hash.replace(/^#\/?/, '') || 'wallboard';
  const page = PAGES[name] ?? PAGES.wallboard!;
  closePage?.();
  const main = h('main', { id: 'page', tabindex: '-1' });
  const nav = h(
    'nav',
    { class: 'top', 'aria-label': 'Pages' },
    Object.entries(PAGES).map(([key, p]) =>
      h('a', { href: `#/${key}`, 'aria-current': key === name ? 'page' : null }, p.title),
    ),
    h(
      'span',
      { class: 'role', 'data-role': currentRole() ?? '' },
      currentRole() === 'admin' ? 'admin' : 'read-only',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          signOut();
          signInForm();
        },
      },
      'Sign out',
    ),
  );
  replace(app, nav, main);
  document.title = `${page.title} – open-acd`;
  closePage = page.open(main);
}

window.addEventListener('hashchange', () => {
  if (token() && currentRole()) route();
});
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof ApiFailure && e.reason.status === 401) {
    signOut();
    signInForm('Signed out: the token is no longer accepted.');
  }
});

async function start() {
  const t = token();
  if (!t) return signInForm();
  try {
    setRole((await api<{ role: Role }>('GET', '/api/session')).role);
    route();
  } catch {
    signOut();
    signInForm();
  }
}
void start();
