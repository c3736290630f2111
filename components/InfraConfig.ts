import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InfraFile, installCommand, waitForCloudInitCommand } from "../render/infraFiles";

export interface InfraConfigArgs {
  host: string;
  user: string;
  /** OpenSSH private key the program connects with; a secret. */
  privateKey: pulumi.Input<string>;
  /**
   * The node's SSH host public key (`ssh-ed25519 AAAA...`): every connection refuses any other, so
   * no file (the stats password among them) reaches a host that merely answers on the address.
   */
  hostKey: pulumi.Input<string>;
  /** Files in installation order; `secret` files stay Pulumi secrets. */
  files: InfraFile<pulumi.Input<string>>[];
  /** The infra domain id: a new VM gets every file again. */
  domainId: pulumi.Input<string>;
}

/**
 * Delivers the infra node's configuration over SSH, one command per file. A command re-runs
 * only when its file's content changes; on the node the helper validates the file with its
 * consumer (`haproxy -c`, `named-checkzone`, `chronyd -p`) before swapping it in and reloads
 * the service without dropping connections. The same path serves creation and every update.
 */
export class InfraConfig extends pulumi.ComponentResource {
  /** The delivery commands; depend on these to wait until the infra node serves the lab. */
  public readonly delivered: pulumi.Resource[];

  constructor(name: string, args: InfraConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:infra:InfraConfig", name, {}, opts);
    const connection: command.types.input.remote.ConnectionArgs = {
      host: args.host,
      user: args.user,
      privateKey: pulumi.secret(args.privateKey),
      // pulumi-command v1.2.1 provider/pkg/provider/remote/connection.go: ssh.FixedHostKey of this
      // authorized_keys line (and only its key type is offered); without it any key is accepted.
      hostKey: args.hostKey,
      // The first connection waits for the VM to boot: up to ~20 minutes of retries.
      dialErrorLimit: 120,
      perDialTimeout: 10,
    };
    const triggers = [args.domainId];
    // The command provider sets PULUMI_COMMAND_STDOUT/STDERR over SSH unless told not to
    // (addPreviousOutputInEnv, remote/commandOutputs.go); the node's sshd refuses them with a warning.
    const addPreviousOutputInEnv = false;
    const helper = new command.remote.Command(
      `${name}-helper`,
      { connection, create: waitForCloudInitCommand(), triggers, addPreviousOutputInEnv },
      { parent: this },
    );

    const byId = new Map<string, command.remote.Command>();
    const delivered: pulumi.Resource[] = [helper];
    for (const file of args.files) {
      const after = file.after.map((id) => {
        const first = byId.get(id);
        if (!first) throw new Error(`infra file ${file.id} must come after ${id}, which is not delivered before it`);
        return first;
      });
      const cmd = new command.remote.Command(
        `${name}-file:${file.id}`,
        {
          connection,
          create: installCommand(file),
          stdin: file.secret ? pulumi.secret(file.content) : file.content,
          triggers,
          addPreviousOutputInEnv,
        },
        // A secret file's content stays secret in the command's state too.
        { parent: this, dependsOn: [helper, ...after], ...(file.secret ? { additionalSecretOutputs: ["stdin"] } : {}) },
      );
      byId.set(file.id, cmd);
      delivered.push(cmd);
    }
    this.delivered = delivered;
    this.registerOutputs({});
  }
}
