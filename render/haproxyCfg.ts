/**
 * The infra node's /etc/haproxy/haproxy.cfg: one TCP frontend and backend per load-balanced
 * service of the plan (API 6443, machine-config 22623, ingress 80 and 443) and a stats page on the
 * node's loopback.
 *
 * Pure: every address, port, server and health check comes from `LabPlan.loadBalancer`. The
 * stats password is not an input: the file names an environment variable that HAProxy expands
 * at start, and the value travels separately as a secret environment file.
 */
import { BackendServer, HealthCheck, LoadBalancedService, LoadBalancerPlan } from "../plan/labPlan";

/**
 * Environment variable holding the stats page password, expanded by HAProxy inside double quotes
 * (HAProxy configuration manual 2.3 "Environment variables"); e.g. `OKD_LAB_STATS_PASSWORD=s3cret`
 * in the secret environment file.
 */
export const STATS_PASSWORD_ENV = "OKD_LAB_STATS_PASSWORD";

/**
 * The runtime API socket, e.g. for `echo "show stat" | socat stdio /var/lib/haproxy/stats`.
 * Its directory must exist before HAProxy starts (HAProxy creates the socket, not the directory):
 * `/var/lib/haproxy` is created by the haproxy package on EL9 and Debian, and EL9's stock
 * configuration keeps its socket at this very path, so SELinux already labels it for HAProxy.
 */
export const HAPROXY_ADMIN_SOCKET = "/var/lib/haproxy/stats";

/*
 * Health-check timing. OKD's UPI load-balancer requirements: probe every 5-10 s, a server is down
 * after 3 failed probes and up after 2, and a dead API server leaves the pool within 30 s.
 *
 * How HAProxy schedules a check (src/check.c, 2.4-2.6): the next check starts `srv_getinter()`
 * after the previous one *ended*; that is `inter` while the server is fully up and `fastinter`
 * once a check has failed (health below its maximum). A check may spend min(timeout connect, inter)
 * connecting, TLS handshake included, and then `timeout check` waiting for the answer.
 *
 * Worst case for a dead server, counted from the end of its last successful check:
 *   inter 5 s (wait) + check 1 fails after 5 s (connect timeout on a powered-off node, or read
 *   timeout on a hung API) + fastinter 2 s + check 2, 5 s + fastinter 2 s + check 3, 5 s = 24 s.
 * A refused connection (process dead) fails at once: about 9 s. Without fastinter the same sum is
 * 5 + 5 + 5 + 5 + 5 + 5 = 30 s, exactly the limit, hence fastinter 2s. The one slower path is a
 * TLS handshake that itself takes almost 5 s followed by an answer that never comes (10 s per
 * check, 39 s in all); a stopping kube-apiserver does not behave so, it fails /readyz quickly.
 * Measured with HAProxy 2.6 and a plain-HTTP probe against a server that stopped answering: DOWN
 * 24.0 s after the end of its last successful check.
 */
const CHECK_INTER = "5s";
const CHECK_FASTINTER = "2s";
const CHECK_TIMEOUT = "5s";
const CONNECT_TIMEOUT = "5s";
const FALL = 3;
const RISE = 2;

/** The backend lines that make `check` a layer-7 probe; HAProxy sends `GET <path> HTTP/1.0`. */
function checkLines(check: HealthCheck): string[] {
  return [`  option httpchk GET ${check.path}`, "  http-check expect status 200"];
}

/** One `server` line: traffic goes to `server.port`, the probe to `check.port` with `check.scheme`. */
function serverLine(server: BackendServer, check: HealthCheck): string {
  const words = ["server", server.name, `${server.ip}:${server.port}`, "check"];
  switch (check.scheme) {
    case "https":
      // kube-apiserver and the machine-config server answer only over TLS with certificates of
      // the cluster's own CA; the probe only needs the status code, so it does not verify them.
      // In TCP mode without `ssl` on the line, `verify none` touches the probe alone.
      words.push("check-ssl", "verify", "none");
      break;
    case "http":
      break;
    default: {
      const unreachable: never = check.scheme;
      throw new Error(`renderHaproxyCfg: unknown health check scheme ${String(unreachable)}`);
    }
  }
  // The router answers its health check on 1936, not on the 80/443 it serves.
  if (check.port !== server.port) words.push("port", String(check.port));
  return `  ${words.join(" ")}`;
}

/** A frontend on `bindAddress:port` and the backend of the same name behind it. */
function serviceLines(service: LoadBalancedService, bindAddress: string): string[] {
  return [
    "",
    `frontend ${service.name}`,
    `  bind ${bindAddress}:${service.port}`,
    `  default_backend ${service.name}`,
    "",
    `backend ${service.name}`,
    // OKD asks for layer-4 round robin without session persistence.
    "  balance roundrobin",
    ...checkLines(service.check),
    ...(service.servers.length === 0
      ? [`  # No node serves ${service.name} in this lab yet: HAProxy closes connections to port ${service.port}.`]
      : service.servers.map((server) => serverLine(server, service.check))),
  ];
}

/**
 * haproxy.cfg for the lab's load balancer: `global`, `defaults`, one `frontend`/`backend` pair per
 * entry of `lb.services` (named after `service.name`, e.g. `api`, `ingress-http`) and a `listen
 * stats` page on `lb.stats.bindAddress:lb.stats.port` (the node's loopback) whose password HAProxy reads from the environment variable
 * {@link STATS_PASSWORD_ENV}. A service with no servers renders a backend without servers, which
 * HAProxy accepts.
 *
 * @param lb the plan's load balancer; `lb.maxconn` connections at most (global), e.g. 20000.
 * @returns the file content, lines joined by "\n" and ending with a newline.
 * @example renderHaproxyCfg(plan.loadBalancer) // "# HAProxy configuration, generated by okd-lab...\n"
 */
export function renderHaproxyCfg(lb: LoadBalancerPlan): string {
  const lines = [
    "# HAProxy configuration, generated by okd-lab from the stack configuration.",
    "# Do not edit: the next `pulumi up` overwrites this file.",
    "",
    "global",
    "  log /dev/log local0",
    `  maxconn ${lb.maxconn}`,
    // No `daemon`: systemd runs `haproxy -Ws` (master-worker, foreground, sd_notify).
    "  user haproxy",
    "  group haproxy",
    // `expose-fd listeners` lets a reloading HAProxy 2.4 (EL9) take over the listening sockets so
    // that no connection is refused during a reload. From 2.6 the master passes them through its
    // own socketpair and the option is not needed but harmless (HAProxy configuration manual 5.1
    // "expose-fd listeners"; haproxy/haproxy issue #1803).
    `  stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin expose-fd listeners`,
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  option tcplog",
    // A connection that fails to reach a server which is dead but not yet marked down is retried
    // on another server instead of failing the client (e.g. while the bootstrap node goes away).
    "  option redispatch",
    "  retries 3",
    `  timeout connect ${CONNECT_TIMEOUT}`,
    // Kubernetes API watches stay open and idle for minutes; 1h keeps `oc get -w` and the
    // controllers' watches from being cut by the load balancer.
    "  timeout client 1h",
    "  timeout server 1h",
    // A half-closed connection (one side sent FIN) needs no hour: free it after 30 s.
    "  timeout client-fin 30s",
    "  timeout server-fin 30s",
    `  timeout check ${CHECK_TIMEOUT}`,
    "  timeout queue 1m",
    `  # Down after ${FALL} failed checks, up after ${RISE}; a server that stops answering leaves within 24 s.`,
    `  default-server inter ${CHECK_INTER} fastinter ${CHECK_FASTINTER} fall ${FALL} rise ${RISE}`,
    ...lb.services.flatMap((service) => serviceLines(service, lb.bindAddress)),
    "",
    // Unset, the variable would expand to an empty password. No conditional block guards it here:
    // negated `.if` conditions need HAProxy 2.5+ and EL9 ships 2.4. The on-node install helper
    // refuses haproxy.cfg while the variable is unset (render/infraFiles.ts).
    `# The stats password comes from the environment variable ${STATS_PASSWORD_ENV}, never from this file.`,
    // Basic authentication is clear text, so the page never listens on the lab network.
    "# The stats page listens on this node's loopback only: reach it with ssh -L (the statsTunnel output).",
    "listen stats",
    "  mode http",
    `  bind ${lb.stats.bindAddress}:${lb.stats.port}`,
    // The client timeout of the defaults is an hour; a stats request must arrive within 10 s.
    "  timeout http-request 10s",
    "  stats enable",
    "  stats uri /",
    "  stats refresh 10s",
    // HAProxy expands variables only inside double quotes; the password never enters this file.
    `  stats auth "${lb.stats.user}:\${${STATS_PASSWORD_ENV}}"`,
  ];
  return `${lines.join("\n")}\n`;
}
