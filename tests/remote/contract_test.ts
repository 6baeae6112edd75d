// The store contract on the S3 backend, against a real radosgw (see _server.ts):
// every store in its own prefix of one bucket. The S3 store lacks gc (and fsck and
// repair): the contract checks that they are refused with Unsupported.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ObjectStore } from "../../store/object_store.ts";
import { storeContract } from "../store/contract/store_contract.ts";
import { guarded, remoteTestOptions, s3Server } from "./_server.ts";

export const BUCKET = "cairn-contract";

storeContract({
  name: "s3",
  lacks: ["gc"],
  testOptions: remoteTestOptions(),
  guard: guarded,
  fresh: () => {
    const server = s3Server();
    return {
      layer: ObjectStore.layerS3({
        bucket: BUCKET,
        prefix: `contract/${crypto.randomUUID()}`,
        endpoint: server.endpoint,
        credentials: server.credentials,
      }),
      dispose: () => {},
    };
  },
  corrupt: async (store, id, bytes) => {
    // store.root is s3://<bucket>/<prefix>
    const prefix = store.root.slice(`s3://${BUCKET}/`.length);
    await s3Server().client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/objects/${id.slice(0, 2)}/${id.slice(2)}`,
        Body: bytes,
      }),
    );
  },
});
