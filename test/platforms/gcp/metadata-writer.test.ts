import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../../src/platforms/errors.js';
import { MetadataLimitError, type MetadataItem } from '../../../src/platforms/gcp/merge.js';
import {
  updateMetadata,
  withScopeLock,
  type Metadata,
  type MetadataApi,
  type MetadataScope,
  type Operation,
} from '../../../src/platforms/gcp/metadata-writer.js';

/** An in-memory Compute with the fingerprint precondition and scriptable interference. */
class FakeCompute implements MetadataApi {
  fingerprint = 'fp-0';
  items: MetadataItem[] = [{ key: 'ssh-keys', value: 'bob:k' }];
  writes = 0;
  reads = 0;
  /** Called between a read and the next write: another writer slips in. */
  interfere: (() => void) | undefined;
  /** Operations to hand back instead of applying (e.g. an asynchronous 412). */
  opErrors: Operation['error'][] = [];
  pendingPolls = 0;
  private n = 0;

  bump(items: MetadataItem[]): void {
    this.items = items;
    this.fingerprint = `fp-${++this.n}`;
  }
  async read(_s: MetadataScope): Promise<Metadata> {
    this.reads++;
    return { fingerprint: this.fingerprint, items: this.items.map((i) => ({ ...i })) };
  }
  async write(_s: MetadataScope, m: { fingerprint: string; items: MetadataItem[] }): Promise<Operation> {
    if (this.interfere) this.interfere();
    if (m.fingerprint !== this.fingerprint) {
      throw new PlatformError({
        platform: 'gcp',
        status: 412,
        platformMessage: 'Supplied fingerprint does not match current metadata fingerprint.',
      });
    }
    const err = this.opErrors.shift();
    if (err) return { name: `op-${this.writes}`, status: 'DONE', error: err };
    this.writes++;
    this.bump(m.items);
    return { name: `op-${this.writes}`, status: this.pendingPolls > 0 ? 'RUNNING' : 'DONE' };
  }
  async waitOperation(_s: MetadataScope, name: string): Promise<Operation> {
    this.pendingPolls--;
    return { name, status: this.pendingPolls > 0 ? 'RUNNING' : 'DONE' };
  }
}

const scope: MetadataScope = { kind: 'project', project: 'p' };
const append = (line: string) => (items: MetadataItem[]) => {
  const cur = items.find((i) => i.key === 'ssh-keys')?.value ?? '';
  return {
    items: items.map((i) => (i.key === 'ssh-keys' ? { ...i, value: `${cur}\n${line}` } : i)),
    result: line,
  };
};
const noSleep = { sleep: async () => {}, random: () => 0.5 };

describe('updateMetadata', () => {
  it('writes with the fingerprint it read and waits for the operation to be DONE', async () => {
    const api = new FakeCompute();
    api.pendingPolls = 3;
    const r = await updateMetadata(api, scope, append('alice:k'), noSleep);
    expect(r).toEqual({ result: 'alice:k', written: true, attempts: 1 });
    expect(api.items[0]!.value).toBe('bob:k\nalice:k');
    expect(api.pendingPolls).toBe(0);
  });

  it('writes nothing when the mutation has nothing to do', async () => {
    const api = new FakeCompute();
    const r = await updateMetadata(api, scope, () => ({ result: 'present' }), noSleep);
    expect(r.written).toBe(false);
    expect(api.writes).toBe(0);
  });

  it("on 412 re-reads, recomputes from the fresh value and keeps the other writer's change", async () => {
    const api = new FakeCompute();
    let interferences = 2;
    api.interfere = () => {
      if (interferences-- > 0)
        api.bump([{ key: 'ssh-keys', value: `${api.items[0]!.value}\nother${interferences}:k` }]);
    };
    const delays: number[] = [];
    const r = await updateMetadata(api, scope, append('alice:k'), {
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.999,
      baseDelayMs: 100,
    });
    expect(r.attempts).toBe(3);
    expect(api.items[0]!.value).toBe('bob:k\nother1:k\nother0:k\nalice:k');
    expect(delays).toEqual([99, 199]); // full jitter below 100, 200 ms
  });

  it('treats the fingerprint error inside a DONE operation as a conflict and retries', async () => {
    const api = new FakeCompute();
    api.opErrors.push({
      errors: [
        {
          code: 'CONDITION_NOT_MET',
          message: 'Supplied fingerprint does not match current metadata fingerprint.',
        },
      ],
    });
    const r = await updateMetadata(api, scope, append('alice:k'), noSleep);
    expect(r.attempts).toBe(2);
    expect(api.items[0]!.value).toBe('bob:k\nalice:k');
  });

  it('reports any other operation error instead of pretending success', async () => {
    const api = new FakeCompute();
    api.opErrors.push({
      errors: [{ code: 'QUOTA_EXCEEDED', message: 'Quota exceeded for metadata writes' }],
    });
    const err = await updateMetadata(api, scope, append('alice:k'), noSleep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe('GCP_OPERATION_FAILED');
    expect((err as Error).message).toMatch(/Quota exceeded for metadata writes/);
    expect(api.items[0]!.value).toBe('bob:k');
  });

  it('gives up after maxAttempts with a clear error, and nothing was written', async () => {
    const api = new FakeCompute();
    api.interfere = () => api.bump(api.items);
    const err = await updateMetadata(api, scope, append('alice:k'), { ...noSleep, maxAttempts: 5 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe('GCP_CONFLICT');
    expect((err as Error).message).toMatch(/gave up .* project p after 5 attempts/);
    expect(api.reads).toBe(5);
    expect(api.items[0]!.value).toBe('bob:k');
  });

  it('a mutation that throws (e.g. over the size limit) stops before any write', async () => {
    const api = new FakeCompute();
    const err = await updateMetadata(api, scope, () => {
      throw new MetadataLimitError('x', 2, 1, 'y');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataLimitError);
    expect(api.writes).toBe(0);
  });

  it('other HTTP errors are not retried', async () => {
    const api = new FakeCompute();
    api.write = async () => {
      throw new PlatformError({ platform: 'gcp', status: 403, platformMessage: 'Required permission' });
    };
    await expect(updateMetadata(api, scope, append('a'), noSleep)).rejects.toThrow(/Required permission/);
    expect(api.reads).toBe(1);
  });

  it('two writers in one process are serialized: neither conflicts, both lines land', async () => {
    const api = new FakeCompute();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => updateMetadata(api, scope, append(`u${i}:k`), noSleep)),
    );
    expect(results.every((r) => r.attempts === 1)).toBe(true);
    expect(api.items[0]!.value!.split('\n')).toHaveLength(11);
  });
});

describe('withScopeLock', () => {
  it('runs calls for one scope one at a time, in order, even when one fails; other scopes run freely', async () => {
    const log: string[] = [];
    const step =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a = withScopeLock(scope, step('a', true));
    const b = withScopeLock(scope, step('b'));
    const other = withScopeLock({ kind: 'project', project: 'q' }, step('q'));
    await expect(a).rejects.toThrow('a');
    await expect(b).resolves.toBe('b');
    await other;
    expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'));
    expect(log.indexOf('start q')).toBeLessThan(log.indexOf('end a'));
  });
});
