/**
 * Bearer-token authentication. The admin token may do everything; the
 * optional read token may only read (GET/HEAD and the event stream), so a
 * wallboard never holds a key that can change routing. Writes with the read
 * token get 403; a missing or wrong token gets 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './errors.ts';

export type Role = 'admin' | 'read';

export interface ApiTokens {
  admin: string;
  read: string | null;
}

// Hashing first gives equal-length inputs, so timingSafeEqual never throws
// and the comparison time does not reveal the token's length.
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function roleOf(tokens: ApiTokens, presented: string | null): Role | null {
  if (presented === null || presented === '') return null;
  if (sameSecret(presented, tokens.admin)) return 'admin';
  if (tokens.read !== null && sameSecret(presented, tokens.read)) return 'read';
  return null;
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

const unauthorized = () =>
  new ApiError(
    401,
    'unauthorized',
    'missing or invalid bearer token (Authorization: Bearer <token>)',
  );

export function requireToken(tokens: ApiTokens) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const role = roleOf(tokens, bearerOf(req));
    if (role === null) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="open-acd"');
      next(unauthorized());
      return;
    }
    if (role === 'read' && req.method !== 'GET' && req.method !== 'HEAD') {
      next(new ApiError(403, 'forbidden', 'the read-only token cannot change anything'));
      return;
    }
    res.locals.role = role;
    next();
  };
}
