/**
 * GitHub's primary rate limit (a budget per user per hour, reported on every response) and the
 * knobs that exhaust it or trigger a secondary limit, so clients' throttling can be tested.
 */
export interface RateBucket {
  limit: number;
  used: number;
  /** UTC epoch seconds when the budget refills. */
  reset: number;
}

export interface SecondaryLimit {
  /** How many more requests get the secondary-limit answer. */
  count: number;
  /** Seconds sent in `retry-after`. */
  retryAfter: number;
  status: 403 | 429;
}

export interface RateLimitUpdate {
  /** Apply to this login only (default: every account and unauthenticated callers). */
  login?: string;
  /** New hourly budget for authenticated users (kept in the state's settings). */
  limit?: number;
  /** Set the remaining budget (0 exhausts it). */
  remaining?: number;
  /** Make the budget refill this many seconds from now. */
  resetInSeconds?: number;
  /** Refill now. */
  reset?: boolean;
  /** Answer the next `count` requests with a secondary rate limit. */
  secondary?: { count: number; retryAfter?: number; status?: 403 | 429 };
}

const WINDOW_SECONDS = 3600;
export const ANONYMOUS = '';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class GithubRateLimiter {
  private buckets = new Map<string, RateBucket>();
  secondary: SecondaryLimit | undefined;

  constructor(private readonly limits: () => { user: number; anonymous: number }) {}

  /** The bucket of `login` (ANONYMOUS for unauthenticated callers), refilled when its hour is over. */
  bucket(login: string): RateBucket {
    const now = nowSeconds();
    let b = this.buckets.get(login);
    const limit = login === ANONYMOUS ? this.limits().anonymous : this.limits().user;
    if (!b || now >= b.reset) {
      b = { limit, used: 0, reset: now + WINDOW_SECONDS };
      this.buckets.set(login, b);
    }
    return b;
  }

  /** Consumes one secondary-limit answer if one is pending. */
  takeSecondary(): SecondaryLimit | undefined {
    const s = this.secondary;
    if (!s || s.count <= 0) return undefined;
    s.count--;
    if (s.count <= 0) this.secondary = undefined;
    return s;
  }

  /** Applies a knob; `logins` are every account the emulator knows. */
  update(u: RateLimitUpdate, logins: string[]): void {
    const targets = u.login !== undefined ? [u.login] : [...logins, ANONYMOUS];
    if (u.reset) for (const t of targets) this.buckets.delete(t);
    for (const t of targets) {
      const b = this.bucket(t);
      if (u.limit !== undefined && t !== ANONYMOUS) b.limit = u.limit;
      if (u.remaining !== undefined) b.used = Math.max(0, b.limit - u.remaining);
      if (u.resetInSeconds !== undefined) b.reset = nowSeconds() + u.resetInSeconds;
    }
    if (u.secondary) {
      this.secondary = {
        count: u.secondary.count,
        retryAfter: u.secondary.retryAfter ?? 60,
        status: u.secondary.status ?? 403,
      };
    }
  }

  /** What `GET /_sandbox/rate-limit` reports. */
  snapshot(logins: string[]): Record<string, RateBucket & { remaining: number }> {
    const out: Record<string, RateBucket & { remaining: number }> = {};
    for (const l of [...logins, ANONYMOUS]) {
      const b = this.bucket(l);
      out[l === ANONYMOUS ? '(anonymous)' : l] = { ...b, remaining: Math.max(0, b.limit - b.used) };
    }
    return out;
  }

  /** The `x-ratelimit-*` headers for a bucket. */
  static headers(b: RateBucket): Record<string, string> {
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(Math.max(0, b.limit - b.used)),
      'x-ratelimit-reset': String(b.reset),
      'x-ratelimit-used': String(b.used),
      'x-ratelimit-resource': 'core',
    };
  }
}
