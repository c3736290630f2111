/** Four tiers: pure and mocked unit tests, real-tool integration tests, network-namespace e2e tests, real libvirt with real guests. */
const path = require("node:path");
// `pulumi` by name must never reach the npm wrapper (it downloads the CLI): a refusing stand-in comes first.
process.env.PATH = `${path.join(__dirname, "test", "fixtures", "no-pulumi")}${path.delimiter}${process.env.PATH ?? ""}`;
const tsJest = { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] };
module.exports = {
  projects: [
    { displayName: "unit", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { displayName: "integration", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
    { displayName: "e2e", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    { displayName: "libvirt", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/libvirt/**/*.test.ts"] },
  ],
};
