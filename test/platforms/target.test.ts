import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { formatPlace, formatTarget, parseTarget } from '../../src/platforms/target.js';
import type { Target } from '../../src/platforms/types.js';

const GOOD: [string, Target][] = [
  ['github:user', { platform: 'github', kind: 'user' }],
  ['github:user/octo-cat', { platform: 'github', kind: 'user-public', login: 'octo-cat' }],
  [
    'github:repo/mlops/trainer',
    { platform: 'github', kind: 'repo', owner: 'mlops', repo: 'trainer', write: false },
  ],
  [
    'github:repo/mlops/trainer?write',
    { platform: 'github', kind: 'repo', owner: 'mlops', repo: 'trainer', write: true },
  ],
  ['github:repo/a/b.c_d-e', { platform: 'github', kind: 'repo', owner: 'a', repo: 'b.c_d-e', write: false }],
  ['gitlab:user', { platform: 'gitlab', kind: 'user' }],
  ['gitlab:user/42', { platform: 'gitlab', kind: 'user-admin', user: '42' }],
  ['gitlab:user/alice.b', { platform: 'gitlab', kind: 'user-admin', user: 'alice.b' }],
  ['gitlab:project/ml/trainer', { platform: 'gitlab', kind: 'project', path: 'ml/trainer', push: false }],
  [
    'gitlab:project/ml/platform/infra?push',
    { platform: 'gitlab', kind: 'project', path: 'ml/platform/infra', push: true },
  ],
  ['gitlab:project/17', { platform: 'gitlab', kind: 'project', path: '17', push: false }],
  ['gcp:project/ml-prod?user=alice', { platform: 'gcp', kind: 'project', project: 'ml-prod', user: 'alice' }],
  [
    'gcp:instance/ml-prod/us-central1-a/trainer-1?user=ci_runner',
    {
      platform: 'gcp',
      kind: 'instance',
      project: 'ml-prod',
      zone: 'us-central1-a',
      instance: 'trainer-1',
      user: 'ci_runner',
    },
  ],
  ['gcp:oslogin/alice@example.com', { platform: 'gcp', kind: 'oslogin', email: 'alice@example.com' }],
  [
    'gcp:oslogin/ci-runner@ml-prod.iam.gserviceaccount.com',
    { platform: 'gcp', kind: 'oslogin', email: 'ci-runner@ml-prod.iam.gserviceaccount.com' },
  ],
];

describe('parseTarget / formatTarget', () => {
  it.each(GOOD)('parses %s', (text, want) => {
    expect(parseTarget(text)).toEqual(want);
  });

  it.each(GOOD)('formats %s back to the same text and round-trips', (text, want) => {
    expect(formatTarget(want)).toBe(text);
    expect(parseTarget(formatTarget(want))).toEqual(want);
  });

  it('accepts ?write=true / ?write=false and prints the canonical form', () => {
    expect(formatTarget(parseTarget('github:repo/o/r?write=true'))).toBe('github:repo/o/r?write');
    expect(formatTarget(parseTarget('github:repo/o/r?write=false'))).toBe('github:repo/o/r');
    expect(formatTarget(parseTarget('GitHub:Repo/o/r'))).toBe('github:repo/o/r');
  });

  it('escapes a username with query characters so it round-trips', () => {
    const t: Target = { platform: 'gcp', kind: 'project', project: 'ml-prod', user: 'a&b=c' };
    expect(formatTarget(t)).toBe('gcp:project/ml-prod?user=a%26b%3Dc');
    expect(parseTarget(formatTarget(t))).toEqual(t);
  });

  it('formatPlace drops access flags', () => {
    expect(formatPlace(parseTarget('github:repo/o/r?write'))).toBe('github:repo/o/r');
    expect(formatPlace(parseTarget('gitlab:project/g/p?push'))).toBe('gitlab:project/g/p');
    expect(formatPlace(parseTarget('gcp:project/ml-prod?user=a'))).toBe('gcp:project/ml-prod?user=a');
  });
});

const BAD: [string, RegExp][] = [
  ['', /empty target/],
  ['github', /missing "PLATFORM:" prefix/],
  ['bitbucket:user', /unknown platform "bitbucket"/],
  ['github:', /missing target kind/],
  ['github:org/mlops', /unknown GitHub target kind "org"/],
  ['github:repo/mlops', /owner or repository missing/],
  ['github:repo', /owner or repository missing/],
  ['github:repo/a/b/c', /too many path segments/],
  ['github:repo/-bad/r', /not a GitHub user or organization name/],
  ['github:repo/o/..', /not a repository name/],
  ['github:repo/o/r?push', /unknown query parameter "push".*"\?push" belongs to gitlab:project/],
  ['github:repo/o/r?write=yes', /"\?write" takes no value/],
  ['github:repo/o/r?write&write', /given twice/],
  ['github:repo/o/r?', /empty query/],
  ['github:user?write', /"\?write" applies only to github:repo deploy keys/],
  ['github:user/bob?write', /"\?write" applies only to github:repo/],
  ['github:user/', /empty path segment/],
  ['github:user/a/b', /single login/],
  ['github:user/has space', /not a GitHub login/],
  ['github:user/' + 'x'.repeat(40), /not a GitHub login/],
  ['gitlab:user/', /empty path segment/],
  ['gitlab:user?push', /"\?push" applies only to gitlab:project/],
  ['gitlab:user/-x', /not a GitLab user id or username/],
  ['gitlab:group/ml', /unknown GitLab target kind "group"/],
  ['gitlab:project', /project path missing/],
  ['gitlab:project/trainer', /a namespace and a project/],
  ['gitlab:project/ml//trainer', /empty path segment/],
  ['gitlab:project/ml/trainer?write', /"\?write" belongs to github:repo/],
  ['gitlab:project/ml/tr ainer', /not a GitLab group or project path segment/],
  ['gcp:project/ml-prod', /missing "\?user=NAME"/],
  ['gcp:project/ml-prod?user=', /empty username/],
  ['gcp:project/ml-prod?user=a%20b', /whitespace or control characters/],
  ['gcp:project/ml-prod?user=a%0Ab', /whitespace or control characters/],
  ['gcp:project/ml-prod?user=-x', /starts with "-"/],
  ['gcp:project/ml-prod?user=..', /"\." or "\.\."/],
  ['gcp:project/ml-prod?user=a%3Ab', /contains "\/" or ":"/],
  ['gcp:project/ml-prod?user=a&zone=b', /unknown query parameter "zone"/],
  ['gcp:project/ML_Prod?user=a', /not a Google Cloud project id/],
  ['gcp:project/a/b?user=x', /expected gcp:project\/PROJECT\?user=NAME/],
  ['gcp:instance/ml-prod/us-central1-a?user=a', /expected gcp:instance/],
  ['gcp:instance/ml-prod/US/vm?user=a', /not a Compute Engine zone/],
  ['gcp:instance/ml-prod/us-central1-a/Bad_VM?user=a', /not a Compute Engine instance name/],
  ['gcp:oslogin/not-an-email', /not an email address/],
  ['gcp:oslogin/a@b.c?user=x', /unknown query parameter "user".*this target takes no query/],
  ['gcp:oslogin', /expected gcp:oslogin\/EMAIL/],
  ['gcp:bucket/x', /unknown Google Cloud target kind "bucket"/],
  ['gcp:project/ml-prod?user=%zz', /not valid percent-encoding/],
];

describe('parseTarget errors', () => {
  it.each(BAD)('rejects %j', (text, why) => {
    let err: unknown;
    try {
      parseTarget(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as UsageError).message;
    expect(message).toMatch(why);
    // Every message names the input and lists what is allowed.
    expect(message).toContain(`invalid target "${text}"`);
    expect(message).toContain('Allowed forms: github:user, github:user/LOGIN');
    expect((err as UsageError).exitCode).toBe(2);
  });
});
