import { KeyfleetError } from '../../errors.js';

/**
 * An argument of a keyfleet Pulumi component that cannot work: `field` is its path in the args
 * (e.g. `github.deployKeys[1].repository`), `reason` says what is wrong and what is allowed.
 * Thrown synchronously from the constructor, so `pulumi preview` stops at the line that built
 * the component instead of failing later inside an async callback.
 */
export class ComponentArgsError extends KeyfleetError {
  readonly field: string;
  readonly reason: string;
  /** The component's name, once known. */
  readonly component: string | undefined;

  constructor(field: string, reason: string, component?: string) {
    super(
      'PULUMI_ARGS',
      `${component === undefined ? '' : `SshKeyDistribution "${component}": `}${field}: ${reason}`,
      {
        exitCode: 2,
      },
    );
    this.field = field;
    this.reason = reason;
    this.component = component;
  }

  /** The same error, naming the component it belongs to. */
  in(component: string): ComponentArgsError {
    return new ComponentArgsError(this.field, this.reason, component);
  }
}
