/**
 * The {@link Probe} of `npm run verify`: asks the live lab from wherever it runs, with the
 * programs an administrator would use. DNS through `dig`, TCP and HTTP(S) through Node's own
 * sockets, NTP through `chronyd -Q` (a one-shot client exchange that never touches the clock and
 * runs next to a running chronyd).
 *
 * Commands go through an injectable {@link RunCommand} so the parsing is tested with fakes; the
 * e2e suite runs this same class inside a network namespace.
 */
import { execFile } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { BasicAuth, ConnectResult, DnsAnswer, HttpResult, NtpResult, Probe, RecordType } from "./checks";

/** What a finished command left behind; `error` is set when it could not start or timed out. */
export interface CommandResult {
  /** Exit code, or null when killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** e.g. `ENOENT` when the program is missing, `timeout` when it ran too long. */
  error?: string;
}

/** Runs `file` with `args`, at most `timeoutMs` milliseconds, without a shell. */
export type RunCommand = (file: string, args: string[], timeoutMs: number) => Promise<CommandResult>;

/** {@link RunCommand} with `child_process.execFile`. */
export const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (e.code === "ENOENT") return resolve({ code: null, stdout, stderr, error: "ENOENT" });
      if (e.killed) return resolve({ code: null, stdout, stderr, error: "timeout" });
      resolve({ code: typeof e.code === "number" ? e.code : null, stdout, stderr });
    });
  });

export interface HostProbeOptions {
  /** Runs dig and chronyd; default {@link runCommand}. */
  run?: RunCommand;
  /** TCP connect and HTTP timeout in milliseconds; default 2000. */
  timeoutMs?: number;
  /** Seconds `chronyd -Q` waits for an NTP answer; default 5. */
  ntpTimeoutSeconds?: number;
}

/**
 * Parses `dig` output (header comments and answer section) into a {@link DnsAnswer}, keeping the
 * data of the answer records of `type` only (a CNAME on the way is not an answer).
 */
export function parseDig(output: string, type: RecordType): DnsAnswer {
  const status = /->>HEADER<<-.*status: ([A-Z]+)/.exec(output);
  if (!status) {
    const reason = output
      .split("\n")
      .map((l) => l.replace(/^;;\s*/, "").trim())
      .find((l) => /timed out|no servers could be reached|unreachable|refused|failed|error/i.test(l));
    if (reason) return { rcode: "TIMEOUT", answers: [], error: reason };
    return { rcode: "ERROR", answers: [], error: `unreadable dig output: ${output.trim().split("\n")[0] ?? ""}` };
  }
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of output.split("\n")) {
    if (line.startsWith(";; ANSWER SECTION:")) {
      inAnswer = true;
      continue;
    }
    if (line.startsWith(";;") || line.trim() === "") {
      if (inAnswer && line.trim() === "") inAnswer = false;
      continue;
    }
    if (!inAnswer) continue;
    // owner TTL class type data...
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 5 && fields[2] === "IN" && fields[3] === type) answers.push(fields.slice(4).join(" "));
  }
  return { rcode: status[1], answers };
}

/** The offset `chronyd -Q` printed ("System clock wrong by -0.000012 seconds"), or undefined. */
export function parseChronydQuery(output: string): number | undefined {
  const match = /System clock wrong by (-?[0-9.]+) seconds/.exec(output);
  return match ? Number(match[1]) : undefined;
}

/** The real-host probe: dig, Node sockets, chronyd -Q. */
export class HostProbe implements Probe {
  private readonly run: RunCommand;
  private readonly timeoutMs: number;
  private readonly ntpTimeoutSeconds: number;

  constructor(options: HostProbeOptions = {}) {
    this.run = options.run ?? runCommand;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.ntpTimeoutSeconds = options.ntpTimeoutSeconds ?? 5;
  }

  async resolve(name: string, type: RecordType, server: string): Promise<DnsAnswer> {
    const query = type === "PTR" ? ["-x", name] : [name, type];
    // Two tries of two seconds: UDP may lose a packet; an absent server is reported in 4 s.
    const result = await this.run("dig", ["+time=2", "+tries=2", "+nostats", "+nocmd", `@${server}`, ...query], 10000);
    if (result.error === "ENOENT") return { rcode: "ERROR", answers: [], error: "dig is not installed" };
    if (result.error === "timeout") return { rcode: "TIMEOUT", answers: [], error: "dig ran out of time" };
    return parseDig(`${result.stdout}\n${result.stderr}`, type);
  }

  connect(ip: string, port: number): Promise<ConnectResult> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: ip, port });
      const done = (result: ConnectResult) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(this.timeoutMs, () => done({ ok: false, error: `timeout after ${this.timeoutMs} ms` }));
      socket.once("connect", () => done({ ok: true }));
      socket.once("error", (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
    });
  }

  httpGet(url: string, auth?: BasicAuth, socketPath?: string): Promise<HttpResult> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: HttpResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const secure = url.startsWith("https:");
      const headers: Record<string, string> = { connection: "close" };
      if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
      // A fresh connection per request (agent: false): each GET is its own trip through the load balancer.
      // socketPath: the request goes to that unix socket (an ssh tunnel's end), the URL gives path and Host.
      const options = { headers, agent: false as const, timeout: this.timeoutMs, rejectUnauthorized: false, ...(socketPath ? { socketPath } : {}) };
      let responded = false;
      const req = (secure ? https : http).get(url, options, (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (err) => finish({ ok: false, error: err.message }));
        // A connection cut in the middle of the body ends with 'close' and no 'end'.
        res.on("close", () => finish({ ok: false, error: "connection closed before the response ended" }));
      });
      // The socket timeout fires only on idleness; the whole exchange is bounded too.
      const deadline = setTimeout(() => {
        req.destroy();
        finish({ ok: false, error: `no complete answer within ${2 * this.timeoutMs} ms` });
      }, 2 * this.timeoutMs);
      req.on("timeout", () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
      req.on("close", () => finish({ ok: false, error: responded ? "connection closed before the response ended" : "connection closed without an answer" }));
    });
  }

  async ntpQuery(server: string): Promise<NtpResult> {
    // -Q: query only, print the offset, never adjust the clock, no server ports (runs next to a chronyd).
    const directive = `server ${server} iburst maxsamples 1`;
    const result = await this.run("chronyd", ["-Q", "-t", String(this.ntpTimeoutSeconds), directive], (this.ntpTimeoutSeconds + 5) * 1000);
    if (result.error === "ENOENT") return { ok: false, error: "chronyd is not installed on this host (install the chrony package to query NTP)" };
    const output = `${result.stdout}\n${result.stderr}`;
    const offset = parseChronydQuery(output);
    if (offset !== undefined) return { ok: true, offsetSeconds: offset };
    if (result.error === "timeout" || /Timeout reached|No suitable source/.test(output)) {
      return { ok: false, error: `no NTP answer from ${server} within ${this.ntpTimeoutSeconds} s` };
    }
    const last =
      output
        .trim()
        .split("\n")
        .filter((l) => l.trim() !== "")
        .pop() ?? "";
    return { ok: false, error: `chronyd -Q failed (exit ${result.code ?? "killed"}): ${last}` };
  }
}
