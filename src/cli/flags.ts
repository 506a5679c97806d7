/** Flag value parsers shared by command definitions (kept tiny: loaded at start-up). */
import { InvalidArgumentError } from 'commander';

/** Parses a whole number in [min, max], or throws commander's usage error (exit 2). */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max))
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}
