/**
 * sshd's AuthorizedKeysCommand for the sandbox hosts (run as a separate process by sshd, so it
 * imports nothing but Node built-ins and stays fast).
 *
 *   git: node authorized-keys-command.js git CONTROL_FILE HOST SERVE_SCRIPT %u %f %t %k
 *   vm:  node authorized-keys-command.js vm  CONTROL_FILE VM_ID %u %f %t %k
 *
 * Prints authorized_keys lines on stdout; printing nothing denies the key. Any failure denies.
 */
import { readFileSync } from 'node:fs';

interface Control {
  url: string;
  secret: string;
}

async function ask<T>(control: Control, path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${control.url}${path}?${new URLSearchParams(params)}`, {
    headers: { 'x-keyfleet-control': control.secret },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function quote(s: string): string {
  return s.replace(/(["\\])/g, '\\$1');
}

async function main(argv: string[]): Promise<void> {
  const [mode, controlFile] = argv;
  if (!controlFile) return;
  const control = JSON.parse(readFileSync(controlFile, 'utf8')) as Control;
  if (mode === 'git') {
    const [, , host, serveScript, _user, fingerprint, type, key] = argv;
    if (!host || !serveScript || !fingerprint || !type || !key) return;
    const id = await ask<{ known: boolean }>(control, '/git/identify', { host, fingerprint });
    if (!id.known) return;
    // The forced command decides per repository, the way GitHub's and GitLab's shells do.
    const command = [process.execPath, serveScript, controlFile, host, fingerprint].join(' ');
    process.stdout.write(`restrict,command="${quote(command)}" ${type} ${key}\n`);
  } else if (mode === 'vm') {
    const [, , vm, user] = argv;
    if (!vm || !user) return;
    const { keys } = await ask<{ keys: string[] }>(control, '/vm/keys', { vm, user });
    process.stdout.write(keys.map((k) => `${k}\n`).join(''));
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`keyfleet sandbox authorized-keys-command: ${String(err)}\n`);
  process.exitCode = 1;
});
