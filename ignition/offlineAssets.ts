/**
 * Stand-in role configs for `npm run render`, which runs where openshift-install cannot (no
 * installer binary, no release payload). They have the shape of the installer's outputs so the
 * per-node Ignition rendered from them looks and validates like the real thing; they can boot
 * nothing. The real role configs come from openshift-install (see installerScript.ts).
 *
 * Pure: the plan in, JSON strings out.
 */
import { createCipheriv, createHash } from "node:crypto";
import { LabPlan } from "../plan/labPlan";
import { IGNITION_VERSION } from "./nodeIgnition";

/**
 * A self-signed CA certificate made ONCE for the offline render with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null
 * -subj "/OU=okd-lab/CN=okd-lab offline render placeholder CA" -days 3650` and committed here.
 * Its private key was never stored, so nothing can be signed with it. openshift-install mints the
 * real root CA per asset directory.
 */
export const OFFLINE_RENDER_CA_PEM =
  [
    "-----BEGIN CERTIFICATE-----",
    "MIIBxjCCAWygAwIBAgIBATAKBggqhkjOPQQDAjBCMRAwDgYDVQQLDAdva2QtbGFi",
    "MS4wLAYDVQQDDCVva2QtbGFiIG9mZmxpbmUgcmVuZGVyIHBsYWNlaG9sZGVyIENB",
    "MB4XDTI2MTEyNjA5NDQ1NFoXDTM2MTEyMzA5NDQ1NFowQjEQMA4GA1UECwwHb2tk",
    "LWxhYjEuMCwGA1UEAwwlb2tkLWxhYiBvZmZsaW5lIHJlbmRlciBwbGFjZWhvbGRl",
    "ciBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNOC7+QsTgwd/sT7XyMHKIYh",
    "Sxw7pjwpjv+Elet7cLkesErVsl4ACoMvJrjGBqidESSqwDvkwuCr+3i5LQ1q+n2j",
    "UzBRMB0GA1UdDgQWBBS5RKy1qIxOMeK6jLIsiK0uZqkNdDAfBgNVHSMEGDAWgBS5",
    "RKy1qIxOMeK6jLIsiK0uZqkNdDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMC",
    "A0gAMEUCIQDcgHS/CFqAq3cwv1QT9tMln1E+ILUP8AoSQPfR17uGSwIgIFB7S0TV",
    "pAS5fMKTyaBcyoDsd0bx4jJbLm9/pNmH840=",
    "-----END CERTIFICATE-----",
  ].join("\n") + "\n";

/** The three role configs, as JSON text. */
export interface RoleConfigs {
  /** Stand-in for bootstrap.ign. */
  bootstrap: string;
  /** Stand-in for master.ign. */
  master: string;
  /** Stand-in for worker.ign. */
  worker: string;
}

/**
 * The size of a real bootstrap.ign at its upper end, in bytes (1.5 MB): openshift-install's
 * bootstrap config carries the cluster's certificates, keys and manifests and weighs hundreds of
 * KB to over 1 MB. The stand-ins (offline render, fake installer) are at least this big, so the
 * path from the installer's stdout to the Ignition volume is exercised at size.
 */
export const REAL_BOOTSTRAP_IGNITION_BYTES = 1_500_000;

/**
 * `bytes` of deterministic, incompressible filler (AES-128-CTR keystream keyed by `seed`): stands
 * in for the keys, certificates and binaries of a real bootstrap.ign. Pure: same seed, same bytes.
 */
export function fillerBytes(seed: string, bytes: number): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(bytes));
}

function base64DataUrl(text: string): string {
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text, "utf8").toString("base64")}`;
}

/**
 * A pointer config like the installer's master.ign/worker.ign: merge the role's config from the
 * machine-config server behind `api-int` on 22623, trusting the cluster root CA (FACTS §3).
 */
function pointerConfig(plan: LabPlan, role: "master" | "worker"): string {
  return JSON.stringify({
    ignition: {
      version: IGNITION_VERSION,
      config: { merge: [{ source: `https://api-int.${plan.cluster.domain}:22623/config/${role}` }] },
      security: { tls: { certificateAuthorities: [{ source: base64DataUrl(OFFLINE_RENDER_CA_PEM) }] } },
    },
  });
}

/**
 * Role configs for the offline render, labelled as such.
 *
 * master and worker are pointer configs of the installer's exact shape, with
 * {@link OFFLINE_RENDER_CA_PEM} as the CA; bootstrap is an Ignition 3.2.0 config with a marker
 * file, the placeholder CA and a filler file that brings it to {@link REAL_BOOTSTRAP_IGNITION_BYTES},
 * where the real bootstrap.ign carries the bootstrap control plane and private keys.
 * @param plan the lab plan; `cluster.domain` names the machine-config server.
 * @returns JSON texts, e.g. `master` = `{"ignition":{"version":"3.2.0","config":{"merge":[{"source":"https://api-int.okd-lab.okd.local:22623/config/master"}]},...}}`.
 */
export function offlineRoleConfigs(plan: LabPlan): RoleConfigs {
  const marker =
    [
      "This node was rendered by `npm run render` for review only.",
      "Its bootstrap Ignition is a placeholder: the real bootstrap.ign comes from openshift-install.",
      `Cluster: ${plan.cluster.domain}`,
    ].join("\n") + "\n";
  const bootstrap = JSON.stringify({
    ignition: { version: IGNITION_VERSION },
    storage: {
      files: [
        { path: "/etc/okd-lab/offline-render-placeholder", mode: 0o644, overwrite: true, contents: { source: base64DataUrl(marker) } },
        { path: "/opt/openshift/tls/root-ca.crt", mode: 0o644, overwrite: true, contents: { source: base64DataUrl(OFFLINE_RENDER_CA_PEM) } },
        {
          path: "/etc/okd-lab/offline-render-filler",
          mode: 0o600,
          overwrite: true,
          // 3 bytes become 4 in base64: this brings the config just past the real size.
          contents: { source: `data:;base64,${fillerBytes(plan.cluster.domain, Math.ceil((REAL_BOOTSTRAP_IGNITION_BYTES * 3) / 4)).toString("base64")}` },
        },
      ],
    },
  });
  return { bootstrap, master: pointerConfig(plan, "master"), worker: pointerConfig(plan, "worker") };
}
