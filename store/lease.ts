/**
 * Leases: which process is computing something right now, so that others wait for
 * its result instead of computing it too (the pipeline takes one per cache key it
 * misses: single-flight across processes, as Nix takes a lock per output it builds).
 *
 * A lease is a file `leases/<name>` naming its holder (`<pid>@<host> <token>`),
 * created exclusively, which fails when the lease is held. The holder refreshes it (its mtime, stamped by the
 * file system) every few seconds while it works. A lease is broken — renamed away,
 * and taken — when its holder is a process of this host that no longer exists (a
 * holder killed with SIGKILL costs the next process nothing), or when it has not been
 * refreshed for {@linkcode LEASE_STALE_MS} on the file system's clock (a holder on
 * another host, which cannot be asked after, that stopped).
 *
 * A lease only saves work: nothing is wrong when two processes compute the same
 * thing (a holder whose lease was broken finishes and records its run all the same).
 *
 * @module
 */
import { hostname } from "node:os";
import type { StoreLayout } from "./layout.ts";
import {
  isAlreadyExists,
  isNotFound,
  lstatOrUndefined,
  processIsAlive,
  removeIfExists,
  timeMs,
  uniqueName,
  writeAll,
} from "./_fs.ts";

/** How often a holder refreshes its lease. */
export const LEASE_REFRESH_MS = 5_000;

/** A lease not refreshed for this long (on the file system's clock) is broken. */
export const LEASE_STALE_MS = 60_000;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$/;

/** Why `name` cannot name a lease, or undefined when it can. */
export const leaseNameProblem = (name: string): string | undefined =>
  NAME.test(name)
    ? undefined
    : "a lease name is 1–200 letters, digits, _ . - (not starting with . or -)";

/** A lease this process holds. */
export interface HeldLease {
  readonly name: string;
  readonly path: string;
  /** The lease file's inode: the lease is still ours while `path` names it. */
  readonly ino: number;
  readonly owner: string;
}

/** Who holds a lease, as its file says. */
export interface LeaseHolder {
  /** The holding process's id on its host. */
  readonly pid: number;
  /** The host name the holder runs on. */
  readonly host: string;
}

const encoder = new TextEncoder();

const leasePath = (layout: StoreLayout, name: string) => `${layout.leases}/${name}`;

const parseHolder = (text: string): LeaseHolder | undefined => {
  const m = /^(\d+)@(\S+) /.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]! } : undefined;
};

/** The holder of lease `name`, or undefined when it is free (or its file unreadable). */
export const leaseHolder = (layout: StoreLayout, name: string): LeaseHolder | undefined => {
  try {
    return parseHolder(Deno.readTextFileSync(leasePath(layout, name)));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
};

// True when the lease at `path` can be broken: its holder is a process of this host
// that is gone, or it is older than LEASE_STALE_MS against `nowMs` (the file
// system's clock).
const breakable = (path: string, nowMs: number | (() => number)): boolean => {
  const info = lstatOrUndefined(path);
  if (!info) return false;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  const holder = parseHolder(text);
  if (holder && holder.host === hostname()) {
    if (holder.pid === Deno.pid) return false;
    if (!processIsAlive(holder.pid)) return true;
    // A live holder on this host is asked after, never timed out: it is working
    // (a long step, or one that keeps the event loop from refreshing).
    return false;
  }
  return (typeof nowMs === "number" ? nowMs : nowMs()) - timeMs(info.mtime) > LEASE_STALE_MS;
};

/**
 * Takes lease `name` if it is free, or breakable (see the module documentation);
 * undefined when another live process holds it. Never waits.
 */
export const tryLease = (layout: StoreLayout, name: string): HeldLease | undefined => {
  const path = leasePath(layout, name);
  const owner = `${Deno.pid}@${hostname()} ${uniqueName("lease")}`;
  // One file creation, on every miss a pipeline makes: created exclusively and then
  // written (a reader that finds it empty for that moment waits, as for a live holder).
  for (let attempt = 0; attempt < 3; attempt++) {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { createNew: true, write: true });
    } catch (e) {
      if (isNotFound(e)) {
        Deno.mkdirSync(layout.leases, { recursive: true });
        continue;
      }
      if (!isAlreadyExists(e)) throw e;
      if (!breakable(path, () => fsNow(layout))) return undefined;
      try {
        Deno.renameSync(path, `${layout.tmp}/${uniqueName("stale-lease")}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      continue;
    }
    try {
      writeAll(file, encoder.encode(owner));
      return { name, path, ino: file.statSync().ino ?? 0, owner };
    } finally {
      file.close();
    }
  }
  return undefined;
};

// "Now" on the file system's clock, for judging another host's lease: the mtime of a
// temp file just written (only when a lease is found held by another host).
const fsNow = (layout: StoreLayout): number => {
  const temp = `${layout.tmp}/${uniqueName("now")}`;
  try {
    Deno.writeFileSync(temp, new Uint8Array());
    return timeMs(Deno.statSync(temp).mtime);
  } catch {
    return Date.now();
  } finally {
    removeIfExists(temp);
  }
};

/** True while the lease file is the one this holder made. */
export const leaseIsOurs = (lease: HeldLease): boolean => {
  const info = lstatOrUndefined(lease.path);
  return info !== undefined && (info.ino ?? 0) === lease.ino;
};

/**
 * Refreshes a held lease (its mtime, stamped by the file system: the file is grown
 * by a byte and truncated back). False when it is no longer ours (it was broken).
 */
export const refreshLease = (lease: HeldLease): boolean => {
  if (!leaseIsOurs(lease)) return false;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(lease.path, { write: true });
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  try {
    const size = file.statSync().size;
    file.truncateSync(size + 1);
    file.truncateSync(size);
  } finally {
    file.close();
  }
  return true;
};

/** Releases a lease — only if it is still ours: a broken one may be another's now. */
export const releaseLease = (lease: HeldLease): void => {
  if (leaseIsOurs(lease)) removeIfExists(lease.path);
};

/**
 * Removes leases that can be broken (holder gone, or stale), for gc; returns how many
 * (how many would be, with `dryRun`).
 */
export const removeDeadLeases = (layout: StoreLayout, nowMs: number, dryRun: boolean): number => {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(layout.leases)];
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e;
  }
  let removed = 0;
  for (const entry of entries) {
    const path = `${layout.leases}/${entry.name}`;
    if (!entry.isFile || !breakable(path, nowMs)) continue;
    removed++;
    if (!dryRun) {
      const aside = `${layout.tmp}/${uniqueName("stale-lease")}`;
      try {
        Deno.renameSync(path, aside);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      removeIfExists(aside);
    }
  }
  return removed;
};
