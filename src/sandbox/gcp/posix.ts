import { createHash } from 'node:crypto';
import type { OsLoginUserState, PosixAccountState } from './types.js';

/**
 * The POSIX account OS Login provisions for an identity: `alice@example.com` -> `alice_example_com`
 * (documented), `ext_` prefix for identities outside the organization's domain (documented),
 * `sa_<uniqueId>` for service accounts (OS Login docs), 32 characters at most. uid/gid are
 * derived from the email so they are stable across restarts [U: the real allocation is opaque].
 */
export function defaultPosixAccount(
  user: Pick<OsLoginUserState, 'email' | 'uniqueId'>,
  orgDomain: string,
): PosixAccountState {
  const email = user.email.toLowerCase();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  let username: string;
  if (domain.endsWith('.gserviceaccount.com')) username = `sa_${user.uniqueId}`;
  else {
    username = email.replace(/[^a-z0-9_-]/g, '_');
    if (domain !== orgDomain.toLowerCase()) username = `ext_${username}`;
  }
  username = username.slice(0, 32);
  const h = createHash('sha256').update(email).digest().readUInt32BE(0);
  const uid = String(1_000_000_000 + (h % 3_000_000_000));
  return { username, uid, gid: uid, homeDirectory: `/home/${username}`, shell: '/bin/bash' };
}
