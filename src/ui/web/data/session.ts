/**
 * The sign-in of this tab: the token lives in sessionStorage only (gone when
 * the tab closes, never in a URL, a cookie or localStorage), and the role the
 * API reported for it.
 */
const KEY = 'open-acd.token';

export type Role = 'admin' | 'read';

let role: Role | null = null;

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(t: string, r: Role): void {
  sessionStorage.setItem(KEY, t);
  role = r;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  role = null;
}

export function currentRole(): Role | null {
  return role;
}

export function setRole(r: Role): void {
  role = r;
}

export function isAdmin(): boolean {
  return role === 'admin';
}
