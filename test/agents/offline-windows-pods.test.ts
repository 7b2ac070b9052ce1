import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec } from './offline-harness.js';

// A rule that demands a Linux-only securityContext field (allowPrivilegeEscalation: false, capabilities.drop ALL,
// a seccomp profile) can never be met by a Windows pod: the API server forbids those fields when spec.os.name is
// windows. Pod Security Admission leaves such pods alone (kubernetes/pod-security-admission@8f84a87
// policy/check_allowPrivilegeEscalation.go lines 87-89, check_capabilities_restricted.go line 141,
// check_seccompProfile_restricted.go line 151); a policy that denied them would block every Windows workload.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const bare = { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] };
const windows = podWithSpec({ ...bare, os: { name: 'windows' } });
const linux = podWithSpec({ ...bare, os: { name: 'linux' } });
const undeclared = podWithSpec(bare);

describe('Linux-only demands leave Windows pods alone (was: every Windows pod denied)', () => {
  it.each([
    'Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not be allowed.',
    'This policy ensures the `allowPrivilegeEscalation` field is set to `false`.',
    'Containers must drop ALL, and may only add NET_BIND_SERVICE.',
    'Containers must drop ALL capabilities.',
    'Containers must drop the NET_RAW capability.',
    'This policy ensures the seccomp profile is set to `RuntimeDefault` or `Localhost`.',
  ])('"%s": a Windows pod without the field is allowed, a Linux one is not', async (text) => {
    const failures = await offlineFailures(sandbox, { text }, [
      { name: 'windows pod', object: windows, expect: 'allow' },
      { name: 'linux pod', object: linux, expect: 'deny' },
      { name: 'pod that names no OS', object: undeclared, expect: 'deny' },
    ]);
    expect(failures).toEqual([]);
    expect(understandOffline({ text }).plan.rationale).toContain('Windows pods');
  });

  it('rules that only forbid a value were never in the way, and say nothing of Windows', () => {
    for (const text of [
      'Containers must not set allowPrivilegeEscalation to true.',
      'Containers must not set the seccomp profile to `Unconfined`.',
      'Containers must not add Linux capabilities.',
    ])
      expect(understandOffline({ text }).plan.rationale, text).not.toContain('Windows');
  });
});
