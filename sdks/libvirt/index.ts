// Hand-written, typed bindings for the Pulumi libvirt provider v0.5.4
// (= terraform-provider-libvirt 0.8.1). Every resource registers with version 0.5.4.
import * as types from "./types";

export { types };
export { Provider } from "./provider";
export type { ProviderArgs } from "./provider";
export { Network } from "./network";
export type { NetworkArgs } from "./network";
export { Pool } from "./pool";
export type { PoolArgs } from "./pool";
export { Volume } from "./volume";
export type { VolumeArgs } from "./volume";
export { CloudInitDisk } from "./cloudInitDisk";
export type { CloudInitDiskArgs } from "./cloudInitDisk";
export { Ignition } from "./ignition";
export type { IgnitionArgs } from "./ignition";
export { Domain } from "./domain";
export type { DomainArgs } from "./domain";
export { PROVIDER_VERSION, resourceOptsDefaults, withVersion } from "./utilities";
