import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../src/keys/public-key.js';
import { opensshPublicKey, type GcpEmulator } from '../../../src/sandbox/gcp/index.js';
import { call, fresh } from './helpers.js';

const ALICE = 'alice@example.com';
const CI = 'ci-runner@ml-prod.iam.gserviceaccount.com';
const INVALID = {
  error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' },
};

function newKey(comment = 'test@host'): { text: string; fp: string } {
  const text = opensshPublicKey(generateKeyPairSync('ed25519').publicKey, comment);
  return { text, fp: createHash('sha256').update(parsePublicKey(text).blob).digest('hex') };
}

const enc = encodeURIComponent;
let emu: GcpEmulator;
beforeEach(async () => {
  emu = await fresh();
});
afterEach(async () => {
  await emu.close();
});

describe('OS Login v1 over REST', () => {
  it('getLoginProfile returns the seeded profile: POSIX account and keys by SHA-256 hex fingerprint', async () => {
    const r = await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe(ALICE);
    expect(r.body.posixAccounts).toHaveLength(1);
    const acct = r.body.posixAccounts[0];
    expect(acct).toMatchObject({
      primary: true,
      username: 'alice_example_com',
      homeDirectory: '/home/alice_example_com',
      shell: '/bin/bash',
      accountId: 'ml-oslogin',
      operatingSystemType: 'LINUX',
      name: `users/${ALICE}/projects/ml-oslogin`,
    });
    expect(acct.uid).toMatch(/^\d+$/);
    expect(acct.gid).toBe(acct.uid);
    const [fp, key] = Object.entries(r.body.sshPublicKeys)[0] as [string, Record<string, string>];
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(key['fingerprint']).toBe(fp);
    expect(key['name']).toBe(`users/${ALICE}/sshPublicKeys/${fp}`);
    expect(fp).toBe(createHash('sha256').update(parsePublicKey(key['key']!).blob).digest('hex'));
    expect(key['expirationTimeUsec']).toMatch(/^\d+$/);
    expect(emu.getLoginProfile(ALICE)).toEqual(r.body);
  });

  it('importSshPublicKey adds a key, provisions the POSIX account for projectId, and is idempotent', async () => {
    const k = newKey();
    const r = await call(emu, 'POST', `/v1/users/${enc(CI)}:importSshPublicKey?projectId=ml-prod`, {
      body: { key: k.text },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['loginProfile']);
    expect(r.body.loginProfile.sshPublicKeys).toEqual({
      [k.fp]: { key: k.text, fingerprint: k.fp, name: `users/${CI}/sshPublicKeys/${k.fp}` },
    });
    const acct = r.body.loginProfile.posixAccounts[0];
    expect(acct.username).toMatch(/^sa_\d{21}$/);
    expect(acct.name).toBe(`users/${CI}/projects/ml-prod`);

    // Same key again (with an expiry): still one key, expiry now set.
    const again = await call(emu, 'POST', `/v1/users/${enc(CI)}:importSshPublicKey?projectId=ml-prod`, {
      body: { key: k.text, expirationTimeUsec: '1900000000000000' },
    });
    expect(Object.keys(again.body.loginProfile.sshPublicKeys)).toEqual([k.fp]);
    expect(again.body.loginProfile.sshPublicKeys[k.fp].expirationTimeUsec).toBe('1900000000000000');
    expect(again.body.loginProfile.posixAccounts).toHaveLength(1);
  });

  it('accepts the colon of the custom verb percent-encoded too', async () => {
    const k = newKey();
    const r = await call(emu, 'POST', `/v1/users/${enc(`${ALICE}:importSshPublicKey`)}`, {
      body: { key: k.text },
    });
    expect(r.status).toBe(200);
    expect(r.body.loginProfile.sshPublicKeys[k.fp]).toBeDefined();
    const unknownVerb = await call(emu, 'POST', `/v1/users/${enc(ALICE)}:frobnicate`, { body: {} });
    expect(unknownVerb.status).toBe(404);
  });

  it('sshPublicKeys create / get / patch (updateMask) / delete', async () => {
    const k = newKey();
    const base = `/v1/users/${enc(ALICE)}/sshPublicKeys`;
    const created = await call(emu, 'POST', base, {
      body: { key: k.text, expirationTimeUsec: 1800000000000000 },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      key: k.text,
      expirationTimeUsec: '1800000000000000',
      fingerprint: k.fp,
      name: `users/${ALICE}/sshPublicKeys/${k.fp}`,
    });
    expect((await call(emu, 'POST', base, { body: { key: k.text } })).status).toBe(409);

    const got = await call(emu, 'GET', `${base}/${k.fp}`);
    expect(got.body).toEqual(created.body);

    // Only the expiry changes, even if the body carries other fields.
    const patched = await call(emu, 'PATCH', `${base}/${k.fp}?updateMask=expirationTimeUsec`, {
      body: { key: k.text, expirationTimeUsec: '1900000000000000' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.expirationTimeUsec).toBe('1900000000000000');
    expect(patched.body.key).toBe(k.text);

    // In the mask but absent from the body: cleared (no expiry).
    const cleared = await call(emu, 'PATCH', `${base}/${k.fp}?updateMask=expirationTimeUsec`, { body: {} });
    expect(cleared.body.expirationTimeUsec).toBeUndefined();

    expect((await call(emu, 'PATCH', `${base}/${k.fp}?updateMask=comment`, { body: {} })).body).toEqual(
      INVALID,
    );
    const other = newKey();
    expect((await call(emu, 'PATCH', `${base}/${k.fp}`, { body: { key: other.text } })).body).toEqual(
      INVALID,
    );

    const del = await call(emu, 'DELETE', `${base}/${k.fp}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({});
    const gone = await call(emu, 'GET', `${base}/${k.fp}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
    });
    expect((await call(emu, 'DELETE', `${base}/${k.fp}`)).status).toBe(404);
    expect(emu.getLoginProfile(ALICE)!.sshPublicKeys![k.fp]).toBeUndefined();
  });

  it('invalid keys and expiries are 400 INVALID_ARGUMENT', async () => {
    const url = `/v1/users/${enc(ALICE)}:importSshPublicKey`;
    const bodies: unknown[] = [
      { key: 'ssh-ed25519 AAAA-not-base64' },
      { key: 'not a key at all' },
      { key: '' },
      {},
      { key: newKey().text, expirationTimeUsec: 'tomorrow' },
      { key: newKey().text, expirationTimeUsec: -5 },
      {
        key: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
      },
    ];
    const before = emu.getLoginProfile(ALICE);
    for (const body of bodies) {
      const r = await call(emu, 'POST', url, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toEqual(INVALID);
    }
    expect(emu.getLoginProfile(ALICE)).toEqual(before);
  });

  it('rejects a change that would make the profile exceed 32 KiB, keeping what was there', async () => {
    const url = `/v1/users/${enc(CI)}:importSshPublicKey`;
    let accepted = 0;
    let refused: { status: number; body: unknown } | undefined;
    for (let n = 0; n < 100 && !refused; n++) {
      const r = await call(emu, 'POST', url, {
        body: { key: newKey(`padding-${n}-${'x'.repeat(900)}`).text },
      });
      if (r.status === 200) accepted++;
      else refused = r;
    }
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toEqual({
      status: 400,
      body: {
        error: { code: 400, message: 'Login profile size exceeds 32 KiB', status: 'FAILED_PRECONDITION' },
      },
      headers: expect.anything(),
    });
    const profile = emu.getLoginProfile(CI)!;
    expect(Object.keys(profile.sshPublicKeys!)).toHaveLength(accepted);
    expect(Buffer.byteLength(JSON.stringify(profile))).toBeLessThanOrEqual(32768);
    // The status is a knob (the real one is unverified).
    emu.setKnobs({ profileSizeStatus: 'INVALID_ARGUMENT' });
    const r = await call(emu, 'POST', url, { body: { key: newKey('y'.repeat(2000)).text } });
    expect(r.body.error.status).toBe('INVALID_ARGUMENT');
  });

  it('401 UNAUTHENTICATED without a token or with a wrong one', async () => {
    const none = await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile`, { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(none.body.error.message).toMatch(/^Request is missing required authentication credential/);
    const wrong = await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile`, {
      token: 'kfgc_notarealtokennotarealtoken00',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/^Request had invalid authentication credentials/);
  });

  it('403 PERMISSION_DENIED for another identity; a user token manages its own (also as users/me)', async () => {
    const alice = emu.token('alice');
    const denied = await call(emu, 'GET', `/v1/users/${enc(CI)}/loginProfile`, { token: alice });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' },
    });
    // 403 also for identities that do not exist: nothing is revealed.
    expect(
      (await call(emu, 'GET', `/v1/users/${enc('nobody@example.com')}/loginProfile`, { token: alice }))
        .status,
    ).toBe(403);

    const k = newKey();
    const own = await call(emu, 'POST', `/v1/users/me:importSshPublicKey`, {
      token: alice,
      body: { key: k.text },
    });
    expect(own.status).toBe(200);
    expect(own.body.loginProfile.name).toBe(ALICE);
    expect(
      (await call(emu, 'DELETE', `/v1/users/${enc(ALICE)}/sshPublicKeys/${k.fp}`, { token: alice })).status,
    ).toBe(200);

    const viewer = emu.token('viewer');
    expect((await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile`, { token: viewer })).status).toBe(
      200,
    );
    const viewerWrite = await call(emu, 'POST', `/v1/users/${enc(ALICE)}:importSshPublicKey`, {
      token: viewer,
      body: { key: newKey().text },
    });
    expect(viewerWrite.status).toBe(403);
  });

  it('unknown identities are 404 for the owner until added', async () => {
    const who = 'bob@example.com';
    const r = await call(emu, 'GET', `/v1/users/${enc(who)}/loginProfile`);
    expect(r.status).toBe(404);
    expect(r.body.error.status).toBe('NOT_FOUND');
    const added = await call(emu, 'POST', '/_sandbox/gcp/oslogin/users', {
      token: null,
      body: { email: who },
    });
    expect(added.body).toEqual({ name: who });
    const k = newKey();
    const imp = await call(emu, 'POST', `/v1/users/${enc(who)}:importSshPublicKey?projectId=ml-prod`, {
      body: { key: k.text },
    });
    expect(imp.body.loginProfile.posixAccounts[0].username).toBe('bob_example_com');
  });

  it("getLoginProfile with projectId lists only that project's POSIX account; users.projects.delete removes it", async () => {
    await call(emu, 'POST', `/v1/users/${enc(ALICE)}:importSshPublicKey?projectId=ml-prod`, {
      body: { key: newKey().text },
    });
    const all = await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile`);
    expect(all.body.posixAccounts.map((a: { accountId: string }) => a.accountId).sort()).toEqual([
      'ml-oslogin',
      'ml-prod',
    ]);
    const one = await call(emu, 'GET', `/v1/users/${enc(ALICE)}/loginProfile?projectId=ml-prod`);
    expect(one.body.posixAccounts.map((a: { accountId: string }) => a.accountId)).toEqual(['ml-prod']);
    expect((await call(emu, 'DELETE', `/v1/users/${enc(ALICE)}/projects/ml-prod`)).body).toEqual({});
    expect(emu.getLoginProfile(ALICE)!.posixAccounts!.map((a) => a.accountId)).toEqual(['ml-oslogin']);
  });
});
