/**
 * The image fetch script run for real with bash, curl, sha256sum, xz and gzip against an HTTPS
 * server on 127.0.0.1 that this test starts (its self-signed certificate, made by openssl, is handed
 * to curl through CURL_CA_BUNDLE); the "image" is random bytes compressed with the xz and gzip
 * CLIs. The last block takes the URL and digests from the stand-in installer's
 * `coreos print-stream-json`, as the program does.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { installerBootImage } from "../../host/bootImageChoice";
import { realHostProbe } from "../../host/hostProbe";
import { renderImageFetchScript, renderImageRemoveScript, renderImageVerifyScript, SOURCE_SHA256_SUFFIX } from "../../ignition/imageFetchScript";
import { parseLabConfig } from "../../config/labConfig";
import { requireTool, run } from "./tools";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script asynchronously: the HTTP server lives in this process and must keep answering. */
function runAsync(script: string): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, no_proxy: "127.0.0.1", NO_PROXY: "127.0.0.1", CURL_CA_BUNDLE: path.join(dir, "server.crt") };
  for (const key of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"]) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", ["-c", script], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

let dir: string;
let server: https.Server;
let base: string;
const requests = new Map<string, number>();
const served = new Map<string, Buffer>();
let image: Buffer;
let imageXz: Buffer;
let imageGz: Buffer;
let otherImage: Buffer;

beforeAll(async () => {
  const packages: [string, string][] = [
    ["bash", "bash"],
    ["curl", "curl"],
    ["sha256sum", "coreutils"],
    ["xz", "xz-utils"],
    ["gzip", "gzip"],
  ];
  for (const [tool, pkg] of packages) requireTool(tool, pkg);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-image-fetch-"));
  image = randomBytes(256 * 1024);
  fs.writeFileSync(path.join(dir, "fcos.qcow2"), image);
  expect(run(requireTool("xz", "xz-utils"), ["--keep", "--force", path.join(dir, "fcos.qcow2")]).status).toBe(0);
  imageXz = fs.readFileSync(path.join(dir, "fcos.qcow2.xz"));
  expect(run(requireTool("gzip", "gzip"), ["--keep", "--force", path.join(dir, "fcos.qcow2")]).status).toBe(0);
  imageGz = fs.readFileSync(path.join(dir, "fcos.qcow2.gz"));
  otherImage = randomBytes(64 * 1024);
  served.set("/fcos.qcow2.xz", imageXz);
  served.set("/scos.qcow2.gz", imageGz);
  // Where the stand-in installer's stream metadata points (FAKE_OPENSHIFT_INSTALL_IMAGE_BASE).
  served.set("/stream/scos-9.0.20250515-0-qemu.x86_64.qcow2.gz", imageGz);
  served.set("/stream/fedora-coreos-39.20231101.3.0-qemu.x86_64.qcow2.xz", imageXz);
  served.set("/other.qcow2", otherImage);
  const cert = run(requireTool("openssl"), [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    path.join(dir, "server.key"),
    "-out",
    path.join(dir, "server.crt"),
  ]);
  expect(cert.status).toBe(0);
  const tls = { key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.crt")) };
  server = https.createServer(tls, (req, res) => {
    const url = req.url ?? "";
    requests.set(url, (requests.get(url) ?? 0) + 1);
    const body = served.get(url);
    if (!body) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Files in the destination directory other than the image and its sidecar: leftovers. */
function leftovers(destDir: string): string[] {
  return fs.readdirSync(destDir).filter((f) => !/^image\.qcow2(\.source-sha256)?$/.test(f));
}

describe("renderImageFetchScript", () => {
  it("downloads, verifies and decompresses an .xz image, then reuses it without a second download", async () => {
    const destDir = path.join(dir, "pool-a");
    const dest = path.join(destDir, "image.qcow2");
    const script = renderImageFetchScript({ url: `${base}/fcos.qcow2.xz`, sha256: sha256(imageXz), dest });

    const first = await runAsync(script);
    expect(first.stderr).toContain("decompressing with xz");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${dest}\n`);
    expect(fs.readFileSync(dest).equals(image)).toBe(true);
    expect(fs.readFileSync(dest + SOURCE_SHA256_SUFFIX, "utf8")).toBe(`${sha256(imageXz)}\n${sha256(image)}\n`);
    expect(leftovers(destDir)).toEqual([]);
    expect(requests.get("/fcos.qcow2.xz")).toBe(1);

    const second = await runAsync(script);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`${dest}\n`);
    expect(second.stderr).toContain(`reusing ${dest} (downloaded from a file with sha256 ${sha256(imageXz)}; the image still hashes to ${sha256(image)})`);
    expect(requests.get("/fcos.qcow2.xz")).toBe(1);
  });

  it("re-hashes a cached image on reuse and downloads it again when it changed", async () => {
    const destDir = path.join(dir, "pool-f");
    const dest = path.join(destDir, "image.qcow2");
    const script = renderImageFetchScript({ url: `${base}/fcos.qcow2.xz`, sha256: sha256(imageXz), dest });
    expect((await runAsync(script)).code).toBe(0);
    const before = requests.get("/fcos.qcow2.xz")!;
    const tampered = Buffer.from(image);
    tampered[0] ^= 0xff;
    fs.writeFileSync(dest, tampered);
    const again = await runAsync(script);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(
      `the cached ${dest} has sha256 ${sha256(tampered)}, not the ${sha256(image)} recorded at its download: downloading it again`,
    );
    expect(requests.get("/fcos.qcow2.xz")).toBe(before + 1);
    expect(fs.readFileSync(dest).equals(image)).toBe(true);
  });

  it("replaces the image when the configured sha256 names another download", async () => {
    const destDir = path.join(dir, "pool-b");
    const dest = path.join(destDir, "image.qcow2");
    const first = await runAsync(renderImageFetchScript({ url: `${base}/fcos.qcow2.xz`, sha256: sha256(imageXz), dest }));
    expect(first.code).toBe(0);

    const before = requests.get("/other.qcow2") ?? 0;
    const second = await runAsync(renderImageFetchScript({ url: `${base}/other.qcow2`, sha256: sha256(otherImage), dest }));
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain("decompressing");
    expect(requests.get("/other.qcow2")).toBe(before + 1);
    expect(fs.readFileSync(dest).equals(otherImage)).toBe(true);
    expect(fs.readFileSync(dest + SOURCE_SHA256_SUFFIX, "utf8")).toBe(`${sha256(otherImage)}\n${sha256(otherImage)}\n`);
    expect(leftovers(destDir)).toEqual([]);
  });

  it("refuses a download whose sha256 differs, names both digests, deletes it and keeps the previous image", async () => {
    const destDir = path.join(dir, "pool-c");
    const dest = path.join(destDir, "image.qcow2");
    const ok = await runAsync(renderImageFetchScript({ url: `${base}/other.qcow2`, sha256: sha256(otherImage), dest }));
    expect(ok.code).toBe(0);

    const wrong = "ab".repeat(32);
    const result = await runAsync(renderImageFetchScript({ url: `${base}/fcos.qcow2.xz`, sha256: wrong, dest }));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `okd-lab image: ERROR: sha256 mismatch for ${base}/fcos.qcow2.xz: expected ${wrong}, got ${sha256(imageXz)}. The download was deleted; check okd-lab:bootImage.sha256 against the image's published checksum.`,
    );
    expect(leftovers(destDir)).toEqual([]);
    expect(fs.readFileSync(dest).equals(otherImage)).toBe(true);
    expect(fs.readFileSync(dest + SOURCE_SHA256_SUFFIX, "utf8")).toBe(`${sha256(otherImage)}\n${sha256(otherImage)}\n`);
  });

  it("fails on an HTTP error without leaving a partial file", async () => {
    const destDir = path.join(dir, "pool-d");
    const dest = path.join(destDir, "image.qcow2");
    const result = await runAsync(renderImageFetchScript({ url: `${base}/missing.qcow2.xz`, sha256: sha256(imageXz), dest }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/404/);
    expect(fs.readdirSync(destDir)).toEqual([]);
  });

  it.each([
    [
      { url: "ftp://example.test/fcos.qcow2.xz", sha256: "a".repeat(64), dest: "/var/lib/libvirt/images/fcos.qcow2" },
      'image URL "ftp://example.test/fcos.qcow2.xz" must be an https URL',
    ],
    [
      { url: "http://example.test/fcos.qcow2.xz", sha256: "a".repeat(64), dest: "/var/lib/libvirt/images/fcos.qcow2" },
      'image URL "http://example.test/fcos.qcow2.xz" must be an https URL',
    ],
    [{ url: "not a url", sha256: "a".repeat(64), dest: "/var/lib/libvirt/images/fcos.qcow2" }, 'image URL "not a url" must be an https URL'],
    [
      { url: "https://example.test/fcos.qcow2.xz", sha256: "A".repeat(64), dest: "/var/lib/libvirt/images/fcos.qcow2" },
      `image sha256 "${"A".repeat(64)}" must be 64 lowercase hex digits`,
    ],
    [
      { url: "https://example.test/fcos.qcow2.xz", sha256: "a".repeat(64), dest: "images/fcos.qcow2" },
      'image destination "images/fcos.qcow2" must be an absolute file path',
    ],
  ])("refuses invalid arguments %#", (args, message) => {
    expect(() => renderImageFetchScript(args)).toThrow(message);
  });

  it("decompresses a .gz with gzip, decided from the URL path", () => {
    expect(renderImageFetchScript({ url: "https://example.test/scos.qcow2.gz?sig=1", sha256: "a".repeat(64), dest: "/x/scos.qcow2" })).toContain(
      'gzip --decompress --stdout -- "$download" > "$unpacked"',
    );
    expect(renderImageFetchScript({ url: "https://example.test/scos.qcow2?name=a.gz", sha256: "a".repeat(64), dest: "/x/scos.qcow2" })).not.toContain(
      "--decompress",
    );
  });

  it("decides decompression from the URL path, not from a query string", () => {
    expect(renderImageFetchScript({ url: "https://example.test/fcos.qcow2.xz?sig=1", sha256: "a".repeat(64), dest: "/x/fcos.qcow2" })).toContain(
      "xz --decompress",
    );
    expect(renderImageFetchScript({ url: "https://example.test/fcos.qcow2?name=a.xz", sha256: "a".repeat(64), dest: "/x/fcos.qcow2" })).not.toContain(
      "xz --decompress",
    );
  });
});

describe("renderImageFetchScript with .gz images and the stream's uncompressed-sha256", () => {
  it("downloads, verifies and decompresses a .gz image, checking the decompressed digest", async () => {
    const destDir = path.join(dir, "pool-gz");
    const dest = path.join(destDir, "image.qcow2");
    const result = await runAsync(renderImageFetchScript({ url: `${base}/scos.qcow2.gz`, sha256: sha256(imageGz), uncompressedSha256: sha256(image), dest }));
    expect(result.stderr).toContain("decompressing with gzip");
    expect(result.code).toBe(0);
    expect(fs.readFileSync(dest).equals(image)).toBe(true);
    expect(fs.readFileSync(dest + SOURCE_SHA256_SUFFIX, "utf8")).toBe(`${sha256(imageGz)}\n${sha256(image)}\n`);
    expect(leftovers(destDir)).toEqual([]);
  });

  it("refuses a .gz download whose sha256 differs, with the hint the caller gave", async () => {
    const destDir = path.join(dir, "pool-gz-bad");
    const dest = path.join(destDir, "image.qcow2");
    const wrong = "cd".repeat(32);
    const checkHint = "the digest comes from the installer's stream metadata: the mirror served another file; try again later";
    const result = await runAsync(renderImageFetchScript({ url: `${base}/scos.qcow2.gz`, sha256: wrong, dest, checkHint }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `okd-lab image: ERROR: sha256 mismatch for ${base}/scos.qcow2.gz: expected ${wrong}, got ${sha256(imageGz)}. The download was deleted; ${checkHint}.`,
    );
    expect(fs.readdirSync(destDir)).toEqual([]);
  });

  it.each([
    ["xz", "/fcos.qcow2.xz", () => imageXz],
    ["gzip", "/scos.qcow2.gz", () => imageGz],
  ])("refuses a %s image whose decompressed sha256 differs from uncompressed-sha256, keeping nothing", async (_tool, file, body) => {
    const destDir = path.join(dir, `pool-unpacked-${_tool}`);
    const dest = path.join(destDir, "image.qcow2");
    const wrong = "ef".repeat(32);
    const result = await runAsync(renderImageFetchScript({ url: `${base}${file}`, sha256: sha256(body()), uncompressedSha256: wrong, dest }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `okd-lab image: ERROR: the decompressed image of ${base}${file} has sha256 ${sha256(image)}, not ${wrong} (uncompressed-sha256). It was deleted.`,
    );
    expect(fs.readdirSync(destDir)).toEqual([]);
  });
});

describe("the image the stand-in installer names, fetched as the program does", () => {
  const installer = path.join(__dirname, "..", "fixtures", "fake-openshift-install");
  const config = parseLabConfig({ okd: { installer } }, "dev").config;

  /** Asks the stand-in installer of `version` (with loopback locations and these digests) for its image. */
  function askInstaller(version: string, env: Record<string, string>) {
    const saved = { ...process.env };
    Object.assign(process.env, { FAKE_OPENSHIFT_INSTALL_VERSION: version, FAKE_OPENSHIFT_INSTALL_IMAGE_BASE: `${base}/stream`, ...env });
    let record;
    try {
      record = installerBootImage(config, realHostProbe());
    } finally {
      process.env = saved;
    }
    // Network rule: nothing but the loopback server may be fetched.
    if (!record.image.startsWith(`${base}/stream/`)) throw new Error(`the stand-in installer named ${record.image}, not the loopback server`);
    return record;
  }

  it.each([
    ["4.19.0-okd-scos.1", "scos", () => imageGz],
    ["4.18.0-okd-scos.5", "fcos", () => imageXz],
  ])("OKD %s: fetches the %s image with the stream's digests", async (version, family, body) => {
    const record = askInstaller(version, { FAKE_OPENSHIFT_INSTALL_SHA256: sha256(body()), FAKE_OPENSHIFT_INSTALL_UNCOMPRESSED_SHA256: sha256(image) });
    expect(record.os?.family).toBe(family);
    const dest = path.join(dir, `pool-stream-${family}`, "image.qcow2");
    const result = await runAsync(renderImageFetchScript({ url: record.image, sha256: record.sha256!, uncompressedSha256: record.uncompressedSha256, dest }));
    expect(result.code).toBe(0);
    expect(fs.readFileSync(dest).equals(image)).toBe(true);
  });

  it("stops on a stream whose sha256 does not match what the mirror serves", async () => {
    const record = askInstaller("4.19.0-okd-scos.1", { FAKE_OPENSHIFT_INSTALL_SHA256: "0".repeat(64) });
    const dest = path.join(dir, "pool-stream-bad", "image.qcow2");
    const result = await runAsync(renderImageFetchScript({ url: record.image, sha256: record.sha256!, uncompressedSha256: record.uncompressedSha256, dest }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `sha256 mismatch for ${base}/stream/scos-9.0.20250515-0-qemu.x86_64.qcow2.gz: expected ${"0".repeat(64)}, got ${sha256(imageGz)}`,
    );
    expect(fs.existsSync(dest)).toBe(false);
  });
});

describe("renderImageRemoveScript", () => {
  it("removes the image, its sidecar and leftover downloads, and succeeds when they are already gone", async () => {
    const destDir = path.join(dir, "pool-e");
    const dest = path.join(destDir, "image.qcow2");
    const fetched = await runAsync(renderImageFetchScript({ url: `${base}/other.qcow2`, sha256: sha256(otherImage), dest }));
    expect(fetched.code).toBe(0);
    fs.writeFileSync(`${dest}.download.abc123`, "partial");
    fs.writeFileSync(path.join(destDir, "unrelated.qcow2"), "keep me");

    const removed = await runAsync(renderImageRemoveScript(dest));
    expect(removed.code).toBe(0);
    expect(fs.readdirSync(destDir)).toEqual(["unrelated.qcow2"]);

    const again = await runAsync(renderImageRemoveScript(dest));
    expect(again.code).toBe(0);
  });
});

describe("renderImageVerifyScript", () => {
  it("passes a host-path image whose sha256 matches", async () => {
    const result = await runAsync(renderImageVerifyScript({ path: path.join(dir, "fcos.qcow2"), sha256: sha256(image), sha256Key: "okd-lab:fcos.sha256" }));
    expect([result.code, result.stderr]).toEqual([0, `okd-lab image: ${path.join(dir, "fcos.qcow2")} matches its sha256\n`]);
  });

  it("refuses one that does not, naming both digests and the key", async () => {
    const wrong = "cd".repeat(32);
    const file = path.join(dir, "fcos.qcow2");
    const result = await runAsync(renderImageVerifyScript({ path: file, sha256: wrong, sha256Key: "okd-lab:infra.imageSha256" }));
    expect([result.code, result.stderr]).toEqual([
      1,
      `okd-lab image: ERROR: ${file} has sha256 ${sha256(image)}, but okd-lab:infra.imageSha256 says ${wrong}. Fix: use the published image or correct the digest.\n`,
    ]);
  });

  it("refuses a missing file", async () => {
    const result = await runAsync(renderImageVerifyScript({ path: path.join(dir, "nope.qcow2"), sha256: "a".repeat(64), sha256Key: "okd-lab:fcos.sha256" }));
    expect([result.code, result.stderr]).toEqual([1, `okd-lab image: ERROR: ${path.join(dir, "nope.qcow2")} is missing or unreadable\n`]);
  });
});
