/**
 * Which certificate signing requests the lab approves: only the two that OKD's own node join
 * produces, for a node this run approves for, in exactly the shape the kubelet files them.
 *
 * The rules are Kubernetes' own checks for the two kubelet signers (kubernetes
 * pkg/apis/certificates/helpers.go, ValidateKubeletClientCSR / ValidateKubeletServingCSR), narrowed
 * to one node's identity:
 * - `kubernetes.io/kube-apiserver-client-kubelet`: filed by the node-bootstrapper service account
 *   (openshift/installer pkg/asset/tls/kubelet.go signs its kubeconfig for that user); subject
 *   exactly `O=system:nodes, CN=system:node:<fqdn>`; no subject alternative names; usages exactly
 *   {digital signature, client auth} or those plus key encipherment.
 * - `kubernetes.io/kubelet-serving`: filed by `system:node:<fqdn>` itself; the same subject; DNS and
 *   IP subject alternative names only, at least one, all of them this node's names and address;
 *   usages exactly {digital signature, server auth} or those plus key encipherment.
 * The kubelet builds both requests with client-go's `cert.MakeCSR`, which puts no extension in the
 * PKCS#10 request but the subject alternative names: any other extension (an extended key usage
 * such as codeSigning, basic constraints) is refused too.
 *
 * Everything here is pure: the PEM is parsed with the ASN.1 schemas of @peculiar/asn1-csr and
 * @peculiar/asn1-x509 (a structured parse, no text scraping of `openssl req -text`).
 */
import { CertificationRequest } from "@peculiar/asn1-csr";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Extensions, id_ce_subjectAltName, SubjectAlternativeName } from "@peculiar/asn1-x509";

/** The service account whose token is in the node Ignition; it files a new node's client CSR. */
export const NODE_BOOTSTRAPPER = "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper";
/** Signer of the kubelet's client certificate (its identity towards the API server). */
export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
/** Signer of the kubelet's serving certificate (port 10250: logs, exec, metrics). */
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
/** The only organization a node certificate carries. */
export const NODES_GROUP = "system:nodes";

const OID_COMMON_NAME = "2.5.4.3";
const OID_ORGANIZATION = "2.5.4.10";
/** PKCS#9 extensionRequest: the attribute holding a request's extensions. */
const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

const SUBJECT_ATTRIBUTE_NAMES: Record<string, string> = {
  [OID_COMMON_NAME]: "CN",
  [OID_ORGANIZATION]: "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "1.2.840.113549.1.9.1": "emailAddress",
};

const EXTENSION_NAMES: Record<string, string> = {
  "2.5.29.17": "subjectAltName",
  "2.5.29.15": "keyUsage",
  "2.5.29.37": "extendedKeyUsage",
  "2.5.29.19": "basicConstraints",
};

/** A node the approval may approve certificates for (the contract shared with the callers). */
export interface CsrNode {
  /** Short name, e.g. `worker`. */
  name: string;
  /** The node's name in the cluster (its hostname), e.g. `worker.okd-lab.okd.local`. */
  fqdn: string;
  /** The node's address, e.g. `10.56.0.13`. */
  ip: string;
  role: "bootstrap" | "master" | "worker";
}

/** The parts of a PKCS#10 request the policy reads. */
export interface CsrRequestContent {
  /** Subject attributes in order, e.g. `[{type: "O", value: "system:nodes"}, {type: "CN", ...}]`. */
  subject: { type: string; value: string }[];
  /** Requested extensions other than subjectAltName, by name or OID. */
  otherExtensions: string[];
  /** Subject alternative names by kind. */
  sans: { dns: string[]; ip: string[]; email: string[]; uri: string[]; other: string[] };
  /** Request attributes other than extensionRequest, by OID. */
  otherAttributes: string[];
}

/** One CertificateSigningRequest as `oc get csr -o json` lists it, with its request parsed. */
export interface ParsedCsr {
  name: string;
  signerName: string;
  /** `spec.username`: who filed it. */
  username: string;
  /** `spec.usages`. */
  usages: string[];
  request: CsrRequestContent;
}

/** A request that is not a well-formed PEM PKCS#10 request. */
export class CsrParseError extends Error {}

/** Parses a PEM certificate request (the decoded `spec.request`). */
export function parseCsrRequest(pem: string): CsrRequestContent {
  const match = /-----BEGIN CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE REQUEST-----/.exec(pem);
  if (!match) throw new CsrParseError("not a PEM certificate request");
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(Buffer.from(match[1].replace(/\s/g, ""), "base64"), CertificationRequest);
  } catch (err) {
    throw new CsrParseError(`unreadable certificate request (${(err as Error).message})`);
  }
  const info = request.certificationRequestInfo;
  const subject = info.subject.flatMap((rdn) => rdn.map((atv) => ({ type: SUBJECT_ATTRIBUTE_NAMES[atv.type] ?? atv.type, value: atv.value.toString() })));
  const sans: CsrRequestContent["sans"] = { dns: [], ip: [], email: [], uri: [], other: [] };
  const otherExtensions: string[] = [];
  const otherAttributes: string[] = [];
  for (const attribute of info.attributes) {
    if (attribute.type !== OID_EXTENSION_REQUEST) {
      otherAttributes.push(attribute.type);
      continue;
    }
    for (const value of attribute.values) {
      for (const extension of AsnConvert.parse(value, Extensions)) {
        if (extension.extnID !== id_ce_subjectAltName) {
          otherExtensions.push(EXTENSION_NAMES[extension.extnID] ?? extension.extnID);
          continue;
        }
        for (const name of AsnConvert.parse(extension.extnValue, SubjectAlternativeName)) {
          if (name.dNSName !== undefined) sans.dns.push(name.dNSName);
          else if (name.iPAddress !== undefined) sans.ip.push(name.iPAddress);
          else if (name.rfc822Name !== undefined) sans.email.push(name.rfc822Name);
          else if (name.uniformResourceIdentifier !== undefined) sans.uri.push(name.uniformResourceIdentifier);
          else sans.other.push(Object.keys(name).find((k) => (name as unknown as Record<string, unknown>)[k] !== undefined) ?? "unknown");
        }
      }
    }
  }
  return { subject, otherExtensions, sans, otherAttributes };
}

/** Which of a node's two certificates a request is for. */
export type CsrKind = "client" | "serving";

/** The verdict on one request: approve it for a node, or leave it alone and say why. */
export type CsrDecision = { approve: true; kind: CsrKind; node: CsrNode } | { approve: false; reason: string };

function refuse(reason: string): CsrDecision {
  return { approve: false, reason };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));
}

const CLIENT_USAGES = [
  ["digital signature", "key encipherment", "client auth"],
  ["digital signature", "client auth"],
];
const SERVING_USAGES = [
  ["digital signature", "key encipherment", "server auth"],
  ["digital signature", "server auth"],
];

function describeSubject(subject: CsrRequestContent["subject"]): string {
  return subject.length === 0 ? "(empty)" : subject.map((a) => `${a.type}=${a.value}`).join(", ");
}

/**
 * The decision on one CSR on its own: is it exactly what the kubelet of one of `nodes` files?
 *
 * @returns approve with the node and kind, or a refusal whose reason names the first rule broken.
 */
export function decideCsr(csr: ParsedCsr, nodes: readonly CsrNode[]): CsrDecision {
  let kind: CsrKind;
  if (csr.signerName === KUBELET_CLIENT_SIGNER) kind = "client";
  else if (csr.signerName === KUBELET_SERVING_SIGNER) kind = "serving";
  else return refuse(`signer ${csr.signerName || "(none)"} is neither ${KUBELET_CLIENT_SIGNER} nor ${KUBELET_SERVING_SIGNER}`);

  const { subject, sans, otherExtensions, otherAttributes } = csr.request;
  const organizations = subject.filter((a) => a.type === "O").map((a) => a.value);
  const commonNames = subject.filter((a) => a.type === "CN").map((a) => a.value);
  const others = subject.filter((a) => a.type !== "O" && a.type !== "CN");
  if (organizations.length !== 1 || organizations[0] !== NODES_GROUP || commonNames.length !== 1 || others.length > 0) {
    return refuse(`subject ${describeSubject(subject)} is not exactly O=${NODES_GROUP}, CN=system:node:<node>`);
  }
  const cn = commonNames[0];
  const fqdn = cn.startsWith("system:node:") ? cn.slice("system:node:".length) : undefined;
  const node = nodes.find((n) => n.fqdn === fqdn);
  if (!node) return refuse(`CN=${cn} is not system:node:<a node this run approves for> (${nodes.map((n) => n.fqdn).join(", ") || "none"})`);

  const requestor = kind === "client" ? NODE_BOOTSTRAPPER : `system:node:${node.fqdn}`;
  if (csr.username !== requestor) return refuse(`a ${kind} certificate for ${node.fqdn} is filed by ${requestor}, not ${csr.username || "(nobody)"}`);

  if (otherAttributes.length > 0) return refuse(`the request carries attributes ${otherAttributes.join(", ")} that a kubelet never adds`);
  if (otherExtensions.length > 0) return refuse(`the request carries extensions ${otherExtensions.join(", ")} that a kubelet never adds`);

  const sanList = [
    ...sans.dns.map((d) => `DNS:${d}`),
    ...sans.ip.map((i) => `IP:${i}`),
    ...sans.email.map((e) => `email:${e}`),
    ...sans.uri.map((u) => `URI:${u}`),
    ...sans.other,
  ];
  if (kind === "client") {
    if (sanList.length > 0) return refuse(`a client certificate has no subject alternative names; this one asks for ${sanList.join(", ")}`);
  } else {
    const ownNames = [node.fqdn, node.name];
    const foreign = [
      ...sans.dns.filter((d) => !ownNames.includes(d)).map((d) => `DNS:${d}`),
      ...sans.ip.filter((i) => i !== node.ip).map((i) => `IP:${i}`),
      ...sans.email.map((e) => `email:${e}`),
      ...sans.uri.map((u) => `URI:${u}`),
      ...sans.other,
    ];
    if (foreign.length > 0)
      return refuse(`subject alternative names ${foreign.join(", ")} are not ${node.fqdn}'s (allowed: DNS:${node.fqdn}, DNS:${node.name}, IP:${node.ip})`);
    if (sanList.length === 0) return refuse("a serving certificate needs at least one DNS or IP subject alternative name");
  }

  const allowed = kind === "client" ? CLIENT_USAGES : SERVING_USAGES;
  if (!allowed.some((set) => sameSet(csr.usages, set))) {
    return refuse(`usages [${csr.usages.join(", ")}] are not exactly [${allowed[0].join(", ")}] or [${allowed[1].join(", ")}]`);
  }
  return { approve: true, kind, node };
}

/** What one polling round knows besides the pending CSRs. */
export interface CsrRoundState {
  /** The nodes this run approves for. */
  nodes: readonly CsrNode[];
  /** FQDNs of the nodes that are Ready now. */
  ready: readonly string[];
  /** What this run approved already, per node FQDN and kind. */
  approved: readonly { fqdn: string; kind: CsrKind; name: string }[];
}

/**
 * The decisions on every pending CSR of one round: each must pass {@link decideCsr}, and a node
 * gets at most the two certificates one join needs: one client certificate while it is not Ready,
 * one serving certificate, each once per run. Two acceptable requests for the same node and kind
 * at once are both refused (one of them is not the kubelet's): the message says how to choose.
 */
export function decideCsrRound(pending: readonly ParsedCsr[], state: CsrRoundState): { name: string; decision: CsrDecision }[] {
  const decisions = pending.map((csr) => ({ name: csr.name, decision: decideCsr(csr, state.nodes) }));
  const candidates = new Map<string, string[]>();
  for (const { name, decision } of decisions) {
    if (!decision.approve) continue;
    const key = `${decision.kind} ${decision.node.fqdn}`;
    candidates.set(key, [...(candidates.get(key) ?? []), name]);
  }
  return decisions.map(({ name, decision }) => {
    if (!decision.approve) return { name, decision };
    const { kind, node } = decision;
    const earlier = state.approved.find((a) => a.fqdn === node.fqdn && a.kind === kind);
    if (earlier) return { name, decision: refuse(`this run approved ${node.fqdn}'s ${kind} certificate already (${earlier.name}); a join needs one`) };
    if (kind === "client" && state.ready.includes(node.fqdn)) {
      return { name, decision: refuse(`${node.fqdn} is Ready: it has its client certificate, a new one is not part of a join`) };
    }
    const rivals = candidates.get(`${kind} ${node.fqdn}`)!;
    if (rivals.length > 1) {
      return {
        name,
        decision: refuse(
          `${rivals.length} pending ${kind} requests for ${node.fqdn} (${rivals.join(", ")}), a join files one: ` +
            "check them with 'oc describe csr' and approve the kubelet's own by hand",
        ),
      };
    }
    return { name, decision };
  });
}
