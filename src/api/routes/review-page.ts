import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { PolicyforgeError, assetPath } from '../../../common/index.js';
import type { Authenticator } from '../auth.js';

/** The review page's files: plain HTML, JS and CSS served as they are (no build step). */
const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;

export function registerReviewPage(app: FastifyInstance, auth: Authenticator | undefined): void {
  const cache = new Map<AssetName, Buffer>();
  const load = async (name: AssetName): Promise<Buffer> => {
    let body = cache.get(name);
    if (!body) cache.set(name, (body = await readFile(assetPath('src', 'api', 'review', name))));
    return body;
  };

  // The page itself holds nothing secret; every call it makes is authenticated.
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/review/'),
  );
  app.get('/review', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/review/'),
  );
  app.get<{ Params: { file?: string } }>(
    '/review/:file',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const name = (request.params.file || 'index.html') as AssetName;
      if (!(name in ASSETS)) throw new PolicyforgeError('PF_ERR_NOT_FOUND', [`review page file ${name}`]);
      return reply
        .header('content-type', ASSETS[name])
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        .send(await load(name));
    },
  );

  app.post(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Exchange the bearer token for a browser session cookie (review page, dashboard, docs)',
        response: {
          200: { type: 'object', properties: { authenticated: { type: 'boolean' }, auth: { type: 'boolean' } } },
        },
      },
    },
    async (request, reply) => {
      // A new random session per login, stored server-side with the caller's role (user or admin).
      if (auth && request.identity)
        reply.header('set-cookie', await auth.startSession(request.identity, request.protocol === 'https'));
      return { authenticated: true, auth: !!auth };
    },
  );
  app.delete(
    '/v1/session',
    {
      config: { public: true },
      schema: { tags: ['session'], summary: 'End the browser session (revoked server-side)', security: [] },
    },
    async (request, reply) => {
      if (auth) reply.header('set-cookie', await auth.endSession(request));
      return reply.status(204).send();
    },
  );
}
