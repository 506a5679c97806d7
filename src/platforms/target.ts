/**
 * Target text: one way to name where keys live, shared by every command, the Pulumi layer and
 * the audit. `platform:kind/PATH[?query]`, e.g. `github:repo/mlops/trainer?write`.
 */
import { UsageError } from '../errors.js';
import type { Target } from './types.js';

/** Every accepted form, as the error messages list them. */
export const TARGET_FORMS: readonly string[] = [
  'github:user',
  'github:user/LOGIN',
  'github:repo/OWNER/REPO[?write]',
  'gitlab:user',
  'gitlab:user/ID_OR_USERNAME',
  'gitlab:project/GROUP/.../PROJECT[?push]',
  'gcp:project/PROJECT?user=NAME',
  'gcp:instance/PROJECT/ZONE/INSTANCE?user=NAME',
  'gcp:oslogin/EMAIL',
];

const FORMS_TEXT = TARGET_FORMS.join(', ');

// GitHub logins: alphanumerics and single hyphens, at most 39 characters, no leading hyphen.
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
// Repository names: letters, digits, `.`, `_`, `-` (not `.` or `..`).
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;
// GitLab usernames and namespace/project path segments.
const GITLAB_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/;
// Google Cloud project ids (also legacy domain-scoped `example.com:proj`), zones, instance names.
const GCP_PROJECT = /^[a-z][a-z0-9.:-]{0,61}[a-z0-9]$/;
const GCP_ZONE = /^[a-z][a-z0-9-]{1,62}$/;
const GCP_INSTANCE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^@\s/?&#]+@[^@\s/?&#]+\.[^@\s/?&#]+$/;

function bad(text: string, what: string): UsageError {
  return new UsageError(`invalid target "${text}": ${what}. Allowed forms: ${FORMS_TEXT}`);
}

/** Splits `a=b&c` into a map; a flag without `=` gets the value `''`. */
function parseQuery(text: string, query: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (query === undefined) return out;
  if (query === '') throw bad(text, 'empty query after "?"');
  for (const part of query.split('&')) {
    if (part === '') throw bad(text, 'empty query parameter');
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
      value = decodeURIComponent(rawValue);
    } catch {
      throw bad(text, `query parameter "${part}" is not valid percent-encoding`);
    }
    if (out.has(key)) throw bad(text, `query parameter "${key}" is given twice`);
    out.set(key, value);
  }
  return out;
}

/** Reads a boolean flag such as `?write`, `?write=true` or `?write=false`. */
function takeFlag(text: string, query: Map<string, string>, name: string): boolean {
  if (!query.has(name)) return false;
  const v = query.get(name)!;
  query.delete(name);
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw bad(text, `"?${name}" takes no value (or true/false), got "${v}"`);
}

function rejectRest(text: string, query: Map<string, string>, allowedHere: string): void {
  const [first] = query.keys();
  if (first === undefined) return;
  const where = allowedHere ? `only ${allowedHere} is allowed on this target` : 'this target takes no query';
  const hint =
    first === 'write'
      ? ' ("?write" belongs to github:repo targets)'
      : first === 'push'
        ? ' ("?push" belongs to gitlab:project targets)'
        : first === 'user'
          ? ' ("?user=" belongs to gcp:project and gcp:instance targets)'
          : '';
  throw bad(text, `unknown query parameter "${first}": ${where}${hint}`);
}

/**
 * A Google Cloud metadata username, checked by the guest agent's rules (it skips empty names,
 * whitespace, `/`, a leading `-`, `.` and `..`) plus `:`, which would split the metadata line.
 */
export function checkMetadataUser(text: string, user: string | undefined): string {
  if (user === undefined) throw bad(text, 'missing "?user=NAME" (the login name the key is for)');
  if (user === '') throw bad(text, 'empty username in "?user="');
  if (/[\s\p{Cc}]/u.test(user)) throw bad(text, 'the username contains whitespace or control characters');
  if (user.includes('/') || user.includes(':')) throw bad(text, 'the username contains "/" or ":"');
  if (user.startsWith('-')) throw bad(text, 'the username starts with "-"');
  if (user === '.' || user === '..') throw bad(text, 'the username is "." or ".."');
  if (user.length > 255) throw bad(text, 'the username is longer than 255 characters');
  return user;
}

/** Parses target text; throws a UsageError naming the text, what is wrong and the allowed forms. */
export function parseTarget(text: string): Target {
  const input = text.trim();
  if (input === '') throw bad(text, 'empty target');
  const colon = input.indexOf(':');
  if (colon <= 0) throw bad(text, 'missing "PLATFORM:" prefix (github:, gitlab: or gcp:)');
  const platform = input.slice(0, colon).toLowerCase();
  const afterColon = input.slice(colon + 1);
  const q = afterColon.indexOf('?');
  const pathText = q < 0 ? afterColon : afterColon.slice(0, q);
  const query = parseQuery(text, q < 0 ? undefined : afterColon.slice(q + 1));
  if (pathText.startsWith('/') || pathText.endsWith('/') || pathText.includes('//')) {
    throw bad(text, 'empty path segment (leading, trailing or doubled "/")');
  }
  const [kindRaw = '', ...segs] = pathText.split('/');
  const kind = kindRaw.toLowerCase();

  switch (platform) {
    case 'github':
      return parseGithub(text, kind, segs, query);
    case 'gitlab':
      return parseGitlab(text, kind, segs, query);
    case 'gcp':
      return parseGcp(text, kind, segs, query);
    default:
      throw bad(text, `unknown platform "${platform}" (expected github, gitlab or gcp)`);
  }
}

function parseGithub(text: string, kind: string, segs: string[], query: Map<string, string>): Target {
  if (kind === 'user') {
    if (query.has('write'))
      throw bad(text, '"?write" applies only to github:repo deploy keys, not to user keys');
    rejectRest(text, query, '');
    if (segs.length === 0) return { platform: 'github', kind: 'user' };
    if (segs.length > 1) throw bad(text, 'expected github:user/LOGIN with a single login');
    const login = segs[0]!;
    if (!GITHUB_LOGIN.test(login)) {
      throw bad(
        text,
        `"${login}" is not a GitHub login (letters, digits and "-", at most 39, not starting with "-")`,
      );
    }
    return { platform: 'github', kind: 'user-public', login };
  }
  if (kind === 'repo') {
    const write = takeFlag(text, query, 'write');
    rejectRest(text, query, '"?write"');
    if (segs.length < 2) throw bad(text, 'expected github:repo/OWNER/REPO (owner or repository missing)');
    if (segs.length > 2) throw bad(text, 'expected github:repo/OWNER/REPO (too many path segments)');
    const [owner, repo] = segs as [string, string];
    if (!GITHUB_LOGIN.test(owner)) throw bad(text, `"${owner}" is not a GitHub user or organization name`);
    if (!GITHUB_REPO.test(repo) || repo === '.' || repo === '..') {
      throw bad(text, `"${repo}" is not a repository name (letters, digits, ".", "_", "-")`);
    }
    return { platform: 'github', kind: 'repo', owner, repo, write };
  }
  throw bad(
    text,
    kind ? `unknown GitHub target kind "${kind}" (expected user or repo)` : 'missing target kind',
  );
}

function parseGitlab(text: string, kind: string, segs: string[], query: Map<string, string>): Target {
  if (kind === 'user') {
    if (query.has('push'))
      throw bad(text, '"?push" applies only to gitlab:project deploy keys, not to user keys');
    rejectRest(text, query, '');
    if (segs.length === 0) return { platform: 'gitlab', kind: 'user' };
    if (segs.length > 1) throw bad(text, 'expected gitlab:user/ID_OR_USERNAME with a single id or username');
    const user = segs[0]!;
    if (!/^[0-9]+$/.test(user) && !GITLAB_NAME.test(user)) {
      throw bad(text, `"${user}" is not a GitLab user id or username`);
    }
    return { platform: 'gitlab', kind: 'user-admin', user };
  }
  if (kind === 'project') {
    const push = takeFlag(text, query, 'push');
    rejectRest(text, query, '"?push"');
    if (segs.length === 0)
      throw bad(text, 'expected gitlab:project/GROUP/.../PROJECT (project path missing)');
    // A bare numeric project id is accepted too; otherwise a namespace and a project are needed.
    if (segs.length === 1 && !/^[0-9]+$/.test(segs[0]!)) {
      throw bad(
        text,
        'expected gitlab:project/GROUP/.../PROJECT (a namespace and a project, or a numeric project id)',
      );
    }
    for (const s of segs) {
      if (!GITLAB_NAME.test(s)) throw bad(text, `"${s}" is not a GitLab group or project path segment`);
    }
    return { platform: 'gitlab', kind: 'project', path: segs.join('/'), push };
  }
  throw bad(
    text,
    kind ? `unknown GitLab target kind "${kind}" (expected user or project)` : 'missing target kind',
  );
}

function parseGcp(text: string, kind: string, segs: string[], query: Map<string, string>): Target {
  if (kind === 'project' || kind === 'instance') {
    const user = checkMetadataUser(text, query.get('user'));
    query.delete('user');
    rejectRest(text, query, '"?user="');
    const want = kind === 'project' ? 1 : 3;
    const form =
      kind === 'project' ? 'gcp:project/PROJECT?user=NAME' : 'gcp:instance/PROJECT/ZONE/INSTANCE?user=NAME';
    if (segs.length !== want) throw bad(text, `expected ${form}`);
    const project = segs[0]!;
    if (!GCP_PROJECT.test(project)) throw bad(text, `"${project}" is not a Google Cloud project id`);
    if (kind === 'project') return { platform: 'gcp', kind: 'project', project, user };
    const zone = segs[1]!;
    const instance = segs[2]!;
    if (!GCP_ZONE.test(zone)) throw bad(text, `"${zone}" is not a Compute Engine zone (e.g. us-central1-a)`);
    if (!GCP_INSTANCE.test(instance)) throw bad(text, `"${instance}" is not a Compute Engine instance name`);
    return { platform: 'gcp', kind: 'instance', project, zone, instance, user };
  }
  if (kind === 'oslogin') {
    rejectRest(text, query, '');
    if (segs.length !== 1) throw bad(text, 'expected gcp:oslogin/EMAIL');
    const email = segs[0]!;
    if (!EMAIL.test(email)) throw bad(text, `"${email}" is not an email address of a Google identity`);
    return { platform: 'gcp', kind: 'oslogin', email };
  }
  throw bad(
    text,
    kind
      ? `unknown Google Cloud target kind "${kind}" (expected project, instance or oslogin)`
      : 'missing target kind',
  );
}

// Only the characters that would change how the query splits are escaped, so names stay readable.
function encodeValue(v: string): string {
  return v.replace(/[%&#=+?\s]/g, (c) => encodeURIComponent(c));
}

/** The canonical text of a target; `parseTarget(formatTarget(t))` equals `t`. */
export function formatTarget(t: Target): string {
  switch (t.platform) {
    case 'github':
      if (t.kind === 'user') return 'github:user';
      if (t.kind === 'user-public') return `github:user/${t.login}`;
      return `github:repo/${t.owner}/${t.repo}${t.write ? '?write' : ''}`;
    case 'gitlab':
      if (t.kind === 'user') return 'gitlab:user';
      if (t.kind === 'user-admin') return `gitlab:user/${t.user}`;
      return `gitlab:project/${t.path}${t.push ? '?push' : ''}`;
    case 'gcp':
      if (t.kind === 'project') return `gcp:project/${t.project}?user=${encodeValue(t.user)}`;
      if (t.kind === 'instance')
        return `gcp:instance/${t.project}/${t.zone}/${t.instance}?user=${encodeValue(t.user)}`;
      return `gcp:oslogin/${t.email}`;
  }
}

/**
 * The place without the access flags (`?write`, `?push`): two targets with the same place hold
 * the same keys. Used in reports and when listing.
 */
export function formatPlace(t: Target): string {
  if (t.platform === 'github' && t.kind === 'repo') return `github:repo/${t.owner}/${t.repo}`;
  if (t.platform === 'gitlab' && t.kind === 'project') return `gitlab:project/${t.path}`;
  return formatTarget(t);
}
