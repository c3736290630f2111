import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { renderImageFetchScript, renderImageRemoveScript, renderImageVerifyScript } from "../ignition/imageFetchScript";
import { renderPoolPermissionsXslt } from "../render/poolXslt";

/**
 * A boot image: a host path (checked against its sha256 when one is given), or an https URL
 * fetched once on the host, verified, decompressed and re-hashed whenever it is reused.
 * `sha256Key` is the config key of the digest, named when it does not match.
 */
export type BaseImage =
  | { kind: "path"; path: string; sha256?: string; sha256Key?: string }
  | {
      kind: "url";
      url: string;
      /** sha256 of the file at `url`. */
      sha256?: string;
      /** sha256 of the decompressed image, when the stream metadata names it. */
      uncompressedSha256?: string;
      /** Who named the URL: the stack config or the installer's stream metadata (for the mismatch message). */
      origin?: "config" | "installer" | "seed";
      sha256Key?: string;
    };

export interface LabStorageArgs {
  pool: { name: string; path: string };
  /** AlmaLinux 9 GenericCloud qcow2 for the infra node. */
  infraImage: BaseImage;
  /** CoreOS qemu image of the cluster nodes; URLs are fetched to `cacheDir` first (`.qcow2.xz`, `.qcow2.gz`). */
  fcosImage: BaseImage;
  /** Host folder for fetched images; removed images belong to the stack. */
  cacheDir: string;
  /** Prefix of the libvirt volume names, e.g. `okd-lab`. */
  volumePrefix: string;
}

/** The storage pool and the two read-only base volumes every node's root disk overlays. */
export class LabStorage extends pulumi.ComponentResource {
  public readonly poolName: pulumi.Output<string>;
  public readonly infraBaseVolumeId: pulumi.Output<string>;
  public readonly fcosBaseVolumeId: pulumi.Output<string>;

  constructor(name: string, args: LabStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:storage:LabStorage", name, {}, opts);
    // libvirt names are unique: a replacement must delete the old object first.
    // The directory is created 0750 root:qemu (render/poolXslt.ts): the provider writes the
    // Ignition volumes 0644, and the bootstrap's holds the cluster's CA keys. The stylesheet is
    // ForceNew in the provider: an existing pool keeps its directory (README gives the chmod).
    const pool = new libvirt.Pool(
      `${name}-pool`,
      { name: args.pool.name, type: "dir", target: { path: args.pool.path }, xml: { xslt: renderPoolPermissionsXslt() } },
      { parent: this, deleteBeforeReplace: true, ignoreChanges: ["xml"] },
    );
    // Every root disk overlays a base volume, so replacing one would replace every VM built on it.
    // The images come from the stack's record (chosen once per lab, plan/changeGuard.ts), so the
    // source never changes; no ignoreChanges, which `--replace` would honour with the old source.
    const base = { parent: this, deleteBeforeReplace: true };

    const infra = verifiedImage(`${name}-infra-image`, args.infraImage, args.cacheDir, this);
    const infraBase = new libvirt.Volume(
      `${name}-infra-base`,
      { name: `${args.volumePrefix}-almalinux9-base.qcow2`, pool: pool.name, source: infra.source, format: "qcow2" },
      { ...base, dependsOn: infra.dependsOn },
    );
    // The resource keeps its first name (`fcos-image`): a rename would replace it and the base volume.
    const fcos = verifiedImage(`${name}-fcos-image`, args.fcosImage, args.cacheDir, this);
    const fcosBase = new libvirt.Volume(
      `${name}-fcos-base`,
      { name: `${args.volumePrefix}-fcos-base.qcow2`, pool: pool.name, source: fcos.source, format: "qcow2" },
      { ...base, dependsOn: fcos.dependsOn },
    );

    this.poolName = pool.name;
    this.infraBaseVolumeId = infraBase.id;
    this.fcosBaseVolumeId = fcosBase.id;
    this.registerOutputs({ poolName: this.poolName, infraBaseVolumeId: this.infraBaseVolumeId, fcosBaseVolumeId: this.fcosBaseVolumeId });
  }
}

/**
 * The host file a base volume is made from, and the command that vouches for it: a URL is fetched
 * into `cacheDir` through the verified fetch; a host path with a sha256 is hashed before use.
 */
function verifiedImage(name: string, image: BaseImage, cacheDir: string, parent: pulumi.Resource): { source: string; dependsOn: pulumi.Resource[] } {
  const key = image.sha256Key ?? "okd-lab:bootImage.sha256";
  if (image.kind === "path") {
    if (image.sha256 === undefined) return { source: image.path, dependsOn: [] };
    const check = new command.local.Command(
      `${name}-check`,
      { create: renderImageVerifyScript({ path: image.path, sha256: image.sha256, sha256Key: key }), interpreter: ["/bin/bash", "-c"], logging: "stderr" },
      { parent },
    );
    return { source: image.path, dependsOn: [check] };
  }
  const fileName = new URL(image.url).pathname
    .split("/")
    .pop()!
    .replace(/\.(xz|gz)$/, "");
  const dest = `${cacheDir}/${fileName}`;
  const checkHint =
    image.origin === "installer"
      ? "the digest comes from the installer's stream metadata: the mirror served another file; try again later"
      : `check ${key} against the image's published checksum`;
  const fetch = new command.local.Command(
    name,
    {
      create: renderImageFetchScript({ url: image.url, sha256: image.sha256 ?? "", uncompressedSha256: image.uncompressedSha256, dest, checkHint }),
      delete: renderImageRemoveScript(dest),
      interpreter: ["/bin/bash", "-c"],
      logging: "stderr",
    },
    { parent },
  );
  return { source: dest, dependsOn: [fetch] };
}
