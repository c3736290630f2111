/**
 * Bash scripts that fetch the CoreOS qemu image onto the libvirt host, verified and uncompressed,
 * and remove it again.
 *
 * The libvirt provider uploads a volume source as is, without decompression (FACTS §2); Fedora
 * CoreOS ships `.qcow2.xz`, CentOS Stream CoreOS `.qcow2.gz` (the stream metadata's qemu formats,
 * openshift/installer data/data/coreos/scos.json), so the image is prepared by a `local.Command`
 * first. Pure: arguments in, script text out.
 */

import { shellQuote } from "../render/shellQuote";

/** Inputs of {@link renderImageFetchScript}. */
export interface ImageFetchArgs {
  /** https URL of a `.qcow2`, `.qcow2.xz` or `.qcow2.gz`, e.g. from `openshift-install coreos print-stream-json`. */
  url: string;
  /** sha256 of the file at `url` (the compressed file for `.xz`/`.gz`), 64 lowercase hex digits. */
  sha256: string;
  /** sha256 of the decompressed image (the stream's `uncompressed-sha256`), checked after decompression when given. */
  uncompressedSha256?: string;
  /** What to check when the download's sha256 differs, e.g. `check okd-lab:bootImage.sha256 against the image's published checksum`. */
  checkHint?: string;
  /** Absolute path of the uncompressed qcow2 on the libvirt host, e.g. `/var/lib/libvirt/images/okd-lab/fcos.qcow2`. */
  dest: string;
}

/**
 * Suffix of the sidecar file that records which download `dest` came from (first line) and the
 * sha256 of `dest` itself (second line), which every reuse checks again.
 */
export const SOURCE_SHA256_SUFFIX = ".source-sha256";

function checkDest(dest: string): void {
  if (!dest.startsWith("/") || dest.endsWith("/") || /[\0\n]/.test(dest)) {
    throw new Error(`image destination ${JSON.stringify(dest)} must be an absolute file path`);
  }
}

/**
 * Renders the fetch script.
 *
 * When `dest` exists, `<dest>.source-sha256` records the same sha256 and `dest` still hashes to
 * the digest recorded for it, it is reused; a cached image that changed is downloaded again. Otherwise
 * curl downloads to a temporary file next to `dest` (same filesystem, so the final `mv` is atomic),
 * the sha256 is checked (on mismatch the download is deleted and the script exits 1 naming the
 * expected and actual digests), a `.xz` is decompressed with `xz -d` and a `.gz` with `gzip -d`,
 * the decompressed image is checked against `uncompressedSha256` when given, the image is moved
 * into place and the sidecar written. The path of the image is printed on stdout; progress goes to stderr.
 * @param args URL, expected sha256 and destination path.
 * @returns the bash script text, starting with `set -euo pipefail`.
 * @throws Error when the URL is not https, a sha256 is not 64 lowercase hex digits, or `dest` is not absolute.
 */
export function renderImageFetchScript(args: ImageFetchArgs): string {
  let pathname: string;
  try {
    const url = new URL(args.url);
    // https only: a plain http download can be changed on the way, and curl follows redirects.
    if (url.protocol !== "https:") throw new Error("scheme");
    pathname = url.pathname;
  } catch {
    throw new Error(`image URL ${JSON.stringify(args.url)} must be an https URL`);
  }
  for (const digest of [args.sha256, ...(args.uncompressedSha256 === undefined ? [] : [args.uncompressedSha256])]) {
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`image sha256 ${JSON.stringify(digest)} must be 64 lowercase hex digits`);
  }
  checkDest(args.dest);
  const decompress = pathname.endsWith(".xz") ? "xz" : pathname.endsWith(".gz") ? "gzip" : undefined;
  const checkHint = args.checkHint ?? "check okd-lab:bootImage.sha256 against the image's published checksum";

  const lines = [
    "set -euo pipefail",
    `url=${shellQuote(args.url)}`,
    `want=${shellQuote(args.sha256)}`,
    `dest=${shellQuote(args.dest)}`,
    `sidecar="$dest${SOURCE_SHA256_SUFFIX}"`,
    "log() { printf 'okd-lab image: %s\\n' \"$*\" >&2; }",
    'if [[ -f "$dest" && -f "$sidecar" && "$(sed -n 1p "$sidecar")" == "$want" ]]; then',
    "  # Re-hash on every reuse: a cached image that changed since its download is not used.",
    '  recorded=$(sed -n 2p "$sidecar")',
    "  cached=$(sha256sum -- \"$dest\" | cut -d' ' -f1)",
    '  if [[ -n "$recorded" && "$cached" == "$recorded" ]]; then',
    '    log "reusing $dest (downloaded from a file with sha256 $want; the image still hashes to $cached)"',
    "    printf '%s\\n' \"$dest\"",
    "    exit 0",
    "  fi",
    '  log "the cached $dest has sha256 $cached, not the ${recorded:-(unrecorded)} recorded at its download: downloading it again"',
    "fi",
    'mkdir -p -- "$(dirname -- "$dest")"',
    "# Temporary files next to dest: same filesystem, so the final mv is atomic.",
    'download=$(mktemp -- "$dest.download.XXXXXX")',
    'unpacked="$download.unpacked"',
    'trap \'rm -f -- "$download" "$unpacked"\' EXIT',
    'log "downloading $url"',
    'curl --fail --location --silent --show-error --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 30 --output "$download" -- "$url"',
    "actual=$(sha256sum -- \"$download\" | cut -d' ' -f1)",
    'if [[ "$actual" != "$want" ]]; then',
    `  log "ERROR: sha256 mismatch for $url: expected $want, got $actual. The download was deleted; ${checkHint.replace(/["$`\\]/g, "\\$&")}."`,
    "  exit 1",
    "fi",
    ...(decompress
      ? [`log "decompressing with ${decompress}"`, `${decompress} --decompress --stdout -- "$download" > "$unpacked"`, 'rm -f -- "$download"']
      : ['mv -f -- "$download" "$unpacked"']),
    ...(args.uncompressedSha256 === undefined
      ? []
      : [
          `want_unpacked=${shellQuote(args.uncompressedSha256)}`,
          "actual=$(sha256sum -- \"$unpacked\" | cut -d' ' -f1)",
          'if [[ "$actual" != "$want_unpacked" ]]; then',
          '  log "ERROR: the decompressed image of $url has sha256 $actual, not $want_unpacked (uncompressed-sha256). It was deleted."',
          "  exit 1",
          "fi",
        ]),
    "# Drop the old record first: a crash between the two moves then leads to a fresh download, never to",
    "# a new image trusted under an old record.",
    'rm -f -- "$sidecar"',
    'chmod 0644 -- "$unpacked"',
    'mv -f -- "$unpacked" "$dest"',
    "image=$(sha256sum -- \"$dest\" | cut -d' ' -f1)",
    'printf \'%s\\n%s\\n\' "$want" "$image" > "$sidecar.tmp"',
    'mv -f -- "$sidecar.tmp" "$sidecar"',
    'log "installed $dest"',
    "printf '%s\\n' \"$dest\"",
  ];
  return lines.join("\n") + "\n";
}

/**
 * Renders the script that removes the image, its sidecar and any leftover temporary downloads.
 * @param dest the `dest` given to {@link renderImageFetchScript}.
 * @returns the bash script text.
 * @throws Error when `dest` is not an absolute file path.
 */
export function renderImageRemoveScript(dest: string): string {
  checkDest(dest);
  const lines = [
    "set -euo pipefail",
    `dest=${shellQuote(dest)}`,
    'rm -f -- "$dest" "$dest' + SOURCE_SHA256_SUFFIX + '" "$dest' + SOURCE_SHA256_SUFFIX + '.tmp" "$dest".download.*',
    "printf 'okd-lab image: removed %s\\n' \"$dest\" >&2",
  ];
  return lines.join("\n") + "\n";
}

/**
 * Renders the check of a host-path image against its configured sha256: exits 1 naming both
 * digests and the config key when they differ, so no volume is made from an unexpected file.
 * @param args the image path, its expected sha256 and the config key holding it.
 * @throws Error when the path is not absolute or the sha256 is not 64 lowercase hex digits.
 */
export function renderImageVerifyScript(args: { path: string; sha256: string; sha256Key: string }): string {
  checkDest(args.path);
  if (!/^[0-9a-f]{64}$/.test(args.sha256)) throw new Error(`image sha256 ${JSON.stringify(args.sha256)} must be 64 lowercase hex digits`);
  return [
    "set -euo pipefail",
    `image=${shellQuote(args.path)}`,
    `want=${shellQuote(args.sha256)}`,
    'if [[ ! -r "$image" ]]; then printf \'okd-lab image: ERROR: %s is missing or unreadable\\n\' "$image" >&2; exit 1; fi',
    "actual=$(sha256sum -- \"$image\" | cut -d' ' -f1)",
    'if [[ "$actual" != "$want" ]]; then',
    `  printf 'okd-lab image: ERROR: %s has sha256 %s, but %s says %s. Fix: use the published image or correct the digest.\\n' "$image" "$actual" ${shellQuote(args.sha256Key)} "$want" >&2`,
    "  exit 1",
    "fi",
    "printf 'okd-lab image: %s matches its sha256\\n' \"$image\" >&2",
    "",
  ].join("\n");
}
