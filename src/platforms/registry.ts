/**
 * One KeyPlatform per platform, created on demand. Adapters are imported lazily so that a
 * command touching only GitHub never loads gitbeaker or the Google clients.
 */
import { PlatformError } from './errors.js';
import type { PlatformConfig } from './config.js';
import type { KeyPlatform, Platform } from './types.js';

/** Options every adapter understands, beyond URL and token (the CLI passes `onWait`). */
export interface PlatformRuntimeOptions {
  /** Told when a request waits for a rate limit or is retried. */
  onWait?: (message: string) => void;
}

export async function createPlatform(
  platform: Platform,
  config: PlatformConfig,
  runtime: PlatformRuntimeOptions = {},
): Promise<KeyPlatform> {
  const extra = runtime.onWait ? { onWait: runtime.onWait } : {};
  switch (platform) {
    case 'github': {
      const { GithubPlatform } = await import('./github/adapter.js');
      return new GithubPlatform({
        apiUrl: config.github.apiUrl,
        ...(config.github.token ? { token: config.github.token } : {}),
        ...extra,
      });
    }
    case 'gitlab': {
      const { GitlabPlatform } = await import('./gitlab/adapter.js');
      return new GitlabPlatform({
        url: config.gitlab.url,
        ...(config.gitlab.token ? { token: config.gitlab.token } : {}),
        ...extra,
      });
    }
    case 'gcp': {
      const { GcpPlatform } = await import('./gcp/adapter.js');
      return new GcpPlatform({
        ...(config.gcp.computeUrl ? { computeUrl: config.gcp.computeUrl } : {}),
        ...(config.gcp.osloginUrl ? { osloginUrl: config.gcp.osloginUrl } : {}),
        ...(config.gcp.token ? { token: config.gcp.token } : {}),
      });
    }
    default:
      throw new PlatformError({
        platform,
        code: 'UNSUPPORTED',
        platformMessage: `no adapter for ${platform} targets in this build`,
      });
  }
}

/** Creates each platform once for a run and hands out the same instance after. */
export class PlatformCache {
  private readonly made = new Map<Platform, Promise<KeyPlatform>>();
  constructor(
    private readonly config: PlatformConfig,
    private readonly runtime: PlatformRuntimeOptions = {},
  ) {}

  get(platform: Platform): Promise<KeyPlatform> {
    let p = this.made.get(platform);
    if (!p) {
      p = createPlatform(platform, this.config, this.runtime);
      this.made.set(platform, p);
    }
    return p;
  }
}
