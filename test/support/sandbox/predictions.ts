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

/** A model's answer for one row: the class, and the probability of class 1 when the model answers with it. */
export interface Prediction {
  readonly predictedClass: number;
  readonly probability?: number;
}

/**
 * What a KServe v2 JSON answer predicts for the first row, or undefined when it names nothing. A classifier
 * answers its class; a binary booster (LightGBM's `binary` objective, as MLServer's runtime calls `predict`)
 * answers the probability of class 1, which decides the class at 0.5.
 */
export function prediction(answer: string): Prediction | undefined {
  const parsed = JSON.parse(answer) as { outputs?: { data?: unknown[] }[] };
  const value = parsed.outputs?.[0]?.data?.[0];
  if (typeof value !== "number") return undefined;
  if (Number.isInteger(value)) return { predictedClass: value };
  return { predictedClass: value >= 0.5 ? 1 : 0, probability: value };
}

/** A short description of the known input: its data set and size. */
export function inputDescription(model: ExampleModel): string {
  const kind =
    model.modelType === "sklearn" ? "an 8×8 handwritten digit" : "a mushroom's 126 binary features";
  return `${kind} (${model.features} values, from ${model.path}'s known inputs)`;
}

/** One line per prediction, then the commands that reproduce it. */
export function predictionLines(
  results: ReadonlyArray<{ example: ServedExample; predicted: Prediction | undefined; bodyFile: string }>,
  ports: { readonly grpc: number; readonly rest: number | undefined },
): string[] {
  const lines: string[] = [];
  for (const { example, predicted } of results) {
    const expected = example.model.expectedClasses[0];
    const outcome =
      predicted === undefined
        ? "no prediction"
        : `predicted class ${predicted.predictedClass}${predicted.probability === undefined ? "" : ` (probability of class 1: ${predicted.probability.toFixed(3)})`}`;
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
