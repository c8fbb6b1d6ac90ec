// TEST INFRASTRUCTURE. Runs inside the test host's network namespace: accepts TCP on the host address and
// forwards each connection to a Unix socket (which crosses namespaces) where the emulator listens.
//   node relay.mjs <listen-host> <unix-socket>   prints the chosen port on its first line
import net from "node:net";

const [host, socketPath] = process.argv.slice(2);
if (!host || !socketPath) {
  process.stderr.write("usage: node relay.mjs <listen-host> <unix-socket>\n");
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect(socketPath);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.pipe(upstream).pipe(client);
});
server.listen(0, host, () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
