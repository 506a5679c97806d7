import type { EmuResponse, Router } from '../http.js';
import type { GcpEmulator } from './emulator.js';
import type { GcpKnobs } from './types.js';

/**
 * The emulator's control plane under `/_sandbox/gcp/` (no token: loopback only, like
 * `/_sandbox/faults`): knobs, the precondition switch, asynchronous failures, the VM's view of
 * its keys, and the state.
 */
export function registerControlRoutes(router: Router, emu: () => GcpEmulator): void {
  const bad = (message: string): EmuResponse => ({ status: 400, body: { error: { code: 400, message } } });

  router.add('GET', '/_sandbox/gcp/knobs', () => ({ status: 200, body: emu().knobs }));
  router.add('POST', '/_sandbox/gcp/knobs', (req) => {
    if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      return bad('expected a JSON object of knobs, e.g. {"operationDelayMs":0}');
    }
    try {
      return { status: 200, body: emu().setKnobs(req.body as Partial<GcpKnobs>) };
    } catch (err) {
      return bad((err as Error).message);
    }
  });
  router.add('DELETE', '/_sandbox/gcp/knobs', () => ({ status: 200, body: emu().resetKnobs() }));

  router.add('POST', '/_sandbox/gcp/precondition', (req) => {
    const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
    if (typeof enabled !== 'boolean') return bad('expected {"enabled": true|false}');
    emu().setPreconditionEnabled(enabled);
    return { status: 200, body: { enabled } };
  });

  router.add('POST', '/_sandbox/gcp/fail-operations', (req) => {
    const count = (req.body as { count?: unknown } | undefined)?.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      return bad('expected {"count": N} with N >= 0');
    emu().failNextOperations(count);
    return { status: 200, body: { failNextOperations: emu().knobs.failNextOperations } };
  });

  router.add('GET', '/_sandbox/gcp/vm', (req) => {
    const [project, zone, instance] = ['project', 'zone', 'instance'].map((k) => req.query.get(k) ?? '');
    if (!project || !zone || !instance) return bad('expected ?project=P&zone=Z&instance=I');
    const view = emu().vmView(project!, zone!, instance!);
    return view
      ? { status: 200, body: view }
      : {
          status: 404,
          body: { error: { code: 404, message: `no instance ${project}/${zone}/${instance}` } },
        };
  });

  router.add('POST', '/_sandbox/gcp/oslogin/users', (req) => {
    const email = (req.body as { email?: unknown } | undefined)?.email;
    if (typeof email !== 'string' || !/^[^@\s/:]+@[^@\s/:]+$/.test(email))
      return bad('expected {"email": "name@domain"}');
    emu().addOsLoginUser(email);
    return { status: 200, body: emu().getLoginProfile(email) };
  });

  router.add('GET', '/_sandbox/gcp/state', () => ({ status: 200, body: emu().exportState() }));
}
