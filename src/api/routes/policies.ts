import type { FastifyInstance } from 'fastify';
import {
  PolicyforgeError,
  type CaseResult,
  type JsPolicy,
  type Suite,
  type SuiteResult,
  type TestCase,
} from '../../../common/index.js';
import { parsePolicy, parseSuite } from '../../../sandbox/index.js';
import type { GenerationMetrics } from '../../../worker/index.js';
import { rateLimit, type RateLimitDeps } from '../rate-limit.js';

/** What POST /v1/policies/test needs from the sandbox (production: its own createSandbox({ isolation: 'process' }) pool). */
export interface PolicyTester {
  runSuite(policy: JsPolicy, cases: Suite | TestCase[]): Promise<SuiteResult>;
}

/** What one POST /v1/policies/test may cost. */
export interface PolicyTestLimits {
  /** Cases in one suite. @defaultValue 200 */
  maxCases: number;
  /** Wall-clock time of the whole request; cases still to run then are not run. @defaultValue 20000 */
  timeLimitMs: number;
  /** Size of the JSON answer. @defaultValue 1048576 */
  maxOutputBytes: number;
  /** Requests per client per minute; 0 = unlimited. @defaultValue 30 */
  perMinute: number;
  /** Requests this process runs at once; more are refused with 429 (the pool is small and not generation's). @defaultValue 2 */
  maxConcurrent: number;
}

export const POLICY_TEST_LIMITS: PolicyTestLimits = {
  maxCases: 200,
  timeLimitMs: 20_000,
  maxOutputBytes: 1_048_576,
  perMinute: 30,
  maxConcurrent: 2,
};

/** Cases per sandbox call: the request checks for a hang-up, its deadline and its output size between batches. */
const BATCH = 5;

const yamlOrObject = (what: string) => ({
  description: `${what} as a JSON object or as YAML text (the public suite/policy format)`,
  anyOf: [
    { type: 'string', maxLength: 1_000_000 },
    { type: 'object', additionalProperties: true },
  ],
});

export function registerPolicyRoutes(
  app: FastifyInstance,
  deps: { policies: PolicyTester; metrics: GenerationMetrics; limits?: Partial<PolicyTestLimits> } & RateLimitDeps,
): void {
  const limits = { ...POLICY_TEST_LIMITS, ...deps.limits };
  let running = 0;
  app.post<{ Body: { policy: string | object; suite: string | object } }>(
    '/v1/policies/test',
    {
      schema: {
        tags: ['policies'],
        summary: 'Run a suite of admission cases against a JsPolicy in the sandbox',
        description: `At most ${limits.maxCases} cases, ${limits.timeLimitMs} ms and ${limits.maxOutputBytes} bytes of answer per request; ${limits.perMinute || 'unlimited'} requests per client per minute. Work stops when the client hangs up.`,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['policy', 'suite'],
          properties: { policy: yamlOrObject('The JsPolicy'), suite: yamlOrObject('The suite ({intent, cases})') },
        },
        response: {
          200: {
            description:
              'SuiteResult (common/contracts.ts): passed, total, failed, cases[{name, expected, passed, failure?, outcome}]',
            type: 'object',
            additionalProperties: true,
            properties: {
              passed: { type: 'boolean' },
              total: { type: 'integer' },
              failed: { type: 'integer' },
              cases: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
          400: { $ref: 'Error#' },
          422: { $ref: 'Error#' },
          429: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      await rateLimit(request, deps, 'policy-tests', limits.perMinute, 'policy tests');
      const { policy, suite } = request.body;
      // JSON is YAML, so objects go through the same parsers as files: errors name the case and field.
      const parsedPolicy = parsePolicy(typeof policy === 'string' ? policy : JSON.stringify(policy), 'body.policy');
      const parsedSuite = parseSuite(typeof suite === 'string' ? suite : JSON.stringify(suite), 'body.suite');
      if (parsedSuite.cases.length > limits.maxCases) {
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
          'body.suite.cases',
          `at most ${limits.maxCases} cases per request (got ${parsedSuite.cases.length}); split the suite`,
        ]);
      }
      if (running >= limits.maxConcurrent) {
        throw new PolicyforgeError(
          'PF_ERR_RATE_LIMITED',
          [`${limits.maxConcurrent} policy tests are running on this server; retry in 1 s`],
          { details: { retryAfterSeconds: 1 } },
        );
      }
      // A client that hangs up stops the work: no more cases are started for it.
      let hungUp = false;
      reply.raw.on('close', () => {
        if (!reply.raw.writableEnded) hungUp = true;
      });
      running++;
      try {
        const result = await runBounded(deps.policies, parsedPolicy, parsedSuite, limits, () => hungUp);
        deps.metrics.sandboxEvaluations.inc({ origin: 'api' }, result.cases.length);
        return result;
      } finally {
        running--;
      }
    },
  );
}

/** Runs the suite in batches, stopping at a hang-up, the time limit or the output limit. */
async function runBounded(
  tester: PolicyTester,
  policy: JsPolicy,
  suite: Suite,
  limits: PolicyTestLimits,
  hungUp: () => boolean,
): Promise<SuiteResult> {
  const started = Date.now();
  const cases: CaseResult[] = [];
  let bytes = 0;
  let durationMs = 0;
  for (let i = 0; i < suite.cases.length; i += BATCH) {
    if (hungUp())
      throw new PolicyforgeError('PF_ERR_LIMIT_EXCEEDED', [
        'the client closed the connection; the remaining cases were not run',
      ]);
    if (Date.now() - started > limits.timeLimitMs) {
      throw new PolicyforgeError(
        'PF_ERR_LIMIT_EXCEEDED',
        [
          `the suite ran longer than ${limits.timeLimitMs} ms (${i} of ${suite.cases.length} cases ran); send fewer or faster cases`,
        ],
        {
          details: { limit: 'timeLimitMs', timeLimitMs: limits.timeLimitMs, casesRun: i },
        },
      );
    }
    const part = await tester.runSuite(policy, { ...suite, cases: suite.cases.slice(i, i + BATCH) });
    durationMs += part.durationMs;
    for (const c of part.cases) {
      bytes += Buffer.byteLength(JSON.stringify(c));
      if (bytes > limits.maxOutputBytes) {
        throw new PolicyforgeError(
          'PF_ERR_LIMIT_EXCEEDED',
          [
            `the results are larger than ${limits.maxOutputBytes} bytes (at case ${cases.length + 1} of ${suite.cases.length}); the policy's output is too large`,
          ],
          {
            details: { limit: 'maxOutputBytes', maxOutputBytes: limits.maxOutputBytes, casesRun: cases.length },
          },
        );
      }
      cases.push(c);
    }
    // Code that does not compile fails every case without running any: the whole suite costs nothing more.
    if (part.compileError)
      return i === 0 && part.cases.length === suite.cases.length ? part : tester.runSuite(policy, suite);
  }
  const failed = cases.filter((c) => !c.passed).length;
  return { passed: failed === 0, total: cases.length, failed, cases, durationMs };
}
