/**
 * PVC names a runtime mounts because the namespace's storage Secret names them (upstream's
 * `controllers/servingruntime_controller.go getPVCs`).
 */
import { isRecord } from "../../lib/is-record.js";
import { fail, ok, type Result } from "../../lib/result.js";

/**
 * `data` is the Secret's base64 data. Every entry must be a JSON object of strings; entries of `type: pvc`
 * with a `name` contribute that claim. Each entry is read on its own (upstream reused one map across entries,
 * so a later entry could inherit an earlier one's keys).
 */
export function pvcClaimsFromStorageSecret(
  data: Readonly<Record<string, string>> | undefined,
): Result<string[]> {
  const claims: string[] = [];
  for (const [key, encoded] of Object.entries(data ?? {})) {
    let entry: unknown;
    try {
      entry = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
    } catch (error) {
      return fail(`Could not parse storage configuration json: key ${key}: ${(error as Error).message}`);
    }
    if (!isRecord(entry) || Object.values(entry).some((value) => typeof value !== "string")) {
      return fail(`Could not parse storage configuration json: key ${key} must be a JSON object of strings`);
    }
    if (entry.type === "pvc" && typeof entry.name === "string" && entry.name !== "") claims.push(entry.name);
  }
  return ok(claims);
}
