/**
 * GitLab keys behind the KeyPlatform interface: the token's own keys (`gitlab:user`), any user's
 * keys (`gitlab:user/ID_OR_USERNAME`; adding and removing need an admin token) and project
 * deploy keys (`gitlab:project/PATH[?push]`).
 *
 * GitLab facts this follows: a fingerprint exists once per instance (user keys and deploy keys
 * alike; a duplicate is 400 "has already been taken"); one deploy key is shared between projects
 * by enabling it, and removing it from its last project deletes it; key comments are rewritten,
 * so keys are compared by fingerprint; a 404 may mean "cannot see" rather than "gone".
 */
import { DeployKeys, Keys, UserSSHKeys, Users } from '@gitbeaker/rest';
import { UsageError } from '../../errors.js';
import { formatPublicKey } from '../../keys/public-key.js';
import type { PublicKey } from '../../keys/types.js';
import { PlatformError, missingTokenError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { defaultTitle, hasFingerprint, keyFacts, placedKey, plannedKey } from '../placed.js';
import { formatPlace, formatTarget } from '../target.js';
import type { AddOptions, AddResult, KeyPlatform, PlacedKey, RemoveResult, Target } from '../types.js';
import { isTaken, statusOf, toGitlabError, type GitlabErrorContext } from './errors.js';
import { gitlabRequesterFn, type GitlabRequesterOptions } from './requester.js';

export interface GitlabPlatformOptions extends GitlabRequesterOptions {
  /** The instance URL without `/api/v4`, e.g. `https://gitlab.example.com`. */
  url: string;
  token?: string;
}

type GitlabTarget = Extract<Target, { platform: 'gitlab' }>;
type ProjectTarget = Extract<GitlabTarget, { kind: 'project' }>;

interface ApiKey {
  id: number;
  key: string;
  title?: string;
  created_at?: string;
  expires_at?: string | null;
  can_push?: boolean;
  fingerprint_sha256?: string;
}

interface ApiKeyWithUser extends ApiKey {
  user?: { id: number; username: string };
  deploy_keys_projects?: { project_id: number; can_push?: boolean }[];
}

/** Where a fingerprint already lives on the instance, as far as the token can tell. */
type Existing =
  | { kind: 'deploy'; id: number; projects?: number }
  | { kind: 'user'; username?: string }
  | { kind: 'none' }
  | { kind: 'unknown' };

const MAINTAINER = 'the Maintainer role on the project and a token with the api scope';
const ADMIN_HINT =
  "adding or removing another user's keys needs a GitLab administrator token. Without one, use gitlab:user " +
  "with that user's own token.";

export class GitlabPlatform implements KeyPlatform {
  readonly platform = 'gitlab' as const;
  private readonly userKeys: UserSSHKeys;
  private readonly deployKeys: DeployKeys;
  private readonly keys: Keys;
  private readonly users: Users;
  private readonly hasToken: boolean;
  private readonly userIds = new Map<string, number>();
  private me: { id: number; username: string } | undefined;

  constructor(options: GitlabPlatformOptions) {
    const { url, token, ...requester } = options;
    registerSecret(token); // adapters built directly (Pulumi, tests) get the same redaction
    const config = {
      host: url.replace(/\/+$/, '').replace(/\/api\/v4$/, ''),
      ...(token ? { token } : {}),
      requesterFn: gitlabRequesterFn(requester),
      // Per-attempt timeouts live in the requester; 0 turns off gitbeaker's all-pages timeout.
      queryTimeout: 0,
    } as never;
    this.userKeys = new UserSSHKeys(config);
    this.deployKeys = new DeployKeys(config);
    this.keys = new Keys(config);
    this.users = new Users(config);
    this.hasToken = Boolean(token);
  }

  private gl(target: Target): GitlabTarget {
    if (target.platform !== 'gitlab') {
      throw new UsageError(
        `the GitLab adapter cannot handle the ${target.platform} target ${formatTarget(target)}`,
      );
    }
    return target;
  }

  private needToken(t: GitlabTarget, action: string): void {
    if (!this.hasToken) throw missingTokenError('gitlab', `${action} on ${formatPlace(t)}`);
  }

  private ctx(t: GitlabTarget, action: string, extra: Partial<GitlabErrorContext> = {}): GitlabErrorContext {
    return {
      action,
      target: formatPlace(t),
      ...(t.kind === 'project' ? { needs: MAINTAINER } : {}),
      ...(t.kind === 'user-admin' ? { forbiddenHint: ADMIN_HINT } : {}),
      ...extra,
    };
  }

  /** `gitlab:user/NAME` → numeric id (the write endpoints take ids only). */
  private async userId(t: Extract<GitlabTarget, { kind: 'user-admin' }>): Promise<number> {
    if (/^[0-9]+$/.test(t.user)) return Number(t.user);
    const cached = this.userIds.get(t.user);
    if (cached !== undefined) return cached;
    let found: { id: number; username: string }[];
    try {
      found = (await this.users.all({ username: t.user } as never)) as unknown as {
        id: number;
        username: string;
      }[];
    } catch (err) {
      throw toGitlabError(err, this.ctx(t, `look up the GitLab user ${t.user}`));
    }
    const user = found.find((u) => u.username.toLowerCase() === t.user.toLowerCase());
    if (!user) {
      throw new PlatformError({
        platform: 'gitlab',
        code: 'NOT_FOUND',
        platformMessage: `no GitLab user named "${t.user}"`,
        hint: 'check the username (or use the numeric user id: gitlab:user/ID)',
      });
    }
    this.userIds.set(t.user, user.id);
    return user.id;
  }

  private async currentUser(): Promise<{ id: number; username: string }> {
    if (!this.me)
      this.me = (await this.users.showCurrentUser()) as unknown as { id: number; username: string };
    return this.me;
  }

  private toPlaced(where: string, k: ApiKey, project: boolean): PlacedKey {
    return placedKey(where, k.id, k.key, {
      title: k.title,
      createdAt: k.created_at,
      expiresAt: k.expires_at,
      ...(project ? { readOnly: k.can_push === undefined ? undefined : !k.can_push } : {}),
    });
  }

  async list(target: Target): Promise<PlacedKey[]> {
    const t = this.gl(target);
    const where = formatPlace(t);
    try {
      let keys: ApiKey[];
      switch (t.kind) {
        case 'user':
          this.needToken(t, 'listing your keys');
          keys = (await this.userKeys.all({ perPage: 100 } as never)) as unknown as ApiKey[];
          break;
        case 'user-admin':
          // Public endpoint: takes an id or a username, needs no admin rights.
          keys = (await this.userKeys.all({ userId: t.user, perPage: 100 } as never)) as unknown as ApiKey[];
          break;
        case 'project':
          this.needToken(t, 'listing deploy keys');
          keys = (await this.deployKeys.all({
            projectId: t.path,
            perPage: 100,
          } as never)) as unknown as ApiKey[];
          break;
      }
      return keys.map((k) => this.toPlaced(where, k, t.kind === 'project'));
    } catch (err) {
      throw toGitlabError(
        err,
        this.ctx(
          t,
          `list the keys of ${where}`,
          t.kind === 'user-admin' ? { notFoundHint: `no GitLab user "${t.user}" is visible` } : {},
        ),
      );
    }
  }

  async findByFingerprint(target: Target, fingerprint: string): Promise<PlacedKey[]> {
    return (await this.list(target)).filter((k) => hasFingerprint(k, fingerprint));
  }

  async add(target: Target, key: PublicKey, options: AddOptions = {}): Promise<AddResult> {
    const t = this.gl(target);
    const where = formatPlace(t);
    this.needToken(t, 'adding a key');
    const existing = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
    if (existing)
      return { status: 'present', key: existing, warnings: this.presentWarnings(t, existing, options) };
    if (t.kind === 'project') return this.addDeployKey(t, key, options);

    const title = options.title ?? defaultTitle(key);
    if (options.dryRun) {
      return {
        status: 'would-add',
        key: plannedKey(where, key, { title, expiresAt: options.expiresAt?.toISOString() }),
        warnings: [],
      };
    }
    const body = {
      ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
      ...(t.kind === 'user-admin' ? { userId: await this.userId(t) } : {}),
    };
    try {
      const created = (await this.userKeys.create(
        title,
        formatPublicKey(key),
        body as never,
      )) as unknown as ApiKey;
      return { status: 'added', key: this.toPlaced(where, created, false), warnings: [] };
    } catch (err) {
      if (isTaken(err)) {
        const again = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
        if (again) return { status: 'present', key: again, warnings: [] };
        throw toGitlabError(err, this.ctx(t, `add ${key.fingerprint} to ${where}`)).withHint(
          await this.takenHint(key, false),
          'KEY_IN_USE',
        );
      }
      throw toGitlabError(err, this.ctx(t, `add a key to ${where}`));
    }
  }

  private presentWarnings(t: GitlabTarget, existing: PlacedKey, options: AddOptions): string[] {
    const out: string[] = [];
    if (t.kind === 'project' && existing.readOnly !== undefined && existing.readOnly === t.push) {
      out.push(
        `the deploy key is already on ${formatPlace(t)} ${existing.readOnly ? 'without' : 'with'} push access, ` +
          `not ${t.push ? 'with push (?push)' : 'read-only'}; revoke it and grant again to change that`,
      );
    }
    const sameExpiry =
      existing.expiresAt !== undefined && Date.parse(existing.expiresAt) === options.expiresAt?.getTime();
    if (options.expiresAt && !sameExpiry) {
      out.push(
        `the key is already there with expiry ${existing.expiresAt ?? 'none'}; --expires was not applied`,
      );
    }
    return out;
  }

  /** Why a fingerprint was "already taken", as precisely as the token can find out. */
  private async takenHint(key: PublicKey, forDeployKey: boolean): Promise<string> {
    const found = await this.whereIs(key.fingerprint);
    const base =
      'GitLab allows each key (by fingerprint) once on the whole instance, as a user key or one shared deploy key.';
    if (found.kind === 'user') {
      return `${base} This key is already a user key${found.username ? ` of @${found.username}` : ''}; use a separate key${forDeployKey ? ' for the deploy key' : ''}.`;
    }
    if (found.kind === 'deploy') {
      return forDeployKey
        ? `${base} It is deploy key ${found.id}; keyfleet could not enable it on this project.`
        : `${base} It is already a deploy key (id ${found.id}); a deploy key cannot also be a user key: use a separate key.`;
    }
    return (
      `${base} The key is registered where this token cannot see it (another user's key, or a deploy key of a ` +
      "project you do not maintain). Use a separate key, or ask an admin or that project's Maintainer to enable the deploy key here."
    );
  }

  /**
   * Finds where a fingerprint already lives: the admin lookup `GET /keys?fingerprint=` when the
   * token may use it, else the deploy keys of the projects the token's user maintains.
   */
  private async whereIs(fingerprint: string): Promise<Existing> {
    try {
      const k = (await this.keys.show({
        fingerprint: encodeURIComponent(fingerprint),
      } as never)) as unknown as ApiKeyWithUser;
      if (Array.isArray(k.deploy_keys_projects))
        return { kind: 'deploy', id: k.id, projects: k.deploy_keys_projects.length };
      return { kind: 'user', ...(k.user?.username ? { username: k.user.username } : {}) };
    } catch (err) {
      if (statusOf(err) === 404) return { kind: 'none' };
      if (statusOf(err) !== 403 && statusOf(err) !== 401)
        throw toGitlabError(err, { action: 'look up a key by fingerprint', target: 'GET /keys' });
    }
    // Not an admin: search the deploy keys of projects this user maintains.
    try {
      const me = await this.currentUser();
      const keys = (await this.deployKeys.all({
        userId: me.id,
        perPage: 100,
      } as never)) as unknown as ApiKey[];
      const hit = keys.find((k) => keyFacts(k.key).fingerprint === fingerprint);
      return hit ? { kind: 'deploy', id: hit.id } : { kind: 'unknown' };
    } catch (err) {
      if (statusOf(err) === 403 || statusOf(err) === 404) return { kind: 'unknown' };
      throw toGitlabError(err, {
        action: 'list the deploy keys of your projects',
        target: 'project_deploy_keys',
      });
    }
  }

  private async addDeployKey(t: ProjectTarget, key: PublicKey, options: AddOptions): Promise<AddResult> {
    const where = formatPlace(t);
    const title = options.title ?? defaultTitle(key);
    const found = await this.whereIs(key.fingerprint);
    if (found.kind === 'user') {
      throw new PlatformError({
        platform: 'gitlab',
        code: 'KEY_IN_USE',
        platformMessage: `cannot add ${key.fingerprint} to ${where} as a deploy key`,
        hint: await this.takenHint(key, true),
      });
    }
    if (found.kind === 'deploy') {
      const note = (verb: string) =>
        `${verb} the existing deploy key ${found.id} on ${where} instead of creating a new one ` +
        '(GitLab keeps one deploy key per fingerprint and shares it between projects; its title and expiry stay as they are)';
      const warnings = options.expiresAt
        ? ['the existing deploy key keeps its own expiry; --expires was not applied']
        : [];
      if (options.dryRun) {
        return {
          status: 'would-add',
          key: plannedKey(where, key, { title, readOnly: !t.push }),
          warnings,
          notes: [note('would enable')],
        };
      }
      try {
        await this.deployKeys.enable(t.path, found.id);
        if (t.push) await this.deployKeys.edit(t.path, found.id, { canPush: true });
      } catch (err) {
        throw toGitlabError(err, this.ctx(t, `enable deploy key ${found.id} on ${where}`));
      }
      const placed = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
      if (!placed) {
        throw new PlatformError({
          platform: 'gitlab',
          platformMessage: `enabled deploy key ${found.id} on ${where}, but it is not listed there afterwards`,
          hint: 'run `keyfleet list` on the target to check',
        });
      }
      return { status: 'added', key: placed, warnings, notes: [note('enabled')] };
    }
    if (options.dryRun) {
      return {
        status: 'would-add',
        key: plannedKey(where, key, {
          title,
          readOnly: !t.push,
          expiresAt: options.expiresAt?.toISOString(),
        }),
        warnings: [],
      };
    }
    try {
      const created = (await this.deployKeys.create(t.path, title, formatPublicKey(key), {
        canPush: t.push,
        ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
      } as never)) as unknown as ApiKey;
      return { status: 'added', key: this.toPlaced(where, created, true), warnings: [] };
    } catch (err) {
      if (isTaken(err)) {
        const again = (await this.list(t)).find((k) => k.fingerprint === key.fingerprint);
        if (again) return { status: 'present', key: again, warnings: [] };
        throw toGitlabError(err, this.ctx(t, `add ${key.fingerprint} to ${where}`)).withHint(
          await this.takenHint(key, true),
          'KEY_IN_USE',
        );
      }
      throw toGitlabError(err, this.ctx(t, `add a deploy key to ${where}`));
    }
  }

  /**
   * `PUT /projects/:id/deploy_keys/:key_id`: the one edit GitLab allows on a key, its title and
   * this project's push access (GitLab-only, so not on KeyPlatform). The title belongs to the key,
   * shared by its projects: GitLab applies it only for the key's creator or an admin and silently
   * keeps the old one otherwise, so the returned key shows what GitLab holds now.
   */
  async updateDeployKey(
    target: Target,
    id: string,
    fields: { title?: string; canPush?: boolean },
  ): Promise<PlacedKey> {
    const t = this.gl(target);
    if (t.kind !== 'project') {
      throw new UsageError(
        `only deploy keys can be updated; ${formatTarget(t)} is not a gitlab:project/PATH target`,
      );
    }
    if (!/^[0-9]+$/.test(id))
      throw new UsageError(`"${id}" is not a GitLab key id (a number, as \`keyfleet list\` shows)`);
    const body = {
      ...(fields.title !== undefined ? { title: fields.title } : {}),
      ...(fields.canPush !== undefined ? { canPush: fields.canPush } : {}),
    };
    if (Object.keys(body).length === 0)
      throw new UsageError(`nothing to update on deploy key ${id}: give a title, canPush or both`);
    this.needToken(t, 'updating a deploy key');
    const where = formatPlace(t);
    try {
      const updated = (await this.deployKeys.edit(t.path, Number(id), body)) as unknown as ApiKey;
      return this.toPlaced(where, updated, true);
    } catch (err) {
      throw toGitlabError(err, this.ctx(t, `update deploy key ${id} on ${where}`));
    }
  }

  async remove(target: Target, id: string, options: { dryRun?: boolean } = {}): Promise<RemoveResult> {
    const t = this.gl(target);
    const where = formatPlace(t);
    if (!/^[0-9]+$/.test(id))
      throw new UsageError(`"${id}" is not a GitLab key id (a number, as \`keyfleet list\` shows)`);
    this.needToken(t, 'removing a key');
    const keyId = Number(id);
    const absent: RemoveResult = { status: 'absent', notes: [`key ${id} is not on ${where}: nothing to do`] };

    if (t.kind === 'project') return this.removeDeployKey(t, keyId, options);

    if (options.dryRun) {
      const keys = await this.list(t); // succeeds only when the token can see the target
      return keys.some((k) => k.id === id) ? { status: 'would-remove', notes: [] } : absent;
    }
    try {
      if (t.kind === 'user') await this.userKeys.remove(keyId);
      else await this.userKeys.remove(keyId, { userId: await this.userId(t) });
      return { status: 'removed', notes: [] };
    } catch (err) {
      if (statusOf(err) !== 404) throw toGitlabError(err, this.ctx(t, `remove key ${id} from ${where}`));
      // A 404 may mean "cannot see": only a successful listing proves the key is gone.
      const keys = await this.listOrCannotSee(t, id);
      if (keys.some((k) => k.id === id)) {
        throw toGitlabError(err, this.ctx(t, `remove key ${id} from ${where}`)).withHint(
          `the key is still there: the token can list ${where} but may not delete its keys`,
          'NOT_PERMITTED',
        );
      }
      return absent;
    }
  }

  private async listOrCannotSee(t: GitlabTarget, id: string): Promise<PlacedKey[]> {
    const where = formatPlace(t);
    try {
      return await this.list(t);
    } catch (err) {
      const e = err instanceof PlatformError ? err : toGitlabError(err, this.ctx(t, `list ${where}`));
      throw e.withHint(
        `the token cannot see ${where}, so keyfleet cannot tell whether key ${id} is there; nothing was removed ` +
          `and the key may still be registered${t.kind === 'project' ? ` (needs ${MAINTAINER})` : ''}.`,
        'NOT_VISIBLE',
      );
    }
  }

  private async removeDeployKey(
    t: ProjectTarget,
    keyId: number,
    options: { dryRun?: boolean },
  ): Promise<RemoveResult> {
    const where = formatPlace(t);
    const id = String(keyId);
    const keys = await this.listOrCannotSee(t, id);
    const placed = keys.find((k) => k.id === id);
    if (!placed) return { status: 'absent', notes: [`key ${id} is not on ${where}: nothing to do`] };

    const before = await this.whereIs(placed.fingerprint);
    const lastProject = before.kind === 'deploy' && before.projects === 1;
    if (options.dryRun) {
      return {
        status: 'would-remove',
        notes: lastProject ? ['this is its last project: GitLab would delete the deploy key entirely'] : [],
      };
    }
    try {
      await this.deployKeys.remove(t.path, keyId);
    } catch (err) {
      if (statusOf(err) !== 404)
        throw toGitlabError(err, this.ctx(t, `remove deploy key ${id} from ${where}`));
      const again = await this.listOrCannotSee(t, id);
      if (again.some((k) => k.id === id)) {
        throw toGitlabError(err, this.ctx(t, `remove deploy key ${id} from ${where}`));
      }
      return { status: 'absent', notes: [`key ${id} is not on ${where}: nothing to do`] };
    }
    const after = await this.whereIs(placed.fingerprint);
    const notes: string[] = [];
    if (after.kind === 'none') notes.push('this was its last project: GitLab deleted the key');
    else if (after.kind === 'unknown') {
      notes.push(
        'it is no longer on any project this token can see; if this was its last project, GitLab deleted the key',
      );
    }
    return { status: 'removed', notes };
  }
}
