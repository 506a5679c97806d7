import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../src/keys/public-key.js';
import type { MetadataItem } from '../../../src/platforms/gcp/merge.js';
import type { LoginProfileJson } from '../../../src/platforms/gcp/oslogin.js';
import { vmAcceptedKeys, vmAcceptedPublicKeys, vmAccessMode } from '../../../src/platforms/gcp/vm-access.js';
import { keyPool } from './helpers.js';

const [P1, P2, I1, I2, L1, O1, O2] = keyPool(7) as [
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
  ReturnType<typeof keyPool>[0],
];
const t = (k: typeof P1) => `${k.type} ${k.blob.toString('base64')}`;
const NOW = new Date('2030-06-01T00:00:00Z');
const soon = '2030-06-02T00:00:00+0000';
const gone = '2030-05-31T00:00:00+0000';

const projectKeys = [
  `alice:${t(P1)} alice@laptop`,
  `alice:${t(P2)} google-ssh {"userName":"alice@example.com","expireOn":"${gone}"}`,
  `bob:${t(P2)}`,
  `alice:${t(P1)} google-ssh {"expireOn":"garbage"}`, // invalid: skipped
  `alice ops:${t(P2)}`, // invalid username
].join('\n');
const instanceKeys = [
  `alice:restrict ${t(I1)}`,
  `alice:${t(I2)} google-ssh {"userName":"a","expireOn":"${soon}"}`,
].join('\n');

function md(...items: [string, string][]): { items: MetadataItem[] } {
  return { items: items.map(([key, value]) => ({ key, value })) };
}

function profile(
  username: string,
  keys: Record<string, { key: string; expirationTimeUsec?: string }>,
): LoginProfileJson {
  return {
    name: `${username}@example.com`,
    posixAccounts: [{ username, uid: '1001', primary: true }],
    sshPublicKeys: keys,
  };
}
const usec = (iso: string) => String(BigInt(new Date(iso).getTime()) * 1000n);
const profiles = [
  profile('alice_example_com', {
    a: { key: t(O1) },
    b: { key: t(O2), expirationTimeUsec: usec('2030-05-01T00:00:00Z') },
    c: { key: 'not a key' },
  }),
  profile('bob_example_com', { d: { key: t(O2) } }),
];

const fps = (keys: { fingerprint: string }[]) => keys.map((k) => k.fingerprint);

describe('vmAcceptedKeys: which keys the VM accepts for a user, now', () => {
  it.each([
    {
      name: 'instance keys first, then project keys; expired and invalid lines skipped',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['ssh-keys', instanceKeys]),
      user: 'alice',
      want: [I1, I2, P1],
    },
    {
      name: 'another user gets only their own lines',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['ssh-keys', instanceKeys]),
      user: 'bob',
      want: [P2],
    },
    {
      name: 'block-project-ssh-keys TRUE on the instance drops project keys',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['ssh-keys', instanceKeys], ['block-project-ssh-keys', 'TRUE']),
      user: 'alice',
      want: [I1, I2],
    },
    {
      name: 'block flag uses Go ParseBool: "t" blocks, "yes" does not',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['block-project-ssh-keys', 't']),
      user: 'alice',
      want: [],
    },
    {
      name: '"yes" is not a Go bool, so project keys stay',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['block-project-ssh-keys', 'yes']),
      user: 'alice',
      want: [P1],
    },
    {
      name: 'the project-level block flag is never consulted',
      project: md(['ssh-keys', projectKeys], ['block-project-ssh-keys', 'TRUE']),
      instance: md(),
      user: 'alice',
      want: [P1],
    },
    {
      name: 'legacy instance sshKeys adds keys and blocks project keys',
      project: md(['ssh-keys', projectKeys]),
      instance: md(['sshKeys', `alice:${t(L1)}`]),
      user: 'alice',
      want: [L1],
    },
    {
      name: 'legacy project sshKeys adds keys',
      project: md(['ssh-keys', `alice:${t(P1)}`], ['sshKeys', `alice:${t(L1)}`]),
      instance: md(),
      user: 'alice',
      want: [P1, L1],
    },
    {
      name: 'OS Login on at the project: metadata keys ignored, only unexpired OS Login keys of the POSIX user',
      project: md(['ssh-keys', projectKeys], ['enable-oslogin', 'TRUE']),
      instance: md(['ssh-keys', instanceKeys]),
      user: 'alice_example_com',
      profiles,
      want: [O1],
    },
    {
      name: 'OS Login on: a metadata username gets nothing',
      project: md(['ssh-keys', projectKeys], ['enable-oslogin', 'true']),
      instance: md(['ssh-keys', instanceKeys]),
      user: 'alice',
      profiles,
      want: [],
    },
    {
      name: 'instance enable-oslogin FALSE overrides the project',
      project: md(['ssh-keys', projectKeys], ['enable-oslogin', 'TRUE']),
      instance: md(['ssh-keys', instanceKeys], ['enable-oslogin', 'FALSE']),
      user: 'alice',
      profiles,
      want: [I1, I2, P1],
    },
    {
      name: 'instance enable-oslogin TRUE overrides a project FALSE',
      project: md(['enable-oslogin', 'FALSE']),
      instance: md(['ssh-keys', instanceKeys], ['enable-oslogin', '1']),
      user: 'bob_example_com',
      profiles,
      want: [O2],
    },
    {
      name: 'an unparsable instance enable-oslogin does not override (the project value holds)',
      project: md(['enable-oslogin', 'TRUE']),
      instance: md(['ssh-keys', instanceKeys], ['enable-oslogin', 'enabled']),
      user: 'alice',
      profiles,
      want: [],
    },
    {
      name: 'no metadata at all',
      project: md(),
      instance: md(),
      user: 'alice',
      want: [],
    },
  ])('$name', ({ project, instance, user, profiles: p, want }) => {
    const got = vmAcceptedKeys(
      { projectMetadata: project, instanceMetadata: instance, ...(p ? { osLoginProfiles: p } : {}) },
      user,
      NOW,
    );
    expect(fps(got.map((g) => g.key))).toEqual(fps(want));
  });

  it('carries options, source and expiry', () => {
    const got = vmAcceptedKeys(
      { projectMetadata: md(['ssh-keys', projectKeys]), instanceMetadata: md(['ssh-keys', instanceKeys]) },
      'alice',
      NOW,
    );
    expect(got.map((g) => g.source)).toEqual(['instance', 'instance', 'project']);
    expect(got[0]!.options).toEqual([{ name: 'restrict' }]);
    expect(got[1]!.expiresAt?.toISOString()).toBe('2030-06-02T00:00:00.000Z');
  });

  it('an expiring key stops being accepted once its time has passed', () => {
    const input = { projectMetadata: md(), instanceMetadata: md(['ssh-keys', instanceKeys]) };
    expect(vmAcceptedPublicKeys(input, 'alice', NOW)).toHaveLength(2);
    expect(vmAcceptedPublicKeys(input, 'alice', new Date('2030-06-03T00:00:00Z'))).toHaveLength(1);
  });

  it('OS Login expiry: accepted while now <= expirationTimeUsec', () => {
    const exp = '2030-06-01T00:00:00Z';
    const p = [profile('u', { k: { key: t(O1), expirationTimeUsec: usec(exp) } })];
    const input = {
      projectMetadata: md(['enable-oslogin', 'TRUE']),
      instanceMetadata: md(),
      osLoginProfiles: p,
    };
    expect(vmAcceptedPublicKeys(input, 'u', new Date(exp))).toHaveLength(1);
    expect(vmAcceptedPublicKeys(input, 'u', new Date(Date.parse(exp) + 1))).toHaveLength(0);
  });

  it('vmAccessMode reports the mode', () => {
    expect(vmAccessMode({ projectMetadata: md(['enable-oslogin', 'TRUE']), instanceMetadata: md() })).toEqual(
      {
        osLogin: true,
        blockProjectKeys: false,
      },
    );
    expect(vmAccessMode({ instanceMetadata: md(['block-project-ssh-keys', 'True']) })).toEqual({
      osLogin: false,
      blockProjectKeys: true,
    });
  });
});

describe("vmAcceptedKeys on the sandbox VMs (the emulator's vmView)", () => {
  it('answers for the seeded instances as the guest agent would', async () => {
    const { startGcpEmulator } = await import('../../../src/sandbox/gcp/index.js');
    const emu = await startGcpEmulator({ seed: true });
    try {
      const view = (i: string, p = 'ml-prod', z = 'us-central1-a') => emu.vmView(p, z, i)!;
      // trainer-1: its own key for "trainer", plus the project's keys (bob's).
      expect(vmAcceptedKeys(view('trainer-1'), 'trainer').map((k) => k.source)).toEqual(['instance']);
      expect(vmAcceptedKeys(view('trainer-1'), 'bob').map((k) => k.source)).toEqual(['project']);
      // dave's project key is expired; grace's line is invalid.
      expect(vmAcceptedKeys(view('trainer-1'), 'dave')).toEqual([]);
      expect(vmAcceptedKeys(view('trainer-1'), 'grace')).toEqual([]);
      // locked-1 blocks project keys.
      expect(vmAcceptedKeys(view('locked-1'), 'bob')).toEqual([]);
      expect(vmAcceptedKeys(view('locked-1'), 'ops')).toHaveLength(1);
      // oslogin-1: OS Login on at the project; metadata users get nothing, alice's POSIX account gets her key.
      const osView = view('oslogin-1', 'ml-oslogin', 'us-central1-b');
      expect(vmAcceptedKeys(osView, 'legacy')).toEqual([]);
      const posix = osView.osLoginProfiles.find((p) => p.name === 'alice@example.com')!.posixAccounts![0]!
        .username;
      const alice = vmAcceptedKeys(osView, posix);
      expect(alice.map((k) => k.source)).toEqual(['oslogin']);
      const stored = Object.values(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!);
      expect(alice.map((k) => k.key.fingerprint)).toEqual(
        stored.map((k) => parsePublicKey(k.key).fingerprint),
      );
    } finally {
      await emu.close();
    }
  });
});
