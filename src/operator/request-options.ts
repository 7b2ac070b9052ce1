import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import type { ConfigurationOptions } from '@kubernetes/client-node';
import { reusedAgent } from '../kube/index.js';

/**
 * Per-request options for client-node 1.4's generated clients: an abort timeout (client-node sets none, so
 * a hung connection would block forever) and, for patches, the Content-Type (the generated code picks
 * JSON patch), and one keep-alive agent per connection options instead of client-node's new agent per request
 * (src/kube/agents.ts). Middleware here must return client-node's own Observable stub, as `setHeaderOptions` does.
 */
export function requestOptions(timeoutMs: number, contentType?: string): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs) as never);
          const agent = reusedAgent(ctx.getAgent());
          if (agent) ctx.setAgent(agent);
          if (contentType) ctx.setHeaderParam('Content-Type', contentType);
          return of(ctx);
        },
        post: (res) => of(res),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
