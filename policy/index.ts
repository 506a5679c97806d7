/**
 * keyfleet's policy pack. The rules themselves are pure functions in keyfleet
 * (src/pulumi/policy-rules.ts, table-tested there); this file only hands them to the engine.
 *
 *   npm run build && (cd policy && npm install)
 *   pulumi preview --policy-pack policy/
 *   pulumi preview --policy-pack policy/ --policy-pack-config policy-config.json
 *
 * policy-config.json can allow write deploy keys and tune key strength, e.g.
 *   { "keyfleet-no-write-deploy-keys": { "allowedRepositories": ["infra"] },
 *     "keyfleet-oslogin-keys-expire": { "maxDays": 90 } }
 */
import { PolicyPack, type ResourceValidationPolicy } from '@pulumi/policy';
import { POLICY_RULES } from 'keyfleet/pulumi';

const policies: ResourceValidationPolicy[] = POLICY_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: rule.enforcementLevel,
  severity: rule.severity,
  ...(rule.configSchema ? { configSchema: rule.configSchema } : {}),
  validateResource: (args, reportViolation) => {
    if (!rule.types.includes(args.type)) return;
    for (const message of rule.check({ type: args.type, props: args.props }, args.getConfig(), new Date())) {
      reportViolation(message);
    }
  },
}));

new PolicyPack('keyfleet', { policies });
