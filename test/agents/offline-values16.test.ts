import { afterAll, describe, expect, it } from 'vitest';
import type { TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, pod, sc } from './offline-objects.js';

// Value substitution (helper values16): a text the reader reads, with one value it states replaced by another of the
// same kind (another string, the same string in another case, another number or unit). The variant must be refused,
// or read so that its policy uses the new value exactly; the cases below are written from the meaning of the text,
// never from the plan. Each class here was read with the value dropped, or with the old value's verdicts, before its
// fix in agents/offline/families.ts.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

/** Refused, or read as a policy that passes the cases written from the text's meaning (and its own plan). */
async function refusedOrRight(text: string, cases: TestCase[]): Promise<string[]> {
  if (refusedOffline(text)) return [];
  return offlineFailures(sandbox, { text }, cases);
}

const create = (name: string, object: TestCase['object'], expect: TestCase['expect']): TestCase => ({
  name,
  object,
  expect,
});
const seccomp = (type: string): Record<string, unknown> =>
  sc({ seccompProfile: type === 'Localhost' ? { type, localhostProfile: 'profiles/app.json' } : { type } });

describe('a seccomp profile type in another case is not dropped from the allow-list', () => {
  // seccompProfile.type is an enum the API server checks case-sensitively (RuntimeDefault, Localhost, Unconfined;
  // any other spelling is rejected as not supported), so `RUNTIMEDEFAULT` or "runtimedefault" can only mean
  // RuntimeDefault, as the family already read "localhost" and "LOCALHOST" as Localhost. Before: the type was
  // dropped, the allow-list held Localhost alone, and a Pod with the RuntimeDefault profile the text allows was
  // denied (verified on the plan's own cases, which named only Localhost).
  for (const text of [
    'The seccomp profile, if set, must be runtimedefault or Localhost.',
    'This policy ensures the seccomp profile is set to `RUNTIMEDEFAULT` or `Localhost`.',
  ])
    it(text, async () => {
      expect(
        await refusedOrRight(text, [
          create('RuntimeDefault is allowed', pod([seccomp('RuntimeDefault')]), 'allow'),
          create('Localhost is allowed', pod([seccomp('Localhost')]), 'allow'),
          create('Unconfined is denied', pod([seccomp('Unconfined')]), 'deny'),
        ]),
      ).toEqual([]);
    });
});

describe('an image tag written in another case is not folded to latest', () => {
  // Image tags are case-sensitive (the distribution reference grammar: tag := [\w][\w.-]{0,127}), so ':LATEST' is a
  // tag of its own, not 'latest'. Before: the text was read as the ':latest' ban, and nginx:LATEST, the tag the text
  // names, was allowed.
  for (const text of [
    "Do not allow pods whose containers use the ':LATEST' tag or no tag at all.",
    'Images must not use the LATEST tag.',
    'Images must not use the `Latest` tag.',
  ])
    it(text, async () => {
      expect(
        await refusedOrRight(text, [
          create('an image tagged LATEST is denied', pod([container({ image: 'nginx:LATEST' })]), 'deny'),
          create('an image tagged 1.25 is allowed', pod([container({ image: 'nginx:1.25' })]), 'allow'),
        ]),
      ).toEqual([]);
    });

  it("a title's capital is prose: \"Disallow Latest Tag\" is still the ':latest' ban", async () => {
    const text = 'Disallow Latest Tag';
    expect(refusedOffline(text)).toBe(false);
    expect(
      await offlineFailures(sandbox, { text }, [
        create('nginx:latest is denied', pod([container({ image: 'nginx:latest' })]), 'deny'),
        create('nginx:1.25 is allowed', pod([container({ image: 'nginx:1.25' })]), 'allow'),
      ]),
    ).toEqual([]);
  });
});

describe('the procMount value a text names is the one its rule uses', () => {
  // The proc-mount family writes one rule (Default or unset allowed, Unmasked denied) whatever value the text
  // names. Before: "The Default procMount is not allowed" and "… must be unset or set to Unmasked" were both read as
  // that rule, which allows the Default procMount the first bans and denies the Unmasked one the second allows.
  const proc = (procMount: string): TestCase['object'] => pod([sc({ procMount })]);
  for (const text of [
    'The Default procMount is not allowed.',
    'Setting procMount to Default is forbidden.',
    'Default and Unmasked procMounts are not allowed.',
  ])
    it(text, async () => {
      expect(await refusedOrRight(text, [create('procMount Default is denied', proc('Default'), 'deny')])).toEqual([]);
    });

  for (const text of [
    'The procMount field must be unset or set to Unmasked.',
    'Containers must use the Unmasked procMount.',
  ])
    it(text, async () => {
      expect(
        await refusedOrRight(text, [
          create('procMount Unmasked is allowed', proc('Unmasked'), 'allow'),
          create('no procMount is allowed', pod(), 'allow'),
        ]),
      ).toEqual([]);
    });

  for (const text of [
    'This policy ensures the `procMount` field is unset or set to `Default`.',
    'Containers must not set procMount to `Unmasked`.',
    'Containers must use the default procMount.',
  ])
    it(`${text} (still read: Default or unset allowed, Unmasked denied)`, async () => {
      expect(refusedOffline(text)).toBe(false);
      expect(
        await offlineFailures(sandbox, { text }, [
          create('procMount Unmasked is denied', proc('Unmasked'), 'deny'),
          create('procMount Default is allowed', proc('Default'), 'allow'),
        ]),
      ).toEqual([]);
    });
});
