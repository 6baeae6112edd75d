// A container image without a registry: a busybox-static root file system (busybox
// and its applets as links) added to an empty image with buildah, committed with
// --timestamp 0 — the same content always gives the same image ID.

const run = (cmd: string, args: readonly string[]): { ok: boolean; out: string } => {
  try {
    const r = new Deno.Command(cmd, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    return { ok: r.success, out: text.trim() };
  } catch (e) {
    return { ok: false, out: e instanceof Error ? e.message : String(e) };
  }
};

const BUSYBOX = "/bin/busybox";
const APPLETS = ["sh", "awk", "cat", "cp", "echo", "id", "sleep", "ls", "stat", "wc", "kill"];

/** Why an image cannot be built and run here, or undefined when it can. */
export const imageProblem = (): string | undefined => {
  for (const [tool, pkg] of [["podman", "podman"], ["buildah", "buildah"]] as const) {
    if (!run(tool, ["--version"]).ok) return `${tool} is not installed (Debian: ${pkg})`;
  }
  try {
    const head = new TextDecoder("latin1").decode(Deno.readFileSync(BUSYBOX).subarray(0, 4096));
    // A dynamically linked ELF names its loader (/lib64/ld-linux-…): an empty image has none.
    if (head.includes("/ld-linux")) {
      return `${BUSYBOX} is linked dynamically (Debian: busybox-static)`;
    }
  } catch {
    return `${BUSYBOX} is missing (Debian: busybox-static)`;
  }
  return undefined;
};

/** Builds image `tag` holding busybox and `files` (path → text); returns its image ID. */
export const buildImage = (tag: string, files: Record<string, string> = {}): string => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-rootfs-" });
  try {
    Deno.mkdirSync(`${root}/bin`);
    Deno.copyFileSync(BUSYBOX, `${root}/bin/busybox`);
    Deno.chmodSync(`${root}/bin/busybox`, 0o755);
    for (const applet of APPLETS) Deno.symlinkSync("busybox", `${root}/bin/${applet}`);
    for (const [path, text] of Object.entries(files)) {
      Deno.mkdirSync(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/${path}`, text);
    }
    const from = run("buildah", ["from", "scratch"]);
    if (!from.ok) throw new Error(`buildah from scratch: ${from.out}`);
    const container = from.out.split("\n").at(-1)!;
    try {
      const add = run("buildah", ["add", container, root, "/"]);
      if (!add.ok) throw new Error(`buildah add: ${add.out}`);
      const commit = run("buildah", ["commit", "-q", "--timestamp", "0", container, tag]);
      if (!commit.ok) throw new Error(`buildah commit: ${commit.out}`);
    } finally {
      run("buildah", ["rm", container]);
    }
    return imageId(tag);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
};

/** The image ID of `tag`. */
export const imageId = (tag: string): string => {
  const r = run("podman", ["image", "inspect", "--format", "{{.Id}}", tag]);
  if (!r.ok) throw new Error(`podman image inspect ${tag}: ${r.out}`);
  return r.out;
};

/** Untags `tags` (an image other tags name stays). */
export const removeImages = (...tags: string[]): void => {
  for (const tag of tags) run("podman", ["rmi", tag]);
};

/** Containers whose name starts with `prefix`, running or not. */
export const containersNamed = (prefix: string): string[] =>
  run("podman", ["ps", "-a", "--format", "{{.Names}}"]).out.split("\n").filter((n) =>
    n.startsWith(prefix)
  );

/** The example's image, built once (the same ID on every build). */
export const buildExampleImage = (tag: string): string => buildImage(tag, {});
