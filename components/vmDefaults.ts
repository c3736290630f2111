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
        // The MAC of the DHCP reservation (dhcpReservation): the VM gets its address at first boot.
        mac: vm.mac,
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
 * The VM's DHCP host reservation (`<host mac name ip>`) on the lab network, as a host command:
 * created before the domain, so the VM gets its address at first boot, and removed after it
 * (libvirt keeps reservations of deleted domains, terraform-provider-libvirt issue #834).
 *
 * The domain itself carries no `addresses`: the provider reads them back from DHCP leases
 * (domainGetIfacesInfo, lease source without a guest agent), so a domain created without
 * waiting for a lease, or with a static address like the infra VM, would show a change on every
 * later run. Without `addresses` there is nothing to compare.
 */
export function dhcpReservation(
  name: string,
  args: { libvirtUri?: string; networkName: pulumi.Input<string>; vm: VmIdentity },
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  // Every value reaches bash through the one quoting helper (the URI is also validated upfront),
  // as a variable set once at the top of each script.
  const uri = args.libvirtUri ? `-c ${shellQuote(args.libvirtUri)} ` : "";
  const host = shellQuote(`<host mac='${args.vm.mac}' name='${args.vm.hostName}' ip='${args.vm.ip}'/>`);
  // Live and persistent definition first, then the persistent one alone (network stopped).
  const update = (action: string) => `virsh ${uri}net-update "$net" ${action} ip-dhcp-host "$host" $flags`;
  const vars = (net: string) => `host=${host}; net=${shellQuote(net)}; `;
  const network = pulumi.output(args.networkName);
  return new command.local.Command(
    name,
    {
      // Idempotent: a reservation left by an earlier run (or by the provider, which made them
      // before) is replaced by the same one.
      create: network.apply(
        (net) =>
          vars(net) +
          `for flags in '--live --config' '--config'; do ${update("delete")} >/dev/null 2>&1; out=$(${update("add-last")} 2>&1) && exit 0; done; ` +
          `echo "okd-lab: could not add the DHCP reservation $host to network $net: $out" >&2; exit 1`,
      ),
      // A reservation that is already gone is fine; any other failure is reported, not fatal.
      delete: network.apply(
        (net) =>
          vars(net) +
          `for flags in '--live --config' '--config'; do out=$(${update("delete")} 2>&1) && exit 0; done; ` +
          `case "$out" in *"couldn't locate a matching dhcp host"*|*"network not found"*|*"Network not found"*) exit 0 ;; esac; ` +
          `echo "okd-lab: could not remove the DHCP reservation $host: $out" >&2; exit 0`,
      ),
      interpreter: ["/bin/bash", "-c"],
    },
    // Earlier versions only removed the reservation, under the name <node>-dhcp-release: taken over,
    // it is updated, and an update without an `update` script runs `create` (@pulumi/command 1.2.1
    // local/commandController.go), which adds the reservation idempotently.
    { ...opts, aliases: [{ name: `${name}-release` }] },
  );
}
