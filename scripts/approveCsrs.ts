/**
 * The stack's opt-in CSR approval (`okd-lab:approveCsrs: true`) as a command: the program's
 * `approve-csrs` local command runs it with one argument, the JSON of `CsrApprovalRequest` (host/csrApproval.ts)
 * (no shell in between). It approves through host/csrApproval.ts and exits 1 with the reason when
 * the nodes do not join in time, 2 on a malformed request.
 *
 * @example node -r ts-node/register/transpile-only scripts/approveCsrs.ts '{"oc":"oc","kubeconfig":".okd/dev/auth/kubeconfig","timeoutSeconds":3600,"nodes":[{"name":"worker","fqdn":"worker.okd-lab.okd.local","ip":"10.56.0.13","role":"worker"}]}'
 */
import { approveLabCsrs, CsrApprovalTimeout, parseCsrApprovalRequest } from "../host/csrApproval";

async function main(): Promise<number> {
  const log = (line: string) => process.stderr.write(`okd-lab approve-csrs: ${line}\n`);
  const request = parseCsrApprovalRequest(process.argv[2] ?? "");
  if (Array.isArray(request)) {
    for (const problem of request) log(`bad request: ${problem}`);
    return 2;
  }
  try {
    const result = await approveLabCsrs({ ...request, log });
    log(`approved ${result.approved.length}, left alone ${result.refused.length}, Ready: ${result.ready.join(", ") || "(none)"}`);
    return 0;
  } catch (err) {
    if (err instanceof CsrApprovalTimeout) {
      log(err.message);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
