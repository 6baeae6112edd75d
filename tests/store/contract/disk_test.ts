// The store contract on the disk store.
import { ObjectStore } from "../../../store/object_store.ts";
import { objectPath } from "../../../store/layout.ts";
import { storeContract } from "./store_contract.ts";

storeContract({
  name: "disk",
  fresh: () => {
    const dir = Deno.makeTempDirSync({ prefix: "cairn-contract-" });
    return {
      layer: ObjectStore.layer({ root: `${dir}/store` }),
      dispose: () => Deno.removeSync(dir, { recursive: true }),
    };
  },
  corrupt: (store, id, bytes) => {
    const path = objectPath({ objects: `${store.root}/objects` } as never, id);
    try {
      Deno.chmodSync(path, 0o644);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // set aside by an earlier read
    }
    Deno.writeFileSync(path, bytes);
    Deno.chmodSync(path, 0o444);
    return Promise.resolve();
  },
});
