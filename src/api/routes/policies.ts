import type { FastifyInstance } from 'fastify';
import type { JsPolicy, Suite, SuiteResult, TestCase } from '../../../common/index.js';
import { parsePolicy, parseSuite } from '../../../sandbox/index.js';
import type { GenerationMetrics } from '../../../worker/index.js';

/** What POST /v1/policies/test needs from the sandbox (production: createSandbox({ isolation: 'process' })). */
export interface PolicyTester {
  runSuite(policy: JsPolicy, cases: Suite | TestCase[]): Promise<SuiteResult>;
}

const yamlOrObject = (what: string) => ({
  description: `${what} as a JSON object or as YAML text (the public suite/policy format)`,
  anyOf: [{ type: 'string', maxLength: 1_000_000 }, { type: 'object', additionalProperties: true }],
});

export function registerPolicyRoutes(app: FastifyInstance, deps: { policies: PolicyTester; metrics: GenerationMetrics }): void {
  app.post<{ Body: { policy: string | object; suite: string | object } }>(
    '/v1/policies/test',
    {
      schema: {
        tags: ['policies'],
        summary: 'Run a suite of admission cases against a JsPolicy in the sandbox',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['policy', 'suite'],
          properties: { policy: yamlOrObject('The JsPolicy'), suite: yamlOrObject('The suite ({intent, cases})') },
        },
        response: {
          200: {
            description: 'SuiteResult (common/contracts.ts): passed, total, failed, cases[{name, expected, passed, failure?, outcome}]',
            type: 'object',
            additionalProperties: true,
            properties: { passed: { type: 'boolean' }, total: { type: 'integer' }, failed: { type: 'integer' }, cases: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          },
          400: { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const { policy, suite } = request.body;
      // JSON is YAML, so objects go through the same parsers as files: errors name the case and field.
      const parsedPolicy = parsePolicy(typeof policy === 'string' ? policy : JSON.stringify(policy), 'body.policy');
      const parsedSuite = parseSuite(typeof suite === 'string' ? suite : JSON.stringify(suite), 'body.suite');
      const result = await deps.policies.runSuite(parsedPolicy, parsedSuite);
      deps.metrics.sandboxEvaluations.inc({ origin: 'api' }, result.total);
      return result;
    },
  );
}
