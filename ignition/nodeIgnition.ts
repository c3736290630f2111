/**
 * Per-node Ignition: a small Ignition 3.2.0 config that merges the role config from
 * openshift-install (bootstrap.ign, master.ign or worker.ign) and adds what differs per node.
 *
 * Pure: strings in, a JSON string out. The result embeds the role config, which for the bootstrap
 * holds private keys, so callers treat it as a secret.
 */
import { gzipSync } from "node:zlib";
import { FcosNodePlan } from "../plan/labPlan";

/** The Ignition spec OKD 4.12/4.13 FCOS boot images accept (Butane `openshift` 4.12/4.13 variants emit it). */
export const IGNITION_VERSION = "3.2.0";

/** A file written by Ignition on first boot. */
export interface IgnitionFile {
  /** Absolute path on the node, e.g. `/etc/chrony.conf`. */
  path: string;
  /** File content as text, e.g. `server 10.56.0.10 iburst\n`. */
  content: string;
  /** Permission bits as a number, e.g. `0o644` (420 decimal). */
  mode: number;
}

/** Inputs of {@link renderNodeIgnition}. */
export interface NodeIgnitionArgs {
  /** The node from the plan; its `fqdn` becomes `/etc/hostname`. */
  node: FcosNodePlan;
  /** The role config text from openshift-install, e.g. the content of `master.ign`. */
  roleConfig: string;
  /** OpenSSH public key lines for the `core` user, e.g. `["ssh-ed25519 AAAA... you@host"]`. */
  sshAuthorizedKeys: string[];
  /** More files for this node, e.g. `/etc/chrony.conf` for the bootstrap; default none. */
  extraFiles?: IgnitionFile[];
}

/** A `data:` URL carrying `text` as base64, the form Ignition accepts for configs and file contents. */
export function dataUrl(text: string): string {
  return `data:;base64,${Buffer.from(text, "utf8").toString("base64")}`;
}

/**
 * The role config as a gzip-compressed `data:` URL. A real bootstrap.ign is 0.3 to 1.5 MB of
 * JSON, mostly base64; plain base64 would add a third, and Ignition reads the whole wrapper
 * through QEMU's fw_cfg, slowly (it warns past 10 s). Compressed, the wrapper stays about the
 * role config's size. `compression` on a config source exists since Ignition spec 3.1.0.
 * zlib's gzip output is a pure function of its input (header mtime 0), so renders stay stable.
 */
export function gzipDataUrl(text: string): string {
  return `data:;base64,${gzipSync(Buffer.from(text, "utf8")).toString("base64")}`;
}

const HOSTNAME_PATH = "/etc/hostname";

/**
 * Renders the Ignition config handed to one node through fw_cfg.
 *
 * Merge semantics: this wrapper is the parent and the role config the child, and in Ignition a
 * merged child overrides its parent. The installer's configs write neither `/etc/hostname` nor
 * `/etc/chrony.conf`, so the files here survive; SSH keys are a list of values and are appended to
 * the ones from install-config.yaml.
 *
 * The host name is the node's FQDN, e.g. `master.okd-lab.okd.local`: OKD's UPI documentation has
 * nodes take their name from the PTR record of their address, and the plan's PTR records point at
 * exactly this FQDN. Writing it statically gives the same name the PTR lookup would, from the very
 * first boot and without depending on DNS timing, so the kubelet registers as that FQDN and the
 * `system:node:<fqdn>` serving CSR matches the name the plan knows.
 * @param args the node, its role config, the SSH keys and any extra files.
 * @returns Ignition 3.2.0 JSON, e.g. `{"ignition":{"version":"3.2.0","config":{"merge":[...]}},...}`.
 * @throws Error when two files share a path, a path is not absolute, or a mode is out of range.
 */
export function renderNodeIgnition(args: NodeIgnitionArgs): string {
  const files: IgnitionFile[] = [
    // hostname(5): a single newline-terminated name.
    { path: HOSTNAME_PATH, content: `${args.node.fqdn}\n`, mode: 0o644 },
    ...(args.extraFiles ?? []),
  ];
  const seen = new Set<string>();
  for (const file of files) {
    if (!file.path.startsWith("/")) throw new Error(`Ignition file path must be absolute: ${file.path}`);
    if (seen.has(file.path)) throw new Error(`Ignition file ${file.path} is given twice for node ${args.node.name}`);
    if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o7777) {
      throw new Error(`Ignition file ${file.path} has mode ${file.mode}; use permission bits such as 0o644`);
    }
    seen.add(file.path);
  }
  const config = {
    ignition: {
      version: IGNITION_VERSION,
      config: { merge: [{ compression: "gzip", source: gzipDataUrl(args.roleConfig) }] },
    },
    passwd: { users: [{ name: "core", sshAuthorizedKeys: [...args.sshAuthorizedKeys] }] },
    storage: {
      files: files.map((f) => ({
        path: f.path,
        mode: f.mode,
        // Ignition 3 files default to overwrite=false and fail when the path exists; the image
        // ships /etc/chrony.conf, so replace it (Ignition docs, migrating configs 2.x -> 3.0).
        overwrite: true,
        contents: { source: dataUrl(f.content) },
      })),
    },
  };
  return JSON.stringify(config);
}
