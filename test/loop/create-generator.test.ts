import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGenerator } from '../../src/loop/index.js';
import { startScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { pod } from './helpers.js';
import { podsPlan } from '../support/plans.js';

const home = mkdtempSync(join(tmpdir(), 'pf-gen-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('createGenerator', () => {
  it('wires an offline generator: SQLite store, seeded built-in skills, inline sandbox', async () => {
    const generator = await createGenerator({ env: {}, store: join(home, 'offline.sqlite') });
    try {
      expect(generator.model).toBeUndefined();
      expect((await generator.library.search('privileged containers', 5)).map((s) => s.name)).toContain('isPrivileged');
      const result = await generator.generate({ text: 'Block privileged containers.' });
      expect(result).toMatchObject({ status: 'succeeded', source: 'offline' });
    } finally {
      await generator.close();
    }
  });

  it('validates the model configuration before opening anything', async () => {
    await expect(
      createGenerator({ env: { POLICYFORGE_PROVIDER: 'banana' }, store: join(home, 'never.sqlite') }),
    ).rejects.toMatchObject({ code: 'PF_ERR_CONFIG' });
  });

  it('uses the configured model and, with POLICYFORGE_EMBEDDINGS_MODEL, embeddings for retrieval', async () => {
    const server = await startScriptedOpenAIServer();
    const plan = podsPlan(
      [
        { name: 'prod denied', object: pod('a', 'default', { env: 'prod' }), expect: 'deny' },
        { name: 'dev allowed', object: pod('b', 'default', { env: 'dev' }), expect: 'allow' },
      ],
      {},
      {
        rationale: 'deny env=prod pods',
        steps: [{ name: 'isProd', description: 'the pod carries env=prod' }],
      },
    );
    server.push(
      { toolCall: { arguments: plan } },
      {
        toolCall: {
          arguments: {
            explanation: 'x',
            plan: 'x',
            spec: {
              type: 'Validating',
              operations: ['CREATE'],
              resources: ['pods'],
              apiGroups: [''],
              javascript: "if (getLabel(request.object, 'env') === 'prod') { deny('no prod'); }",
            },
          },
        },
      },
      { toolCall: { arguments: { reasoning: 'ok', success: true, critique: '' } } },
    );
    const generator = await createGenerator({
      env: {
        OPENAI_BASE_URL: server.baseURL,
        POLICYFORGE_MODEL: 'coder-model',
        POLICYFORGE_EMBEDDINGS_MODEL: 'embed-model',
      },
      store: join(home, 'model.sqlite'),
    });
    try {
      expect(generator.model).toMatchObject({
        provider: 'openai-compatible',
        model: 'coder-model',
        embeddingsModel: 'embed-model',
      });
      const result = await generator.generate({ text: 'Deny pods labelled env=prod.' });
      expect(result).toMatchObject({ status: 'succeeded', source: 'model' });
      expect(result.skillsUsed).toContain('getLabel@1');
      const embeddingCalls = server.requests.filter((r) => r.path.endsWith('/embeddings'));
      expect(embeddingCalls.length).toBeGreaterThan(0);
      expect(embeddingCalls.every((r) => r.body.model === 'embed-model')).toBe(true);
      expect(server.chatRequests().every((r) => r.body.model === 'coder-model')).toBe(true);
    } finally {
      await generator.close();
      await server.close();
    }
  });
});
