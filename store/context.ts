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
  readonly layout: StoreLayout;
  readonly session: WriterSession;
  readonly durable: boolean;
  readonly fanout: Set<string>;
}
