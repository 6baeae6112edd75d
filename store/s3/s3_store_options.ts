// Where an S3 store is and how to reach it (apart, so that naming it loads no SDK).

/** Where an S3 store is and how to reach it. */
export interface S3StoreOptions {
  /** The bucket. */
  readonly bucket: string;
  /** A key prefix for the store inside the bucket (default: none). */
  readonly prefix?: string;
  /** An S3-compatible server's URL (default: AWS, or `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`). */
  readonly endpoint?: string;
  /** The region (default `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`). */
  readonly region?: string;
  /** Keys (default: the SDK's chain — environment, `~/.aws` files, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Create the bucket and the store when missing (default true). */
  readonly create?: boolean;
}
