import { describe, expect, it } from 'vitest';
import type { InstanceSummary } from '../../../src/platforms/gcp/compute-client.js';
import {
  instanceKeyWarnings,
  projectKeyWarnings,
  usernameWarnings,
} from '../../../src/platforms/gcp/warnings.js';

const md = (...kv: [string, string][]) => ({ items: kv.map(([key, value]) => ({ key, value })) });
const vm = (name: string, ...kv: [string, string][]): InstanceSummary => ({
  project: 'p',
  zone: 'us-central1-a',
  name,
  metadata: md(...kv),
});

describe('warnings', () => {
  it('names the instances that block project keys (flag or legacy sshKeys), and those with OS Login on', () => {
    const w = projectKeyWarnings('p', md(), [
      vm('open'),
      vm('locked-1', ['block-project-ssh-keys', 'TRUE']),
      vm('legacy', ['sshKeys', 'x:ssh-ed25519 AAAA']),
      vm('not-a-bool', ['block-project-ssh-keys', 'yes']),
      vm('oslogin', ['enable-oslogin', 'true']),
    ]);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/enable-oslogin TRUE .*us-central1-a\/oslogin/);
    expect(w[1]).toMatch(/block project-wide keys .*: us-central1-a\/locked-1, us-central1-a\/legacy;/);
    expect(w[1]).not.toMatch(/not-a-bool|open/);
  });

  it('OS Login on at the project: one warning, naming instances that turn it off', () => {
    const w = projectKeyWarnings('p', md(['enable-oslogin', 'TRUE']), [
      vm('a'),
      vm('b', ['enable-oslogin', 'FALSE']),
    ]);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/enable-oslogin is TRUE on project p: .*except us-central1-a\/b/);
  });

  it('without an instance list only the project-level warning can be given', () => {
    expect(projectKeyWarnings('p', md(), undefined)).toEqual([]);
    expect(projectKeyWarnings('p', md(['enable-oslogin', '1']), undefined)).toHaveLength(1);
  });

  it('instance: its own enable-oslogin wins over the project', () => {
    expect(
      instanceKeyWarnings('p/z/i', md(['enable-oslogin', 'TRUE']), md(['enable-oslogin', 'FALSE'])),
    ).toEqual([]);
    expect(instanceKeyWarnings('p/z/i', md(), md(['enable-oslogin', 'TRUE']))[0]).toMatch(
      /on instance p\/z\/i/,
    );
    expect(instanceKeyWarnings('p/z/i', md(['enable-oslogin', 'TRUE']), md())[0]).toMatch(/on its project/);
  });

  it('a long list of instances is shortened', () => {
    const many = Array.from({ length: 14 }, (_, i) => vm(`v${i}`, ['block-project-ssh-keys', 'true']));
    expect(projectKeyWarnings('p', md(), many)[0]).toMatch(/and 4 more/);
  });

  it('usernames useradd may refuse', () => {
    expect(usernameWarnings('alice')).toEqual([]);
    expect(usernameWarnings('ci_runner-2.x')).toEqual([]);
    expect(usernameWarnings('Alice')).toHaveLength(1);
    expect(usernameWarnings('a'.repeat(33))).toHaveLength(1);
  });
});
