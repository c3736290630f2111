/**
 * The XSLT stylesheet the libvirt provider applies to the pool's XML before defining it
 * (terraform-provider-libvirt v0.8.1 utils_xslt.go runs `xsltproc`): it adds target permissions
 * so that libvirt creates the pool directory `0750 root:qemu`.
 *
 * Why: the provider writes every volume, Ignition included, with mode 0644 (libvirt/volume_def.go)
 * and exposes no volume permissions; the bootstrap's Ignition holds the cluster's CA keys. A pool
 * directory only root and the qemu group can enter keeps every file in it from other local users,
 * whoever runs `pulumi up`: libvirt's storage driver (root) creates and chowns the directory
 * (src/util/virfile.c, virDirCreateNoFork) and QEMU, running as `qemu` on EL9, still reaches its
 * disks and the Ignition file through the group.
 *
 * Pure: constants in, the stylesheet text out.
 */

/** The pool directory's mode: owner rwx, group r-x, nothing for others. */
export const POOL_DIR_MODE = "0750";

/** Owner of the pool directory: root, which libvirt's storage driver runs as. */
export const POOL_DIR_OWNER_UID = 0;

/**
 * The QEMU user's group on EL9: `qemu`, gid 107, a static id of Fedora's and EL's `setup`
 * package (uidgid); preflight checks it on the host.
 */
export const QEMU_GID = 107;

/** The stylesheet: an identity copy that appends `<permissions>` to the pool's `<target>`. */
export function renderPoolPermissionsXslt(): string {
  return [
    '<?xml version="1.0" ?>',
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">',
    '  <xsl:output omit-xml-declaration="yes" indent="yes"/>',
    '  <xsl:template match="node()|@*">',
    '    <xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy>',
    "  </xsl:template>",
    '  <xsl:template match="/pool/target">',
    "    <xsl:copy>",
    '      <xsl:apply-templates select="node()|@*"/>',
    `      <permissions><mode>${POOL_DIR_MODE}</mode><owner>${POOL_DIR_OWNER_UID}</owner><group>${QEMU_GID}</group></permissions>`,
    "    </xsl:copy>",
    "  </xsl:template>",
    "</xsl:stylesheet>",
    "",
  ].join("\n");
}
