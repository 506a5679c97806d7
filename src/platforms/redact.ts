/**
 * Token redaction applied to every message that can reach a user or a log. Known token shapes
 * (GitHub, GitLab, Google OAuth), `Authorization`/`PRIVATE-TOKEN` header values, and
 * `private_token`/`access_token` query parameters. Tokens registered at run time (the ones
 * keyfleet itself was given) are redacted wherever they appear, whatever their shape.
 */
const known = new Set<string>();

/** Registers a secret so that redact() removes it from any text. Short values are ignored. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 8) known.add(secret);
}

const PATTERNS: RegExp[] = [
  /\b(gh[pousr]_[A-Za-z0-9]{20,})\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g,
  /\bgl(?:dt|oas|rt|cbt|ptt|ft|imt|agent|soat)-[A-Za-z0-9_-]{20,}\b/g,
  /\bya29\.[A-Za-z0-9_.-]{20,}\b/g,
  /\bkf[a-z]*_[A-Za-z0-9]{16,}\b/g, // sandbox tokens
  /((?:authorization|private-token|x-api-key)["']?\s*[:=]\s*["']?)(?:bearer |token |basic )?[^\s"',;}]+/gi,
  /([?&](?:private_token|access_token|token|key)=)[^&\s#"']+/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const s of known) out = out.split(s).join('[REDACTED]');
  for (const re of PATTERNS) {
    out = out.replace(re, (m, prefix: unknown) =>
      typeof prefix === 'string' && prefix !== m && /[:=]\s*["']?$/.test(prefix)
        ? `${prefix}[REDACTED]`
        : '[REDACTED]',
    );
  }
  return out;
}
