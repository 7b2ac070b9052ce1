import { afterAll, describe, expect, it } from 'vitest';
import { readIntent, understandOffline } from '../../agents/offline/index.js';
import { isPolicyforgeError, type KubeObject, type TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';

// A description's "This policy …" sentence says what is done; the rule sentences before it usually motivate it in
// general words. When such a sentence reads, on its own, as a different rule, the description asks for two rules
// and reading only the "This policy" one drops the other: the intent is refused, naming the sentence.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const pod = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', namespace: 'team-a' },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }], ...spec },
});

function refusal(text: string): { message: string; unplaced: unknown } {
  try {
    understandOffline({ text });
  } catch (err) {
    if (isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED'))
      return { message: err.message, unplaced: (err.details as { unplaced?: unknown } | undefined)?.unplaced };
    throw err;
  }
  throw new Error(`read: ${text}`);
}

describe('a rule sentence beside "This policy …" that reads as another rule', () => {
  it.each([
    // Each was read as the "This policy" rule alone: the first sentence's rule was dropped without a word.
    ['Images must not use the latest tag. This policy requires every Pod to have the label team.', 'image-tag'],
    ['Privileged containers are not allowed. This policy ensures Pods do not use the host network.', 'privileged'],
    ['Host ports should not be used. This policy ensures `hostNetwork` is set to `false`.', 'host-ports'],
    ['Containers should not run as root. This policy ensures `readOnlyRootFilesystem` is set to `true`.', 'run-as-'],
    ['Images must not use the latest tag. This policy ensures imagePullPolicy is set to Always.', 'image-tag'],
  ])('refuses "%s", naming the sentence and the rule it reads as', (text, family) => {
    const { message, unplaced } = refusal(text);
    const aside = text.split('. ')[0];
    expect(unplaced).toEqual([aside]);
    expect(message).toContain(`"${aside}" reads as a ${family}`);
  });

  it('reads the sentences before "This policy also …" as rules too (they are not its motivation)', () => {
    expect(readIntent('Pods must set resource limits. This policy also requires liveness probes.').statements).toEqual(
      expect.arrayContaining(['Pods must set resource limits']),
    );
    expect(refusedOffline('Pods must set resource limits. This policy also requires liveness probes.')).toBe(true);
    expect(
      refusedOffline('Containers must run as non-root. This policy also requires a read-only root filesystem.'),
    ).toBe(true);
  });
});

describe('a rule sentence that restates the "This policy …" rule', () => {
  const nonRootUser = (user: number | undefined): KubeObject =>
    pod({ securityContext: user === undefined ? {} : { runAsUser: user } });
  it.each<[string, TestCase[]]>([
    [
      'Privileged mode disables most security mechanisms and must not be allowed. This policy ensures Pods do not call for privileged mode.',
      [
        {
          name: 'a privileged container is denied',
          object: pod({ containers: [{ name: 'app', image: 'a:1', securityContext: { privileged: true } }] }),
          expect: 'deny',
        },
        { name: 'an ordinary pod is allowed', object: pod({}), expect: 'allow' },
      ],
    ],
    [
      // Said with another family's words, made precise by the second sentence: one subject, the root user.
      'Containers must be required to run as non-root users. This policy ensures `runAsUser` is either unset or set to a number greater than zero.',
      [
        { name: 'runAsUser 0 is denied', object: nonRootUser(0), expect: 'deny' },
        { name: 'runAsUser 1000 is allowed', object: nonRootUser(1000), expect: 'allow' },
        { name: 'runAsUser unset is allowed', object: nonRootUser(undefined), expect: 'allow' },
      ],
    ],
    [
      // The same family, said as a ban and as an allow-list: no contradiction.
      'The seccomp profile must not be explicitly set to Unconfined. This policy ensures that seccomp is unset or set to `RuntimeDefault` or `Localhost`.',
      [
        {
          name: 'an Unconfined seccomp profile is denied',
          object: pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }),
          expect: 'deny',
        },
        { name: 'no seccomp profile is allowed', object: pod({}), expect: 'allow' },
      ],
    ],
  ])('reads "%s" as the one rule it states', async (text, cases) => {
    expect(await offlineFailures(sandbox, { text }, cases)).toEqual([]);
  });
});

describe('a rule sentence in the same family that names more than the "This policy …" sentence', () => {
  const service = (type: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'team-a' },
    spec: { type, ports: [{ port: 80 }] },
  });

  it('carries what the sentence denies into the plan, so a policy that drops it is not verified', async () => {
    // Read as "LoadBalancer denied" only, NodePort admitted, verified; now the sentence's own cases fail it.
    const text = 'Services must not be of type nodeport. This policy ensures Services of type LoadBalancer are denied.';
    const u = understandOffline({ text });
    expect(
      u.plan.tests.filter((c) => c.name.includes('(as "Services must not be of type nodeport" says)')),
    ).not.toEqual([]);
    expect(await offlineFailures(sandbox, { text }, [])).not.toEqual([]);
  });

  it("keeps the person's own examples in the plan once, not again as the sentence's cases", () => {
    const example: TestCase = { name: 'my NodePort Service', object: service('NodePort'), expect: 'deny' };
    const u = understandOffline({
      text: 'Services must not be of type nodeport. This policy ensures Services of type LoadBalancer are denied.',
      examples: [example],
    });
    expect(u.plan.tests.filter((c) => c.name.startsWith('my NodePort Service'))).toHaveLength(1);
  });

  it('reads "X cannot use F" beside "This policy …" as a rule of its own (was set aside as motivation)', async () => {
    const text = 'Services cannot use NodePort. This policy ensures Services of type LoadBalancer are denied.';
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'NodePort is denied', object: service('NodePort'), expect: 'deny' },
        { name: 'LoadBalancer is denied', object: service('LoadBalancer'), expect: 'deny' },
        { name: 'ClusterIP is allowed', object: service('ClusterIP'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
