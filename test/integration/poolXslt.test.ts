/**
 * The pool stylesheet through xsltproc, run with the flags and on the XML the libvirt provider
 * uses (terraform-provider-libvirt v0.8.1: resource_libvirt_pool.go marshals
 * `<pool type="dir"><name/><target><path/></target></pool>` with libvirtxml, utils_xslt.go runs
 * `xsltproc --nomkdir --nonet --nowrite <xslt> <xml>`). What libvirt then does with the
 * permissions (creates and chowns the directory) cannot run here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderPoolPermissionsXslt } from "../../render/poolXslt";
import { requireTool, run } from "./tools";

const PROVIDER_POOL_XML = [
  '<pool type="dir">',
  "  <name>okd-lab</name>",
  "  <target>",
  "    <path>/var/lib/libvirt/images/okd-lab</path>",
  "  </target>",
  "</pool>",
].join("\n");

it("adds 0750 root:qemu (gid 107) permissions to the pool target and keeps everything else", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-xslt-"));
  try {
    fs.writeFileSync(path.join(dir, "pool.xsl"), renderPoolPermissionsXslt().trim());
    fs.writeFileSync(path.join(dir, "pool.xml"), PROVIDER_POOL_XML);
    const result = run(requireTool("xsltproc", "xsltproc"), ["--nomkdir", "--nonet", "--nowrite", path.join(dir, "pool.xsl"), path.join(dir, "pool.xml")]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const compact = result.stdout.replace(/>\s+</g, "><").trim();
    expect(compact).toBe(
      '<pool type="dir"><name>okd-lab</name><target><path>/var/lib/libvirt/images/okd-lab</path>' +
        "<permissions><mode>0750</mode><owner>0</owner><group>107</group></permissions></target></pool>",
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
