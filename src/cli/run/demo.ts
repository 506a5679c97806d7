/** `keyfleet demo`: runs the scripted walkthrough and prints each step as it ends. */
import { UsageError } from '../../errors.js';
import { GENERATE_KEY_TYPES, type GenerateKeyType } from '../../keys/generate.js';
import { runDemo, type DemoStep } from '../../demo/demo.js';
import type { DemoFlags } from '../commands/demo.js';
import { printJson } from '../output.js';

export async function runDemoCommand(flags: DemoFlags): Promise<number> {
  const type = (flags.keyType ?? 'ed25519') as GenerateKeyType;
  if (!GENERATE_KEY_TYPES.includes(type)) {
    throw new UsageError(
      `-t "${flags.keyType}": unknown key type; allowed: ${GENERATE_KEY_TYPES.join(', ')}`,
    );
  }
  if (!flags.json) {
    process.stdout.write("keyfleet demo: one key's life on a local sandbox (no accounts, no internet)\n\n");
  }
  const print = (s: DemoStep) => {
    const mark = s.ok ? 'ok  ' : 'FAIL';
    process.stdout.write(
      `${String(s.n).padStart(2)}. [${mark}] ${s.title} (${(s.ms / 1000).toFixed(1)}s)\n       ${s.detail}\n`,
    );
  };
  const result = await runDemo({ keyType: type, ...(flags.json ? {} : { onStep: print }) });
  if (flags.json) printJson(result);
  else {
    const failedStep = result.steps.find((s) => !s.ok);
    process.stdout.write(
      result.ok
        ? `\nEvery step behaved as expected (${result.steps.length} steps).\n`
        : `\nStep ${failedStep?.n ?? '?'} did not behave as expected: ${failedStep?.detail ?? 'see above'}\n`,
    );
  }
  return result.ok ? 0 : 1;
}
