// keyfleet benchmark: `npm run bench` (builds first, then runs this file).
//
// 1. inspect throughput: a 100,000-line authorized_keys of mixed key types (options and comments
//    included), `keyfleet inspect FILE` against `ssh-keygen -l -f FILE` on the same file in the
//    same run (median of 3 each). Target: ratio <= 0.1. This is the default, single-threaded
//    path. The opt-in parallel path (KEYFLEET_INSPECT_THREADS, worker threads) is timed too, for
//    reference: on the 100k file, and against the default on the 1M one (full mode only).
// 2. memory: peak RSS of `keyfleet inspect` (table and --json) at 10k, 100k and 1M lines.
//    Target: flat (each 10x more lines costs at most 1.5x the peak; linear growth would be 10x).
//    The parallel path's peaks are printed for reference.
// 3. start-up: `keyfleet --version` against `node -e 0` (median of 20 each). Target: ratio <= 2.
//
// Files are generated at bench time in a temp dir (removed at the end). Misses are printed,
// never fatal. Environment: KEYFLEET_BENCH_RUNS (default 3), KEYFLEET_BENCH_QUICK=1 (skips the
// 1M-line file and runs ssh-keygen once). The key pool is cached in bench/out/ (git-ignored).
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { generateKeyPair as nodeGenerateKeyPair } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const QUICK = process.env.KEYFLEET_BENCH_QUICK === '1';
const RUNS = Number(process.env.KEYFLEET_BENCH_RUNS ?? (QUICK ? 1 : 3));
const generateKeyPair = promisify(nodeGenerateKeyPair);

if (!fs.existsSync(CLI)) {
  console.error(`bench: ${CLI} not found; run \`npm run build\` first (npm run bench does)`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Key pool: a few hundred distinct keys of every type inspect meets, encoded as OpenSSH lines.

function sshString(buf) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}
const str = (s) => sshString(Buffer.from(s));
function mpint(buf) {
  let i = 0;
  while (i < buf.length - 1 && buf[i] === 0) i++;
  const m = buf.subarray(i);
  return sshString(m[0] & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}
const b64u = (s) => Buffer.from(s, 'base64url');
const CURVES = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

/** The OpenSSH `TYPE BASE64` text of a node:crypto public key. */
function opensshPublic(publicKey) {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'OKP') return line('ssh-ed25519', [str('ssh-ed25519'), sshString(b64u(jwk.x))]);
  if (jwk.kty === 'EC') {
    const curve = CURVES[jwk.crv];
    const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
    return line(`ecdsa-sha2-${curve}`, [str(`ecdsa-sha2-${curve}`), str(curve), sshString(point)]);
  }
  return line('ssh-rsa', [str('ssh-rsa'), mpint(b64u(jwk.e)), mpint(b64u(jwk.n))]);
}
function line(type, parts) {
  return `${type} ${Buffer.concat(parts).toString('base64')}`;
}
/** FIDO keys cannot be generated without hardware; their public blobs are easy to build. */
function skEd25519(ed) {
  const x = b64u(ed.export({ format: 'jwk' }).x);
  const t = 'sk-ssh-ed25519@openssh.com';
  return line(t, [str(t), sshString(x), str('ssh:')]);
}
function skEcdsa(ec) {
  const jwk = ec.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
  const t = 'sk-ecdsa-sha2-nistp256@openssh.com';
  return line(t, [str(t), str('nistp256'), sshString(point), str('ssh:')]);
}

const POOL_CACHE = path.join(ROOT, 'bench', 'out', 'key-pool.txt');

/** The pool, from the cache in bench/out/ (git-ignored; public keys only) or generated once. */
async function keyPool() {
  if (fs.existsSync(POOL_CACHE)) {
    const cached = fs.readFileSync(POOL_CACHE, 'utf8').trim().split('\n');
    if (cached.length >= 250) return { pool: cached, cached: true };
  }
  const pool = await generatePool();
  fs.mkdirSync(path.dirname(POOL_CACHE), { recursive: true });
  fs.writeFileSync(POOL_CACHE, pool.join('\n') + '\n');
  return { pool, cached: false };
}

async function generatePool() {
  const specs = [
    ...Array(120).fill(['ed25519', {}]),
    ...Array(40).fill(['ec', { namedCurve: 'P-256' }]),
    ...Array(20).fill(['ec', { namedCurve: 'P-384' }]),
    ...Array(20).fill(['ec', { namedCurve: 'P-521' }]),
    ...Array(30).fill(['rsa', { modulusLength: 2048 }]),
    ...Array(40).fill(['rsa', { modulusLength: 3072 }]),
    ...Array(6).fill(['rsa', { modulusLength: 4096 }]),
  ];
  const pool = [];
  // A few at a time on the thread pool: RSA generation dominates.
  for (let i = 0; i < specs.length; i += 8) {
    const batch = await Promise.all(specs.slice(i, i + 8).map(([t, o]) => generateKeyPair(t, o)));
    for (const { publicKey } of batch) {
      pool.push(opensshPublic(publicKey));
      if (publicKey.asymmetricKeyType === 'ed25519' && pool.length % 12 === 0)
        pool.push(skEd25519(publicKey));
      if (publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1' && pool.length % 4 === 0) {
        pool.push(skEcdsa(publicKey));
      }
    }
  }
  return pool;
}

// Deterministic choices, so runs are comparable.
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPTIONS = [
  '',
  '',
  '',
  'restrict ',
  'no-pty,no-port-forwarding,no-agent-forwarding ',
  'command="/usr/bin/rrsync -ro /srv/datasets",restrict ',
  'from="10.0.0.0/8,192.168.0.0/16,!10.1.2.3" ',
  'expiry-time="20351231",restrict ',
  'restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",environment="TEAM=ml" ',
];

async function writeAuthorizedKeys(file, lines, pool) {
  const rand = prng(lines);
  const out = fs.createWriteStream(file);
  let buf = '';
  for (let i = 0; i < lines; i++) {
    const opt = OPTIONS[Math.floor(rand() * OPTIONS.length)];
    const key = pool[Math.floor(rand() * pool.length)];
    buf += `${opt}${key} user${i % 997}@train-node-${i % 101}\n`;
    if (i % 50 === 49) buf += '# rotated by keyfleet\n\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

// ---------------------------------------------------------------------------------------------
// Measuring.

const DEV_NULL = fs.openSync('/dev/null', 'w');

const HAVE_GNU_TIME = (() => {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return r.status === 0 && /^\d+\s*$/.test(r.stderr.toString());
})();
let timeOut; // GNU time's -o file, set in main()

/** The two paths of `keyfleet inspect` (see parallelSettings in src/cli/run/inspect.ts). */
const SINGLE_THREADED = { KEYFLEET_INSPECT_THREADS: '1' };
const PARALLEL = { KEYFLEET_INSPECT_THREADS: 'auto', KEYFLEET_INSPECT_PARALLEL_MIN_BYTES: '0' };

/**
 * Runs `cmd args` with stdout to /dev/null. Wall time by hrtime; CPU time (user+sys) and peak
 * RSS by GNU time when installed, else by polling /proc/PID/status (VmHWM; CPU then unknown).
 * `extraEnv` is added to the environment.
 */
async function timeRun(cmd, args, extraEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  if (HAVE_GNU_TIME) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeOut, cmd, ...args], {
      stdio: ['ignore', DEV_NULL, 'pipe'],
      maxBuffer: 64 << 20,
      env,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw r.error;
    const [user, sys, kb] = fs.readFileSync(timeOut, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return {
      ms,
      cpuMs: (user + sys) * 1000,
      rssMiB: kb / 1024,
      status: r.status,
      stderr: r.stderr.toString(),
    };
  }
  const { spawn } = await import('node:child_process');
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', DEV_NULL, 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 5);
  const status = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, cpuMs: NaN, rssMiB: peak / 1024, status, stderr };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** ssh-keygen -l and keyfleet --json must agree on every fingerprint (a sanity check, not timed). */
function fingerprintsAgree(file) {
  const ssh = spawnSync('ssh-keygen', ['-l', '-f', file], { maxBuffer: 1 << 30 });
  const kf = spawnSync(process.execPath, [CLI, 'inspect', '--json', file], { maxBuffer: 1 << 30 });
  const a = ssh.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[1]);
  const b = JSON.parse(kf.stdout.toString()).keys.map((k) => k.fingerprint);
  return a.length === b.length && a.every((fp, i) => fp === b[i])
    ? `${a.length} of ${a.length}`
    : `MISMATCH (${a.length} vs ${b.length})`;
}

// ---------------------------------------------------------------------------------------------

const results = [];
function record(name, value, target, pass) {
  results.push({ name, value, target, result: pass === undefined ? '' : pass ? 'PASS' : 'MISS' });
}

const ms = (x) => `${x.toFixed(0)} ms`;
const perLine = (x, n) => `${((x * 1000) / n).toFixed(1)} µs/line`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-bench-'));
  timeOut = path.join(dir, 'time.out');
  try {
    const haveSshKeygen = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined;
    console.log(
      `keyfleet bench: node ${process.version}, ${os.cpus().length} CPUs (available parallelism ${os.availableParallelism()}), ${os.cpus()[0]?.model ?? ''}; load average ${loadavg()}`,
    );
    let t = Date.now();
    const { pool, cached } = await keyPool();
    const how = cached
      ? `cached in ${path.relative(ROOT, POOL_CACHE)}`
      : `generated in ${((Date.now() - t) / 1000).toFixed(1)} s`;
    console.log(`key pool: ${pool.length} distinct keys (${how})`);

    const sizes = QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
    const files = {};
    for (const n of sizes) {
      files[n] = path.join(dir, `authorized_keys.${n}`);
      t = Date.now();
      await writeAuthorizedKeys(files[n], n, pool);
      const mb = fs.statSync(files[n]).size / 1048576;
      console.log(
        `generated ${n.toLocaleString('en')} key lines, ${mb.toFixed(1)} MiB (${((Date.now() - t) / 1000).toFixed(1)} s)`,
      );
    }
    const N = 100_000;
    const big = files[N];

    // Sanity: the work being timed is the right work.
    if (haveSshKeygen) {
      console.log(`fingerprints agreeing with ssh-keygen -l (10k file): ${fingerprintsAgree(files[10_000])}`);
    }
    const check = await timeRun(process.execPath, [CLI, 'inspect', big]);
    if (check.status !== 0 && check.status !== 1) {
      console.log(
        `warning: keyfleet inspect exited ${check.status}: ${check.stderr.split('\n').slice(0, 3).join(' | ')}`,
      );
    }

    // 1. Throughput: alternate the two tools so both see the same machine load.
    console.log(`\ninspect, ${N.toLocaleString('en')} lines, ${RUNS} run(s) each (stdout to /dev/null):`);
    const kf = [];
    const ssh = [];
    for (let i = 0; i < RUNS; i++) {
      kf.push(await timeRun(process.execPath, [CLI, 'inspect', big]));
      if (haveSshKeygen) ssh.push(await timeRun('ssh-keygen', ['-l', '-f', big]));
      console.log(
        `  run ${i + 1}: keyfleet ${ms(kf[i].ms)} wall, ${ms(kf[i].cpuMs)} cpu` +
          (haveSshKeygen ? `; ssh-keygen ${ms(ssh[i].ms)} wall, ${ms(ssh[i].cpuMs)} cpu` : ''),
      );
    }
    const json = [];
    const forced = [];
    for (let i = 0; i < RUNS; i++) {
      json.push(await timeRun(process.execPath, [CLI, 'inspect', '--json', big]));
      forced.push(await timeRun(process.execPath, [CLI, 'inspect', big], PARALLEL));
    }
    const kfWall = median(kf.map((r) => r.ms));
    const kfCpu = median(kf.map((r) => r.cpuMs));
    record(
      'keyfleet inspect, 100k lines (table)',
      `${ms(kfWall)} wall (${perLine(kfWall, N)}), ${ms(kfCpu)} cpu`,
      '',
    );
    const jWall = median(json.map((r) => r.ms));
    record(
      'keyfleet inspect --json, 100k lines',
      `${ms(jWall)} wall (${perLine(jWall, N)}), ${ms(median(json.map((r) => r.cpuMs)))} cpu`,
      '',
    );
    const fWall = median(forced.map((r) => r.ms));
    record(
      'same, parallel (KEYFLEET_INSPECT_THREADS=auto)',
      `${ms(fWall)} wall (${perLine(fWall, N)}), ${ms(median(forced.map((r) => r.cpuMs)))} cpu`,
      '',
    );
    if (haveSshKeygen) {
      const sWall = median(ssh.map((r) => r.ms));
      const sCpu = median(ssh.map((r) => r.cpuMs));
      record('ssh-keygen -l -f, 100k lines', `${ms(sWall)} wall (${perLine(sWall, N)}), ${ms(sCpu)} cpu`, '');
      record(
        'ratio keyfleet / ssh-keygen (wall)',
        (kfWall / sWall).toFixed(3),
        '<= 0.1',
        kfWall / sWall <= 0.1,
      );
      if (HAVE_GNU_TIME)
        record('ratio keyfleet / ssh-keygen (cpu, for reference)', (kfCpu / sCpu).toFixed(3), '');
    } else {
      record('ratio keyfleet / ssh-keygen', 'ssh-keygen not installed', '<= 0.1');
    }

    // 1b. A large file: the opt-in parallel path against the default.
    if (!QUICK) {
      const M = 1_000_000;
      console.log(
        `\ninspect, ${M.toLocaleString('en')} lines, ${RUNS} run(s) each, single-threaded (default) and parallel:`,
      );
      const one = [];
      const par = [];
      for (let i = 0; i < RUNS; i++) {
        one.push(await timeRun(process.execPath, [CLI, 'inspect', files[M]], SINGLE_THREADED));
        par.push(await timeRun(process.execPath, [CLI, 'inspect', files[M]], PARALLEL));
        console.log(
          `  run ${i + 1}: single-threaded ${ms(one[i].ms)} wall, ${ms(one[i].cpuMs)} cpu; parallel ${ms(par[i].ms)} wall, ${ms(par[i].cpuMs)} cpu`,
        );
      }
      const oWall = median(one.map((r) => r.ms));
      const pWall = median(par.map((r) => r.ms));
      record(
        'keyfleet inspect, 1M lines (table)',
        `${ms(oWall)} wall (${perLine(oWall, M)}), ${ms(median(one.map((r) => r.cpuMs)))} cpu`,
        '',
      );
      record(
        'same, parallel (KEYFLEET_INSPECT_THREADS=auto)',
        `${ms(pWall)} wall (${perLine(pWall, M)}), ${ms(median(par.map((r) => r.cpuMs)))} cpu, x${(oWall / pWall).toFixed(2)}`,
        '',
      );
    }

    // 2. Memory: flat means 10x more lines cost at most 1.5x the peak RSS (linear would be 10x).
    // The parallel path's peaks are for reference: a second V8 heap, grown to its working size.
    console.log(`\npeak RSS of keyfleet inspect (${HAVE_GNU_TIME ? 'GNU time' : '/proc VmHWM polling'}):`);
    const paths = [
      ['', SINGLE_THREADED, true],
      [', parallel', PARALLEL, false],
    ];
    for (const [pathName, env, targeted] of paths) {
      for (const mode of ['table', 'json']) {
        const peaks = [];
        for (const n of sizes) {
          const r = await timeRun(
            process.execPath,
            [CLI, 'inspect', ...(mode === 'json' ? ['--json'] : []), files[n]],
            env,
          );
          peaks.push(r.rssMiB);
          console.log(
            `  ${(mode + pathName).padEnd(15)} ${n.toLocaleString('en').padStart(9)} lines: ${r.rssMiB.toFixed(1)} MiB`,
          );
        }
        const growth = Math.max(...peaks.slice(1).map((p, i) => p / peaks[i]));
        record(
          `peak RSS ${mode}${pathName}: ${sizes.map((n) => `${n / 1000}k`).join(' / ')} lines`,
          `${peaks.map((p) => p.toFixed(0)).join(' / ')} MiB (worst step x${growth.toFixed(2)})`,
          targeted ? '<= x1.5 per 10x lines' : '',
          targeted ? growth <= 1.5 : undefined,
        );
      }
    }

    // 3. Start-up, interleaved.
    const nodeTimes = [];
    const versionTimes = [];
    for (let i = 0; i < 20; i++) {
      nodeTimes.push((await timeRun(process.execPath, ['-e', '0'])).ms);
      versionTimes.push((await timeRun(process.execPath, [CLI, '--version'])).ms);
    }
    const n0 = median(nodeTimes);
    const v0 = median(versionTimes);
    record('node -e 0 (median of 20)', `${n0.toFixed(1)} ms`, '');
    record('keyfleet --version (median of 20)', `${v0.toFixed(1)} ms`, '');
    record('ratio --version / node -e 0', (v0 / n0).toFixed(2), '<= 2', v0 / n0 <= 2);

    // Summary.
    const w = [0, 0, 0];
    for (const r of results) {
      w[0] = Math.max(w[0], r.name.length);
      w[1] = Math.max(w[1], r.value.length);
      w[2] = Math.max(w[2], r.target.length);
    }
    console.log(
      `\nsummary (load average at the end: ${loadavg()}; on a busy machine wall times vary, cpu less so):`,
    );
    for (const r of results) {
      console.log(
        `  ${r.name.padEnd(w[0])}  ${r.value.padEnd(w[1])}  ${r.target.padEnd(w[2])}  ${r.result}`.trimEnd(),
      );
    }
    const misses = results.filter((r) => r.result === 'MISS').length;
    console.log(misses === 0 ? '\nall targets met' : `\n${misses} target(s) missed (reported, not fatal)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
