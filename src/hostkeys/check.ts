/**
 * `known-hosts --check`: reads a known_hosts file and reports the entries for pinned hosts that
 * are stale (a key the vendor retired, such as GitHub's pre-2023 RSA key) or wrong (a key of a
 * pinned host that the vendor never published).
 */
import { hostMatches, parseKnownHostsLine } from '../keys/known-hosts.js';
import { KeyParseError } from '../keys/errors.js';
import type { PinnedHost } from './pinned.js';

export interface KnownHostsProblem {
  line: number;
  host: string;
  fingerprint: string;
  problem: 'stale' | 'wrong' | 'unparsable';
  message: string;
}

export interface PinnedEndpoint {
  /** Host name as written in known_hosts lookups. */
  host: string;
  port?: number;
  pins: Pick<PinnedHost, 'fingerprints' | 'retired'>;
}

export function checkKnownHosts(
  text: string,
  endpoints: PinnedEndpoint[],
): { problems: KnownHostsProblem[]; checked: number } {
  const problems: KnownHostsProblem[] = [];
  let checked = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    let entry;
    try {
      entry = parseKnownHostsLine(raw);
    } catch (err) {
      if (err instanceof KeyParseError) {
        // ssh skips lines it cannot parse; so do we, but say so, since a typo hides a pin.
        if (/github\.com|gitlab\.com/.test(raw)) {
          problems.push({
            line: i + 1,
            host: '',
            fingerprint: '',
            problem: 'unparsable',
            message: err.reason,
          });
        }
        continue;
      }
      throw err;
    }
    if (!entry || entry.marker) continue; // @revoked and @cert-authority lines are not pins
    for (const ep of endpoints) {
      if (!hostMatches(entry, ep.host, ep.port)) continue;
      checked++;
      const fp = entry.key.fingerprint;
      const retired = ep.pins.retired.find((r) => r.fingerprint === fp);
      if (retired) {
        problems.push({
          line: i + 1,
          host: ep.host,
          fingerprint: fp,
          problem: 'stale',
          message: `${retired.note}; remove this line and add the current keys (keyfleet known-hosts ${ep.host})`,
        });
      } else if (!ep.pins.fingerprints.includes(fp)) {
        problems.push({
          line: i + 1,
          host: ep.host,
          fingerprint: fp,
          problem: 'wrong',
          message: `${entry.key.type} key ${fp} is not a published host key of ${ep.host}: a connection that presents it is not ${ep.host}`,
        });
      }
    }
  }
  return { problems, checked };
}
