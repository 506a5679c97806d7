/**
 * The small HTTP layer under every emulator: a path router, JSON bodies, loopback-only
 * listening on a port chosen at run time, and the fault knobs (latency, injected error
 * statuses, hung requests) that tests and benchmarks turn through `POST /_sandbox/faults`.
 * Hand-written because the emulators need exact control of status codes, headers and bodies
 * and nothing more; a framework would add start-up cost and hide that control.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EmuRequest {
  method: string;
  /** Path without query, percent-decoding applied per segment when matched. */
  path: string;
  url: URL;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  /** Parsed JSON body, or undefined when empty. Form bodies are parsed into an object too. */
  body: unknown;
}

export interface EmuResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/** Routes `METHOD /a/:b/c` patterns; a `:name*` last segment takes the rest of the path (GitLab's namespaced ids). */
export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      if (r.method === method.toUpperCase()) return { handler: r.handler, params };
      allowed.push(r.method);
    }
    return allowed.length ? { allowed } : undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':') && p.endsWith('*')) {
      if (i >= parts.length) return undefined;
      params[p.slice(1, -1)] = parts.slice(i).map(safeDecode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = safeDecode(part);
    else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Knobs for tests and benchmarks. */
export interface Faults {
  /** Added delay before every answer. */
  latencyMs: number;
  /** The next `count` requests whose path matches `pathPrefix` (or any) answer `status` (5xx, 429, 403...). */
  inject: {
    status: number;
    count: number;
    pathPrefix?: string;
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
  }[];
  /** The next N matching requests hang until the client gives up (a timeout). */
  hang: { count: number; pathPrefix?: string }[];
}

export function emptyFaults(): Faults {
  return { latencyMs: 0, inject: [], hang: [] };
}

export interface EmulatorServer {
  url: string;
  port: number;
  faults: Faults;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  router: Router;
  /** The body for an unknown route (each platform has its own). */
  notFound: (req: EmuRequest) => EmuResponse;
  /** The answer for a known path with another method (default: 405 `{"message":"Method Not Allowed"}` + `Allow`). */
  methodNotAllowed?: (req: EmuRequest, allowed: string[]) => EmuResponse;
  /** Port to listen on (default 0: chosen by the OS). */
  port?: number;
  /** Optional hook around every matched request (auth, rate limiting, counters). */
  around?: (req: EmuRequest, next: () => Promise<EmuResponse>) => Promise<EmuResponse>;
}

const MAX_BODY = 2 * 1024 * 1024;

/** Starts a router on 127.0.0.1 on a port chosen by the OS (or `port`). */
export async function serve(options: ServeOptions): Promise<EmulatorServer> {
  const faults = emptyFaults();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(options, faults, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { message: `emulator error: ${String(err)}` } });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { __invalidJson: text };
  }
}

function takeFault<T extends { count: number; pathPrefix?: string; method?: string }>(
  list: T[],
  req: EmuRequest,
): T | undefined {
  const i = list.findIndex(
    (f) =>
      f.count > 0 &&
      (!f.pathPrefix || req.path.startsWith(f.pathPrefix)) &&
      (!f.method || f.method === req.method),
  );
  if (i < 0) return undefined;
  const f = list[i]!;
  f.count--;
  if (f.count <= 0) list.splice(i, 1);
  return f;
}

async function handle(
  options: ServeOptions,
  faults: Faults,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const text = await readBody(req);
  const emuReq: EmuRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    url,
    query: url.searchParams,
    headers: req.headers,
    params: {},
    body: parseBody(text, req.headers['content-type']),
  };

  // Control plane shared by every emulator: fault injection for tests in other processes.
  if (url.pathname === '/_sandbox/faults') {
    if (emuReq.method === 'POST') {
      const b = (emuReq.body ?? {}) as Partial<Faults>;
      if (typeof b.latencyMs === 'number') faults.latencyMs = b.latencyMs;
      if (Array.isArray(b.inject)) faults.inject.push(...b.inject);
      if (Array.isArray(b.hang)) faults.hang.push(...b.hang);
    } else if (emuReq.method === 'DELETE') {
      Object.assign(faults, emptyFaults());
    }
    return send(res, { status: 200, body: faults });
  }

  // Other `/_sandbox/` control endpoints are never slowed down or failed by the knobs they serve.
  const control = url.pathname.startsWith('/_sandbox/');
  if (!control && faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
  if (!control && takeFault(faults.hang, emuReq)) return; // never answer; the socket closes with the server
  const injected = control ? undefined : takeFault(faults.inject, emuReq);
  if (injected) {
    return send(res, {
      status: injected.status,
      body: injected.body ?? { message: `injected fault: HTTP ${injected.status}` },
      headers: injected.headers ?? {},
    });
  }

  const m = options.router.match(emuReq.method, url.pathname);
  let out: EmuResponse;
  if (!m) out = options.notFound(emuReq);
  else if ('allowed' in m) {
    out = options.methodNotAllowed
      ? options.methodNotAllowed(emuReq, m.allowed)
      : { status: 405, body: { message: 'Method Not Allowed' }, headers: { allow: m.allowed.join(', ') } };
  } else {
    emuReq.params = m.params;
    const run = async () => m.handler(emuReq);
    out = options.around ? await options.around(emuReq, run) : await run();
  }
  send(res, out);
}

function send(res: ServerResponse, out: EmuResponse): void {
  const headers: Record<string, string> = { ...(out.headers ?? {}) };
  let payload: string | undefined;
  if (out.body !== undefined && out.status !== 204 && out.status !== 304) {
    payload = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}
