// A KServe v2 gRPC client for the sandbox's mesh: sends the request body a REST client would POST (KServe v2
// JSON) as a `ModelInfer` over gRPC, and prints the answer as the REST port would:
//
//   npx tsx scripts/infer.ts [--grpc 127.0.0.1:8033] <model name> <request.json>
//
// The model name is the InferenceService's: the mesh takes it from `model_name`, as model-mesh does.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type ServiceError, status } from "@grpc/grpc-js";
import { inferenceClient } from "../test/support/mlserver/grpc-clients.js";
import { inferResponseReply, restCall } from "../test/support/mlserver/v2-rest.js";

const { values, positionals } = parseArgs({
  options: { grpc: { type: "string", default: "127.0.0.1:8033" } },
  allowPositionals: true,
});
const [model, bodyFile] = positionals;
if (model === undefined || bodyFile === undefined) {
  process.stderr.write("usage: npx tsx scripts/infer.ts [--grpc host:port] <model name> <request.json>\n");
  process.exit(2);
}
const call = restCall(
  "POST",
  `/v2/models/${encodeURIComponent(model)}/infer`,
  readFileSync(bodyFile, "utf8"),
);
if (!("method" in call) || call.method !== "ModelInfer") {
  process.stderr.write(`the request is not a KServe v2 inference request: ${JSON.stringify(call)}\n`);
  process.exit(2);
}
const client = inferenceClient(values.grpc ?? "");
try {
  const response = await client.modelInfer(call.request);
  process.stdout.write(`${inferResponseReply(response).body}\n`);
} catch (error) {
  const { code, details } = error as ServiceError;
  process.stderr.write(`ModelInfer failed: ${status[code] ?? code}: ${details ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
