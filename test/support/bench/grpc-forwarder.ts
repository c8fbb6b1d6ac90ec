/**
 * BENCHMARK INFRASTRUCTURE. The serving benchmark's floor: a bare gRPC forwarder in front of one runtime, as a
 * process of its own. Every unary call on its port goes unchanged to the runtime on the emulator's own raw HTTP/2
 * channel, and the answer comes back unchanged: no routing, no registry, no header rewriting. What the mesh costs
 * beyond this row is the emulator's routing; what this row costs over the direct one is Node's HTTP/2 on both sides.
 *
 *   tsx test/support/bench/grpc-forwarder.ts <upstream host:port>    (prints `forwarding on 127.0.0.1:<port>`)
 */
import http2 from "node:http2";
import { Metadata, status } from "@grpc/grpc-js";
import { MeshStatus } from "../emulator/mesh-replies.js";
import { RawGrpcChannel } from "../emulator/raw-grpc-channel.js";

const FRAME_HEADER_BYTES = 5;
const [upstream] = process.argv.slice(2);
if (upstream === undefined) {
  process.stderr.write("usage: grpc-forwarder.ts <upstream host:port>\n");
  process.exit(2);
}
const channel = new RawGrpcChannel(upstream);

function framed(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** gRPC's percent-encoding of `grpc-message`: every byte outside printable ASCII, and `%` itself. */
function grpcMessage(text: string): string {
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8"))
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return encoded;
}

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const request = Buffer.concat(chunks).subarray(FRAME_HEADER_BYTES);
    const method = String(headers[":path"]).slice(1);
    channel.unary(method, new Metadata(), request).then(
      (reply) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(framed(reply.response));
      },
      (error: unknown) => {
        const code = error instanceof MeshStatus ? error.code : status.INTERNAL;
        const message = grpcMessage(error instanceof Error ? error.message : String(error));
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": String(code),
            "grpc-message": message,
          },
          { endStream: true },
        );
      },
    );
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address !== null && typeof address === "object")
    process.stdout.write(`forwarding on 127.0.0.1:${address.port}\n`);
});
process.once("SIGTERM", () => {
  channel.close();
  server.close(() => process.exit(0));
});
