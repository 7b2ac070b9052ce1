import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinSkills } from '../../skills/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { finishedGeneration } from '../worker/fixtures/results.js';
import { TOKEN, startApi, type ApiHarness } from './harness.js';

// The review page in Debian's headless Chromium, driven by playwright-core (no browser download).
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url));

let redis: TestRedis;
let api: ApiHarness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run does`,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await redisForTests();
  api = await startApi(redis.url, {
    intentsPerMinute: 0,
    skills: builtinSkills.filter((s) => ['getLabel', 'imageTag', 'podSpecOf'].includes(s.name)),
    generate: async (intent, ctx) => {
      ctx.onProgress({ type: 'round-started', round: 1 });
      return finishedGeneration(intent, {
        restatement: {
          summary:
            'Denies CREATE of Pods in every namespace but the system ones whose label env="prod"; never touches the system namespaces.',
          denies: ['CREATE Pod in default with label env="prod" ("prod pod is denied")'],
          allows: [],
          warns: [],
          mutates: [],
          neverTouches: ['other kinds'],
          judged: false,
          text: 'Denies CREATE of Pods in every namespace but the system ones whose label env="prod"; never touches the system namespaces.\ndenies: CREATE Pod in default with label env="prod" ("prod pod is denied")\njudged: no — the reading was not independently checked',
        },
        rounds: [
          {
            round: 1,
            promptChars: { system: 10, human: 20 },
            usage: { promptTokens: 100, completionTokens: 40, totalTokens: 140, calls: 2 },
            durationMs: 5,
            report: {
              passed: true,
              findings: [
                {
                  rule: 'safety/no-namespace-scope',
                  severity: 'advisory',
                  message: 'applies cluster-wide',
                  fix: 'name the namespaces',
                },
              ],
              suite: { passed: true, total: 4, failed: 0, cases: [], durationMs: 3 },
              fuzz: [],
              dryRunErrors: [],
            },
            critique: { success: true, reasoning: 'does what was asked', critique: '' },
          },
        ],
      });
    },
  });
  await api.store.putSkill({
    name: 'referencesProject',
    description: 'True when an IAMPolicy points at a Project',
    code: "function referencesProject(obj) {\n  // resourceRef may be missing\n  return obj?.spec?.resourceRef?.kind === 'Project';\n}",
    tests: [{ name: 'project', args: [{ spec: { resourceRef: { kind: 'Project' } } }], expected: true }],
    provenance: {
      intent: 'Deny IAMPolicies on projects',
      model: 'gpt-4o',
      round: 2,
      date: '2026-11-25T10:00:00.000Z',
      source: 'generated',
    },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await redis?.close();
});

describe('review page (headless Chromium)', () => {
  it('asks for the token, then lists the skill library', async () => {
    await page.goto(`${api.url}/`);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button[type=submit]').click();
    await expect.poll(() => page.locator('#skill-list li').count()).toBe(4);
    expect(await page.locator('#skill-count').textContent()).toBe('4 skills');
  });

  it('searches and filters by state', async () => {
    await page.locator('#skill-search').fill('image');
    await expect
      .poll(() => page.locator('#skill-list li').allTextContents())
      .toEqual([expect.stringContaining('imageTag@1')]);
    // The search is the ranked one of `policyforge skills search`: best match first (getLabel comes first
    // in store order), and for reviewers it reaches candidates too, after the approved skills.
    await page.locator('#skill-search').fill('image tag label');
    await expect
      .poll(() => page.locator('#skill-list li').allTextContents())
      .toEqual([expect.stringContaining('imageTag@1'), expect.stringContaining('getLabel@1')]);
    await page.locator('#skill-search').fill('IAMPolicy project');
    await expect.poll(() => page.locator('#skill-list li').allTextContents()).toEqual(['referencesProject@1candidate']);
    await page.locator('#skill-search').fill('');
    await page.locator('#state-filter').selectOption('candidate');
    await expect.poll(() => page.locator('#skill-list li').allTextContents()).toEqual(['referencesProject@1candidate']);
  });

  it('opens a skill: highlighted code, tests and provenance', async () => {
    await page.locator('[data-skill-id="referencesProject@1"]').click();
    await expect.poll(() => page.locator('#skill-detail h2').textContent()).toContain('referencesProject');
    expect(await page.locator('#skill-detail pre .tok-kw').first().textContent()).toBe('function');
    expect(await page.locator('#skill-detail pre .tok-com').textContent()).toBe('// resourceRef may be missing');
    expect(await page.locator('#skill-tests tr').count()).toBe(2);
    expect(await page.locator('#skill-provenance').textContent()).toContain('Deny IAMPolicies on projects');
    expect(await page.locator('#reject').isEnabled()).toBe(true);
    expect(await page.locator('#deprecate').isEnabled()).toBe(false);
  });

  it('approves it with a comment and shows the new state', async () => {
    await page.locator('#reviewer').fill('dana');
    await page.locator('#review-comment').fill('safe against missing resourceRef');
    await page.locator('#approve').click();
    await expect.poll(() => page.locator('#skill-state').textContent()).toBe('approved');
    expect(await page.locator('#skill-reviews').textContent()).toContain(
      'dana: approved — safe against missing resourceRef',
    );
    expect(await page.locator('#approve').isEnabled()).toBe(false);
    expect(await page.locator('#deprecate').isEnabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}review-page-skill-approved.png`, fullPage: true });
    // The state change is real: the store says so, and the candidate filter no longer lists it.
    expect((await api.store.getSkill('referencesProject@1'))?.state).toBe('approved');
    await expect.poll(() => page.locator('#skill-list li').count()).toBe(0);
  });

  it('shows the intent history: rounds, findings, critique and the YAML download', async () => {
    const { id } = await (await api.call('/v1/intents', { json: { text: 'Deny pods labelled env=prod' } })).json();
    await expect.poll(async () => (await (await api.call(`/v1/intents/${id}`)).json()).state).toBe('completed');
    await page.locator('.tab[data-view=intents]').click();
    await page.locator(`[data-intent-id="${id}"]`).click();
    await expect.poll(() => page.locator('#intent-rounds tr').count()).toBe(2);
    // issue 11: what it does, rendered from the cases, in the history and the detail, flagged when not judged
    expect(await page.locator(`[data-intent-id="${id}"] + p.restatement`).textContent()).toBe(
      'Denies CREATE of Pods in every namespace but the system ones whose label env="prod"; never touches the system namespaces. (not independently judged)',
    );
    expect(await page.locator('#intent-restatement').textContent()).toContain(
      'denies: CREATE Pod in default with label env="prod"',
    );
    expect(await page.locator('#intent-restatement').getAttribute('class')).toBe('restatement unjudged');
    expect(await page.locator('#intent-rounds').textContent()).toContain('safety/no-namespace-scope');
    expect(await page.locator('#intent-rounds').textContent()).toContain('accepted');
    expect(await page.locator('#download-yaml').getAttribute('href')).toBe(`/v1/intents/${id}/policy.yaml`);
    await expect.poll(() => page.locator('#policy-yaml').textContent()).toContain('kind: JsPolicy');
    const download = await page.evaluate(
      async (href) => (await fetch(href!)).text(),
      await page.locator('#download-yaml').getAttribute('href'),
    );
    expect(download).toContain('kind: JsPolicy');
    await page.screenshot({ path: `${ARTIFACTS}review-page-intent.png`, fullPage: true });
  });

  it('submits an intent with objects to replay against and shows the impact beside the restatement (issue 14)', async () => {
    const pod = (name: string, env: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: shop\n  name: ${name}\n  labels: {env: ${env}}\n`;
    const manifests = [pod('web', 'prod'), pod('api', 'prod'), pod('debug', 'dev')].join('---\n');
    await page.locator('#intent-text').fill('Deny pods labelled env=prod, with the shop objects');
    await page
      .locator('#intent-against')
      .setInputFiles({ name: 'shop.yaml', mimeType: 'application/yaml', buffer: Buffer.from(manifests) });
    await page.locator('#intent-form button[type=submit]').click();
    // The page uploads the file (POST /v1/against), submits the intent naming it, and opens it; it
    // completes in the worker, whose impact preview replays the fixture's prod-denying policy.
    await expect
      .poll(() => page.locator('#impact-headline').textContent(), { timeout: 30_000 })
      .toBe('would deny 2 of 3 objects; warn 0; mutate 0 · 3 selected by its match rules');
    expect(await page.locator('#intent-impact').getAttribute('class')).toBe('impact over');
    expect(await page.locator('#impact-warning').textContent()).toContain('not safe to enforce as is');
    expect(await page.locator('#impact-reasons tr').allTextContents()).toEqual([
      'verdictobjectsreasone.g.',
      'deny2403 no prodPod shop/web (against:1)Pod shop/api (against:8)',
    ]);
    // Beside the restatement: the restatement comes first, the impact right after it.
    expect(await page.locator('#intent-restatement + h3 + #intent-impact').count()).toBe(1);
    expect(await page.locator('#intent-detail p.error').allTextContents()).toContain(
      'Not safe to apply as is: verified, but it would deny more of the objects sent than the threshold allows (see above).',
    );
    await page.locator('.tab[data-view=intents]').click();
    await expect
      .poll(() => page.locator('p.impact').allTextContents())
      .toContain('impact: would deny 2 of 3 objects; warn 0; mutate 0 — above the deny threshold');
    await page.screenshot({ path: `${ARTIFACTS}review-page-impact.png`, fullPage: true });
  });
});
