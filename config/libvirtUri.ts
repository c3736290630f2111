/**
 * The libvirt connection URI, checked before any resource exists: it reaches `virsh -c` in the
 * DHCP cleanup command that Pulumi stores in state and runs on destroy.
 *
 * libvirt's URI form (libvirt docs/uri.rst, "Connection URIs"):
 * `driver[+transport]://[username@][hostname][:port]/[path][?extraparameters]`, e.g.
 * `qemu:///system`, `qemu+ssh://root@host/system`, `qemu+unix:///system?socket=/run/libvirt/virtqemud-sock`.
 * Transports: unix, ssh, libssh, libssh2, tcp, tls, ext.
 */

const LIBVIRT_URI =
  /^[a-z][a-z0-9]*(\+(unix|ssh|libssh|libssh2|tcp|tls|ext))?:\/\/([A-Za-z0-9._~%-]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])?(:[0-9]{1,5})?\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%/=&,+-]*)?$/;

/**
 * @param uri the value to check.
 * @param source where it came from, named in the message: `libvirt:uri` or `LIBVIRT_DEFAULT_URI`.
 * @returns the error message, or undefined when `uri` is a libvirt URI.
 */
export function libvirtUriProblem(uri: string, source: "libvirt:uri" | "LIBVIRT_DEFAULT_URI"): string | undefined {
  if (LIBVIRT_URI.test(uri)) return undefined;
  const fix = source === "libvirt:uri" ? "pulumi config set libvirt:uri qemu:///system" : "export LIBVIRT_DEFAULT_URI=qemu:///system";
  return (
    `okd-lab: ${source} = ${JSON.stringify(uri)}: is not a libvirt connection URI ` +
    "(driver[+transport]://[user@][host][:port]/path[?name=value], no spaces, quotes or shell characters). " +
    `Fix: ${fix}`
  );
}
