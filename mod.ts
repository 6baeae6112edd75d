/**
 * cairn: skip work already done, safely; know where every result came from.
 *
 * Pipelines are Effect values composed with `step`, `iterate` and `scenario`;
 * `run` interprets them over a content-addressed store (`./.cairn` unless told
 * otherwise), reusing every step whose code, config and inputs are unchanged.
 *
 * @example A two-step pipeline
 * ```ts
 * import { Effect } from "effect"
 * import { iterate, Json, run, scenario, step } from "./mod.ts"
 *
 * const grow = step({
 *   name: "grow",
 *   inputs: { x: Json },
 *   outputs: { x: Json },
 *   config: { rate: 1.1 },
 *   run: ({ x }, config) => ({ x: x * config.rate }),
 * })
 * const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 1 }) })
 *
 * const program = scenario("growth", {}, Effect.gen(function* () {
 *   const start = yield* seed({})
 *   return yield* iterate({ times: 10 }, start, (state) => grow({ x: state.x }))
 * }))
 * if (import.meta.main) await run(program)
 * ```
 *
 * @module
 */
export * from "./lib/mod.ts";
export * from "./store/mod.ts";
export { ObjectStore as Store } from "./store/object_store.ts";
