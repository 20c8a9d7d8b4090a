/**
 * Calls the admin API with this tab's token as a bearer header. Failures
 * become ApiFailure with the API's field and reason, so forms can show the
 * message next to the field it names.
 */
import { token } from './session.ts';

export interface Problem {
  field: string;
  reason: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
  }
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  bearer = token(),
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.ok) return res;
  let code = 'error';
  let message = `${res.status} ${res.statusText}`;
  const problems: Problem[] = [];
  try {
    const e = (await res.json()).error;
    code = e.code ?? code;
    message = e.message ?? message;
    if (Array.isArray(e.details)) problems.push(...e.details);
    else if (e.field) problems.push({ field: e.field, reason: e.reason ?? e.message });
  } catch {
    // Not JSON: keep the status line.
  }
  throw new ApiFailure(res.status, code, message, problems);
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  bearer?: string,
): Promise<T> {
  const res = await send(method, path, body, bearer);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Fetches a CSV with the bearer header and hands it to the browser as a download. */
export async function downloadCsv(path: string, filename: string): Promise<void> {
  const res = await send('GET', path);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
