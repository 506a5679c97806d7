/**
 * GitHub keys behind the KeyPlatform interface: the token's own authentication keys
 * (`github:user`), anyone's public keys (`github:user/LOGIN`, read only) and repository deploy
 * keys (`github:repo/OWNER/REPO[?write]`).
 *
 * GitHub facts this follows: keys are unique across all of GitHub (422 "key is already in use"),
 * stored without their comment (so keys are compared by fingerprint), immutable (no update), and
 * a 404 may mean "no permission" rather than "gone".
 */
import { UsageError } from '../../errors.js';
import type { PublicKey } from '../../keys/types.js';
import { formatPublicKey } from '../../keys/public-key.js';
import { PlatformError, missingTokenError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { defaultTitle, hasFingerprint, placedKey, plannedKey } from '../placed.js';
import { formatPlace, formatTarget } from '../target.js';
import type { AddOptions, AddResult, KeyPlatform, PlacedKey, RemoveResult, Target } from '../types.js';
import {
  createGithubClient,
  DEFAULT_TIMEOUT_MS,
  type GithubClient,
  type GithubClientOptions,
} from './client.js';
import { isKeyInUse, isRateLimited, statusOf, toGithubError, type GithubErrorContext } from './errors.js';

export type GithubPlatformOptions = GithubClientOptions;

type GithubTarget = Extract<Target, { platform: 'github' }>;

const USER_KEY_SCOPES = 'the admin:public_key scope (or read:public_key to list)';
const REPO_KEY_SCOPES =
  'admin rights on the repository: classic scope repo, or the Administration permission';

export class GithubPlatform implements KeyPlatform {
  readonly platform = 'github' as const;
  private readonly octokit: GithubClient;
  private readonly timeoutMs: number;
  private readonly hasToken: boolean;

  constructor(options: GithubPlatformOptions) {
    registerSecret(options.token); // adapters built directly (Pulumi, tests) get the same redaction
    this.octokit = createGithubClient(options);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.hasToken = Boolean(options.token);
  }

  private gh(target: Target): GithubTarget {
    if (target.platform !== 'github') {
      throw new UsageError(
        `the GitHub adapter cannot handle the ${target.platform} target ${formatTarget(target)}`,
      );
    }
    return target;
  }

  private ctx(t: GithubTarget, action: string, extra: Partial<GithubErrorContext> = {}): GithubErrorContext {
    return {
      action,
      target: formatPlace(t),
      timeoutMs: this.timeoutMs,
      ...(t.kind === 'user'
        ? { needs: USER_KEY_SCOPES }
        : t.kind === 'repo'
          ? { needs: REPO_KEY_SCOPES }
          : {}),
      ...extra,
    };
  }

  private needToken(t: GithubTarget, action: string): void {
    if (!this.hasToken) throw missingTokenError('github', `${action} on ${formatPlace(t)}`);
  }

  private readOnly(t: Extract<GithubTarget, { kind: 'user-public' }>, action: string): PlatformError {
    return new PlatformError({
      platform: 'github',
      code: 'READ_ONLY',
      platformMessage: `${formatTarget(t)} is read only: cannot ${action} another account's keys`,
      hint:
        "GitHub has no API to change another user's keys. Use github:user with that account's own token " +
        '(e.g. a machine user), or a repository deploy key (github:repo/OWNER/REPO).',
    });
  }

  async list(target: Target): Promise<PlacedKey[]> {
    const t = this.gh(target);
    const where = formatPlace(t);
    try {
      switch (t.kind) {
        case 'user': {
          this.needToken(t, 'listing your keys');
          const keys = await this.octokit.paginate(
            this.octokit.rest.users.listPublicSshKeysForAuthenticatedUser,
            {
              per_page: 100,
            },
          );
          return keys.map((k) => placedKey(where, k.id, k.key, { title: k.title, createdAt: k.created_at }));
        }
        case 'user-public': {
          const keys = await this.octokit.paginate(this.octokit.rest.users.listPublicKeysForUser, {
            username: t.login,
            per_page: 100,
          });
          return keys.map((k) =>
            placedKey(where, k.id, k.key, {
              createdAt: (k as { created_at?: string }).created_at,
              user: t.login,
            }),
          );
        }
        case 'repo': {
          this.needToken(t, 'listing deploy keys');
          const keys = await this.octokit.paginate(this.octokit.rest.repos.listDeployKeys, {
            owner: t.owner,
            repo: t.repo,
            per_page: 100,
          });
          return keys.map((k) =>
            placedKey(where, k.id, k.key, {
              title: k.title,
              createdAt: k.created_at,
              readOnly: k.read_only,
              addedBy: (k as { added_by?: string | null }).added_by ?? undefined,
            }),
          );
        }
      }
    } catch (err) {
      throw toGithubError(err, this.ctx(t, `list the keys of ${where}`));
    }
  }

  async findByFingerprint(target: Target, fingerprint: string): Promise<PlacedKey[]> {
    return (await this.list(target)).filter((k) => hasFingerprint(k, fingerprint));
  }

  async add(target: Target, key: PublicKey, options: AddOptions = {}): Promise<AddResult> {
    const t = this.gh(target);
    if (t.kind === 'user-public') throw this.readOnly(t, 'add to');
    this.needToken(t, 'adding a key');
    const where = formatPlace(t);
    const warnings: string[] = [];
    if (options.expiresAt) {
      warnings.push(
        `GitHub keys cannot expire: --expires is ignored on ${where}; revoke the key yourself when it is due`,
      );
    }
    const existing = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
    if (existing)
      return {
        status: 'present',
        key: existing,
        warnings: [...warnings, ...this.accessWarnings(t, existing)],
      };

    const title = options.title ?? defaultTitle(key);
    if (options.dryRun) {
      return {
        status: 'would-add',
        key: plannedKey(where, key, { title, ...(t.kind === 'repo' ? { readOnly: !t.write } : {}) }),
        warnings,
      };
    }
    // GitHub stores the key without its comment anyway; send type and base64 only.
    const text = formatPublicKey(key, { comment: false });
    try {
      if (t.kind === 'user') {
        const { data } = await this.octokit.rest.users.createPublicSshKeyForAuthenticatedUser({
          key: text,
          title,
        });
        return {
          status: 'added',
          key: placedKey(where, data.id, data.key, { title: data.title, createdAt: data.created_at }),
          warnings,
        };
      }
      const { data } = await this.octokit.rest.repos.createDeployKey({
        owner: t.owner,
        repo: t.repo,
        key: text,
        title,
        read_only: !t.write,
      });
      return {
        status: 'added',
        key: placedKey(where, data.id, data.key, {
          title: data.title,
          createdAt: data.created_at,
          readOnly: data.read_only,
        }),
        warnings,
      };
    } catch (err) {
      if (isKeyInUse(err)) {
        // A retried POST may have landed already: then the key is here and that is success.
        const again = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
        if (again) return { status: 'present', key: again, warnings };
        throw toGithubError(err, this.ctx(t, `add ${key.fingerprint} to ${where}`)).withHint(
          `this key is already registered elsewhere on GitHub (as a user key or another repository's deploy key); ` +
            'GitHub allows each public key once across all of GitHub. Use one key per repository, ' +
            'or a machine user account whose key reaches several repositories.',
          'KEY_IN_USE',
        );
      }
      if (statusOf(err) === 404 || statusOf(err) === 403) {
        if (isRateLimited(err)) throw toGithubError(err, this.ctx(t, `add a key to ${where}`));
        throw toGithubError(err, this.ctx(t, `add a key to ${where}`)).withHint(
          `the token can list ${where} but may not add keys there: it needs ${t.kind === 'user' ? 'the write:public_key scope' : REPO_KEY_SCOPES}.`,
        );
      }
      throw toGithubError(err, this.ctx(t, `add a key to ${where}`));
    }
  }

  private accessWarnings(t: GithubTarget, existing: PlacedKey): string[] {
    if (t.kind !== 'repo' || existing.readOnly === undefined || existing.readOnly === !t.write) return [];
    const has = existing.readOnly ? 'read-only' : 'read/write';
    const want = t.write ? 'read/write (?write)' : 'read-only';
    return [
      `the key is already on ${formatPlace(t)} as ${has}, not ${want}; GitHub keys are immutable: revoke it and grant again to change access`,
    ];
  }

  async remove(target: Target, id: string, options: { dryRun?: boolean } = {}): Promise<RemoveResult> {
    const t = this.gh(target);
    if (t.kind === 'user-public') throw this.readOnly(t, 'remove from');
    this.needToken(t, 'removing a key');
    const where = formatPlace(t);
    if (!/^[0-9]+$/.test(id))
      throw new UsageError(`"${id}" is not a GitHub key id (a number, as \`keyfleet list\` shows)`);
    const keyId = Number(id);

    if (options.dryRun) {
      const keys = await this.list(t); // succeeds only when the token can see the target
      return keys.some((k) => k.id === id)
        ? { status: 'would-remove', notes: [] }
        : { status: 'absent', notes: [`key ${id} is not on ${where}: nothing to do`] };
    }

    try {
      if (t.kind === 'user')
        await this.octokit.rest.users.deletePublicSshKeyForAuthenticatedUser({ key_id: keyId });
      else await this.octokit.rest.repos.deleteDeployKey({ owner: t.owner, repo: t.repo, key_id: keyId });
      return { status: 'removed', notes: [] };
    } catch (err) {
      const status = statusOf(err);
      if ((status !== 404 && status !== 403) || isRateLimited(err)) {
        throw toGithubError(err, this.ctx(t, `remove key ${id} from ${where}`));
      }
      // A 404 may mean "no permission". Only a successful listing proves the key is really gone.
      let keys: PlacedKey[];
      try {
        keys = await this.list(t);
      } catch (listErr) {
        const e =
          listErr instanceof PlatformError ? listErr : toGithubError(listErr, this.ctx(t, `list ${where}`));
        throw e.withHint(
          `the token cannot see ${where}, so keyfleet cannot tell whether key ${id} is there; ` +
            'nothing was removed and the key may still be registered. Use a token with ' +
            `${t.kind === 'user' ? USER_KEY_SCOPES : REPO_KEY_SCOPES}.`,
          'NOT_VISIBLE',
        );
      }
      if (keys.some((k) => k.id === id)) {
        throw toGithubError(err, this.ctx(t, `remove key ${id} from ${where}`)).withHint(
          `the key is still there: the token can list ${where} but may not delete keys ` +
            `(needs ${t.kind === 'user' ? 'the admin:public_key scope' : REPO_KEY_SCOPES}).`,
          'NOT_PERMITTED',
        );
      }
      return { status: 'absent', notes: [`key ${id} is not on ${where}: nothing to do`] };
    }
  }
}
