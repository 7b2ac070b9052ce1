import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures } from './offline-harness.js';
import { container, NS, pod } from './offline-objects.js';

// Readings that held on our own cases but not on objects a person would write: each proved by cases written here from
// the text's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const imagePod = (name: string, ...images: string[]): KubeObject => ({
  ...pod(images.map((image, i) => container({ name: `c${i}`, image }))),
  metadata: { name, namespace: NS },
});

describe('a registry is a host: its case and Docker Hub legacy name do not make it another', () => {
  // distribution/reference (normalize.go) rewrites the legacy index.docker.io to docker.io, and DNS ignores case, so
  // each of these pulls from Docker Hub.
  const hub = ['nginx:1.27', 'docker.io/library/nginx:1.27', 'index.docker.io/library/nginx:1.27', 'Docker.io/nginx:1'];
  const cases: TestCase[] = [
    ...hub.map((image, i) => ({
      name: `${image} is denied`,
      object: imagePod(`h${i}`, image),
      expect: 'deny' as const,
    })),
    { name: 'an image from ghcr.io is allowed', object: imagePod('g', 'ghcr.io/acme/app:1'), expect: 'allow' },
  ];

  it.each(['Containers must not use images from docker.io.', 'Deny images from docker.io.'])(
    'reads %j as a ban on every spelling of Docker Hub',
    async (text) => {
      expect(await failuresOn(text, cases)).toEqual([]);
    },
  );

  it('reads an allow-list of docker.io as admitting every spelling of it', async () => {
    const inverse = cases.map((c) => ({ ...c, expect: c.expect === 'allow' ? 'deny' : 'allow' }) as TestCase);
    expect(await failuresOn('Images may only come from docker.io.', inverse)).toEqual([]);
  });

  it('holds an allow-list host in capitals to the same host', async () => {
    expect(
      await failuresOn('Pods may only run images from registry.example.com.', [
        {
          name: 'REGISTRY.example.com is allowed',
          object: imagePod('a', 'REGISTRY.example.com/app:1'),
          expect: 'allow',
        },
        {
          name: 'registry.example.com.evil.io is denied',
          object: imagePod('b', 'registry.example.com.evil.io/a:1'),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});
