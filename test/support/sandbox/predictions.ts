/**
 * What the sandbox shows once its examples are Loaded: for each example a real MLServer serves, one real
 * prediction through the mesh's REST port (the input and the predicted class), and the commands that send the
 * same request from the host, over REST with curl and over gRPC with `scripts/infer.ts`. Pure, but for `predict`.
 */
import type { ExampleModel } from "../mlserver/index.js";

/** An example InferenceService that a real runtime serves, with the model it loads. */
export interface ServedExample {
  readonly name: string;
  readonly model: ExampleModel;
}

/** The KServe v2 JSON body asking for the class of the model's first known input. */
export function predictionRequest(model: ExampleModel): string {
  const row = model.inputs[0] ?? [];
  return JSON.stringify({
    inputs: [{ name: "input-0", shape: [1, model.features], datatype: model.datatype, data: row }],
  });
}

/** The class a KServe v2 JSON answer predicts for the first row, or undefined when it names none. */
export function predictedClass(answer: string): number | undefined {
  const parsed = JSON.parse(answer) as { outputs?: { data?: unknown[] }[] };
  const value = parsed.outputs?.[0]?.data?.[0];
  return typeof value === "number" ? value : undefined;
}

/** A short description of the known input: its data set and size. */
export function inputDescription(model: ExampleModel): string {
  const kind =
    model.modelType === "sklearn" ? "an 8×8 handwritten digit" : "a mushroom's 126 binary features";
  return `${kind} (${model.features} values, from ${model.path}'s known inputs)`;
}

/** One line per prediction, then the commands that reproduce it. */
export function predictionLines(
  results: ReadonlyArray<{ example: ServedExample; predicted: number | undefined; bodyFile: string }>,
  ports: { readonly grpc: number; readonly rest: number | undefined },
): string[] {
  const lines: string[] = [];
  for (const { example, predicted } of results) {
    const expected = example.model.expectedClasses[0];
    const outcome = predicted === undefined ? "no prediction" : `predicted class ${predicted}`;
    lines.push(`  ${example.name}: ${inputDescription(example.model)} → ${outcome} (expected ${expected})`);
  }
  const first = results[0];
  if (first === undefined) return lines;
  lines.push("", "Send the same requests yourself:");
  for (const { example, bodyFile } of results) {
    if (ports.rest !== undefined) {
      lines.push(
        `  curl -s -H 'Content-Type: application/json' -d @${bodyFile} http://127.0.0.1:${ports.rest}/v2/models/${example.name}/infer`,
      );
    }
    lines.push(`  npx tsx scripts/infer.ts --grpc 127.0.0.1:${ports.grpc} ${example.name} ${bodyFile}`);
  }
  return lines;
}
