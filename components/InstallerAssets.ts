import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { INSTALL_CONFIG_ENV, InstallerOutput, parseInstallerOutput } from "../ignition/installerScript";

export interface InstallerAssetsArgs {
  /** install-config.yaml text; a secret (pull secret). */
  installConfig: pulumi.Input<string>;
  /** The script from `renderInstallerScript`. */
  script: string;
}

/**
 * Runs openshift-install once per cluster on the host (`create manifests`, the lab's manifests,
 * `create ignition-configs`) and exposes what it produced. A later run with the same
 * install-config reuses the assets; a changed one fails with instructions instead of minting a
 * new CA under a live cluster.
 */
export class InstallerAssets extends pulumi.ComponentResource {
  /** bootstrap.ign, master.ign, worker.ign, kubeadmin password, kubeconfig path, generation time. */
  public readonly output: pulumi.Output<InstallerOutput>;

  constructor(name: string, args: InstallerAssetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:installer:InstallerAssets", name, {}, opts);
    const run = new command.local.Command(
      `${name}-create`,
      {
        create: args.script,
        // Changing the script or install-config re-runs it; the script itself refuses to regenerate.
        interpreter: ["/bin/bash", "-c"],
        environment: { [INSTALL_CONFIG_ENV]: pulumi.secret(args.installConfig) },
        // stdout holds the Ignition configs: never print it. (The provider logs line by line with a
        // bufio.Scanner, pulumi-command util.LogOutput, which stops at a 64 KB line: the one JSON
        // line with a 1.5 MB bootstrap.ign must not go there.)
        logging: "stderr",
        // By default an update hands the previous stdout to the command in PULUMI_COMMAND_STDOUT
        // (pulumi-command local/commandOutputs.go); with a real bootstrap.ign that one variable
        // exceeds Linux's 128 KiB limit per environment string and the script cannot start (E2BIG).
        addPreviousOutputInEnv: false,
      },
      {
        parent: this,
        additionalSecretOutputs: ["stdout"],
        // Assets are made once per cluster: later config changes (one worker more, another router
        // count) must not re-run the installer. The program compares the recorded install-config
        // before registering anything and reports the changes that matter.
        ignoreChanges: ["create", "environment"],
      },
    );
    this.output = pulumi.secret(run.stdout.apply(parseInstallerOutput));
    this.registerOutputs({ output: this.output });
  }
}
