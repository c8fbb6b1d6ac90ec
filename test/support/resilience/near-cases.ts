/**
 * Arbitraries for the property tests that no input makes a parser, converter or validator throw: values drawn
 * near the interesting cases (names the code treats specially, endpoint and storage URI shapes), mixed with
 * arbitrary garbage at every level.
 */
import fc from "fast-check";
import {
  DEPLOYMENT_MODE_ANNOTATION,
  SCHEMA_PATH_ANNOTATION,
  SECRET_KEY_ANNOTATION,
  SERVING_RUNTIME_ANNOTATION,
} from "../../../src/apis/serving/annotations.js";
import { RUNTIME_AUTOSCALING_ANNOTATIONS } from "./arbitraries.js";

/** Strings near the interesting cases, and any string. */
export const text = fc.oneof(
  fc.constantFrom(
    "",
    "mm",
    "mm-x",
    "grpc",
    "tc-config",
    "models-dir",
    "mlserver",
    "hpa",
    "none",
    "external",
    "0",
    "-1",
  ),
  fc.constantFrom(
    "port:8001",
    "port:x",
    "unix:/a/b.sock",
    "unix:///c/d.sock",
    "s3://b/p",
    "https://x.blob.core.windows.net/c/p",
  ),
  fc.constantFrom("pvc://claim/p", "gs://b/%zz", "http://h:port/", "://", "%", "\u0000", "[::1"),
  fc.string(),
  fc.webUrl(),
);
export const garbage = fc.anything({ maxDepth: 3 });
export const maybe = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(fc.oneof(arbitrary, garbage), { nil: undefined });

const annotations = fc.dictionary(
  fc.constantFrom(
    ...RUNTIME_AUTOSCALING_ANNOTATIONS,
    SERVING_RUNTIME_ANNOTATION,
    SECRET_KEY_ANNOTATION,
    SCHEMA_PATH_ANNOTATION,
    DEPLOYMENT_MODE_ANNOTATION,
  ),
  fc.oneof(text, garbage),
);

/** Object metadata with the annotations the code reads. */
export const metadata = fc.record(
  { name: maybe(text), namespace: maybe(text), annotations: maybe(annotations) },
  {
    requiredKeys: [],
  },
);
