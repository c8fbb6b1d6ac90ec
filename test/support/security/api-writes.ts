/**
 * Counts the writes each client sends to the API server, from the API server's audit log: the policy below logs
 * one line per mutating request (no reads), so a window of the log gives exact write counts per user, resource
 * and subresource, whatever controller binary made them.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

/** Metadata level for mutating verbs, nothing for reads; one line per request (at ResponseComplete). */
export const WRITES_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: None
    verbs: ["get", "list", "watch"]
  - level: Metadata
`;

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

export interface WriteCounts {
  readonly total: number;
  /** By `<resource>` or `<resource>/<subresource>`. */
  readonly byResource: ReadonlyMap<string, number>;
  /** Requests answered with 409 Conflict. */
  readonly conflicts: number;
}

interface AuditLine {
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
  responseStatus?: { code?: number };
}

/** Reads an audit log from a byte offset; `mark()` then `countSince(mark)` frames a window. */
export class AuditLog {
  constructor(readonly file: string) {}

  /** The current end of the log. */
  mark(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /** Writes by `user` between the offset and the current end. */
  countSince(offset: number, user: string): WriteCounts {
    const byResource = new Map<string, number>();
    let total = 0;
    let conflicts = 0;
    for (const line of this.#linesSince(offset)) {
      if (!line.includes(`"username":"${user}"`)) continue;
      const entry = JSON.parse(line) as AuditLine;
      if (entry.user?.username !== user || !WRITE_VERBS.has(entry.verb ?? "")) continue;
      const resource = entry.objectRef?.subresource
        ? `${entry.objectRef.resource}/${entry.objectRef.subresource}`
        : (entry.objectRef?.resource ?? "?");
      byResource.set(resource, (byResource.get(resource) ?? 0) + 1);
      total++;
      if (entry.responseStatus?.code === 409) conflicts++;
    }
    return { total, byResource, conflicts };
  }

  #linesSince(offset: number): string[] {
    const end = this.mark();
    if (end <= offset) return [];
    const fd = openSync(this.file, "r");
    try {
      const chunks: string[] = [];
      const buffer = Buffer.alloc(1 << 20);
      let carry = "";
      for (let position = offset; position < end; ) {
        const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
        if (read === 0) break;
        position += read;
        const text = carry + buffer.toString("utf8", 0, read);
        const last = text.lastIndexOf("\n");
        chunks.push(...text.slice(0, last + 1).split("\n"));
        carry = text.slice(last + 1);
      }
      return chunks.filter((line) => line.length > 0);
    } finally {
      closeSync(fd);
    }
  }
}

export function formatCounts(counts: WriteCounts): string {
  const parts = [...counts.byResource].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} ${c}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}
