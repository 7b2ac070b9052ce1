import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PolicyforgeError } from '../../common/index.js';
import { errorBody } from './errors.js';

/**
 * Bearer-token authentication. Scripts send `Authorization: Bearer <token>`; browsers (the review page,
 * the queue dashboard, the docs page) get an HttpOnly, SameSite=Strict session cookie from POST
 * /v1/session, whose value is an HMAC of the token (the token itself never sits in the browser).
 * Both comparisons are constant-time.
 */
export const SESSION_COOKIE = 'pf_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without authentication (health probes, the review page's static files). */
    public?: boolean;
  }
}

export interface Authenticator {
  /** True when the request carries the token or a valid session cookie. */
  check(request: FastifyRequest): boolean;
  /** Set-Cookie value for a request that proved it has the token. */
  sessionCookie(secure: boolean): string;
  clearCookie(): string;
}

export function createAuthenticator(token: string): Authenticator {
  const tokenDigest = digest(token);
  const session = createHmac('sha256', token).update('policyforge-session-v1').digest('hex');
  const sessionDigest = digest(session);
  return {
    check(request) {
      const header = request.headers.authorization;
      if (header) {
        const match = /^Bearer\s+(.+)$/i.exec(header.trim());
        return !!match && timingSafeEqual(digest(match[1]), tokenDigest);
      }
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      return cookie !== undefined && timingSafeEqual(digest(cookie), sessionDigest);
    },
    sessionCookie: (secure) => `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200${secure ? '; Secure' : ''}`,
    clearCookie: () => `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
  };
}

/** Hashing first gives both sides the same length, which timingSafeEqual requires, without leaking the length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** onRequest hook: everything needs auth except routes marked `config: { public: true }`. */
export function requireAuth(auth: Authenticator | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!auth || request.routeOptions.config?.public) return undefined;
    if (!auth.check(request)) {
      // Answered here rather than thrown: plugins with their own error handler (bull-board) would turn it into a 500.
      return reply.status(401).header('www-authenticate', 'Bearer realm="policyforge"').send(errorBody(new PolicyforgeError('PF_ERR_UNAUTHORIZED')));
    }
    return undefined;
  };
}
