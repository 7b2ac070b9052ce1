import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Readings checked against Kubernetes' own Pod Security Admission (kubernetes/pod-security-admission@8f84a87):
// its check descriptions as intents, its recorded fixtures' shapes as objects, its verdicts as the expectation.
// Found by running every family's Pod Security wording on bench/corpus/pod-security (npm run bench -- corpus).

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const withContainer = (container: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject =>
  podWithSpec({ containers: [{ name: 'c', image: 'registry.k8s.io/pause', ...container }], ...spec });
const adding = (...add: string[]): KubeObject => withContainer({ securityContext: { capabilities: { add } } });

const BASELINE_CAPS =
  'AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT';

describe('an allow-list of capabilities fails closed on other spellings (was: "chown" allowed as CHOWN)', () => {
  // check_capabilities_baseline.go line 86 compares the literal name; fixtures capabilities_baseline2/3 add
  // "chown" and "CAP_CHOWN" and fail.
  it.each([
    `Containers must not add capabilities other than ${BASELINE_CAPS}.`,
    `Only the capabilities ${BASELINE_CAPS} may be added.`,
  ])('%s', async (text) => {
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'CHOWN', object: adding('CHOWN'), expect: 'allow' },
        { name: 'chown', object: adding('chown'), expect: 'deny' },
        { name: 'CAP_CHOWN', object: adding('CAP_CHOWN'), expect: 'deny' },
        { name: 'NET_RAW', object: adding('NET_RAW'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('a ban still matches every spelling', async () => {
    expect(
      await offlineFailures(sandbox, { text: 'Deny containers that add NET_ADMIN or SYS_ADMIN.' }, [
        { name: 'cap_net_admin', object: adding('cap_net_admin'), expect: 'deny' },
        { name: 'CAP_SYS_ADMIN', object: adding('CAP_SYS_ADMIN'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('drop ALL with NET_BIND_SERVICE back: CAP_NET_BIND_SERVICE is another spelling, denied', async () => {
    const text = 'Containers must drop ALL, and may only add NET_BIND_SERVICE.';
    const dropping = (add: string): KubeObject =>
      withContainer({ securityContext: { capabilities: { drop: ['ALL'], add: [add] } } });
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'NET_BIND_SERVICE', object: dropping('NET_BIND_SERVICE'), expect: 'allow' },
        { name: 'CAP_NET_BIND_SERVICE', object: dropping('CAP_NET_BIND_SERVICE'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('"only safe sysctls" is the v1.37 safe set (was: net.ipv4.tcp_slow_start_after_idle denied)', () => {
  // check_sysctls.go lines 92-115; fixture pass/sysctls1 sets the two v1.37 names.
  it('allows every name of the current safe set and nothing else', async () => {
    const sysctl = (name: string): KubeObject =>
      withContainer({}, { securityContext: { sysctls: [{ name, value: '1' }] } });
    expect(
      await offlineFailures(sandbox, { text: 'Only safe sysctls are allowed.' }, [
        ...['net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat', 'net.ipv4.tcp_rmem'].map((n) => ({
          name: n,
          object: sysctl(n),
          expect: 'allow' as const,
        })),
        { name: 'kernel.msgmax', object: sysctl('kernel.msgmax'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('an AppArmor list that allows runtime/default allows leaving the profile out (was denied)', () => {
  // The runtime applies runtime/default to a container that names none; check_appArmorProfile.go allows
  // "'runtime/default', 'localhost/*', empty, undefined".
  const none = withContainer({});
  const unconfined = withContainer({ securityContext: { appArmorProfile: { type: 'Unconfined' } } });
  it('"must be runtime/default or localhost/*": unset allowed, Unconfined denied', async () => {
    expect(
      await offlineFailures(sandbox, { text: 'AppArmor profiles must be runtime/default or localhost/*.' }, [
        { name: 'unset', object: none, expect: 'allow' },
        { name: 'Unconfined', object: unconfined, expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('a list without runtime/default, or "explicitly", still asks for the profile', async () => {
    for (const text of [
      'AppArmor profiles must be localhost/*.',
      'The AppArmor profile must be explicitly set to runtime/default.',
    ]) {
      if (refusedOffline(text)) continue;
      expect(await offlineFailures(sandbox, { text }, [{ name: 'unset', object: none, expect: 'deny' }]), text).toEqual(
        [],
      );
    }
  });
});

describe('the Pod Security Standards wordings of host namespaces and seccomp are read', () => {
  it('"the host network, PID, and IPC namespaces" (a serial comma) reads all three', async () => {
    const text = 'Sharing the host network, PID, and IPC namespaces must be disallowed.';
    expect(understandOffline({ text }).family).toBe('host-namespaces');
    expect(
      await offlineFailures(
        sandbox,
        { text },
        ['hostNetwork', 'hostPID', 'hostIPC'].map((f) => ({
          name: f,
          object: withContainer({}, { [f]: true }),
          expect: 'deny' as const,
        })),
      ),
    ).toEqual([]);
  });

  const seccomp = (type?: string, where: 'pod' | 'container' = 'pod'): KubeObject =>
    type === undefined
      ? withContainer({})
      : where === 'pod'
        ? withContainer({}, { securityContext: { seccompProfile: { type } } })
        : withContainer({ securityContext: { seccompProfile: { type } } });

  it('"If seccomp profiles are specified, only runtime default and localhost …": unset allowed', async () => {
    const text = 'If seccomp profiles are specified, only runtime default and localhost profiles are allowed.';
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'unset', object: seccomp(), expect: 'allow' },
        { name: 'RuntimeDefault', object: seccomp('RuntimeDefault'), expect: 'allow' },
        { name: 'Unconfined in a container', object: seccomp('Unconfined', 'container'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('"Seccomp profiles must be specified, and only …": unset denied', async () => {
    const text = 'Seccomp profiles must be specified, and only runtime default and localhost profiles are allowed.';
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'unset', object: seccomp(), expect: 'deny' },
        { name: 'Localhost', object: seccomp('Localhost'), expect: 'allow' },
        { name: 'Unconfined', object: seccomp('Unconfined'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('"only … allowed" that does not say whether the profile may be left out is refused', () => {
    expect(refusedOffline('Only RuntimeDefault and Localhost seccomp profiles are allowed.')).toBe(true);
    expect(refusedOffline('Only runtime default seccomp profiles are allowed.')).toBe(true);
  });
});

describe('more Pod Security wordings are read, each checked on objects of its meaning', () => {
  it('"may only add the capabilities A, B and C" is the allow-list', async () => {
    const text = 'Containers may only add the capabilities CHOWN, KILL and NET_BIND_SERVICE.';
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'KILL', object: adding('KILL'), expect: 'allow' },
        { name: 'NET_RAW', object: adding('NET_RAW'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('"do not specify any other AppArmor profiles than X or Y" is the allow-list, unset allowed', async () => {
    const text =
      'This policy ensures Pods do not specify any other AppArmor profiles than runtime/default or localhost/*.';
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'unset', object: withContainer({}), expect: 'allow' },
        {
          name: 'Localhost',
          object: withContainer({ securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } }),
          expect: 'allow',
        },
        {
          name: 'Unconfined',
          object: withContainer({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });

  it('"Only the following types of volumes may be used: …" is the volume allow-list', async () => {
    const text = 'Only the following types of volumes may be used: configMap, emptyDir, projected and secret.';
    const volume = (v: Record<string, unknown>): KubeObject => withContainer({}, { volumes: [{ name: 'v', ...v }] });
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'emptyDir', object: volume({ emptyDir: {} }), expect: 'allow' },
        { name: 'nfs', object: volume({ nfs: { server: 's', path: '/' } }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('"the host field in probes and lifecycle handlers" is the handler-host rule', async () => {
    const text = 'The host field in probes and lifecycle handlers must be unset.';
    expect(
      await offlineFailures(sandbox, { text }, [
        {
          name: 'probe with a host',
          object: withContainer({ livenessProbe: { httpGet: { host: 'bad.host', port: 8080 } } }),
          expect: 'deny',
        },
        {
          name: 'probe without one',
          object: withContainer({ livenessProbe: { httpGet: { port: 8080 } } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });
});
