/** scripts/power.ts: the flags of `npm run stop` and `npm run start`, and their messages. */
import { UsageError } from "../../offline/cli";
import { parsePowerArgs } from "../../scripts/power";

describe("parsePowerArgs", () => {
  it("defaults the stack to OKD_LAB_STACK, else dev, and the bounds to the documented ones", () => {
    expect(parsePowerArgs(["stop"], {})).toEqual({ command: "stop", stack: "dev", force: false, timeoutSeconds: 300 });
    expect(parsePowerArgs(["start"], { OKD_LAB_STACK: "lab2" })).toEqual({
      command: "start",
      stack: "lab2",
      readinessTimeoutSeconds: 900,
      csrTimeoutSeconds: 3600,
    });
  });

  it("reads every flag", () => {
    expect(parsePowerArgs(["stop", "--stack", "lab", "--force", "--timeout", "600"], {})).toEqual({
      command: "stop",
      stack: "lab",
      force: true,
      timeoutSeconds: 600,
    });
    expect(parsePowerArgs(["start", "--stack", "lab", "--readiness-timeout", "60", "--csr-timeout", "1200"], {})).toEqual({
      command: "start",
      stack: "lab",
      readinessTimeoutSeconds: 60,
      csrTimeoutSeconds: 1200,
    });
  });

  it.each([
    [["halt"], "unknown command halt: use stop or start"],
    [[], "unknown command (none): use stop or start"],
    [["stop", "--timeout", "soon"], "--timeout soon: give a whole number of seconds, e.g. --timeout 300"],
    [["start", "--csr-timeout", "0"], "--csr-timeout 0: give a whole number of seconds, e.g. --csr-timeout 3600"],
    [["start", "--force"], "Unknown option '--force'"],
  ])("refuses %j", (argv, message) => {
    expect(() => parsePowerArgs(argv, {})).toThrow(UsageError);
    expect(() => parsePowerArgs(argv, {})).toThrow(message);
  });
});
