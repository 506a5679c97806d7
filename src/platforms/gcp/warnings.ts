/**
 * Warnings that save hours: a metadata key that VMs will silently ignore (OS Login on, project
 * keys blocked), a username the VM may fail to create, a value near its size limit. Pure
 * functions of what the adapter already read.
 */
import { parseGoBool } from './go-compat.js';
import type { InstanceSummary } from './compute-client.js';
import type { Metadata } from './metadata-writer.js';
import { isPortableUsername } from './ssh-keys-codec.js';
import { vmAccessMode } from './vm-access.js';

function attr(m: Metadata | undefined, key: string): string | undefined {
  return m?.items?.find((i) => i.key === key)?.value ?? undefined;
}

function names(list: InstanceSummary[], max = 10): string {
  const shown = list.slice(0, max).map((i) => `${i.zone}/${i.name}`);
  return shown.join(', ') + (list.length > max ? ` and ${list.length - max} more` : '');
}

/** Warnings for a key written to a project's `ssh-keys`; `instances` is undefined when they could not be listed. */
export function projectKeyWarnings(
  project: string,
  projectMetadata: Metadata,
  instances: InstanceSummary[] | undefined,
): string[] {
  const out: string[] = [];
  const projectOsLogin = parseGoBool(attr(projectMetadata, 'enable-oslogin')) === true;
  if (projectOsLogin) {
    const overriding = (instances ?? []).filter(
      (i) => parseGoBool(attr(i.metadata, 'enable-oslogin')) === false,
    );
    out.push(
      `enable-oslogin is TRUE on project ${project}: its VMs ignore ssh-keys metadata and accept only OS Login keys` +
        (overriding.length ? ` (except ${names(overriding)}, which set enable-oslogin FALSE)` : '') +
        '; use gcp:oslogin/EMAIL for people and service accounts instead',
    );
  }
  if (instances) {
    const osLoginOn = instances.filter(
      (i) => !projectOsLogin && parseGoBool(attr(i.metadata, 'enable-oslogin')) === true,
    );
    if (osLoginOn.length) {
      out.push(
        `these VMs of ${project} set enable-oslogin TRUE and ignore project ssh-keys: ${names(osLoginOn)}`,
      );
    }
    const blocked = instances.filter(
      (i) =>
        vmAccessMode({ projectMetadata, instanceMetadata: i.metadata }).blockProjectKeys &&
        !vmAccessMode({ projectMetadata, instanceMetadata: i.metadata }).osLogin,
    );
    if (blocked.length) {
      out.push(
        `these VMs of ${project} block project-wide keys (block-project-ssh-keys TRUE or legacy instance sshKeys) and will not accept this key: ${names(blocked)}; use gcp:instance/${project}/ZONE/INSTANCE?user=NAME for them`,
      );
    }
  }
  return out;
}

/** Warnings for a key written to one instance's `ssh-keys`. */
export function instanceKeyWarnings(
  where: string,
  projectMetadata: Metadata | undefined,
  instanceMetadata: Metadata,
): string[] {
  const mode = vmAccessMode({ projectMetadata: projectMetadata ?? null, instanceMetadata });
  if (!mode.osLogin) return [];
  const fromInstance = parseGoBool(attr(instanceMetadata, 'enable-oslogin')) !== undefined;
  return [
    `enable-oslogin is TRUE ${fromInstance ? `on instance ${where}` : `on its project (instance ${where} does not override it)`}: ` +
      'the VM ignores ssh-keys metadata and accepts only OS Login keys; use gcp:oslogin/EMAIL instead, or set enable-oslogin FALSE on the instance',
  ];
}

/** A username the guest agent accepts but `useradd` may refuse. */
export function usernameWarnings(user: string): string[] {
  if (isPortableUsername(user)) return [];
  return [
    `username ${JSON.stringify(user)} is not a portable Linux login name (lower-case letters, digits, "_", "-", ".", at most 32 characters); the guest agent may fail to create the account`,
  ];
}
