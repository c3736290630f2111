import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { renderImageFetchScript, renderImageRemoveScript } from "../ignition/imageFetchScript";

/** A boot image: a host path used as is, or a URL fetched (verified, decompressed) once on the host. */
export type BaseImage =
  | { kind: "path"; path: string }
  | {
      kind: "url";
      url: string;
      /** sha256 of the file at `url`. */
      sha256?: string;
      /** sha256 of the decompressed image, when the stream metadata names it. */
      uncompressedSha256?: string;
      /** Who named the URL: the stack config or the installer's stream metadata (for the mismatch message). */
      origin?: "config" | "installer" | "seed";
    };

export interface LabStorageArgs {
  pool: { name: string; path: string };
  /** AlmaLinux 9 GenericCloud qcow2 for the infra node; libvirt uploads a URL as is. */
  infraImage: string;
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
    const pool = new libvirt.Pool(
      `${name}-pool`,
      { name: args.pool.name, type: "dir", target: { path: args.pool.path } },
      { parent: this, deleteBeforeReplace: true },
    );
    // Every root disk overlays a base volume, so replacing one would replace every VM built on it.
    // The images come from the stack's record (chosen once per lab, plan/changeGuard.ts), so the
    // source never changes; no ignoreChanges, which `--replace` would honour with the old source.
    const base = { parent: this, deleteBeforeReplace: true };

    const infraBase = new libvirt.Volume(
      `${name}-infra-base`,
      { name: `${args.volumePrefix}-almalinux9-base.qcow2`, pool: pool.name, source: args.infraImage, format: "qcow2" },
      base,
    );

    let fcosSource = args.fcosImage.kind === "path" ? args.fcosImage.path : "";
    const fcosDependsOn: pulumi.Resource[] = [];
    if (args.fcosImage.kind === "url") {
      const fileName = new URL(args.fcosImage.url).pathname
        .split("/")
        .pop()!
        .replace(/\.(xz|gz)$/, "");
      const dest = `${args.cacheDir}/${fileName}`;
      const checkHint =
        args.fcosImage.origin === "installer"
          ? "the digest comes from the installer's stream metadata: the mirror served another file; try again later"
          : "check okd-lab:bootImage.sha256 against the image's published checksum";
      // The resource keeps its first name (`fcos-image`): a rename would replace it and the base volume.
      const fetch = new command.local.Command(
        `${name}-fcos-image`,
        {
          create: renderImageFetchScript({
            url: args.fcosImage.url,
            sha256: args.fcosImage.sha256 ?? "",
            uncompressedSha256: args.fcosImage.uncompressedSha256,
            dest,
            checkHint,
          }),
          delete: renderImageRemoveScript(dest),
          interpreter: ["/bin/bash", "-c"],
          logging: "stderr",
        },
        { parent: this },
      );
      fcosSource = dest;
      fcosDependsOn.push(fetch);
    }
    const fcosBase = new libvirt.Volume(
      `${name}-fcos-base`,
      { name: `${args.volumePrefix}-fcos-base.qcow2`, pool: pool.name, source: fcosSource, format: "qcow2" },
      { ...base, dependsOn: fcosDependsOn },
    );

    this.poolName = pool.name;
    this.infraBaseVolumeId = infraBase.id;
    this.fcosBaseVolumeId = fcosBase.id;
    this.registerOutputs({ poolName: this.poolName, infraBaseVolumeId: this.infraBaseVolumeId, fcosBaseVolumeId: this.fcosBaseVolumeId });
  }
}
