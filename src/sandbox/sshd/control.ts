/**
 * The loopback endpoint that sshd's AuthorizedKeysCommand and the git forced command call.
 * It answers from the sandbox's in-process state, so the SSH hosts always agree with the
 * emulated APIs at the moment of the connection.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, serve, type EmulatorServer } from '../http.js';
import type { GitAccessOracle, GitHostName, VmOracle } from './oracle.js';

export interface ControlServer {
  url: string;
  /** Shared secret the helper scripts present, so other local users cannot query the oracle. */
  secret: string;
  close(): Promise<void>;
}

function isHost(h: string | null): h is GitHostName {
  return h === 'github' || h === 'gitlab';
}

export async function startControlServer(
  git: GitAccessOracle | undefined,
  vm: VmOracle | undefined,
): Promise<ControlServer> {
  const secret = randomBytes(24).toString('hex');
  const router = new Router();
  const bad = (message: string) => ({ status: 400, body: { message } });
  router.add('GET', '/git/identify', async (req) => {
    const host = req.query.get('host');
    const fp = req.query.get('fingerprint');
    if (!git || !isHost(host) || !fp) return bad('host and fingerprint are required');
    return { status: 200, body: await git.identify(host, fp) };
  });
  router.add('GET', '/git/access', async (req) => {
    const host = req.query.get('host');
    const fp = req.query.get('fingerprint');
    const repo = req.query.get('repo');
    if (!git || !isHost(host) || !fp || !repo) return bad('host, fingerprint and repo are required');
    return { status: 200, body: await git.access(host, fp, repo) };
  });
  router.add('GET', '/vm/keys', (req) => {
    const id = req.query.get('vm');
    const user = req.query.get('user');
    if (!vm || !id || !user) return bad('vm and user are required');
    return { status: 200, body: { keys: vm.acceptedKeys(id, user) } };
  });
  const expected = Buffer.from(secret);
  const server: EmulatorServer = await serve({
    router,
    notFound: () => ({ status: 404, body: { message: 'not found' } }),
    around: async (req, next) => {
      const given = Buffer.from(String(req.headers['x-keyfleet-control'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { status: 401, body: { message: 'missing or wrong control secret' } };
      }
      return next();
    },
  });
  return { url: server.url, secret, close: () => server.close() };
}
