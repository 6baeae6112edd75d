/**
 * Durations on the command line: a number and a unit — `500ms`, `30s`, `15m`,
 * `2h`, `7d`, `2w`.
 *
 * @module
 */
import * as Flag from "effect/cli/Flag";
import * as Option from "effect/Option";

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Milliseconds of `text`, or undefined when it is not a duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./_duration.ts"
 *
 * parseDuration("15m") // 900000
 * parseDuration("soon") // undefined
 * ```
 */
export const parseDuration = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
};

/** An optional flag holding a duration, in milliseconds. */
export const durationFlag = (name: string, description: string): Flag.Flag<Option.Option<number>> =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.withMetavar("DURATION"),
    Flag.filterMap(
      (text) => Option.fromUndefinedOr(parseDuration(text)),
      (text) => `"${text}" is not a duration; write a number and a unit: 30s, 15m, 2h, 7d`,
    ),
    Flag.optional,
  );
