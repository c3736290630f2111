/**
 * What every lab VM shares: CPU passthrough, serial console, a fixed MAC and address, and the
 * cleanup of the DHCP reservation libvirt leaves behind.
 */
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../render/shellQuote";

const GiB = 1024 ** 3;

/** Bytes in `giB` GiB: libvirt volume sizes are in bytes. */
export function gibToBytes(giB: number): number {
  return giB * GiB;
}

export interface VmIdentity {
  domainName: string;
  /** Short host name handed out by libvirt's DHCP, e.g. `worker`. */
  hostName: string;
  ip: string;
  mac: string;
  vcpu: number;
  memoryMiB: number;
}

/**
 * A VM's root disk: a qcow2 copy-on-write overlay of a base volume, `diskGiB` large (libvirt sizes
 * are bytes). libvirt names are unique, so a replacement deletes the old volume first.
 */
export function rootVolume(
  name: string,
  args: { domainName: string; diskGiB: number; poolName: pulumi.Input<string>; baseVolumeId: pulumi.Input<string> },
  parent: pulumi.Resource,
): libvirt.Volume {
  return new libvirt.Volume(
    name,
    { name: `${args.domainName}-root.qcow2`, pool: args.poolName, baseVolumeId: args.baseVolumeId, format: "qcow2", size: gibToBytes(args.diskGiB) },
    { parent, deleteBeforeReplace: true },
  );
}

/** Domain inputs common to the infra VM and the Fedora CoreOS nodes. */
export function baseDomainArgs(vm: VmIdentity, networkId: pulumi.Input<string>, rootVolumeId: pulumi.Input<string>): libvirt.DomainArgs {
  return {
    name: vm.domainName,
    vcpu: vm.vcpu,
    memory: vm.memoryMiB,
    // EL9 and FCOS userlands need x86-64-v2, which a default guest CPU model may hide.
    cpu: { mode: "host-passthrough" },
    disks: [{ volumeId: rootVolumeId }],
    networkInterfaces: [
      {
        networkId,
        hostname: vm.hostName,
        mac: vm.mac,
        // Creates the DHCP host reservation, so the node gets its address at first boot.
        addresses: [vm.ip],
        // No guest agent and a reserved address: waiting for a lease only adds a timeout.
        waitForLease: false,
      },
    ],
    consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
    // The provider defaults to SPICE graphics, which EL9 hosts (Rocky 9) no longer build into
    // QEMU ("spice graphics are not supported with this QEMU", terraform-provider-libvirt #961);
    // VNC on loopback and a VGA card work everywhere (cirrus is deprecated on EL9, gone on EL10).
    graphics: { type: "vnc", listenType: "address", listenAddress: "127.0.0.1", autoport: true },
    video: { type: "vga" },
    autostart: true,
  };
}

/**
 * A host command whose only job is on delete: libvirt keeps a domain's DHCP reservation after
 * the domain is gone (terraform-provider-libvirt issue #834), which would block the address.
 */
export function dhcpReservationCleanup(
  name: string,
  args: { libvirtUri?: string; networkName: pulumi.Input<string>; vm: VmIdentity },
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  // Every value reaches bash through the one quoting helper; the URI is also validated upfront.
  const virsh = args.libvirtUri ? `virsh -c ${shellQuote(args.libvirtUri)}` : "virsh";
  const host = shellQuote(`<host mac='${args.vm.mac}' name='${args.vm.hostName}' ip='${args.vm.ip}'/>`);
  const network = pulumi.output(args.networkName).apply(shellQuote);
  return new command.local.Command(
    name,
    {
      create: "true",
      // Live and persistent definition first, then the persistent one alone (network stopped).
      // A reservation that is already gone is fine; any other failure is reported, not fatal.
      delete: pulumi.interpolate`host=${host}; for flags in '--live --config' '--config'; do out=$(${virsh} net-update ${network} delete ip-dhcp-host "$host" $flags 2>&1) && exit 0; done; case "$out" in *"couldn't locate a matching dhcp host"*|*"network not found"*|*"Network not found"*) exit 0 ;; esac; echo "okd-lab: could not remove the DHCP reservation $host: $out" >&2; exit 0`,
      interpreter: ["/bin/bash", "-c"],
    },
    opts,
  );
}
