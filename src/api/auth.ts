import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PolicyforgeError } from '../../common/index.js';
import { errorBody } from './errors.js';

/**
 * Bearer-token authentication. Scripts send `Authorization: Bearer <token>`; browsers (the review page,
 * the queue dashboard, the docs page) get an HttpOnly, SameSite=Strict session cookie from POST
 * /v1/session: a random value per session, kept server-side (Redis, hashed) and revocable by
 * DELETE /v1/session. Two roles: the API token (`user`) and the admin token (`admin`: the user's rights
 * plus writes on the queue dashboard and Redis's server details). Token comparisons are constant-time.
 */
export const SESSION_COOKIE = 'pf_session';

/** How long a browser session lives. */
export const SESSION_TTL_SECONDS = 12 * 3600;

export type Role = 'user' | 'admin';

/** Who is asking: the role, how they proved it, and the one rate-limit bucket they count against. */
export interface Identity {
  role: Role;
  via: 'bearer' | 'session' | 'none';
  /** One key per principal whatever the transport: a token holder's bearer calls and browser sessions share it. */
  client: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without authentication (health probes, the review page's static files). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Set by the auth hook; undefined on public routes without credentials. */
    identity?: Identity;
  }
}

/** Server-side sessions: the cookie is a random id; only its hash is stored. */
export interface SessionStore {
  create(role: Role, ttlSeconds: number): Promise<string>;
  role(id: string): Promise<Role | undefined>;
  revoke(id: string): Promise<void>;
}

export interface Authenticator {
  /** The caller's identity from a bearer token or a live session cookie; undefined when neither holds. */
  identify(request: FastifyRequest): Promise<Identity | undefined>;
  /** The role a bearer token grants (no session lookup): for probes and the worker's /metrics. */
  bearerRole(request: FastifyRequest): Role | undefined;
  /** Starts a session for an identified caller; answers the Set-Cookie value. */
  startSession(identity: Identity, secure: boolean): Promise<string>;
  /** Revokes the session the request carries (if any); answers the Set-Cookie value that clears it. */
  endSession(request: FastifyRequest): Promise<string>;
}

export function createAuthenticator(
  tokens: { token: string; adminToken?: string },
  sessions: SessionStore = memorySessions(),
): Authenticator {
  const userDigest = digest(tokens.token);
  const adminDigest = tokens.adminToken ? digest(tokens.adminToken) : undefined;
  const bearerRole = (request: FastifyRequest): Role | undefined => {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization?.trim() ?? '');
    if (!match) return undefined;
    const given = digest(match[1]);
    if (adminDigest && timingSafeEqual(given, adminDigest)) return 'admin';
    return timingSafeEqual(given, userDigest) ? 'user' : undefined;
  };
  return {
    bearerRole,
    async identify(request) {
      if (request.headers.authorization) {
        const role = bearerRole(request);
        return role ? { role, via: 'bearer', client: role } : undefined;
      }
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (!cookie || !/^[0-9a-f]{64}$/.test(cookie)) return undefined;
      const role = await sessions.role(cookie);
      return role ? { role, via: 'session', client: role } : undefined;
    },
    async startSession(identity, secure) {
      const id = await sessions.create(identity.role, SESSION_TTL_SECONDS);
      return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_SECONDS}${secure ? '; Secure' : ''}`;
    },
    async endSession(request) {
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (cookie && /^[0-9a-f]{64}$/.test(cookie)) await sessions.revoke(cookie);
      return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
    },
  };
}

/** Sessions in Redis under `<prefix>:policyforge:session:<sha256(id)>`, shared by every API replica. */
export function redisSessions(redis: {
  prefix: string;
  withRedis<T>(op: () => Promise<T>): Promise<T>;
  client: {
    set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
    get(key: string): Promise<string | null>;
    del(key: string): Promise<number>;
  };
}): SessionStore {
  const key = (id: string): string => `${redis.prefix}:policyforge:session:${digest(id).toString('hex')}`;
  return {
    async create(role, ttlSeconds) {
      const id = randomBytes(32).toString('hex');
      await redis.withRedis(() => redis.client.set(key(id), role, 'EX', ttlSeconds));
      return id;
    },
    async role(id) {
      const role = await redis.withRedis(() => redis.client.get(key(id)));
      return role === 'user' || role === 'admin' ? role : undefined;
    },
    async revoke(id) {
      await redis.withRedis(() => redis.client.del(key(id)));
    },
  };
}

/** Sessions in this process only (tests, a single replica without Redis). */
export function memorySessions(now: () => number = Date.now): SessionStore {
  const live = new Map<string, { role: Role; until: number }>();
  return {
    async create(role, ttlSeconds) {
      const id = randomBytes(32).toString('hex');
      live.set(digest(id).toString('hex'), { role, until: now() + ttlSeconds * 1000 });
      return id;
    },
    async role(id) {
      const s = live.get(digest(id).toString('hex'));
      return s && s.until > now() ? s.role : undefined;
    },
    async revoke(id) {
      live.delete(digest(id).toString('hex'));
    },
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

/**
 * onRequest hook: everything needs auth except routes marked `config: { public: true }`. Without auth
 * (--insecure-no-auth) every caller is a user counted by address; admin rights need the admin token.
 */
export function requireAuth(auth: Authenticator | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!auth) {
      request.identity = { role: 'user', via: 'none', client: `ip:${request.ip}` };
      return undefined;
    }
    const identity = await auth.identify(request);
    if (identity) request.identity = identity;
    if (identity || request.routeOptions.config?.public) return undefined;
    // Answered here rather than thrown: plugins with their own error handler (bull-board) would turn it into a 500.
    return reply
      .status(401)
      .header('www-authenticate', 'Bearer realm="policyforge"')
      .send(errorBody(new PolicyforgeError('PF_ERR_UNAUTHORIZED')));
  };
}

/** The queue dashboard's extra rule: reads for every authenticated caller, writes and Redis's server details for admins only. */
export function dashboardGuard(prefix: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    // The route that matched, not the URL as sent: `/admin/%71ueues/api/r%65dis/stats` reaches the same handler.
    const path = request.routeOptions.url ?? request.url.split('?')[0];
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    if (request.identity?.role === 'admin') return undefined;
    const write = request.method !== 'GET' && request.method !== 'HEAD';
    if (write || path.startsWith(`${prefix}/api/redis/`)) {
      const what = write ? 'changing queues and jobs' : "Redis's server details";
      return reply
        .status(403)
        .send(
          errorBody(
            new PolicyforgeError('PF_ERR_FORBIDDEN', [`${what} needs the admin token (POLICYFORGE_ADMIN_TOKEN)`]),
          ),
        );
    }
    return undefined;
  };
}
