/**
 * One end of the e2e stand-in for the `ssh -L` tunnel of the statsTunnel output: the stats page
 * listens on the infra node's loopback only, and a host on the lab network reaches it through
 * sshd, which connects from the node's own loopback. Two processes play that part, joined by a
 * unix socket (a file: visible from both network namespaces, like the ssh channel):
 *
 *   infra namespace:  node -r ts-node/register/transpile-only tunnelEnd.ts remote SOCKET HOST PORT
 *     accepts on SOCKET and connects each client to HOST:PORT (127.0.0.1:9000) in that namespace;
 *   nodes namespace:  node -r ts-node/register/transpile-only tunnelEnd.ts local HOST PORT SOCKET
 *     listens on HOST:PORT (127.0.0.1:9000) and connects each client to SOCKET.
 *
 * Each prints `listening` once it accepts connections.
 */
import * as fs from "node:fs";
import * as net from "node:net";

/** Pipes `client` to a new connection made by `connect`, both ways, closing both on either's end. */
function splice(client: net.Socket, connect: () => net.Socket): void {
  const upstream = connect();
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.pipe(upstream);
  upstream.pipe(client);
}

function main(argv: string[]): void {
  const [mode, ...rest] = argv;
  let server: net.Server;
  if (mode === "remote" && rest.length === 3) {
    const [socket, host, port] = rest;
    fs.rmSync(socket, { force: true });
    server = net.createServer((client) => splice(client, () => net.connect(Number(port), host)));
    server.listen(socket, () => console.log("listening"));
  } else if (mode === "local" && rest.length === 3) {
    const [host, port, socket] = rest;
    server = net.createServer((client) => splice(client, () => net.connect(socket)));
    server.listen(Number(port), host, () => console.log("listening"));
  } else {
    console.error("usage: tunnelEnd.ts remote SOCKET HOST PORT | local HOST PORT SOCKET");
    process.exit(2);
  }
  server.on("error", (err) => {
    console.error(`tunnel end: ${err.message}`);
    process.exit(1);
  });
  process.on("SIGTERM", () => process.exit(0));
}

main(process.argv.slice(2));
