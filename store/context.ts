/**
 * What the store's internals share: its layout, this process's writer session, the
 * fsync policy and the fan-out directories known to exist.
 *
 * @module
 */
import type { StoreLayout } from "./layout.ts";
import type { WriterSession } from "./session.ts";

/** What a store's internals share. */
export interface StoreContext {
  /** Where the store's parts are. */
  readonly layout: StoreLayout;
  /** This process's writer session: gc lock and temporary roots. */
  readonly session: WriterSession;
  /** Whether objects are fsynced too. */
  readonly durable: boolean;
  /** Fan-out directories known to exist. */
  readonly fanout: Set<string>;
}
