import { describe, expect, it } from 'vitest';
import { ComponentArgsError } from '../../src/pulumi/args/errors.js';
import type { SshKeyDistributionArgs } from '../../src/pulumi/args/types.js';
import {
  resolveArgs,
  resolveGenerate,
  resolvePlacements,
  validateExpiry,
  validatePublicKeyText,
} from '../../src/pulumi/args/validation.js';
import { dsaPublic, ed25519, rsaPublic } from './helpers/keys.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const key = ed25519();

function errorOf(fn: () => unknown): ComponentArgsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ComponentArgsError);
    return err as ComponentArgsError;
  }
  throw new Error('expected a ComponentArgsError');
}

describe('validatePublicKeyText', () => {
  it('accepts an ed25519 key and normalises it', () => {
    const v = validatePublicKeyText(`  ${key.publicKey}\n`);
    expect(v.key.fingerprint).toBe(key.fingerprint);
    expect(v.text).toBe(key.publicKey);
    expect(v.warnings).toEqual([]);
  });

  it('refuses a private key without echoing any of it', () => {
    const e = errorOf(() => validatePublicKeyText(key.privateKey));
    expect(e.field).toBe('publicKey');
    expect(e.message).toMatch(/private key material/);
    for (const line of key.privateKey.split('\n').filter((l) => l.length > 20))
      expect(e.message).not.toContain(line);
  });

  it('refuses a forbidden RSA key with the key core message', () => {
    const e = errorOf(() => validatePublicKeyText(rsaPublic(1024)));
    expect(e.reason).toMatch(
      /^the key is forbidden \(SHA256:[^)]+\): RSA key is 1024 bits; below 2048 bits is forbidden/,
    );
  });

  it('refuses a DSA key as forbidden', () => {
    expect(errorOf(() => validatePublicKeyText(dsaPublic())).reason).toMatch(/DSA is forbidden/);
  });

  it('warns about a weak key unless the policy fails on weak', () => {
    const weak = rsaPublic(2048);
    expect(validatePublicKeyText(weak).warnings[0]).toMatch(/RSA key is 2048 bits; below 3072 bits is weak/);
    expect(errorOf(() => validatePublicKeyText(weak, { failOn: 'weak' })).reason).toMatch(/^the key is weak/);
  });

  it('applies allowedTypes from the policy', () => {
    expect(errorOf(() => validatePublicKeyText(key.publicKey, { allowedTypes: ['RSA'] })).reason).toMatch(
      /not in the allowed types/,
    );
  });

  it.each([
    ['', /empty/],
    ['ssh-ed25519', /./],
    ['ssh-ed25519 AAAA!!!', /./],
    ['hello world', /./],
  ])('refuses %j with a parse reason', (text, re) => {
    const e = errorOf(() => validatePublicKeyText(text));
    expect(e.field).toBe('publicKey');
    expect(e.reason).toMatch(re);
  });
});

describe('resolveGenerate', () => {
  it.each([
    [{}, { algorithm: 'ED25519', tag: 'ed25519', sshType: 'ssh-ed25519' }],
    [
      { algorithm: 'ECDSA' as const },
      { algorithm: 'ECDSA', ecdsaCurve: 'P256', tag: 'ecdsa256', sshType: 'ecdsa-sha2-nistp256' },
    ],
    [
      { algorithm: 'ECDSA' as const, ecdsaCurve: 'P521' as const },
      { algorithm: 'ECDSA', ecdsaCurve: 'P521', tag: 'ecdsa521', sshType: 'ecdsa-sha2-nistp521' },
    ],
    [{ algorithm: 'RSA' as const }, { algorithm: 'RSA', rsaBits: 4096, tag: 'rsa4096', sshType: 'ssh-rsa' }],
    [
      { algorithm: 'RSA' as const, rsaBits: 3072 },
      { algorithm: 'RSA', rsaBits: 3072, tag: 'rsa3072', sshType: 'ssh-rsa' },
    ],
  ])('%j → %j', (input, expected) => {
    expect(resolveGenerate(input)).toEqual(expected);
  });

  it.each([
    [{ algorithm: 'RSA' as const, rsaBits: 2048 }, 'generate.rsaBits', /minRsaBits/],
    [{ algorithm: 'ECDSA' as const, ecdsaCurve: 'P224' as never }, 'generate.ecdsaCurve', /not an SSH curve/],
    [{ algorithm: 'DSA' as never }, 'generate.algorithm', /not supported/],
    [{ rsaBits: 4096 }, 'generate', /apply only/],
  ])('%j is refused at %s', (input, field, re) => {
    const e = errorOf(() => resolveGenerate(input));
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(re);
  });

  it('refuses an algorithm the policy does not allow', () => {
    expect(errorOf(() => resolveGenerate({}, { allowedTypes: ['ecdsa-sha2-nistp256'] })).reason).toMatch(
      /allows only/,
    );
  });
});

describe('validateExpiry', () => {
  it('accepts a future RFC 3339 time', () => {
    expect(validateExpiry('2027-01-31T00:00:00Z', 'expiresAt', NOW).toISOString()).toBe(
      '2027-01-31T00:00:00.000Z',
    );
  });
  it.each([
    ['tomorrow', /not an RFC 3339/],
    ['2026-12-01T00:00:00Z', /in the past/],
  ])('refuses %s', (text, re) => {
    expect(errorOf(() => validateExpiry(text, 'x', NOW)).reason).toMatch(re);
  });
});

describe('resolvePlacements', () => {
  const base = { publicKey: key.publicKey };

  it('lists every target with a slug that names the child resource', () => {
    const placements = resolvePlacements(
      {
        ...base,
        github: { userKey: true },
        gitlab: { deployKeys: [{ project: 'ml/trainer', canPush: true }, { project: 'ml/platform/infra' }] },
        gcp: {
          projectEntries: [{ project: 'ml-prod', user: 'alice' }],
          instanceEntries: [
            { project: 'ml-prod', zone: 'us-central1-a', instance: 'trainer-1', user: 'bob' },
          ],
          osLogin: [{ user: 'ci@ml-prod.iam.gserviceaccount.com', expiresAt: '2027-01-01T00:00:00Z' }],
        },
      },
      NOW,
      false,
    );
    expect(placements.map((p) => [p.kind, p.slug])).toEqual([
      ['github-user', 'github-user'],
      ['gitlab-deploy', 'gitlab-deploy-ml/trainer'],
      ['gitlab-deploy', 'gitlab-deploy-ml/platform/infra'],
      ['gcp-metadata', 'gcp-project-ml-prod/alice'],
      ['gcp-metadata', 'gcp-instance-ml-prod/us-central1-a/trainer-1/bob'],
      ['gcp-oslogin', 'gcp-oslogin-ci@ml-prod.iam.gserviceaccount.com'],
    ]);
  });

  const cases: [string, SshKeyDistributionArgs, string, RegExp][] = [
    [
      'one key on two GitHub repositories',
      { ...base, github: { deployKeys: [{ repository: 'trainer' }, { repository: 'datasets' }] } },
      'github',
      /2 times \(github\.deployKeys\[0\], github\.deployKeys\[1\]\).*once across all of GitHub/,
    ],
    [
      'a GitHub user key and a deploy key with one key',
      { ...base, github: { userKey: { title: 'x' }, deployKeys: [{ repository: 'trainer' }] } },
      'github',
      /GitHub accepts a public key once/,
    ],
    [
      'a repository with its owner',
      { ...base, github: { deployKeys: [{ repository: 'mlops/trainer' }] } },
      'github.deployKeys[0].repository',
      /without the owner/,
    ],
    [
      'a bad repository name',
      { ...base, github: { deployKeys: [{ repository: 'a b' }] } },
      'github.deployKeys[0].repository',
      /not a repository name/,
    ],
    [
      'two GitLab user keys',
      { ...base, gitlab: { ownKey: true, userKeys: [{ userId: 2 }] } },
      'gitlab',
      /once per instance/,
    ],
    [
      'a GitLab user key and a deploy key',
      { ...base, gitlab: { userKeys: [{ userId: 2 }], deployKeys: [{ project: 'ml/trainer' }] } },
      'gitlab',
      /gitlab\.userKeys\[0\] and gitlab\.deployKeys\[0\]/,
    ],
    [
      'a malformed GitLab project',
      { ...base, gitlab: { deployKeys: [{ project: 'trainer' }] } },
      'gitlab.deployKeys[0].project',
      /invalid target "gitlab:project\/trainer"/,
    ],
    [
      'a bad GitLab user',
      { ...base, gitlab: { userKeys: [{ userId: 'no such user!' }] } },
      'gitlab.userKeys[0].userId',
      /invalid target/,
    ],
    [
      'the same GitLab project twice',
      {
        ...base,
        gitlab: { deployKeys: [{ project: 'ml/trainer' }, { project: 'ml/trainer', canPush: true }] },
      },
      'gitlab.deployKeys[1]',
      /where gitlab\.deployKeys\[0\] already does/,
    ],
    [
      'a metadata user with a colon',
      { ...base, gcp: { projectEntries: [{ project: 'ml-prod', user: 'a:b' }] } },
      'gcp.projectEntries[0]',
      /contains "\/" or ":"/,
    ],
    [
      'a bad project id',
      { ...base, gcp: { projectEntries: [{ project: 'ML_PROD', user: 'alice' }] } },
      'gcp.projectEntries[0]',
      /not a Google Cloud project id/,
    ],
    [
      'a bad zone',
      {
        ...base,
        gcp: { instanceEntries: [{ project: 'ml-prod', zone: 'US', instance: 'vm', user: 'alice' }] },
      },
      'gcp.instanceEntries[0]',
      /not a Compute Engine zone/,
    ],
    [
      'an OS Login key without expiry',
      { ...base, gcp: { osLogin: [{ user: 'alice@example.com' }] } },
      'gcp.osLogin[0].expiresAt',
      /OS Login keys must expire/,
    ],
    [
      'an OS Login user that is not an email',
      { ...base, gcp: { osLogin: [{ user: 'alice', expiresAt: '2027-01-01T00:00:00Z' }] } },
      'gcp.osLogin[0].user',
      /not an email/,
    ],
    ['a past expiry', { ...base, expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt', /in the past/],
    ['an empty title', { ...base, github: { userKey: { title: ' ' } } }, 'github.userKey.title', /is empty/],
  ];
  it.each(cases)('refuses %s', (_what, args, field, re) => {
    const e = errorOf(() => resolvePlacements(args, NOW, false));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(re);
  });

  it('accepts an OS Login key without its own expiry when the component rotates or sets one', () => {
    const args = { ...base, gcp: { osLogin: [{ user: 'alice@example.com' }] } };
    expect(resolvePlacements(args, NOW, true)).toHaveLength(1);
    expect(resolvePlacements({ ...args, expiresAt: '2027-01-01T00:00:00Z' }, NOW, false)).toHaveLength(1);
  });

  it('allows one key on several GitLab projects (GitLab shares deploy keys)', () => {
    const p = resolvePlacements(
      { ...base, gitlab: { deployKeys: [{ project: 'ml/trainer' }, { project: 'ml/datasets' }] } },
      NOW,
      false,
    );
    expect(p.map((x) => x.slug)).toEqual(['gitlab-deploy-ml/trainer', 'gitlab-deploy-ml/datasets']);
  });
});

describe('resolveArgs', () => {
  it.each<[string, SshKeyDistributionArgs, string, RegExp]>([
    ['neither key nor generate', {}, 'publicKey', /give publicKey .* or generate/],
    ['both key and generate', { publicKey: key.publicKey, generate: {} }, 'generate', /not both/],
    [
      'rotation of a given key',
      { publicKey: key.publicKey, rotateEvery: '30d' },
      'rotateEvery',
      /needs generate/,
    ],
    [
      'a grace period without rotation',
      { generate: {}, gracePeriod: '1d' },
      'gracePeriod',
      /only with rotateEvery/,
    ],
    [
      'a grace period longer than the rotation',
      { generate: {}, rotateEvery: '7d', gracePeriod: '8d' },
      'gracePeriod',
      /at most one rotation period/,
    ],
    ['a bad duration', { generate: {}, rotateEvery: '1 month' }, 'rotateEvery', /not a duration/],
    [
      'an anchor in the future',
      { generate: {}, rotateEvery: '1d', rotationAnchor: '2030-01-01T00:00:00Z' },
      'rotationAnchor',
      /in the future/,
    ],
  ])('refuses %s', (_what, args, field, re) => {
    const e = errorOf(() => resolveArgs({ now: NOW, ...args }));
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(re);
  });

  it('plans the rotation from the injected clock', () => {
    const r = resolveArgs({
      generate: {},
      rotateEvery: '30d',
      gracePeriod: '7d',
      rotationAnchor: '2026-11-01T00:00:00Z',
      now: NOW,
    });
    expect(r.plan?.current.stamp).toBe('20261201t0000z');
    expect(r.plan?.previous?.stamp).toBe('20261101t0000z');
  });

  it('names the component in messages', () => {
    expect(errorOf(() => resolveArgs({})).in('ci').message).toBe(
      'SshKeyDistribution "ci": publicKey: give publicKey (an OpenSSH public key) or generate (e.g. generate: {} for an ED25519 key)',
    );
  });
});
