/**
 * Starts the node agent (test/e2e/nodeAgent.ts) inside the nodes namespace and talks to it over
 * its unix control socket. `AgentProbe` is the verify `Probe` of the e2e suite: every call runs
 * the real `HostProbe` inside the nodes namespace, so the shared checks see the lab as a node does.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { BasicAuth, ConnectResult, DnsAnswer, HttpResult, NtpResult, Probe, RecordType } from "../../verify/checks";
import { LabNetwork, NsProcess } from "./netns";
import type { AgentConfig, Hit, LoadReport } from "./nodeAgent";

const REPO = path.resolve(__dirname, "../..");

/** A connection to a running node agent. */
export class NodeAgent {
  private socket?: net.Socket;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buffer = "";

  private constructor(
    readonly process: NsProcess,
    private readonly socketPath: string,
  ) {}

  /** Starts the agent in `net.nodesNs` serving `nodes`, and waits until it answers. */
  static async start(lab: LabNetwork, dir: string, nodes: { name: string; ip: string }[], tls: { certFile: string; keyFile: string }): Promise<NodeAgent> {
    const config: AgentConfig = { socket: path.join(dir, "agent.sock"), nodes, ...tls };
    const configFile = path.join(dir, "agent.json");
    fs.writeFileSync(configFile, JSON.stringify(config));
    const env = { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", TS_NODE_PROJECT: path.join(REPO, "tsconfig.json") };
    const proc = lab.spawn(lab.nodesNs, [process.execPath, "-r", "ts-node/register/transpile-only", path.join(__dirname, "nodeAgent.ts"), configFile], {
      env,
      cwd: REPO,
    });
    const agent = new NodeAgent(proc, config.socket);
    const deadline = Date.now() + 30000;
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`node agent exited: ${proc.output()}`);
      if (fs.existsSync(config.socket)) {
        try {
          await agent.connect();
          await agent.call("ping");
          break;
        } catch {
          // not listening yet
        }
      }
      if (Date.now() > deadline) throw new Error(`node agent did not start within 30 s: ${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await agent.call("listenAll");
    return agent;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.socketPath);
      socket.once("connect", () => {
        this.socket = socket;
        socket.on("data", (chunk) => this.onData(chunk.toString("utf8")));
        socket.on("close", () => {
          for (const p of this.pending.values()) p.reject(new Error("node agent connection closed"));
          this.pending.clear();
        });
        resolve();
      });
      socket.once("error", reject);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const msg = JSON.parse(this.buffer.slice(0, nl)) as { id: number; ok: boolean; result?: unknown; error?: string };
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`node agent: ${msg.error}`));
    }
  }

  /** Sends one operation and waits for its answer, at most `timeoutMs`. */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}, timeoutMs = 60000): Promise<T> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error("node agent not connected"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`node agent: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      // `id` and `op` are the envelope's: an argument of the same name would replace them.
      if ("id" in args || "op" in args) throw new Error(`node agent: argument names id and op are reserved (${op})`);
      socket.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** Stops (closes) or starts the listener of `node` on `port`. */
  setListening(node: string, port: number, on: boolean): Promise<void> {
    return this.call(on ? "start" : "stop", { node, port });
  }

  /** Makes the health endpoint on `port` of `node` answer 200 (ready) or 503. */
  setReady(node: string, port: number, ready: boolean): Promise<void> {
    return this.call("setReady", { node, port, ready });
  }

  /** Traffic requests the node servers answered since `since` (epoch ms). */
  hits(since = 0): Promise<Hit[]> {
    return this.call("hits", { since });
  }

  /** `count` GETs of `url` from the nodes namespace, each on a new connection. */
  requests(url: string, count: number, concurrency = 4): Promise<{ ok: boolean; status?: number; body?: string; error?: string }[]> {
    return this.call("requests", { url, count, concurrency });
  }

  /** Starts one request loop per url (a new connection per request, `intervalMs` apart). */
  loadStart(urls: string[], intervalMs: number): Promise<number> {
    return this.call("loadStart", { urls, intervalMs });
  }

  loadStop(id: number): Promise<LoadReport[]> {
    return this.call("loadStop", { load: id }, 90000);
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.call("shutdown"), new Promise((r) => setTimeout(r, 500))]);
    } catch {
      // already gone
    }
    this.socket?.destroy();
  }
}

/** The verify Probe, run inside the nodes namespace by the node agent. */
export class AgentProbe implements Probe {
  constructor(private readonly agent: NodeAgent) {}

  resolve(name: string, type: RecordType, server: string): Promise<DnsAnswer> {
    return this.agent.call("probe", { method: "resolve", args: [name, type, server] });
  }

  connect(ip: string, port: number): Promise<ConnectResult> {
    return this.agent.call("probe", { method: "connect", args: [ip, port] });
  }

  httpGet(url: string, auth?: BasicAuth, socketPath?: string): Promise<HttpResult> {
    return this.agent.call("probe", { method: "httpGet", args: [url, auth, socketPath] });
  }

  ntpQuery(server: string): Promise<NtpResult> {
    return this.agent.call("probe", { method: "ntpQuery", args: [server] });
  }
}
