/**
 * The CSR policy on real requests made by openssl: exactly the two shapes a joining kubelet files
 * are approved, each refused shape names the rule it breaks.
 */
import {
  CsrNode,
  decideCsr,
  decideCsrRound,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  NODE_BOOTSTRAPPER,
  parseCsrRequest,
  ParsedCsr,
} from "../../host/csrPolicy";
import { opensslRequest, RequestShape } from "../fixtures/csrs";

const worker: CsrNode = { name: "worker", fqdn: "worker.okd-lab.okd.local", ip: "10.56.0.13", role: "worker" };
const worker2: CsrNode = { name: "worker2", fqdn: "worker2.okd-lab.okd.local", ip: "10.56.0.14", role: "worker" };
const master: CsrNode = { name: "master", fqdn: "master.okd-lab.okd.local", ip: "10.56.0.12", role: "master" };
const nodes = [master, worker, worker2];
const WORKER_SUBJ = "/O=system:nodes/CN=system:node:worker.okd-lab.okd.local";

function csr(shape: RequestShape, spec: { signerName: string; username: string; usages: string[]; name?: string }): ParsedCsr {
  return {
    name: spec.name ?? "csr-x",
    signerName: spec.signerName,
    username: spec.username,
    usages: spec.usages,
    request: parseCsrRequest(opensslRequest(shape)),
  };
}
const client = (shape: RequestShape, over: Partial<{ username: string; usages: string[]; signerName: string; name: string }> = {}) =>
  csr(shape, { signerName: KUBELET_CLIENT_SIGNER, username: NODE_BOOTSTRAPPER, usages: ["digital signature", "client auth"], ...over });
const serving = (shape: RequestShape, over: Partial<{ username: string; usages: string[]; signerName: string; name: string }> = {}) =>
  csr(shape, { signerName: KUBELET_SERVING_SIGNER, username: "system:node:worker.okd-lab.okd.local", usages: ["digital signature", "server auth"], ...over });

describe("accepted shapes", () => {
  it.each([
    ["client, ECDSA usages", client({ subj: WORKER_SUBJ })],
    ["client, RSA usages", client({ subj: WORKER_SUBJ }, { usages: ["key encipherment", "digital signature", "client auth"] })],
    ["serving, FQDN and address", serving({ subj: WORKER_SUBJ, san: "DNS:worker.okd-lab.okd.local,IP:10.56.0.13" })],
    [
      "serving, short name only, RSA usages",
      serving({ subj: WORKER_SUBJ, san: "DNS:worker" }, { usages: ["digital signature", "key encipherment", "server auth"] }),
    ],
    ["serving, subject attributes in the other order", serving({ subj: "/CN=system:node:worker.okd-lab.okd.local/O=system:nodes", san: "IP:10.56.0.13" })],
  ])("%s is approved for worker", (_, request) => {
    const decision = decideCsr(request, nodes);
    expect(decision).toEqual({ approve: true, kind: request.signerName === KUBELET_CLIENT_SIGNER ? "client" : "serving", node: worker });
  });
});

describe("refused shapes", () => {
  const apiSans = "DNS:api.okd-lab.okd.local,DNS:*.apps.okd-lab.okd.local,DNS:www.example.com";
  it.each([
    [
      "O=system:masters instead of system:nodes",
      client({ subj: "/O=system:masters/CN=system:node:worker.okd-lab.okd.local" }),
      "subject O=system:masters, CN=system:node:worker.okd-lab.okd.local is not exactly O=system:nodes, CN=system:node:<node>",
    ],
    [
      "O=system:masters besides system:nodes",
      client({ subj: "/O=system:nodes/O=system:masters/CN=system:node:worker.okd-lab.okd.local" }),
      "subject O=system:nodes, O=system:masters, CN=system:node:worker.okd-lab.okd.local is not exactly O=system:nodes, CN=system:node:<node>",
    ],
    [
      "an extra OU",
      client({ subj: "/O=system:nodes/OU=x/CN=system:node:worker.okd-lab.okd.local" }),
      "subject O=system:nodes, OU=x, CN=system:node:worker.okd-lab.okd.local is not exactly O=system:nodes, CN=system:node:<node>",
    ],
    [
      "a generic client signer",
      client({ subj: WORKER_SUBJ }, { signerName: "kubernetes.io/kube-apiserver-client" }),
      "signer kubernetes.io/kube-apiserver-client is neither kubernetes.io/kube-apiserver-client-kubelet nor kubernetes.io/kubelet-serving",
    ],
    [
      "a client certificate with API and ingress names",
      client({ subj: WORKER_SUBJ, san: apiSans }),
      "a client certificate has no subject alternative names; this one asks for DNS:api.okd-lab.okd.local, DNS:*.apps.okd-lab.okd.local, DNS:www.example.com",
    ],
    [
      "a client certificate with an extended key usage codeSigning",
      client({ subj: WORKER_SUBJ, addext: ["extendedKeyUsage=codeSigning"] }),
      "the request carries extensions extendedKeyUsage that a kubelet never adds",
    ],
    [
      "a client certificate with basic constraints CA",
      client({ subj: WORKER_SUBJ, addext: ["basicConstraints=critical,CA:TRUE"] }),
      "the request carries extensions basicConstraints that a kubelet never adds",
    ],
    [
      "code signing in spec.usages",
      client({ subj: WORKER_SUBJ }, { usages: ["digital signature", "client auth", "code signing"] }),
      "usages [digital signature, client auth, code signing] are not exactly [digital signature, key encipherment, client auth] or [digital signature, client auth]",
    ],
    [
      "server auth on the client signer",
      client({ subj: WORKER_SUBJ }, { usages: ["digital signature", "server auth"] }),
      "usages [digital signature, server auth] are not exactly [digital signature, key encipherment, client auth] or [digital signature, client auth]",
    ],
    [
      "a client certificate requested by a node",
      client({ subj: WORKER_SUBJ }, { username: "system:node:worker.okd-lab.okd.local" }),
      `a client certificate for worker.okd-lab.okd.local is filed by ${NODE_BOOTSTRAPPER}, not system:node:worker.okd-lab.okd.local`,
    ],
    [
      "a client certificate requested by another service account",
      client({ subj: WORKER_SUBJ }, { username: "system:serviceaccount:default:someone" }),
      `a client certificate for worker.okd-lab.okd.local is filed by ${NODE_BOOTSTRAPPER}, not system:serviceaccount:default:someone`,
    ],
    [
      "a serving certificate with the master's names requested by node-bootstrapper",
      serving(
        { subj: "/O=system:nodes/CN=system:node:master.okd-lab.okd.local", san: "DNS:master.okd-lab.okd.local,IP:10.56.0.12" },
        { username: NODE_BOOTSTRAPPER },
      ),
      `a serving certificate for master.okd-lab.okd.local is filed by system:node:master.okd-lab.okd.local, not ${NODE_BOOTSTRAPPER}`,
    ],
    [
      "system:node:worker2 asking for worker's certificate",
      serving({ subj: WORKER_SUBJ, san: "DNS:worker.okd-lab.okd.local,IP:10.56.0.13" }, { username: "system:node:worker2.okd-lab.okd.local" }),
      "a serving certificate for worker.okd-lab.okd.local is filed by system:node:worker.okd-lab.okd.local, not system:node:worker2.okd-lab.okd.local",
    ],
    [
      "a serving certificate with the API names",
      serving({ subj: WORKER_SUBJ, san: `DNS:worker.okd-lab.okd.local,${apiSans}` }),
      "subject alternative names DNS:api.okd-lab.okd.local, DNS:*.apps.okd-lab.okd.local, DNS:www.example.com are not worker.okd-lab.okd.local's (allowed: DNS:worker.okd-lab.okd.local, DNS:worker, IP:10.56.0.13)",
    ],
    [
      "a serving certificate with the master's address",
      serving({ subj: WORKER_SUBJ, san: "DNS:worker.okd-lab.okd.local,IP:10.56.0.12" }),
      "subject alternative names IP:10.56.0.12 are not worker.okd-lab.okd.local's (allowed: DNS:worker.okd-lab.okd.local, DNS:worker, IP:10.56.0.13)",
    ],
    [
      "a serving certificate with an email and a URI",
      serving({ subj: WORKER_SUBJ, san: "DNS:worker,email:a@example.com,URI:https://example.com" }),
      "subject alternative names email:a@example.com, URI:https://example.com are not worker.okd-lab.okd.local's (allowed: DNS:worker.okd-lab.okd.local, DNS:worker, IP:10.56.0.13)",
    ],
    ["a serving certificate with no names", serving({ subj: WORKER_SUBJ }), "a serving certificate needs at least one DNS or IP subject alternative name"],
    [
      "a serving certificate with client auth",
      serving({ subj: WORKER_SUBJ, san: "DNS:worker" }, { usages: ["digital signature", "server auth", "client auth"] }),
      "usages [digital signature, server auth, client auth] are not exactly [digital signature, key encipherment, server auth] or [digital signature, server auth]",
    ],
    [
      "a node this run does not approve for",
      client({ subj: "/O=system:nodes/CN=system:node:intruder.okd-lab.okd.local" }),
      "CN=system:node:intruder.okd-lab.okd.local is not system:node:<a node this run approves for> (master.okd-lab.okd.local, worker.okd-lab.okd.local, worker2.okd-lab.okd.local)",
    ],
    [
      "a CN that is not a node name",
      client({ subj: "/O=system:nodes/CN=kube-admin" }),
      "CN=kube-admin is not system:node:<a node this run approves for> (master.okd-lab.okd.local, worker.okd-lab.okd.local, worker2.okd-lab.okd.local)",
    ],
  ])("%s", (_, request, reason) => {
    expect(decideCsr(request, nodes)).toEqual({ approve: false, reason });
  });
});

describe("one join per node per run", () => {
  const clientFor = (node: CsrNode, name: string) => client({ subj: `/O=system:nodes/CN=system:node:${node.fqdn}` }, { name });
  it("approves one client request per node that is not Ready", () => {
    const round = decideCsrRound([clientFor(worker, "a"), clientFor(worker2, "b")], { nodes, ready: [worker2.fqdn], approved: [] });
    expect(round).toEqual([
      { name: "a", decision: { approve: true, kind: "client", node: worker } },
      { name: "b", decision: { approve: false, reason: "worker2.okd-lab.okd.local is Ready: it has its client certificate, a new one is not part of a join" } },
    ]);
  });
  it("refuses a second client request after this run approved one", () => {
    const round = decideCsrRound([clientFor(worker, "again")], { nodes, ready: [], approved: [{ fqdn: worker.fqdn, kind: "client", name: "first" }] });
    expect(round[0].decision).toEqual({
      approve: false,
      reason: "this run approved worker.okd-lab.okd.local's client certificate already (first); a join needs one",
    });
  });
  it("refuses both of two rival requests for the same node", () => {
    const round = decideCsrRound([clientFor(worker, "a"), clientFor(worker, "b")], { nodes, ready: [], approved: [] });
    const reason =
      "2 pending client requests for worker.okd-lab.okd.local (a, b), a join files one: check them with 'oc describe csr' and approve the kubelet's own by hand";
    expect(round.map((r) => r.decision)).toEqual([
      { approve: false, reason },
      { approve: false, reason },
    ]);
  });
  it("approves the serving request of a node that is Ready already", () => {
    const request = serving({ subj: WORKER_SUBJ, san: "DNS:worker.okd-lab.okd.local" }, { name: "s" });
    const round = decideCsrRound([request], { nodes, ready: [worker.fqdn], approved: [{ fqdn: worker.fqdn, kind: "client", name: "c" }] });
    expect(round).toEqual([{ name: "s", decision: { approve: true, kind: "serving", node: worker } }]);
  });
});

describe("parseCsrRequest", () => {
  it("reads the subject, names and extensions of an openssl request", () => {
    const parsed = parseCsrRequest(
      opensslRequest({ subj: WORKER_SUBJ, san: "DNS:a,IP:10.0.0.1,URI:https://u,email:e@x", addext: ["keyUsage=digitalSignature"] }),
    );
    expect(parsed).toEqual({
      subject: [
        { type: "O", value: "system:nodes" },
        { type: "CN", value: "system:node:worker.okd-lab.okd.local" },
      ],
      otherExtensions: ["keyUsage"],
      sans: { dns: ["a"], ip: ["10.0.0.1"], email: ["e@x"], uri: ["https://u"], other: [] },
      otherAttributes: [],
    });
  });
  it("refuses what is not a PEM request", () => {
    expect(() => parseCsrRequest("hello")).toThrow("not a PEM certificate request");
  });
});
