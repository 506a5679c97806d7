import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { sshPublicBlob } from '../../keys/node-key.js';
import { randomToken } from '../emulator.js';
import type { GcpState, InstanceState, MetadataItem, OsLoginUserState, ProjectState } from './types.js';
import { defaultPosixAccount } from './posix.js';
import { newFingerprint, numericId } from './util.js';

/**
 * The seeded Google Cloud world (SANDBOX-CONTRACT.md): project `ml-prod` whose `ssh-keys`
 * already holds other people's keys, expired and unexpired `google-ssh` lines and invalid lines;
 * project `ml-oslogin` with OS Login on; instances with and without `block-project-ssh-keys`;
 * two OS Login identities; owner and viewer tokens. Keys are generated at every seed, so no key
 * material lives in the repository.
 */

/** OpenSSH public key text (`TYPE BASE64 COMMENT`) of a freshly generated node:crypto key. */
export function opensshPublicKey(key: KeyObject, comment: string): string {
  const blob = sshPublicBlob(key);
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

function ed25519(comment: string): string {
  return opensshPublicKey(generateKeyPairSync('ed25519').publicKey, comment);
}

function ecdsa(comment: string): string {
  return opensshPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, comment);
}

function rsa(comment: string): string {
  return opensshPublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, comment);
}

/** gcloud's `expireOn` layout: `2006-01-02T15:04:05+0000`. */
function gcloudExpireOn(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

function project(name: string, now: number, items: MetadataItem[]): ProjectState {
  return {
    name,
    id: numericId(12),
    created: now - 400 * 86_400_000,
    metadata: { fingerprint: newFingerprint(), items },
  };
}

function instance(
  projectName: string,
  zone: string,
  name: string,
  now: number,
  items: MetadataItem[],
): InstanceState {
  return {
    project: projectName,
    zone,
    name,
    id: numericId(19),
    created: now - 30 * 86_400_000,
    machineType: 'n1-standard-8',
    networkIP: `10.128.0.${2 + (randomBytes(1)[0]! % 200)}`,
    fingerprint: newFingerprint(),
    metadata: { fingerprint: newFingerprint(), items },
  };
}

/** An OS Login key fingerprint: 64 lowercase hex of SHA-256 over the key's wire blob (derivation [U]). */
export function osLoginFingerprint(blob: Uint8Array): string {
  return createHash('sha256').update(blob).digest('hex');
}

function blobOf(keyText: string): Buffer {
  return Buffer.from(keyText.split(' ')[1] ?? '', 'base64');
}

/** Tokens exist even without a seed, so an empty sandbox is still usable. */
export function baseState(): GcpState {
  return {
    version: 1,
    tokens: {
      owner: { token: randomToken('kfgc_'), principal: 'sandbox-owner@example.com', role: 'owner' },
      viewer: { token: randomToken('kfgc_'), principal: 'sandbox-viewer@example.com', role: 'viewer' },
    },
    projects: {},
    instances: {},
    operations: {},
    requestIds: {},
    osloginUsers: {},
  };
}

export function seedState(now = Date.now()): GcpState {
  const state = baseState();
  state.tokens['alice'] = { token: randomToken('kfgc_'), principal: 'alice@example.com', role: 'user' };
  state.tokens['ci-runner'] = {
    token: randomToken('kfgc_'),
    principal: 'ci-runner@ml-prod.iam.gserviceaccount.com',
    role: 'user',
  };

  const year = 365 * 86_400_000;
  const sshKeys = [
    `bob:${ed25519('bob@laptop')}`,
    `carol:${rsa('carol@workstation')}`,
    // gcloud's own expiring form, already expired, in the +0000 layout.
    `dave:${ecdsa('')} google-ssh {"userName":"dave@example.com","expireOn":"${gcloudExpireOn(now - 30 * 86_400_000)}"}`,
    // unexpired, in the RFC 3339 layout the agent also accepts.
    `erin:${ed25519('')} google-ssh {"userName":"erin@example.com","expireOn":"${new Date(now + year).toISOString()}"}`,
    `frank:no-port-forwarding,from="10.0.0.0/8" ${ed25519('frank@ci')}`,
    // invalid lines the agent skips; a correct writer keeps them byte for byte.
    `${ed25519('no-colon@nowhere')}`,
    `:${ed25519('empty-user@nowhere')}`,
    'grace:ssh-ed25519 this-is-not-base64!!! grace@broken',
    '',
    `heidi:${ed25519('heidi@trailing-space')} `,
  ].join('\n');

  const prod = project('ml-prod', now, [
    { key: 'ssh-keys', value: sshKeys },
    { key: 'startup-script', value: '#!/bin/bash\necho "ml-prod node up" > /var/log/keyfleet-seed.log\n' },
    { key: 'enable-guest-attributes', value: 'TRUE' },
    { key: 'enable-oslogin', value: 'FALSE' },
  ]);
  const oslogin = project('ml-oslogin', now, [
    { key: 'enable-oslogin', value: 'TRUE' },
    // ignored by every VM of this project (OS Login is on): the case keyfleet warns about.
    { key: 'ssh-keys', value: `legacy:${ed25519('legacy@before-oslogin')}` },
  ]);
  state.projects[prod.name] = prod;
  state.projects[oslogin.name] = oslogin;

  const instances = [
    instance('ml-prod', 'us-central1-a', 'trainer-1', now, [
      { key: 'ssh-keys', value: `trainer:${ed25519('trainer@trainer-1')}` },
    ]),
    instance('ml-prod', 'us-central1-a', 'locked-1', now, [
      { key: 'block-project-ssh-keys', value: 'TRUE' },
      { key: 'ssh-keys', value: `ops:${ed25519('ops@locked-1')}` },
    ]),
    instance('ml-oslogin', 'us-central1-b', 'oslogin-1', now, []),
  ];
  for (const i of instances) state.instances[`${i.project}/${i.zone}/${i.name}`] = i;

  const aliceKey = ed25519('alice@laptop');
  const alice: OsLoginUserState = {
    email: 'alice@example.com',
    uniqueId: numericId(21),
    keys: {
      [osLoginFingerprint(blobOf(aliceKey))]: {
        key: aliceKey,
        expirationTimeUsec: String((now + year) * 1000),
      },
    },
    posixAccounts: {},
  };
  const ci: OsLoginUserState = {
    email: 'ci-runner@ml-prod.iam.gserviceaccount.com',
    uniqueId: numericId(21),
    keys: {},
    posixAccounts: {},
  };
  alice.posixAccounts['ml-oslogin'] = defaultPosixAccount(alice, 'example.com');
  state.osloginUsers[alice.email] = alice;
  state.osloginUsers[ci.email] = ci;
  return state;
}
