/**
 * Stand-in for the lab's Fedora CoreOS nodes, run inside the e2e "nodes" network namespace (which
 * holds every node address), and the lab's client side.
 *
 * Per node address it serves what HAProxy talks to:
 *   6443  TLS, GET /readyz (kube-apiserver's health)      other paths answer `<node>:6443`
 *   22623 TLS, GET /healthz (machine-config server)       other paths answer `<node>:22623`
 *   1936  HTTP, GET /healthz/ready (router health)
 *   80    HTTP, any path answers `<node>:80`
 *   443   TLS, any path answers `<node>:443`
 * Each listener can be stopped and started, and each health endpoint turned unready, on demand.
 * As a client it sends requests through the infra node, runs load loops, and exposes a real
 * `HostProbe` (dig, sockets, chronyd -Q) so the shared verify checks run from inside the lab.
 *
 * Control: newline-delimited JSON on a unix socket, `{"id":1,"op":"...",...}` -> `{"id":1,"ok":true,"result":...}`.
 * Usage: node -r ts-node/register/transpile-only nodeAgent.ts CONFIG.json
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { HostProbe } from "../../verify/hostProbe";

/** The agent's configuration file. */
export interface AgentConfig {
  /** Control socket path. */
  socket: string;
  nodes: { name: string; ip: string }[];
  /** PEM files of the self-signed certificate the TLS listeners present. */
  certFile: string;
  keyFile: string;
}

/** The node ports served and the health path each answers, if any. */
export const NODE_PORTS: { port: number; tls: boolean; healthPath?: string }[] = [
  { port: 6443, tls: true, healthPath: "/readyz" },
  { port: 22623, tls: true, healthPath: "/healthz" },
  { port: 1936, tls: false, healthPath: "/healthz/ready" },
  { port: 80, tls: false },
  { port: 443, tls: true },
];

/** One traffic request a node server answered (health checks are counted apart). */
export interface Hit {
  node: string;
  port: number;
  /** Milliseconds since the epoch. */
  t: number;
}

/** What one load loop saw. */
export interface LoadReport {
  url: string;
  ok: number;
  failed: number;
  /** First failures, with time and reason. */
  failures: { t: number; error: string }[];
  /** Answer body (`<node>:<port>`) -> count. */
  backends: Record<string, number>;
}

interface Endpoint {
  node: string;
  ip: string;
  port: number;
  server: net.Server;
  sockets: Set<net.Socket>;
  listening: boolean;
  ready: boolean;
}

/** Upper bounds of every client loop: no request loop runs unbounded. */
const MAX_LOAD_MS = 180_000;
const MAX_LOAD_REQUESTS = 20_000;
const MAX_BATCH = 2_000;
const MAX_HITS = 200_000;

function main(): void {
  const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as AgentConfig;
  const tls = { cert: fs.readFileSync(config.certFile), key: fs.readFileSync(config.keyFile) };
  // Checks answer fast or not at all; traffic through HAProxy may wait for its retries (1 s apart).
  const probe = new HostProbe({ timeoutMs: 3000 });
  const trafficProbe = new HostProbe({ timeoutMs: 10000 });
  const endpoints = new Map<string, Endpoint>();
  const hits: Hit[] = [];
  const healthHits = new Map<string, number>();
  const loads = new Map<number, { state: { stop: boolean }; done: Promise<LoadReport[]> }>();
  let nextLoad = 1;

  const key = (node: string, port: number) => `${node}:${port}`;

  for (const node of config.nodes) {
    for (const spec of NODE_PORTS) {
      const endpoint = {} as Endpoint;
      const handler: http.RequestListener = (req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (spec.healthPath !== undefined && path === spec.healthPath) {
          healthHits.set(key(node.name, spec.port), (healthHits.get(key(node.name, spec.port)) ?? 0) + 1);
          res.writeHead(endpoint.ready ? 200 : 503, { "content-type": "text/plain", connection: "close" });
          res.end(endpoint.ready ? "ok\n" : "not ready\n");
          return;
        }
        // Bounded: the oldest half goes once the log is full (the tests read recent hits only).
        if (hits.length >= MAX_HITS) hits.splice(0, MAX_HITS / 2);
        hits.push({ node: node.name, port: spec.port, t: Date.now() });
        res.writeHead(200, { "content-type": "text/plain", connection: "close" });
        res.end(`${node.name}:${spec.port}\n`);
      };
      const server = spec.tls ? https.createServer(tls, handler) : http.createServer(handler);
      // Short keep-alive: the clients open one connection per request anyway.
      server.keepAliveTimeout = 1000;
      Object.assign(endpoint, { node: node.name, ip: node.ip, port: spec.port, server, sockets: new Set<net.Socket>(), listening: false, ready: true });
      server.on("connection", (socket: net.Socket) => {
        endpoint.sockets.add(socket);
        socket.on("close", () => endpoint.sockets.delete(socket));
      });
      endpoints.set(key(node.name, spec.port), endpoint);
    }
  }

  const listen = (e: Endpoint) =>
    new Promise<void>((resolve, reject) => {
      if (e.listening) return resolve();
      e.server.once("error", reject);
      e.server.listen({ host: e.ip, port: e.port, exclusive: true }, () => {
        e.server.off("error", reject);
        e.listening = true;
        resolve();
      });
    });

  /**
   * Stops listening: new connections are refused, so to HAProxy the port is dead. Requests already
   * in flight finish (every request closes its connection); whatever is left after 2 s is cut.
   */
  const close = (e: Endpoint) =>
    new Promise<void>((resolve) => {
      if (!e.listening) return resolve();
      e.listening = false;
      const timer = setTimeout(() => {
        for (const s of e.sockets) s.destroy();
      }, 2000);
      e.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      (e.server as http.Server).closeIdleConnections();
    });

  const endpoint = (node: unknown, port: unknown): Endpoint => {
    const e = endpoints.get(key(String(node), Number(port)));
    if (!e) throw new Error(`no endpoint ${String(node)}:${String(port)}`);
    return e;
  };

  const runLoad = async (url: string, intervalMs: number, state: { stop: boolean }): Promise<LoadReport> => {
    const report: LoadReport = { url, ok: 0, failed: 0, failures: [], backends: {} };
    const started = Date.now();
    while (!state.stop && Date.now() - started < MAX_LOAD_MS && report.ok + report.failed < MAX_LOAD_REQUESTS) {
      const r = await trafficProbe.httpGet(url);
      const body = r.ok ? r.body.trim() : "";
      if (r.ok && r.status === 200 && /^[a-z0-9-]+:\d+$/.test(body)) {
        report.ok++;
        report.backends[body] = (report.backends[body] ?? 0) + 1;
      } else {
        report.failed++;
        if (report.failures.length < 20) report.failures.push({ t: Date.now(), error: r.ok ? `status ${r.status} body ${JSON.stringify(body)}` : r.error });
      }
      if (intervalMs > 0) await new Promise((res) => setTimeout(res, intervalMs));
    }
    return report;
  };

  const ops: Record<string, (msg: Record<string, unknown>) => Promise<unknown>> = {
    ping: async () => "pong",
    listenAll: async () => {
      await Promise.all([...endpoints.values()].map(listen));
      return endpoints.size;
    },
    stop: async (m) => close(endpoint(m.node, m.port)),
    start: async (m) => listen(endpoint(m.node, m.port)),
    setReady: async (m) => {
      endpoint(m.node, m.port).ready = Boolean(m.ready);
    },
    hits: async (m) => hits.filter((h) => h.t >= Number(m.since ?? 0)),
    healthHits: async () => Object.fromEntries(healthHits),
    /** `count` requests, `concurrency` at a time, each on its own connection. */
    requests: async (m) => {
      const count = Math.min(Number(m.count ?? 1), MAX_BATCH);
      const concurrency = Math.max(1, Number(m.concurrency ?? 1));
      const results: { ok: boolean; status?: number; body?: string; error?: string }[] = new Array(count);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const r = await trafficProbe.httpGet(String(m.url));
          results[i] = r.ok ? { ok: true, status: r.status, body: r.body.trim() } : { ok: false, error: r.error };
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return results;
    },
    loadStart: async (m) => {
      const id = nextLoad++;
      const state = { stop: false };
      const urls = m.urls as string[];
      loads.set(id, { state, done: Promise.all(urls.map((u) => runLoad(u, Number(m.intervalMs ?? 0), state))) });
      return id;
    },
    loadStop: async (m) => {
      const load = loads.get(Number(m.load));
      if (!load) throw new Error(`no load ${String(m.load)}`);
      load.state.stop = true;
      const reports = await load.done;
      loads.delete(Number(m.load));
      return reports;
    },
    /** Calls the real HostProbe from inside the lab: resolve, connect, httpGet, ntpQuery. */
    probe: async (m) => {
      const method = String(m.method) as "resolve" | "connect" | "httpGet" | "ntpQuery";
      if (!["resolve", "connect", "httpGet", "ntpQuery"].includes(method)) throw new Error(`unknown probe method ${method}`);
      const fn = probe[method] as (...args: unknown[]) => Promise<unknown>;
      return fn.apply(probe, m.args as unknown[]);
    },
    shutdown: async () => {
      setTimeout(() => process.exit(0), 50);
    },
  };

  const control = net.createServer((conn) => {
    let buffer = "";
    conn.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          conn.write(`${JSON.stringify({ id: null, ok: false, error: "bad JSON" })}\n`);
          continue;
        }
        const op = ops[String(msg.op)];
        const reply = (body: Record<string, unknown>) => {
          if (!conn.destroyed) conn.write(`${JSON.stringify({ id: msg.id, ...body })}\n`);
        };
        if (!op) {
          reply({ ok: false, error: `unknown op ${String(msg.op)}` });
          continue;
        }
        op(msg).then(
          (result) => reply({ ok: true, result }),
          (err: Error) => reply({ ok: false, error: err.message }),
        );
      }
    });
    conn.on("error", () => undefined);
  });
  if (fs.existsSync(config.socket)) fs.unlinkSync(config.socket);
  control.listen(config.socket, () => {
    process.stdout.write(`node agent ready on ${config.socket}\n`);
  });
  // The harness owns this process: its death (or a closed stdin) ends the agent.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

if (require.main === module) main();
