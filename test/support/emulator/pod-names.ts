/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. No kubelet runs here, so no runtime pod has a name; the
 * emulator makes up the names a Deployment's pods would get, `<deployment>-<pod-template-hash>-<5 chars>`, because
 * model-mesh's instance id is the last 12 characters of its pod's name (`start.sh` passes `-i`) and that id is
 * written into every model record. The template hash follows the Deployment controller's scheme (FNV-32a of the
 * pod template, its decimal digits encoded with `rand.SafeEncodeString`'s alphabet), padded to 10 characters; the
 * pod suffix is derived from the hash and the replica's index instead of drawn at random, so the same template
 * gives the same names (an emulator restart keeps its instance ids) and a changed template gives new ones (a
 * rollout).
 */

/** `k8s.io/apimachinery/pkg/util/rand`'s alphabet (no vowels, no 0/1/3). */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const TEMPLATE_HASH_LENGTH = 10;
const POD_SUFFIX_LENGTH = 5;
/** model-mesh keeps instance ids short: they are written into every model record. */
const INSTANCE_ID_LENGTH = 12;

function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function safeEncode(text: string): string {
  return [...Buffer.from(text, "latin1")].map((byte) => SAFE_ALPHABET[byte % SAFE_ALPHABET.length]).join("");
}

/** JSON with sorted keys, so that equal templates hash equally however their members were ordered. */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The `pod-template-hash` of a Deployment's pod template. */
export function podTemplateHash(template: unknown): string {
  return safeEncode(String(fnv32a(canonicalJson(template))).padStart(TEMPLATE_HASH_LENGTH, "0"));
}

/** The name of the Deployment's pod number `replica` (0-based). */
export function podName(deployment: string, templateHash: string, replica: number): string {
  // Five base-27 digits of a 32-bit hash (27^5 < 2^32).
  let seed = fnv32a(`${deployment}/${templateHash}/${replica}`);
  let suffix = "";
  for (let i = 0; i < POD_SUFFIX_LENGTH; i++) {
    suffix += SAFE_ALPHABET[seed % SAFE_ALPHABET.length];
    seed = Math.floor(seed / SAFE_ALPHABET.length);
  }
  return `${deployment}-${templateHash}-${suffix}`;
}

/** model-mesh's instance id of the pod. */
export function instanceIdOf(pod: string): string {
  return pod.slice(-INSTANCE_ID_LENGTH);
}
