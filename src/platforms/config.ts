/**
 * Where each platform is and which credentials to use: flags first, then the environment
 * variables the platforms' own CLIs read (`gh`, `glab`), then the public defaults. With
 * `--sandbox [FILE]` everything comes from the sandbox connection file instead.
 */
import { UsageError } from '../errors.js';
import { registerSecret } from './redact.js';
import type { SandboxConnection } from '../sandbox/connection.js';

export interface PlatformConfig {
  github: { apiUrl: string; token?: string };
  gitlab: { url: string; token?: string };
  gcp: { computeUrl?: string; osloginUrl?: string; token?: string };
  /** The connection file used, when the config came from a sandbox. */
  sandboxFile?: string;
}

export interface PlatformConfigOptions {
  githubUrl?: string;
  gitlabUrl?: string;
  githubToken?: string;
  gitlabToken?: string;
  /** `true` = the default connection file; a string = that file. */
  sandbox?: string | true;
  /** Environment to read (default `process.env`); tests pass their own. */
  env?: Record<string, string | undefined>;
}

export const GITHUB_API_URL = 'https://api.github.com';
export const GITLAB_URL = 'https://gitlab.com';

function withScheme(text: string, what: string): URL {
  const t = text.trim();
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new UsageError(`${what} "${text}" is not a URL (expected e.g. https://HOST)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${what} "${text}" must be an http(s) URL`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      `${what} must not carry credentials; pass the token through the environment instead`,
    );
  }
  if (url.search || url.hash) throw new UsageError(`${what} "${text}" must not have a query or fragment`);
  return url;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/**
 * The REST base URL of GitHub or GitHub Enterprise Server: `github.com` → `https://api.github.com`;
 * `https://ghe.example.com` → `https://ghe.example.com/api/v3`; a URL that already has a path
 * (`…/api/v3`) or points at loopback (the sandbox, an emulator) is kept as given.
 */
export function normalizeGithubApiUrl(text: string): string {
  const url = withScheme(text, '--github-url');
  const host = url.host.toLowerCase();
  const path = url.pathname.replace(/\/+$/, '');
  if (host === 'github.com' || host === 'www.github.com' || host === 'api.github.com') return GITHUB_API_URL;
  if (path !== '' || isLoopback(url.hostname)) return `${url.protocol}//${url.host}${path}`;
  return `${url.protocol}//${url.host}/api/v3`;
}

/** The GitLab instance URL as `@gitbeaker/rest` wants its `host`: without `/api/v4`. */
export function normalizeGitlabUrl(text: string): string {
  const url = withScheme(text, '--gitlab-url');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/** True when the API URL is github.com's (tokens for GHES come from the *_ENTERPRISE_TOKEN variables first). */
function isGithubDotCom(apiUrl: string): boolean {
  return apiUrl === GITHUB_API_URL;
}

/** The connection file's platform sections, each read defensively (a hand-edited file may lack fields). */
type SandboxSections = {
  [K in 'github' | 'gitlab' | 'gcp']?: Partial<NonNullable<SandboxConnection[K]>>;
};

/**
 * Resolves the base URLs and tokens of every platform. Every token found is registered with the
 * redactor so that it cannot reach an error message or a log.
 */
export async function resolvePlatformConfig(options: PlatformConfigOptions = {}): Promise<PlatformConfig> {
  const env = options.env ?? process.env;
  let config: PlatformConfig;

  if (options.sandbox !== undefined) {
    const { readConnectionFile, defaultConnectionPath } = await import('../sandbox/connection.js');
    const file = options.sandbox === true ? defaultConnectionPath() : options.sandbox;
    const conn: SandboxSections = await readConnectionFile(file);
    const gh = conn.github ?? {};
    const gl = conn.gitlab ?? {};
    const gc = conn.gcp ?? {};
    // Every sandbox token is a secret, including the ones this run does not use.
    for (const section of [gh, gl, gc])
      for (const t of Object.values(section.tokens ?? {})) registerSecret(t);
    config = {
      github: { apiUrl: gh.apiUrl ?? GITHUB_API_URL },
      gitlab: { url: normalizeGitlabUrl(gl.url ?? gl.apiUrl ?? GITLAB_URL) },
      gcp: {},
      sandboxFile: file,
    };
    if (gh.token) config.github.token = gh.token;
    if (gl.token) config.gitlab.token = gl.token;
    if (gc.computeUrl) config.gcp.computeUrl = gc.computeUrl;
    if (gc.osloginUrl) config.gcp.osloginUrl = gc.osloginUrl;
    if (gc.token) config.gcp.token = gc.token;
    // Explicit URL flags still win, so one platform can be pointed elsewhere.
    if (options.githubUrl) config.github.apiUrl = normalizeGithubApiUrl(options.githubUrl);
    if (options.gitlabUrl) config.gitlab.url = normalizeGitlabUrl(options.gitlabUrl);
  } else {
    const ghHost = nonEmpty(env.GH_HOST);
    const githubUrlText = nonEmpty(options.githubUrl) ?? (ghHost ? ghHost : nonEmpty(env.GITHUB_API_URL));
    const apiUrl = githubUrlText ? normalizeGithubApiUrl(githubUrlText) : GITHUB_API_URL;
    const gitlabUrlText =
      nonEmpty(options.gitlabUrl) ??
      nonEmpty(env.GITLAB_HOST) ??
      nonEmpty(env.GITLAB_URL) ??
      nonEmpty(env.CI_SERVER_URL);
    const url = gitlabUrlText ? normalizeGitlabUrl(gitlabUrlText) : GITLAB_URL;
    config = { github: { apiUrl }, gitlab: { url }, gcp: {} };
    // The order `gh` uses: GH_TOKEN, GITHUB_TOKEN on github.com; the enterprise variables first on GHES.
    const ghToken = isGithubDotCom(apiUrl)
      ? (nonEmpty(env.GH_TOKEN) ?? nonEmpty(env.GITHUB_TOKEN))
      : (nonEmpty(env.GH_ENTERPRISE_TOKEN) ??
        nonEmpty(env.GITHUB_ENTERPRISE_TOKEN) ??
        nonEmpty(env.GH_TOKEN) ??
        nonEmpty(env.GITHUB_TOKEN));
    if (ghToken) config.github.token = ghToken;
    const glToken = nonEmpty(env.GITLAB_TOKEN) ?? nonEmpty(env.GITLAB_ACCESS_TOKEN);
    if (glToken) config.gitlab.token = glToken;
  }

  if (nonEmpty(options.githubToken)) config.github.token = nonEmpty(options.githubToken)!;
  if (nonEmpty(options.gitlabToken)) config.gitlab.token = nonEmpty(options.gitlabToken)!;
  registerSecret(config.github.token);
  registerSecret(config.gitlab.token);
  registerSecret(config.gcp.token);
  return config;
}
