/**
 * Calibration after the model: py/calibrate.py compares the final times with
 * data/observed.csv — which this command does not declare (the walkthrough's mistake:
 * under the sandbox it fails, naming the file; declared, it runs and is keyed).
 *
 * @module
 */
import { Effect } from "effect";
import { command, Json, run, scenario, Table } from "cairn";
import { model } from "./pipeline.ts";

const calibrate = command({
  name: "calibrate",
  inputs: { times: Table.csv },
  outputs: { fit: Json },
  sources: ["py/calibrate.py"],
  tools: ["python3"],
  argv: ({ inputs, outputs }) => ["python3", "py/calibrate.py", inputs.times, outputs.fit],
});

if (import.meta.main) {
  await run(scenario(
    "calibration",
    {},
    Effect.gen(function* () {
      const times = yield* model(4);
      yield* calibrate({ times });
    }),
  ));
}
