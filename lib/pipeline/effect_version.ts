/**
 * cairn is built on effect 4: an Effect made by another version of the package (a
 * project whose import map gives "effect" as effect 3) is not one to effect 4's
 * runtime, which fails deep inside with "Not a valid effect". The entry points that
 * take a program check it first and say what to change.
 *
 * @module
 */
import * as Effect from "effect/Effect";

/** The effect version cairn is built and tested with (its deno.json pins it). */
export const EFFECT_VERSION = "4.1.0";

/** Why `value` is not an effect 4 Effect, or undefined when it is one. */
export const notAnEffect = (value: unknown, where: string): string | undefined => {
  if (Effect.isEffect(value)) return undefined;
  // effect 3 marks its values with this symbol (effect 4 with another).
  const looksLikeEffect3 = typeof value === "object" && value !== null &&
    Symbol.for("effect/Effect") in value;
  return looksLikeEffect3
    ? `${where} is an Effect of another version of the effect package (effect 3?), and cairn needs effect 4: map "effect" to "npm:effect@${EFFECT_VERSION}" (and "effect/" to "npm:/effect@${EFFECT_VERSION}/") in your project's deno.json imports`
    : `${where} is not an Effect (got ${
      value === null ? "null" : typeof value
    }); give an Effect made with effect 4 ("npm:effect@${EFFECT_VERSION}")`;
};

/** `value` as an Effect, or a defect that says why it is not one. */
export const requireEffect = <A, E, R>(
  value: Effect.Effect<A, E, R>,
  where: string,
): Effect.Effect<A, E, R> => {
  const problem = notAnEffect(value, where);
  return problem === undefined ? value : Effect.die(new TypeError(problem));
};
