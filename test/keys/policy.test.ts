import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseAuthorizedKeysLine } from '../../src/keys/authorized-keys.js';
import {
  DEFAULT_POLICY,
  FINDING_CODES,
  evaluateKey,
  failsPolicy,
  resolvePolicy,
} from '../../src/keys/policy.js';
import { parsePublicKey, parsePublicKeyBlob } from '../../src/keys/public-key.js';
import type { PublicKey } from '../../src/keys/types.js';
import { buildEd25519Cert, sshMpint, sshString, vector } from './public-key-fixtures.js';

function rsaKey(bits: number): PublicKey {
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
  return parsePublicKeyBlob(
    Buffer.concat([
      sshString('ssh-rsa'),
      sshMpint(Buffer.from(jwk.e!, 'base64url')),
      sshMpint(Buffer.from(jwk.n!, 'base64url')),
    ]),
  );
}

function dsaKey(): PublicKey {
  const p = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(127, 1)]);
  const small = Buffer.alloc(20, 1);
  return parsePublicKeyBlob(
    Buffer.concat([sshString('ssh-dss'), sshMpint(p), sshMpint(small), sshMpint(small), sshMpint(small)]),
  );
}

const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code);
const at = (iso: string): Date => new Date(iso);

describe('policy defaults', () => {
  it('are documented values', () => {
    expect(DEFAULT_POLICY).toEqual({
      minRsaBits: 3072,
      forbiddenRsaBits: 2048,
      forbidDsa: true,
      failOn: 'forbidden',
    });
  });

  it('ed25519, ecdsa (all curves) and sk keys pass with no findings', () => {
    for (const f of ['ed25519_1.pub', 'ecdsa_1.pub', 'ecdsa_2.pub', 'ed25519_sk1.pub', 'ecdsa_sk1.pub']) {
      expect(evaluateKey(parsePublicKey(vector(f)))).toEqual({ verdict: 'ok', findings: [] });
    }
  });

  it('RSA: below 2048 forbidden, below 3072 weak, 3072 and up ok', () => {
    const r1024 = evaluateKey(parsePublicKey(vector('rsa_1.pub')));
    expect(r1024.verdict).toBe('forbidden');
    expect(r1024.findings).toEqual([
      {
        code: 'rsa-forbidden',
        severity: 'high',
        message: expect.stringMatching(/1024 bits; below 2048 bits is forbidden/),
      },
    ]);
    const r2048 = evaluateKey(parsePublicKey(vector('rsa_2.pub')));
    expect(r2048.verdict).toBe('weak');
    expect(r2048.findings).toEqual([
      {
        code: 'rsa-weak',
        severity: 'medium',
        message: expect.stringMatching(/2048 bits; below 3072 bits is weak/),
      },
    ]);
    expect(evaluateKey(rsaKey(3072))).toEqual({ verdict: 'ok', findings: [] });
  });

  it('DSA is forbidden', () => {
    const r = evaluateKey(dsaKey());
    expect(r.verdict).toBe('forbidden');
    expect(codes(r)).toEqual(['dsa-forbidden']);
  });

  it('an unknown type gets a medium "unknown key type" finding (verdict weak)', () => {
    const r = evaluateKey(parsePublicKey(vector('mldsa44_ed25519_1.pub')));
    expect(r.verdict).toBe('weak');
    expect(r.findings).toEqual([
      {
        code: 'unknown-type',
        severity: 'medium',
        message: expect.stringMatching(/unknown key type ssh-mldsa44-ed25519@openssh.com/),
      },
    ]);
  });
});

describe('policy overrides', () => {
  it('RSA thresholds', () => {
    const k3072 = rsaKey(3072);
    expect(codes(evaluateKey(k3072, { minRsaBits: 4096 }))).toEqual(['rsa-weak']);
    expect(codes(evaluateKey(k3072, { minRsaBits: 4096, forbiddenRsaBits: 4096 }))).toEqual([
      'rsa-forbidden',
    ]);
    expect(evaluateKey(parsePublicKey(vector('rsa_2.pub')), { minRsaBits: 2048 }).verdict).toBe('ok');
  });

  it('forbidDsa: false makes DSA weak', () => {
    const r = evaluateKey(dsaKey(), { forbidDsa: false });
    expect([r.verdict, codes(r)]).toEqual(['weak', ['dsa-weak']]);
  });

  it('allowedTypes by type name or family; a certificate matches its certified type', () => {
    const p = { allowedTypes: ['ssh-ed25519', 'ECDSA'] };
    expect(evaluateKey(parsePublicKey(vector('ed25519_1.pub')), p).verdict).toBe('ok');
    expect(evaluateKey(parsePublicKey(vector('ecdsa_2.pub')), p).verdict).toBe('ok');
    const rsa = evaluateKey(rsaKey(3072), p);
    expect([rsa.verdict, codes(rsa)]).toEqual(['forbidden', ['type-not-allowed']]);
    const cert = evaluateKey(parsePublicKey(vector('ed25519_1-cert.pub')), {
      ...p,
      now: at('2005-01-01T00:00:00Z'),
    });
    expect(cert).toEqual({ verdict: 'ok', findings: [] });
  });

  it('resolvePolicy merges and validates', () => {
    expect(resolvePolicy({ minRsaBits: 4096 })).toEqual({ ...DEFAULT_POLICY, minRsaBits: 4096 });
    expect(() => resolvePolicy({ forbiddenRsaBits: 4096 })).toThrow(UsageError);
    expect(() => resolvePolicy({ minRsaBits: -1 })).toThrow(/whole number of bits/);
    expect(() => resolvePolicy({ failOn: 'never' as 'weak' })).toThrow(/failOn must be/);
  });
});

describe('certificates and expiry', () => {
  // The vectors' certificates are valid 1999-01-01 .. 2011-01-01 (give or take time zones).
  const cert = parsePublicKey(vector('ed25519_1-cert.pub'));

  it('an expired certificate: verdict expired, cert-expired', () => {
    const r = evaluateKey(cert);
    expect(r.verdict).toBe('expired');
    expect(r.findings).toEqual([
      {
        code: 'cert-expired',
        severity: 'high',
        message: expect.stringMatching(/certificate "julius" expired at 2010-12-31T/),
      },
    ]);
  });

  it('inside the window: ok; before it: cert-not-yet-valid (reported, verdict unchanged)', () => {
    expect(evaluateKey(cert, { now: at('2005-06-01T00:00:00Z') })).toEqual({ verdict: 'ok', findings: [] });
    const early = evaluateKey(cert, { now: at('1990-01-01T00:00:00Z') });
    expect([early.verdict, codes(early)]).toEqual(['ok', ['cert-not-yet-valid']]);
    expect(early.findings[0]!.severity).toBe('low');
  });

  it('the exact boundaries follow OpenSSH (valid_after <= now < valid_before)', () => {
    const c = parsePublicKeyBlob(buildEd25519Cert({ validAfter: 1000n, validBefore: 2000n }).blob);
    expect(codes(evaluateKey(c, { now: new Date(999_000) }))).toEqual(['cert-not-yet-valid']);
    expect(codes(evaluateKey(c, { now: new Date(1000_000) }))).toEqual([]);
    expect(codes(evaluateKey(c, { now: new Date(1999_999) }))).toEqual([]);
    expect(codes(evaluateKey(c, { now: new Date(2000_000) }))).toEqual(['cert-expired']);
    const forever = parsePublicKeyBlob(buildEd25519Cert().blob);
    expect(codes(evaluateKey(forever, { now: at('2999-01-01T00:00:00Z') }))).toEqual([]);
  });

  it('a certificate judges its certified key too, and flags an ssh-rsa (SHA-1) CA signature', () => {
    const r = evaluateKey(parsePublicKey(vector('rsa_1_sha1-cert.pub')), { now: at('2005-06-01T00:00:00Z') });
    expect(r.verdict).toBe('forbidden');
    expect(codes(r)).toEqual(['rsa-forbidden', 'cert-sha1-signature']);
    expect(r.findings[0]!.message).toMatch(/RSA certified key is 1024 bits/);
    expect(
      codes(
        evaluateKey(parsePublicKey(vector('rsa_1_sha512-cert.pub')), { now: at('2005-06-01T00:00:00Z') }),
      ),
    ).toEqual(['rsa-forbidden']);
  });

  it('expired wins over forbidden in the verdict', () => {
    const r = evaluateKey(parsePublicKey(vector('rsa_1-cert.pub')));
    expect(r.verdict).toBe('expired');
    expect(codes(r)).toEqual(['rsa-forbidden', 'cert-expired']);
  });

  it('an authorized_keys expiry-time in the past: option-expired; in the future: ok', () => {
    const past = parseAuthorizedKeysLine(`expiry-time="20200101Z" ${vector('ed25519_1.pub')}`)!;
    const r = evaluateKey(past.key, DEFAULT_POLICY, { options: past.options });
    expect(r.verdict).toBe('expired');
    expect(r.findings).toEqual([
      {
        code: 'option-expired',
        severity: 'high',
        message: expect.stringMatching(/expiry-time passed at 2020-01-01T00:00:00.000Z/),
      },
    ]);
    expect(
      evaluateKey(past.key, { now: at('2019-12-31T23:59:59Z') }, { options: past.options }).verdict,
    ).toBe('ok');
    const future = parseAuthorizedKeysLine(`expiry-time="20990101Z",restrict ${vector('ed25519_1.pub')}`)!;
    expect(evaluateKey(future.key, DEFAULT_POLICY, { options: future.options })).toEqual({
      verdict: 'ok',
      findings: [],
    });
  });

  it('no-touch-required on a security key is reported (low), the verdict stays ok', () => {
    const l = parseAuthorizedKeysLine(`no-touch-required ${vector('ed25519_sk1.pub')}`)!;
    const r = evaluateKey(l.key, DEFAULT_POLICY, { options: l.options });
    expect([r.verdict, codes(r), r.findings[0]!.severity]).toEqual([
      'ok',
      ['option-no-touch-required'],
      'low',
    ]);
    const notSk = parseAuthorizedKeysLine(`no-touch-required ${vector('ed25519_1.pub')}`)!;
    expect(evaluateKey(notSk.key, DEFAULT_POLICY, { options: notSk.options }).findings).toEqual([]);
  });
});

describe('failsPolicy (exit code 1)', () => {
  it('default failOn forbidden: forbidden and expired fail; weak and ok pass', () => {
    expect(failsPolicy({ verdict: 'ok' })).toBe(false);
    expect(failsPolicy({ verdict: 'weak' })).toBe(false);
    expect(failsPolicy({ verdict: 'forbidden' })).toBe(true);
    expect(failsPolicy({ verdict: 'expired' })).toBe(true);
  });

  it('failOn weak: weak fails too', () => {
    const p = { failOn: 'weak' as const };
    expect(failsPolicy({ verdict: 'ok' }, p)).toBe(false);
    expect(failsPolicy({ verdict: 'weak' }, p)).toBe(true);
    expect(failsPolicy({ verdict: 'forbidden' }, p)).toBe(true);
    expect(failsPolicy({ verdict: 'expired' }, p)).toBe(true);
  });

  it('finding codes are stable', () => {
    expect([...FINDING_CODES]).toEqual([
      'rsa-weak',
      'rsa-forbidden',
      'dsa-forbidden',
      'dsa-weak',
      'type-not-allowed',
      'unknown-type',
      'cert-expired',
      'cert-not-yet-valid',
      'cert-sha1-signature',
      'option-expired',
      'option-no-touch-required',
    ]);
  });
});
