// Filling a (small, test-only) file system to the last byte, and freeing pages of it.

const PAGE = 4096;

/** Appends to `path` until the file system has no space left; returns its size. */
export const fillUp = (path: string): number => {
  const file = Deno.openSync(path, { write: true, create: true, append: true });
  try {
    for (const size of [1 << 20, 64 << 10, PAGE, 512, 1]) {
      const chunk = new Uint8Array(size);
      for (;;) {
        try {
          if (file.writeSync(chunk) < size) break;
        } catch (e) {
          if ((e as { code?: string }).code === "ENOSPC") break;
          throw e;
        }
      }
    }
  } finally {
    file.close();
  }
  return Deno.statSync(path).size;
};

/** Shortens the filler so that exactly `pages` pages of the file system are free. */
export const freePages = (path: string, pages: number): void => {
  const size = Deno.statSync(path).size;
  Deno.truncateSync(path, Math.max(0, (Math.ceil(size / PAGE) - pages) * PAGE));
};
