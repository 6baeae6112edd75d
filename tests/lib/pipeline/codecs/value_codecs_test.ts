import assert from "node:assert/strict";
import { Json } from "../../../../lib/pipeline/codecs/json.ts";
import { Text } from "../../../../lib/pipeline/codecs/text.ts";

Deno.test("Json writes canonical bytes, so equal values give equal bytes", () => {
  assert.deepEqual(Json.encode({ b: [1.0, 2], a: "x" }), Json.encode({ a: "x", b: [1, 2] }));
  assert.deepEqual(Json.decode(Json.encode({ b: [1, 2], a: "x" }) as Uint8Array), {
    a: "x",
    b: [1, 2],
  });
});

Deno.test("Json refuses values JSON cannot carry", () => {
  assert.throws(() => Json.encode({ x: NaN }), /finite/);
});

Deno.test("Text round-trips UTF-8 and refuses non-strings and invalid UTF-8", () => {
  assert.equal(Text.decode(Text.encode("zürich ✓") as Uint8Array), "zürich ✓");
  assert.throws(() => Text.encode(42 as never), /expected a string/);
  assert.throws(() => Text.decode(new Uint8Array([0xff, 0xfe])));
});
