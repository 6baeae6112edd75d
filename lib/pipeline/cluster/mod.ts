/**
 * cairn on an Effect Cluster (`cairn/cluster`): the {@linkcode cluster} executor hands
 * a pipeline's misses to runners ({@linkcode runner}, `cairn runner`) that share a
 * PostgreSQL database and the store (or, on other hosts, an S3 remote). Apart from the
 * root module so that a program which does not use it loads neither the cluster nor
 * the PostgreSQL client.
 *
 * @module
 */
export { cluster, type ClusterOptions } from "./cluster.ts";
export { runner, type RunnerEvent, type RunnerOptions } from "./runner.ts";
export { RunnerError, type RunnerFailure } from "./runner_error.ts";
