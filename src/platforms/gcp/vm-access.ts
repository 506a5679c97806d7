/**
 * "Which keys does this VM accept for this user, now?", answered with the guest agent's rules
 * (guest-agent `non_windows_accounts.go`, `metadata.go`, `oslogin.go`; guest-oslogin for OS Login
 * expiry). A pure function of the metadata and OS Login profiles, so the sandbox VM, the audit and
 * the warnings all reach the same answer as a real VM.
 */
import { parsePublicKey } from '../../keys/public-key.js';
import type { KeyOption, PublicKey } from '../../keys/types.js';
import { parseGoBool } from './go-compat.js';
import type { MetadataItem } from './merge.js';
import { usecToDate, type LoginProfileJson } from './oslogin.js';
import { isExpired, parseSshKeys, type SshKeysLine } from './ssh-keys-codec.js';

export interface VmMetadataInput {
  projectMetadata?: { items?: MetadataItem[] | null } | null;
  instanceMetadata?: { items?: MetadataItem[] | null } | null;
  /** Login profiles of the OS Login identities that may log in (used only when OS Login is on). */
  osLoginProfiles?: LoginProfileJson[];
}

export interface AcceptedKey {
  key: PublicKey;
  /** authorized_keys options of the metadata line (none for OS Login keys). */
  options: KeyOption[];
  source: 'instance' | 'project' | 'oslogin';
  /** The metadata line, or the OS Login key text. */
  raw: string;
  expiresAt?: Date;
}

export interface VmAccessMode {
  osLogin: boolean;
  blockProjectKeys: boolean;
}

/**
 * An attribute as the agent's JSON decoding finds it: Go's encoding/json matches the struct tag
 * case-insensitively and the last matching member wins. The metadata server lists attributes in
 * item order, so the last item whose key folds to `name` wins.
 */
function attribute(items: readonly MetadataItem[] | null | undefined, name: string): string | undefined {
  let found: string | undefined;
  const want = name.toLowerCase();
  for (const it of items ?? []) {
    if (it.key.toLowerCase() === want) found = it.value ?? '';
  }
  return found;
}

/** The attribute sets' `ssh-keys` then legacy `sshKeys` lines, as `metadata.go` builds them. */
function keyLines(items: readonly MetadataItem[] | null | undefined): {
  lines: SshKeysLine[];
  legacy: boolean;
} {
  const sshKeys = attribute(items, 'ssh-keys');
  const legacy = attribute(items, 'sshKeys');
  const lines = sshKeys ? parseSshKeys(sshKeys) : [];
  if (legacy) lines.push(...parseSshKeys(legacy));
  return { lines, legacy: Boolean(legacy) };
}

/** Whether OS Login is on (instance `enable-oslogin` overrides the project's when it parses) and project keys are blocked. */
export function vmAccessMode(input: VmMetadataInput): VmAccessMode {
  const inst = input.instanceMetadata?.items;
  const proj = input.projectMetadata?.items;
  const instOsLogin = parseGoBool(attribute(inst, 'enable-oslogin'));
  const projOsLogin = parseGoBool(attribute(proj, 'enable-oslogin'));
  const osLogin = instOsLogin ?? projOsLogin ?? false;
  // Only the instance's flag counts (the project-level flag is never consulted); a non-empty
  // legacy instance `sshKeys` blocks project keys too.
  const blockProjectKeys =
    parseGoBool(attribute(inst, 'block-project-ssh-keys')) === true || keyLines(inst).legacy;
  return { osLogin, blockProjectKeys };
}

/**
 * The keys the VM accepts for `user` at `now`: with OS Login on, the unexpired OS Login keys of
 * the identity whose POSIX username is `user`; otherwise the instance's metadata keys, then the
 * project's unless blocked, skipping invalid and expired lines.
 */
export function vmAcceptedKeys(input: VmMetadataInput, user: string, now: Date = new Date()): AcceptedKey[] {
  const mode = vmAccessMode(input);
  if (mode.osLogin) return osLoginKeys(input.osLoginProfiles ?? [], user, now);
  const out: AcceptedKey[] = [];
  const add = (lines: SshKeysLine[], source: 'instance' | 'project') => {
    for (const l of lines) {
      if (l.kind !== 'key' || !l.key || l.user !== user || isExpired(l, now)) continue;
      out.push({
        key: l.key,
        options: l.options,
        source,
        raw: l.raw,
        ...(l.expireOn ? { expiresAt: l.expireOn } : {}),
      });
    }
  };
  add(keyLines(input.instanceMetadata?.items).lines, 'instance');
  if (!mode.blockProjectKeys) add(keyLines(input.projectMetadata?.items).lines, 'project');
  return out;
}

/** Just the keys. */
export function vmAcceptedPublicKeys(
  input: VmMetadataInput,
  user: string,
  now: Date = new Date(),
): PublicKey[] {
  return vmAcceptedKeys(input, user, now).map((a) => a.key);
}

/**
 * OS Login: a key counts when `expirationTimeUsec` is absent or `now_usec <= expirationTimeUsec`
 * (guest-oslogin `ParseJsonToSshKeys`); keys that do not parse are skipped as sshd would.
 */
function osLoginKeys(profiles: LoginProfileJson[], user: string, now: Date): AcceptedKey[] {
  const out: AcceptedKey[] = [];
  const nowUsec = BigInt(now.getTime()) * 1000n;
  for (const p of profiles) {
    if (!(p.posixAccounts ?? []).some((a) => a.username === user)) continue;
    for (const k of Object.values(p.sshPublicKeys ?? {})) {
      if (k.expirationTimeUsec !== undefined && k.expirationTimeUsec !== '') {
        let exp: bigint;
        try {
          exp = BigInt(k.expirationTimeUsec);
        } catch {
          continue;
        }
        if (nowUsec > exp) continue;
      }
      let key: PublicKey;
      try {
        key = parsePublicKey(k.key);
      } catch {
        continue;
      }
      const expiresAt = usecToDate(k.expirationTimeUsec);
      out.push({ key, options: [], source: 'oslogin', raw: k.key, ...(expiresAt ? { expiresAt } : {}) });
    }
  }
  return out;
}
