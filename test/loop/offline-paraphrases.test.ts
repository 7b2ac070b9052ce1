import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../sandbox/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { haveSharedIntents, sharedIntent } from '../support/shared-intents.js';
import { loopWorld, type LoopWorld } from './helpers.js';

// Offline mode is measured on wordings it was not written against: each paraphrase must produce a policy
// that passes the shared suite of the intent it restates.
const PARAPHRASES: Array<[string, string]> = [
  ['Reject Pods labelled env=prod in namespace test.', 'no-prod-pods-in-test'],
  ['Containers in pods must not be privileged.', 'disallow-privileged'],
  ['Forbid pods using hostNetwork, hostPID or hostIPC.', 'disallow-host-namespaces'],
  ['Only images from registry.example.com are allowed in pods.', 'restrict-registries'],
  ['Pods must request cpu and have memory limits on every container.', 'require-limits'],
  ["Deployments without a non-empty label 'team' are denied.", 'require-team-label'],
  ['Block NodePort services.', 'block-nodeport'],
  ['Every Ingress host must end with example.com.', 'ingress-host-suffix'],
  ['In namespace prod, Deployments must have at least 2 replicas.', 'prod-min-replicas'],
  ['Prevent deletion of Namespaces with the label protected=true.', 'protect-namespaces'],
  ['Deny Config Connector IAMPolicy objects referencing a Project.', 'iampolicy-no-project'],
  ['Label new Namespaces with team=platform unless they already have a team label.', 'default-team-label'],
];

let world: LoopWorld;
beforeAll(async () => {
  world = await loopWorld();
});
afterAll(() => world.close());

describe.skipIf(!haveSharedIntents)('offline mode on paraphrased intents', () => {
  it.each(PARAPHRASES)('"%s" passes the %s suite', async (text, id) => {
    const suite = await loadSuite(sharedIntent(`${id}.yaml`));
    const result = await generatePolicy({ text }, { library: world.library, sandbox: world.sandbox });
    expect(result.status, result.reason).toBe('succeeded');
    const run = await world.sandbox.runSuite(result.policy!, suite);
    expect(run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
  });

  it('does not pretend: a reference on a CRD without spec.resourceRef is not claimed by the Config Connector family', async () => {
    await expect(
      generatePolicy(
        { text: 'Deny Certificates that reference an Issuer.' },
        { library: world.library, sandbox: world.sandbox },
      ),
    ).rejects.toMatchObject({
      code: 'PF_ERR_OFFLINE_UNSUPPORTED',
    });
  });
});
