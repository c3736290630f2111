import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { renderImageFetchScript, renderImageRemoveScript } from "../ignition/imageFetchScript";

/** A boot image: a host path used as is, or a URL fetched (verified, decompressed) once on the host. */
export type BaseImage = { kind: "path"; path: string } | { kind: "url"; url: string; sha256?: string };

export interface LabStorageArgs {
  pool: { name: string; path: string };
  /** AlmaLinux 9 GenericCloud qcow2 for the infra node; libvirt uploads a URL as is. */
  infraImage: string;
  /** Fedora CoreOS qemu image; URLs are fetched to `cacheDir` first (FCOS ships `.qcow2.xz`). */
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
      const fileName = args.fcosImage.url.split("/").pop()!.replace(/\.xz$/, "");
      const dest = `${args.cacheDir}/${fileName}`;
      const fetch = new command.local.Command(
        `${name}-fcos-image`,
        {
          create: renderImageFetchScript({ url: args.fcosImage.url, sha256: args.fcosImage.sha256 ?? "", dest }),
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
