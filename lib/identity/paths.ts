// file: URL ↔ path conversions (node:url's, which Deno implements).
import { fileURLToPath, pathToFileURL } from "node:url";

/** The path of a file: URL. */
export const fromFileUrl = (url: string): string => fileURLToPath(url);

/** The file: URL of a path. */
export const toFileUrl = (path: string): string => pathToFileURL(path).href;
