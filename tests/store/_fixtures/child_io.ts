// Line-oriented stdin/stdout for the child processes of the multi-process tests.
// The parent sends control lines ("go") on stdin and reads JSON lines on stdout.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
let buffered = "";

/** The next line from stdin, or undefined once stdin is closed. */
export const readLine = async (): Promise<string | undefined> => {
  reader ??= Deno.stdin.readable.getReader();
  for (;;) {
    const nl = buffered.indexOf("\n");
    if (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      return line;
    }
    const { value, done } = await reader.read();
    if (done) {
      const rest = buffered;
      buffered = "";
      return rest.length > 0 ? rest : undefined;
    }
    buffered += decoder.decode(value, { stream: true });
  }
};

/** Writes one line to stdout, synchronously (a SIGKILL cannot lose a line already sent). */
export const emit = (value: unknown): void => {
  const bytes = encoder.encode(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
};

/** The first `names.length` command-line arguments; exits with a usage line when one is missing. */
export const args = <const N extends readonly string[]>(
  ...names: N
): { -readonly [K in keyof N]: string } => {
  if (Deno.args.length < names.length) {
    console.error(`usage: ${names.map((n) => `<${n}>`).join(" ")}`);
    Deno.exit(2);
  }
  return Deno.args.slice(0, names.length) as { -readonly [K in keyof N]: string };
};
