/** The flags every command that talks to platforms shares (grant, list, revoke, ...). */
import type { Command } from 'commander';

export interface PlatformFlags {
  /** `true` = the default connection file (`$KEYFLEET_SANDBOX_FILE` or ~/.keyfleet/sandbox.json). */
  sandbox?: string | true;
  githubUrl?: string;
  gitlabUrl?: string;
  json?: boolean;
}

export function addPlatformOptions(cmd: Command): Command {
  return cmd
    .option(
      '--sandbox [file]',
      'use the local sandbox (`keyfleet sandbox`) via its connection file instead of real platforms',
    )
    .option(
      '--github-url <url>',
      'GitHub Enterprise Server (https://HOST or https://HOST/api/v3); default: GH_HOST, GITHUB_API_URL or github.com',
    )
    .option(
      '--gitlab-url <url>',
      'self-managed GitLab (https://HOST); default: GITLAB_HOST, GITLAB_URL, CI_SERVER_URL or gitlab.com',
    )
    .option('--json', 'print one JSON document on stdout');
}

export const TARGETS_HELP = `
Targets:
  github:user                                  your own GitHub keys (the token's account)
  github:user/LOGIN                            another account's public keys (read only)
  github:repo/OWNER/REPO[?write]               a repository's deploy keys (read-only unless ?write)
  gitlab:user                                  your own GitLab keys
  gitlab:user/ID_OR_USERNAME                   a user's keys (adding/removing needs an admin token)
  gitlab:project/GROUP/.../PROJECT[?push]      a project's deploy keys (no push unless ?push)
  gcp:project/PROJECT?user=NAME                NAME's line in a project's ssh-keys metadata
  gcp:instance/PROJECT/ZONE/INSTANCE?user=NAME NAME's line in one VM's ssh-keys metadata
  gcp:oslogin/EMAIL                            an OS Login key of a Google identity

Credentials:
  GitHub: GH_TOKEN or GITHUB_TOKEN (GH_ENTERPRISE_TOKEN for GHES); GitLab: GITLAB_TOKEN;
  Google Cloud: Application Default Credentials. With --sandbox, the sandbox's tokens.`;
