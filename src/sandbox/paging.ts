/** Offset pagination shared by the emulators; each platform writes its own headers around it. */
export interface PageOf<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
  /** At least 1, so "last" always names a page. */
  lastPage: number;
}

/**
 * Reads `page` and `per_page` the way both GitHub and GitLab do: missing or unparsable values take
 * the default, per_page is clamped to [1, max], page to at least 1.
 */
export function pageParams(
  query: URLSearchParams,
  defaultPerPage: number,
  maxPerPage: number,
): { page: number; perPage: number } {
  const pp = Number.parseInt(query.get('per_page') ?? '', 10);
  const pg = Number.parseInt(query.get('page') ?? '', 10);
  const perPage = Number.isFinite(pp) ? Math.min(Math.max(pp, 1), maxPerPage) : defaultPerPage;
  const page = Number.isFinite(pg) && pg >= 1 ? pg : 1;
  return { page, perPage };
}

export function pageOf<T>(all: T[], page: number, perPage: number): PageOf<T> {
  const start = (page - 1) * perPage;
  return {
    items: all.slice(start, start + perPage),
    page,
    perPage,
    total: all.length,
    lastPage: Math.max(1, Math.ceil(all.length / perPage)),
  };
}

/** The request's own URL on `base` with some query parameters replaced (and secrets dropped). */
export function pageUrl(
  base: string,
  path: string,
  query: URLSearchParams,
  set: Record<string, string>,
): string {
  const q = new URLSearchParams(query);
  for (const secret of ['private_token', 'access_token']) q.delete(secret);
  for (const [k, v] of Object.entries(set)) q.set(k, v);
  return `${base}${path}?${q.toString()}`;
}
