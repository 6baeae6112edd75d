// Container images for the tests, built without a registry (see
// examples/external/_image.ts): tagged localhost/cairn-test-<random>:1, untagged after.
export {
  buildImage,
  containersNamed,
  imageId,
  imageProblem as containerProblem,
  removeImages,
} from "../../../../examples/external/_image.ts";

/** A fresh tag. */
export const freshTag = (): string => `localhost/cairn-test-${crypto.randomUUID().slice(0, 8)}:1`;
