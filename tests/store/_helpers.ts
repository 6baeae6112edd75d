// Shared test helpers: a real store in a real temp dir.
import { openStoreContext } from "../../store/object_store.ts";
import type { StoreContext } from "../../store/objects.ts";
import { StoreError } from "../../store/errors.ts";

/** Runs `f` with a fresh store in a temp dir, removed afterwards. */
export const withStore = async <A>(
  f: (ctx: StoreContext, dir: string) => A | Promise<A>,
): Promise<A> => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-test-" });
  const ctx = openStoreContext(`${dir}/store`);
  try {
    return await f(ctx, dir);
  } finally {
    ctx.session.close();
    Deno.removeSync(dir, { recursive: true });
  }
};

/** The reason tag of the StoreError thrown by `f` (fails when nothing or something else is thrown). */
export const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof StoreError) return e.reason._tag;
    throw new Error(`expected a StoreError, got ${e}`);
  }
  throw new Error("expected a StoreError, nothing was thrown");
};

/** The message of the StoreError thrown by `f`. */
export const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof StoreError) return e.message;
    throw e;
  }
  throw new Error("expected a StoreError, nothing was thrown");
};

/** sha256sum of bytes via the coreutils binary. */
export const sha256sumAsync = async (bytes: Uint8Array): Promise<string> => {
  const child = new Deno.Command("sha256sum", { stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const { stdout } = await child.output();
  return new TextDecoder().decode(stdout).split(" ")[0]!;
};

const encoder = new TextEncoder();

/** Concatenates byte arrays. */
export const concat = (...parts: (Uint8Array | string)[]): Uint8Array => {
  const bytes = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of bytes) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
};

/** Runs `f` in a fresh temp dir, removed afterwards. */
export const inTemp = (f: (dir: string) => void): void => {
  const dir = Deno.makeTempDirSync();
  try {
    f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};
