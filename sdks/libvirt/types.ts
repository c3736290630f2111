// Object types of the libvirt provider v0.5.4 schema (`types` section), hand-written.
// `inputs.*` wrap every field in pulumi.Input; `outputs.*` are the resolved plain shapes.
// A field is required in `inputs` when the schema lists it in `required`; in `outputs`
// also when the schema's nodejs `requiredOutputs` lists it (the provider always computes it).
import * as pulumi from "@pulumi/pulumi";

export namespace inputs {
  /** Boot order entry of a domain. */
  export interface DomainBootDevice {
    /** Devices in boot order, e.g. `["hd", "cdrom", "network"]`. */
    devs?: pulumi.Input<pulumi.Input<string>[]>;
  }

  /** Console (serial/virtio) of a domain. */
  export interface DomainConsole {
    /** IP address a `tcp` console listens on (default 127.0.0.1). Replaces on change. */
    sourceHost?: pulumi.Input<string>;
    /** Source path of a `pty` console. Replaces on change. */
    sourcePath?: pulumi.Input<string>;
    /** Port number or service name of a `tcp` console (default: random port). Replaces on change. */
    sourceService?: pulumi.Input<string>;
    /** Target port, e.g. `"0"`. Replaces on change. */
    targetPort: pulumi.Input<string>;
    /** Target type: `serial` (default for the first console) or `virtio`. Replaces on change. */
    targetType?: pulumi.Input<string>;
    /** Console device type: `pty` or `tcp`. Replaces on change. */
    type: pulumi.Input<string>;
  }

  /** CPU configuration of a domain. */
  export interface DomainCpu {
    /** CPU mode, e.g. `host-passthrough`, `host-model` or `custom`. */
    mode?: pulumi.Input<string>;
  }

  /** Disk attached to a domain; set one of `volumeId`, `url`, `file` or `blockDevice`. */
  export interface DomainDisk {
    /** Path of a host block device to use as the disk. */
    blockDevice?: pulumi.Input<string>;
    /** File name to use as the disk (read-only). */
    file?: pulumi.Input<string>;
    /** Attach the disk to a `virtio-scsi` controller. Replaces on change. */
    scsi?: pulumi.Input<boolean>;
    /** HTTP URL to use as the disk (read-only). */
    url?: pulumi.Input<string>;
    /** Id of the `libvirt.Volume` to use as the disk. */
    volumeId?: pulumi.Input<string>;
    /** WWN of a SCSI disk (random when not set). */
    wwn?: pulumi.Input<string>;
  }

  /** Host directory shared with a domain (9p). */
  export interface DomainFilesystem {
    /** Security mode for accessing the source (default `mapped`). */
    accessmode?: pulumi.Input<string>;
    /** Export the filesystem read-only (default true). */
    readonly?: pulumi.Input<boolean>;
    /** Host directory to share. */
    source: pulumi.Input<string>;
    /** Mount tag exported to the guest. */
    target: pulumi.Input<string>;
  }

  /** Graphics device of a domain. */
  export interface DomainGraphics {
    /** Allocate the port automatically (default true). Replaces on change. */
    autoport?: pulumi.Input<boolean>;
    /** Listen address when `listenType` is `address` (default 127.0.0.1). Replaces on change. */
    listenAddress?: pulumi.Input<string>;
    /** Listen type, e.g. `none` (default) or `address`. Replaces on change. */
    listenType?: pulumi.Input<string>;
    /** Graphics type: `spice` (default) or `vnc`. Replaces on change. */
    type?: pulumi.Input<string>;
    /** VNC WebSocket port (-1 = auto-allocate). */
    websocket?: pulumi.Input<number>;
  }

  /** Network interface of a domain; set one of `networkId`, `networkName`, `bridge`, `vepa`, `macvtap`, `passthrough`. */
  export interface DomainNetworkInterface {
    /** Static IP addresses; creates a DHCP host reservation on the libvirt network. */
    addresses?: pulumi.Input<pulumi.Input<string>[]>;
    /** Host bridge device to attach to (LAN bridging). */
    bridge?: pulumi.Input<string>;
    /** Host name given to the domain on this network (DHCP/DNS). */
    hostname?: pulumi.Input<string>;
    /** MAC address of the interface (random when not set). */
    mac?: pulumi.Input<string>;
    /** Host device for a macvtap interface in bridge mode. */
    macvtap?: pulumi.Input<string>;
    /** Id of the `libvirt.Network` to attach to. */
    networkId?: pulumi.Input<string>;
    /** Name of the libvirt network to attach to. */
    networkName?: pulumi.Input<string>;
    /** Host device for a macvtap interface in passthrough mode (SR-IOV VF). */
    passthrough?: pulumi.Input<string>;
    /** Host device for a macvtap interface in VEPA mode. */
    vepa?: pulumi.Input<string>;
    /** Wait for a DHCP lease at creation so the addresses are known (times out after 5 minutes). */
    waitForLease?: pulumi.Input<boolean>;
  }

  /** UEFI NVRAM store of a domain. */
  export interface DomainNvram {
    /** Path of the per-domain NVRAM file. Replaces on change. */
    file?: pulumi.Input<string>;
    /** Path of the NVRAM template (master variable store). Replaces on change. */
    template?: pulumi.Input<string>;
  }

  /** TPM device of a domain. */
  export interface DomainTpm {
    /** Host TPM device for the `passthrough` backend, e.g. `/dev/tpm0`. Replaces on change. */
    backendDevicePath?: pulumi.Input<string>;
    /** libvirt secret used to encrypt the emulated TPM state. Replaces on change. */
    backendEncryptionSecret?: pulumi.Input<string>;
    /** Keep the TPM state when a transient domain is powered off or undefined. Replaces on change. */
    backendPersistentState?: pulumi.Input<boolean>;
    /** TPM backend: `emulator` (default) or `passthrough`. Replaces on change. */
    backendType?: pulumi.Input<string>;
    /** TPM version of the emulator backend. Replaces on change. */
    backendVersion?: pulumi.Input<string>;
    /** TPM model presented to the guest. Replaces on change. */
    model?: pulumi.Input<string>;
  }

  /** Video device of a domain. */
  export interface DomainVideo {
    /** Video model type, e.g. `cirrus`, `qxl`, `virtio`. */
    type?: pulumi.Input<string>;
  }

  /** XSLT transformation applied to the generated domain XML. */
  export interface DomainXml {
    /** XSLT stylesheet (needs `xsltproc` where Pulumi runs). Replaces on change. */
    xslt?: pulumi.Input<string>;
  }

  /** DHCP settings of a network. */
  export interface NetworkDhcp {
    /** `false` disables the DHCP server (on by default). */
    enabled?: pulumi.Input<boolean>;
  }

  /** DNS settings of a network. */
  export interface NetworkDns {
    /** Whether DNS is enabled; `false` does not actually turn libvirt's DNS off. */
    enabled?: pulumi.Input<boolean>;
    /** Upstream forwarders; each needs `address`, `domain` or both. Replaces on change. */
    forwarders?: pulumi.Input<pulumi.Input<inputs.NetworkDnsForwarder>[]>;
    /** Static host entries (both `ip` and `hostname`). */
    hosts?: pulumi.Input<pulumi.Input<inputs.NetworkDnsHost>[]>;
    /** Do not forward unresolved queries for the network's domain (needs `domain` set). */
    localOnly?: pulumi.Input<boolean>;
    /** SRV records (`service` and `protocol` required). Replaces on change. */
    srvs?: pulumi.Input<pulumi.Input<inputs.NetworkDnsSrv>[]>;
  }

  /** Upstream DNS forwarder of a network. */
  export interface NetworkDnsForwarder {
    /** Address of the upstream DNS server. Replaces on change. */
    address?: pulumi.Input<string>;
    /** Domain forwarded to this server. Replaces on change. */
    domain?: pulumi.Input<string>;
  }

  /** Static DNS host entry of a network. */
  export interface NetworkDnsHost {
    /** Host name. */
    hostname?: pulumi.Input<string>;
    /** IP address. */
    ip?: pulumi.Input<string>;
  }

  /** DNS SRV record of a network. */
  export interface NetworkDnsSrv {
    /** Domain of the record. Replaces on change. */
    domain?: pulumi.Input<string>;
    /** Port. Replaces on change. */
    port?: pulumi.Input<string>;
    /** Priority. Replaces on change. */
    priority?: pulumi.Input<string>;
    /** Protocol, e.g. `tcp`. Replaces on change. */
    protocol?: pulumi.Input<string>;
    /** Service name. Replaces on change. */
    service?: pulumi.Input<string>;
    /** Target host. Replaces on change. */
    target?: pulumi.Input<string>;
    /** Weight. Replaces on change. */
    weight?: pulumi.Input<string>;
  }

  /** Extra dnsmasq options of a network. */
  export interface NetworkDnsmasqOptions {
    /** Option entries (`optionName` required, `optionValue` optional). */
    options?: pulumi.Input<pulumi.Input<inputs.NetworkDnsmasqOptionsOption>[]>;
  }

  /** One dnsmasq option. */
  export interface NetworkDnsmasqOptionsOption {
    /** Option name, e.g. `server`. */
    optionName?: pulumi.Input<string>;
    /** Option value (omit for value-less options). */
    optionValue?: pulumi.Input<string>;
  }

  /** Static route of a network. */
  export interface NetworkRoute {
    /** Destination in CIDR notation. */
    cidr: pulumi.Input<string>;
    /** Gateway, reachable via the bridge. */
    gateway: pulumi.Input<string>;
  }

  /** XSLT transformation applied to the generated network XML. */
  export interface NetworkXml {
    /** XSLT stylesheet (needs `xsltproc` where Pulumi runs). Replaces on change. */
    xslt?: pulumi.Input<string>;
  }

  /** Source of a (e.g. `logical`) storage pool. */
  export interface PoolSource {
    /** Source devices. Replaces on change. */
    devices?: pulumi.Input<pulumi.Input<inputs.PoolSourceDevice>[]>;
    /** Source name, e.g. the volume group name. Replaces on change. */
    name?: pulumi.Input<string>;
  }

  /** Source device of a storage pool. */
  export interface PoolSourceDevice {
    /** Path of the device, e.g. `/dev/sdb`. Replaces on change. */
    path?: pulumi.Input<string>;
  }

  /** Target of a storage pool. */
  export interface PoolTarget {
    /** Directory of a `dir` pool, e.g. `/var/lib/libvirt/images/lab`. */
    path?: pulumi.Input<string>;
  }

  /** XSLT transformation applied to the generated pool XML. */
  export interface PoolXml {
    /** XSLT stylesheet (needs `xsltproc` where Pulumi runs). Replaces on change. */
    xslt?: pulumi.Input<string>;
  }

  /** XSLT transformation applied to the generated volume XML. */
  export interface VolumeXml {
    /** XSLT stylesheet (needs `xsltproc` where Pulumi runs). Replaces on change. */
    xslt?: pulumi.Input<string>;
  }
}

export namespace outputs {
  /** Boot order entry of a domain. */
  export interface DomainBootDevice {
    /** Devices in boot order. */
    devs?: string[];
  }

  /** Console (serial/virtio) of a domain. */
  export interface DomainConsole {
    /** IP address a `tcp` console listens on. */
    sourceHost?: string;
    /** Source path of a `pty` console. */
    sourcePath?: string;
    /** Port number or service name of a `tcp` console. */
    sourceService?: string;
    /** Target port. */
    targetPort: string;
    /** Target type: `serial` or `virtio`. */
    targetType?: string;
    /** Console device type: `pty` or `tcp`. */
    type: string;
  }

  /** CPU configuration of a domain. */
  export interface DomainCpu {
    /** CPU mode. */
    mode: string;
  }

  /** Disk attached to a domain. */
  export interface DomainDisk {
    /** Path of a host block device used as the disk. */
    blockDevice?: string;
    /** File name used as the disk. */
    file?: string;
    /** Whether the disk is on a `virtio-scsi` controller. */
    scsi?: boolean;
    /** HTTP URL used as the disk. */
    url?: string;
    /** Id of the volume used as the disk. */
    volumeId?: string;
    /** WWN of the disk. */
    wwn: string;
  }

  /** Host directory shared with a domain. */
  export interface DomainFilesystem {
    /** Security mode for accessing the source. */
    accessmode?: string;
    /** Whether the filesystem is exported read-only. */
    readonly?: boolean;
    /** Host directory shared. */
    source: string;
    /** Mount tag exported to the guest. */
    target: string;
  }

  /** Graphics device of a domain. */
  export interface DomainGraphics {
    /** Whether the port is allocated automatically. */
    autoport?: boolean;
    /** Listen address. */
    listenAddress?: string;
    /** Listen type. */
    listenType?: string;
    /** Graphics type. */
    type?: string;
    /** VNC WebSocket port. */
    websocket?: number;
  }

  /** Network interface of a domain. */
  export interface DomainNetworkInterface {
    /** IP addresses of the domain on this network. */
    addresses: string[];
    /** Host bridge device attached to. */
    bridge?: string;
    /** Host name of the domain on this network. */
    hostname: string;
    /** MAC address of the interface. */
    mac: string;
    /** Host device of a macvtap (bridge mode) interface. */
    macvtap?: string;
    /** Id of the network attached to. */
    networkId: string;
    /** Name of the network attached to. */
    networkName: string;
    /** Host device of a macvtap (passthrough mode) interface. */
    passthrough?: string;
    /** Host device of a macvtap (VEPA mode) interface. */
    vepa?: string;
    /** Whether creation waited for a DHCP lease. */
    waitForLease?: boolean;
  }

  /** UEFI NVRAM store of a domain. */
  export interface DomainNvram {
    /** Path of the per-domain NVRAM file. */
    file: string;
    /** Path of the NVRAM template. */
    template: string;
  }

  /** TPM device of a domain. */
  export interface DomainTpm {
    /** Host TPM device of the `passthrough` backend. */
    backendDevicePath?: string;
    /** libvirt secret encrypting the emulated TPM state. */
    backendEncryptionSecret?: string;
    /** Whether the TPM state outlives a transient domain. */
    backendPersistentState?: boolean;
    /** TPM backend. */
    backendType?: string;
    /** TPM version. */
    backendVersion?: string;
    /** TPM model presented to the guest. */
    model?: string;
  }

  /** Video device of a domain. */
  export interface DomainVideo {
    /** Video model type. */
    type?: string;
  }

  /** XSLT transformation of the domain XML. */
  export interface DomainXml {
    /** XSLT stylesheet. */
    xslt?: string;
  }

  /** DHCP settings of a network. */
  export interface NetworkDhcp {
    /** Whether the DHCP server is enabled. */
    enabled: boolean;
  }

  /** DNS settings of a network. */
  export interface NetworkDns {
    /** Whether DNS is enabled. */
    enabled?: boolean;
    /** Upstream forwarders. */
    forwarders?: outputs.NetworkDnsForwarder[];
    /** Static host entries. */
    hosts?: outputs.NetworkDnsHost[];
    /** Whether unresolved queries for the domain stay local. */
    localOnly?: boolean;
    /** SRV records. */
    srvs?: outputs.NetworkDnsSrv[];
  }

  /** Upstream DNS forwarder of a network. */
  export interface NetworkDnsForwarder {
    /** Address of the upstream DNS server. */
    address?: string;
    /** Domain forwarded to this server. */
    domain?: string;
  }

  /** Static DNS host entry of a network. */
  export interface NetworkDnsHost {
    /** Host name. */
    hostname?: string;
    /** IP address. */
    ip?: string;
  }

  /** DNS SRV record of a network. */
  export interface NetworkDnsSrv {
    /** Domain of the record. */
    domain?: string;
    /** Port. */
    port?: string;
    /** Priority. */
    priority?: string;
    /** Protocol. */
    protocol?: string;
    /** Service name. */
    service?: string;
    /** Target host. */
    target?: string;
    /** Weight. */
    weight?: string;
  }

  /** Extra dnsmasq options of a network. */
  export interface NetworkDnsmasqOptions {
    /** Option entries. */
    options?: outputs.NetworkDnsmasqOptionsOption[];
  }

  /** One dnsmasq option. */
  export interface NetworkDnsmasqOptionsOption {
    /** Option name. */
    optionName?: string;
    /** Option value. */
    optionValue?: string;
  }

  /** Static route of a network. */
  export interface NetworkRoute {
    /** Destination in CIDR notation. */
    cidr: string;
    /** Gateway. */
    gateway: string;
  }

  /** XSLT transformation of the network XML. */
  export interface NetworkXml {
    /** XSLT stylesheet. */
    xslt?: string;
  }

  /** Source of a storage pool. */
  export interface PoolSource {
    /** Source devices. */
    devices?: outputs.PoolSourceDevice[];
    /** Source name. */
    name?: string;
  }

  /** Source device of a storage pool. */
  export interface PoolSourceDevice {
    /** Path of the device. */
    path?: string;
  }

  /** Target of a storage pool. */
  export interface PoolTarget {
    /** Directory of the pool. */
    path: string;
  }

  /** XSLT transformation of the pool XML. */
  export interface PoolXml {
    /** XSLT stylesheet. */
    xslt?: string;
  }

  /** XSLT transformation of the volume XML. */
  export interface VolumeXml {
    /** XSLT stylesheet. */
    xslt?: string;
  }
}
