// What a benchmark section is, what it returns, and what all sections share.

/** One line of the results table. */
export interface Row {
  readonly measure: string;
  /** cairn's figure, formatted with its unit. */
  readonly cairn: string;
  /** The peer measured in the same run on the same data, if any. */
  readonly peer?: string;
  readonly peerFigure?: string;
  /** How many times faster cairn is than the peer (above 1 = cairn faster). */
  readonly ratio?: number;
  readonly target?: string;
  /** Whether the target was met; absent when there is no target or it cannot be judged. */
  readonly pass?: boolean;
  readonly note?: string;
}

/** The results of one section. */
export interface SectionResult {
  readonly title: string;
  readonly rows: readonly Row[];
  /** Printed under the table (skipped peers, checks that failed). */
  readonly notes: readonly string[];
}

/** Settings and shared fixtures for one benchmark run. */
export interface Bench {
  /** Object count (`CAIRN_BENCH_N`). */
  readonly n: number;
  /** Size of the big file in MiB (`CAIRN_BENCH_MIB`). */
  readonly mib: number;
  /** This run's scratch directory, removed at the end. */
  readonly scratch: string;
  /** Peer programs found on PATH. */
  readonly peers: { readonly git: boolean; readonly openssl: boolean };
  /** The big random file, created on first use and shared by sections. */
  readonly bigFile: () => string;
}

/** A named benchmark section; `main.ts` runs a list of them. */
export interface Section {
  readonly name: string;
  readonly run: (bench: Bench) => Promise<SectionResult>;
}
